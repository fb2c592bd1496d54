package schema

import (
	"fmt"
	"strconv"
	"strings"
)

// LengthUnit says what a character type's Length counts.
type LengthUnit uint8

const (
	// UnitDefault: the source type's usual unit (characters for MySQL/PostgreSQL
	// VARCHAR, bytes for Oracle VARCHAR2 and SQL Server varchar, …).
	UnitDefault LengthUnit = iota
	// UnitChars: Length counts characters (Oracle "VARCHAR2(10 CHAR)").
	UnitChars
	// UnitBytes: Length counts bytes in the column's charset (Oracle "VARCHAR2(10 BYTE)").
	UnitBytes
)

// SourceType is a parsed source column type. Fields the type does not have are left
// zero; the Has* flags tell "not given" from "given as 0" (Oracle NUMBER vs NUMBER(*,0)).
type SourceType struct {
	// Name is the base type name in lower case with single spaces: "varchar",
	// "bigint", "double precision", "timestamp with time zone", "long raw", "array".
	Name string

	// Length is the declared length of character, binary and bit types (and MySQL's
	// integer display width, so TINYINT(1) is recognisable).
	Length    int64
	HasLength bool
	// MaxLength marks "(max)" (SQL Server) or any other unbounded length.
	MaxLength  bool
	LengthUnit LengthUnit

	// Precision is the numeric precision, or for time types the fractional-second
	// digits ("datetime(3)", "timestamp(6) with time zone").
	Precision    int
	HasPrecision bool
	Scale        int
	HasScale     bool

	Unsigned bool
	Zerofill bool

	// Charset is the column's character set or encoding as the source names it
	// ("utf8mb4", "latin1", "UTF8", "AL32UTF8").
	Charset string
	// MaxBytesPerChar, when > 0, is how many UTF-8 bytes one unit of Length can take
	// once converted (what Doris counts); it overrides what Charset implies.
	MaxBytesPerChar int

	// Elem is the element type of an array type (Name is then "array").
	Elem *SourceType
	// EnumValues are the labels of an ENUM or SET type (or of a PostgreSQL enum).
	EnumValues []string
	// Base is the underlying type of a domain or alias type; mappings use it.
	Base *SourceType
}

// precisionTypes take (precision[, scale]) arguments; every other type's first argument
// is a length.
var precisionTypes = map[string]bool{
	"decimal": true, "numeric": true, "dec": true, "fixed": true, "number": true,
	"float": true, "real": true, "double": true, "decfloat": true, "money": true,
	"time": true, "timetz": true, "timestamp": true, "timestamptz": true,
	"datetime": true, "datetime2": true, "datetimeoffset": true, "smalldatetime": true,
	"interval": true,
}

// ParseType parses a column type as databases print it: "int(10) unsigned zerofill",
// "varchar(255) character set utf8mb4", "enum('a','b')", "numeric(10,2)[]",
// "timestamp(3) with time zone", "nvarchar(max)", "int identity(1,1)",
// "VARCHAR2(50 CHAR)", "NUMBER(*,0)", "INTERVAL DAY(2) TO SECOND(6)".
// Only the text is used; charset defaults, enum labels of named types and domain bases
// are for the source to fill in.
func ParseType(text string) (SourceType, error) {
	var st SourceType
	toks, err := tokenizeType(text)
	if err != nil {
		return st, fmt.Errorf("parse type %q: %w", text, err)
	}
	var words []string
	var args []string
	argsSeen := false
	arrayDims := 0
	for i := 0; i < len(toks); i++ {
		tok := toks[i]
		switch tok.kind {
		case tokArray:
			arrayDims++
		case tokParen:
			if !argsSeen && len(words) > 0 {
				args = tok.args
				argsSeen = true
			}
			// Later groups ("to second(6)") do not change the mapping.
		case tokWord:
			w := strings.ToLower(tok.text)
			switch {
			case len(words) == 0:
				words = append(words, w)
			case w == "unsigned":
				st.Unsigned = true
			case w == "signed":
			case w == "zerofill":
				st.Zerofill = true
				st.Unsigned = true // MySQL: ZEROFILL implies UNSIGNED
			case w == "identity":
				// SQL Server "int identity(1,1)": seed and increment are not type arguments.
				if i+1 < len(toks) && toks[i+1].kind == tokParen {
					i++
				}
			case w == "charset" || (w == "character" && i+1 < len(toks) && strings.EqualFold(toks[i+1].text, "set")):
				if w == "character" {
					i++
				}
				if i+1 < len(toks) && toks[i+1].kind == tokWord {
					st.Charset = toks[i+1].text
					i++
				}
			case w == "collate":
				if i+1 < len(toks) && toks[i+1].kind == tokWord {
					i++
				}
			case w == "binary" && argsSeen:
				// MySQL "varchar(10) binary" means a binary collation, not a type.
			default:
				words = append(words, w)
			}
		}
	}
	if len(words) == 0 {
		return st, fmt.Errorf("parse type %q: no type name", text)
	}
	st.Name = strings.Join(words, " ")
	if err := st.applyArgs(args); err != nil {
		return st, fmt.Errorf("parse type %q: %w", text, err)
	}
	if arrayDims > 0 {
		elem := st
		return SourceType{Name: "array", Elem: &elem}, nil
	}
	return st, nil
}

