package doris

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// sqlTokKind classifies a token of the Doris SQL dialect.
type sqlTokKind int

const (
	sqlEOF    sqlTokKind = iota
	sqlWord              // bare word: keyword or unquoted identifier
	sqlQuoted            // `backquoted` identifier (never a keyword)
	sqlString            // '...' or "..." literal, text is the decoded value
	sqlNumber            // numeric literal as written
	sqlVar               // @name or @@[scope.]name, text as written
	sqlPunct             // operator or punctuation
)

// sqlToken is one token; pos/end are byte offsets into the statement text.
type sqlToken struct {
	kind     sqlTokKind
	text     string
	pos, end int
}

// describe renders a token the way a syntax error quotes it.
func (t sqlToken) describe() string {
	switch t.kind {
	case sqlEOF:
		return "<EOF>"
	case sqlString:
		return "'" + t.text + "'"
	case sqlQuoted:
		return "`" + t.text + "`"
	}
	return t.text
}

// isWord reports whether the token is the bare keyword w (case-insensitive).
func (t sqlToken) isWord(w string) bool {
	return t.kind == sqlWord && strings.EqualFold(t.text, w)
}

// sqlTokenize splits a statement into tokens, dropping comments. Doris, like MySQL,
// treats `--␠`, `#` and `/* … */` as comments and decodes backslash escapes in strings.
func sqlTokenize(src string) ([]sqlToken, error) {
	var toks []sqlToken
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '#':
			i = sqlSkipLine(src, i)
		case c == '-' && i+1 < len(src) && src[i+1] == '-' && (i+2 == len(src) || strings.IndexByte(" \t\r\n", src[i+2]) >= 0):
			i = sqlSkipLine(src, i)
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, sqlSyntaxError(src, i, "unterminated comment")
			}
			i += end + 4
		case c == '`':
			text, next, err := sqlScanQuoted(src, i, '`', false)
			if err != nil {
				return nil, err
			}
			toks = append(toks, sqlToken{kind: sqlQuoted, text: text, pos: i, end: next})
			i = next
		case c == '\'' || c == '"':
			text, next, err := sqlScanQuoted(src, i, c, true)
			if err != nil {
				return nil, err
			}
			toks = append(toks, sqlToken{kind: sqlString, text: text, pos: i, end: next})
			i = next
		case c == '@':
			j := i + 1
			if j < len(src) && src[j] == '@' {
				j++
			}
			for j < len(src) && (sqlIsWordByte(src[j]) || src[j] == '.') {
				j++
			}
			toks = append(toks, sqlToken{kind: sqlVar, text: src[i:j], pos: i, end: j})
			i = j
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			j := sqlScanNumber(src, i)
			if j < len(src) && sqlIsWordStart(src, j) {
				// MySQL allows identifiers that start with digits (1abc).
				j = sqlScanWord(src, i)
				toks = append(toks, sqlToken{kind: sqlWord, text: src[i:j], pos: i, end: j})
			} else {
				toks = append(toks, sqlToken{kind: sqlNumber, text: src[i:j], pos: i, end: j})
			}
			i = j
		case sqlIsWordStart(src, i):
			j := sqlScanWord(src, i)
			toks = append(toks, sqlToken{kind: sqlWord, text: src[i:j], pos: i, end: j})
			i = j
		default:
			n := 1
			if i+1 < len(src) {
				switch src[i : i+2] {
				case "<=", ">=", "<>", "!=", "||", "&&", ":=":
					n = 2
				}
			}
			toks = append(toks, sqlToken{kind: sqlPunct, text: src[i : i+n], pos: i, end: i + n})
			i += n
		}
	}
	toks = append(toks, sqlToken{kind: sqlEOF, pos: len(src), end: len(src)})
	return toks, nil
}

func sqlSkipLine(src string, i int) int {
	if n := strings.IndexByte(src[i:], '\n'); n >= 0 {
		return i + n + 1
	}
	return len(src)
}

func sqlIsWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

func sqlIsWordStart(src string, i int) bool {
	c := src[i]
	if c < 0x80 {
		return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	r, _ := utf8.DecodeRuneInString(src[i:])
	return unicode.IsLetter(r)
}

func sqlScanWord(src string, i int) int {
	for i < len(src) && sqlIsWordByte(src[i]) {
		i++
	}
	return i
}

func sqlScanNumber(src string, i int) int {
	for i < len(src) && src[i] >= '0' && src[i] <= '9' {
		i++
	}
	if i < len(src) && src[i] == '.' {
		i++
		for i < len(src) && src[i] >= '0' && src[i] <= '9' {
			i++
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < len(src) && src[j] >= '0' && src[j] <= '9' {
			for j < len(src) && src[j] >= '0' && src[j] <= '9' {
				j++
			}
			i = j
		}
	}
	return i
}

// sqlScanQuoted reads a quoted string or identifier starting at src[i] == q. A doubled
// quote stands for itself; strings also decode backslash escapes.
func sqlScanQuoted(src string, i int, q byte, escapes bool) (string, int, error) {
	var b strings.Builder
	j := i + 1
	for j < len(src) {
		c := src[j]
		switch {
		case c == q:
			if j+1 < len(src) && src[j+1] == q {
				b.WriteByte(q)
				j += 2
				continue
			}
			return b.String(), j + 1, nil
		case c == '\\' && escapes && j+1 < len(src):
			j++
			switch e := src[j]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '0':
				b.WriteByte(0)
			case 'b':
				b.WriteByte('\b')
			case 'Z':
				b.WriteByte(26)
			case '%', '_':
				// MySQL keeps the backslash so LIKE patterns can escape wildcards.
				b.WriteByte('\\')
				b.WriteByte(e)
			default:
				b.WriteByte(e)
			}
			j++
		default:
			b.WriteByte(c)
			j++
		}
	}
	what := "string"
	if q == '`' {
		what = "quoted identifier"
	}
	return "", 0, sqlSyntaxError(src, i, "unterminated "+what)
}

// sqlSyntaxError builds a parse error in the Nereids style:
// "mismatched input 'x' expecting …(line L, pos P)".
func sqlSyntaxError(src string, pos int, detail string) error {
	line, col := 1, 0
	for k := 0; k < pos && k < len(src); k++ {
		if src[k] == '\n' {
			line++
			col = 0
		} else {
			col++
		}
	}
	return dorisErr("\n%s(line %d, pos %d)", detail, line, col)
}

// sqlQuoteIdent backquotes an identifier, doubling embedded backquotes.
func sqlQuoteIdent(s string) string {
	return "`" + strings.ReplaceAll(s, "`", "``") + "`"
}

// sqlQuoteString renders a single-quoted SQL string literal with backslash escapes.
func sqlQuoteString(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case 0:
			b.WriteString(`\0`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case 26:
			b.WriteString(`\Z`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// sqlTruncate shortens statement text quoted in an error.
func sqlTruncate(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("%s…", s[:n])
}