func (st *SourceType) applyArgs(args []string) error {
	if len(args) == 0 {
		return nil
	}
	if st.Name == "enum" || st.Name == "set" || strings.HasPrefix(args[0], "'") {
		for _, a := range args {
			v, ok := unquoteSQL(a)
			if !ok {
				return fmt.Errorf("bad label %s", a)
			}
			st.EnumValues = append(st.EnumValues, v)
		}
		return nil
	}
	first := strings.Fields(st.Name)[0]
	if precisionTypes[first] {
		if a := args[0]; a != "*" && a != "" {
			p, err := strconv.Atoi(a)
			if err != nil {
				return fmt.Errorf("bad precision %q", a)
			}
			st.Precision, st.HasPrecision = p, true
		}
		if len(args) > 1 {
			s, err := strconv.Atoi(args[1])
			if err != nil {
				return fmt.Errorf("bad scale %q", args[1])
			}
			st.Scale, st.HasScale = s, true
		}
		return nil
	}
	fields := strings.Fields(args[0])
	if len(fields) == 0 {
		return nil
	}
	if strings.EqualFold(fields[0], "max") {
		st.MaxLength = true
		return nil
	}
	n, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil {
		return fmt.Errorf("bad length %q", args[0])
	}
	st.Length, st.HasLength = n, true
	if len(fields) > 1 {
		switch strings.ToLower(fields[1]) {
		case "char", "chars", "characters", "codeunits32":
			st.LengthUnit = UnitChars
		case "byte", "bytes", "octets":
			st.LengthUnit = UnitBytes
		}
	}
	return nil
}

type typeTokKind uint8

const (
	tokWord typeTokKind = iota
	tokParen
	tokArray
)

type typeTok struct {
	kind typeTokKind
	text string
	args []string // tokParen: the comma-separated arguments, trimmed
}

func tokenizeType(s string) ([]typeTok, error) {
	var toks []typeTok
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			args, n, err := scanArgs(s[i:])
			if err != nil {
				return nil, err
			}
			toks = append(toks, typeTok{kind: tokParen, args: args})
			i += n
		case c == '[':
			end := strings.IndexByte(s[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("unclosed [")
			}
			toks = append(toks, typeTok{kind: tokArray})
			i += end + 1
		case c == '"' || c == '`':
			end := strings.IndexByte(s[i+1:], c)
			if end < 0 {
				return nil, fmt.Errorf("unclosed %c", c)
			}
			toks = append(toks, typeTok{kind: tokWord, text: s[i+1 : i+1+end]})
			i += end + 2
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r([\"`", rune(s[j])) {
				j++
			}
			if j == i {
				return nil, fmt.Errorf("unexpected %q", s[i])
			}
			toks = append(toks, typeTok{kind: tokWord, text: s[i:j]})
			i = j
		}
	}
	return toks, nil
}

// scanArgs reads "(a, b, 'c,d')" at the start of s and returns the trimmed arguments and
// the number of bytes consumed. Quoted arguments keep their quotes.
func scanArgs(s string) ([]string, int, error) {
	var args []string
	var cur strings.Builder
	depth := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
					continue
				}
				if s[j] == '\'' {
					if j+1 < len(s) && s[j+1] == '\'' {
						j++
						continue
					}
					break
				}
			}
			if j >= len(s) {
				return nil, 0, fmt.Errorf("unclosed quote")
			}
			cur.WriteString(s[i : j+1])
			i = j
		case c == '(':
			depth++
			if depth > 1 {
				cur.WriteByte(c)
			}
		case c == ')':
			depth--
			if depth == 0 {
				args = append(args, strings.TrimSpace(cur.String()))
				return args, i + 1, nil
			}
			cur.WriteByte(c)
		case c == ',' && depth == 1:
			args = append(args, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return nil, 0, fmt.Errorf("unclosed (")
}

// unquoteSQL turns 'it”s' or 'it\'s' into it's.
func unquoteSQL(s string) (string, bool) {
	if len(s) < 2 || s[0] != '\'' || s[len(s)-1] != '\'' {
		return "", false
	}
	body := s[1 : len(s)-1]
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '\'' && i+1 < len(body) && body[i+1] == '\'':
			b.WriteByte('\'')
			i++
		case c == '\\' && i+1 < len(body):
			i++
			switch body[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '0':
				b.WriteByte(0)
			default:
				b.WriteByte(body[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}
