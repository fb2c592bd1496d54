package ddl

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind is a Doris column type family.
type Kind uint8

// Doris type families. DECIMAL, DATE and DATETIME are the V3/V2 types Doris ≥ 2.0 uses
// under these names.
const (
	KindInvalid Kind = iota
	KindBoolean
	KindTinyInt
	KindSmallInt
	KindInt
	KindBigInt
	KindLargeInt
	KindFloat
	KindDouble
	KindDecimal
	KindDate
	KindDateTime
	KindChar
	KindVarchar
	KindString
	KindJSON
	KindArray
	// Types only met when reading an existing Doris table.
	KindVariant
	KindIPv4
	KindIPv6
	KindMap
	KindStruct
	KindOther
)

// Doris limits (reference/doris-behaviour.md §6.4).
const (
	MaxVarcharBytes   = 65533
	MaxCharBytes      = 255
	MaxDecimalDigits  = 38
	MaxDecimal256     = 76
	MaxDateTimeDigits = 6
)

// Type is a Doris column type.
type Type struct {
	Kind      Kind
	Length    int    // CHAR/VARCHAR length in bytes
	Precision int    // DECIMAL precision
	Scale     int    // DECIMAL scale; DATETIME fractional-second digits
	Elem      *Type  // ARRAY element
	Raw       string // the text of MAP, STRUCT and unmodelled types, as read
}

// Convenience constructors used by the mappings.
var (
	Boolean  = Type{Kind: KindBoolean}
	TinyInt  = Type{Kind: KindTinyInt}
	SmallInt = Type{Kind: KindSmallInt}
	Int      = Type{Kind: KindInt}
	BigInt   = Type{Kind: KindBigInt}
	LargeInt = Type{Kind: KindLargeInt}
	Float    = Type{Kind: KindFloat}
	Double   = Type{Kind: KindDouble}
	Date     = Type{Kind: KindDate}
	String   = Type{Kind: KindString}
	JSON     = Type{Kind: KindJSON}
)

// Decimal returns DECIMAL(p,s).
func Decimal(p, s int) Type { return Type{Kind: KindDecimal, Precision: p, Scale: s} }

// DateTime returns DATETIME(p).
func DateTime(p int) Type { return Type{Kind: KindDateTime, Scale: p} }

// Varchar returns VARCHAR(n), n in bytes.
func Varchar(n int) Type { return Type{Kind: KindVarchar, Length: n} }

// Char returns CHAR(n), n in bytes.
func Char(n int) Type { return Type{Kind: KindChar, Length: n} }

// ArrayOf returns ARRAY<elem>.
func ArrayOf(elem Type) Type { return Type{Kind: KindArray, Elem: &elem} }

var kindNames = [...]string{
	KindBoolean: "BOOLEAN", KindTinyInt: "TINYINT", KindSmallInt: "SMALLINT", KindInt: "INT",
	KindBigInt: "BIGINT", KindLargeInt: "LARGEINT", KindFloat: "FLOAT", KindDouble: "DOUBLE",
	KindDecimal: "DECIMAL", KindDate: "DATE", KindDateTime: "DATETIME", KindChar: "CHAR",
	KindVarchar: "VARCHAR", KindString: "STRING", KindJSON: "JSON", KindArray: "ARRAY",
	KindVariant: "VARIANT", KindIPv4: "IPV4", KindIPv6: "IPV6", KindMap: "MAP", KindStruct: "STRUCT",
}

// String renders the type as CREATE TABLE accepts it: "VARCHAR(765)", "DECIMAL(10,2)",
// "DATETIME(3)", "DATETIME", "LARGEINT", "STRING", "JSON", "ARRAY<INT>".
func (t Type) String() string {
	switch t.Kind {
	case KindChar, KindVarchar:
		return kindNames[t.Kind] + "(" + strconv.Itoa(t.Length) + ")"
	case KindDecimal:
		return "DECIMAL(" + strconv.Itoa(t.Precision) + "," + strconv.Itoa(t.Scale) + ")"
	case KindDateTime:
		if t.Scale > 0 {
			return "DATETIME(" + strconv.Itoa(t.Scale) + ")"
		}
		return "DATETIME"
	case KindArray:
		if t.Elem == nil {
			return "ARRAY<STRING>"
		}
		return "ARRAY<" + t.Elem.String() + ">"
	case KindMap, KindStruct, KindOther:
		return t.Raw
	case KindInvalid:
		return "INVALID"
	}
	return kindNames[t.Kind]
}

// Equal reports whether two types are the same Doris type.
func (t Type) Equal(o Type) bool {
	if t.Kind != o.Kind {
		return false
	}
	switch t.Kind {
	case KindChar, KindVarchar:
		return t.Length == o.Length
	case KindDecimal:
		return t.Precision == o.Precision && t.Scale == o.Scale
	case KindDateTime:
		return t.Scale == o.Scale
	case KindArray:
		if t.Elem == nil || o.Elem == nil {
			return t.Elem == o.Elem
		}
		return t.Elem.Equal(*o.Elem)
	case KindMap, KindStruct, KindOther:
		return strings.EqualFold(t.Raw, o.Raw)
	}
	return true
}

// IsInteger reports TINYINT … LARGEINT.
func (t Type) IsInteger() bool { return t.Kind >= KindTinyInt && t.Kind <= KindLargeInt }

// IsText reports CHAR, VARCHAR and STRING.
func (t Type) IsText() bool {
	return t.Kind == KindChar || t.Kind == KindVarchar || t.Kind == KindString
}

// KeyCapable reports whether Doris accepts the type in a key column
// (reference/doris-behaviour.md §6.3: not FLOAT/DOUBLE, STRING, JSON, VARIANT or
// complex types).
func (t Type) KeyCapable() bool {
	switch t.Kind {
	case KindBoolean, KindTinyInt, KindSmallInt, KindInt, KindBigInt, KindLargeInt,
		KindDecimal, KindDate, KindDateTime, KindChar, KindVarchar, KindIPv4, KindIPv6:
		return true
	}
	return false
}

// indexSize is Doris's short-key index size of the type (PrimitiveType.getOlapColumnIndexSize).
func (t Type) indexSize() int {
	switch t.Kind {
	case KindBoolean, KindTinyInt:
		return 1
	case KindSmallInt:
		return 2
	case KindInt, KindFloat, KindDate, KindIPv4:
		return 4
	case KindBigInt, KindDouble, KindDateTime:
		return 8
	case KindLargeInt, KindIPv6:
		return 16
	case KindDecimal:
		switch {
		case t.Precision <= 9:
			return 4
		case t.Precision <= 18:
			return 8
		case t.Precision <= 38:
			return 16
		}
		return 32
	case KindChar:
		return t.Length
	}
	return 20 // VARCHAR and STRING
}

// textSize is the longest text a value of the type prints as (Doris
// getColumnStringRepSize, used when a numeric column becomes VARCHAR).
func (t Type) textSize() int {
	switch t.Kind {
	case KindBoolean:
		return 1
	case KindTinyInt:
		return 4
	case KindSmallInt:
		return 6
	case KindInt:
		return 11
	case KindBigInt:
		return 20
	case KindLargeInt:
		return 40
	case KindFloat:
		return 24
	case KindDouble:
		return 53
	case KindDecimal:
		return t.Precision + 2
	case KindDate:
		return 10
	case KindDateTime:
		if t.Scale > 0 {
			return 20 + t.Scale
		}
		return 19
	case KindChar, KindVarchar:
		return t.Length
	}
	return MaxVarcharBytes + 1
}

// ParseType reads a Doris type as SHOW CREATE TABLE, DESC or information_schema print it
// ("varchar(20)", "DECIMALV3(9, 0)", "datetimev2(3)", "int(11)", "text", "jsonb",
// "array<int(11)>"). Types it does not model come back as KindOther with Raw set.
func ParseType(s string) (Type, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Type{}, fmt.Errorf("parse Doris type: empty")
	}
	i := 0
	for i < len(s) && (s[i] == '_' || isAlnum(s[i])) {
		i++
	}
	name := strings.ToUpper(s[:i])
	rest := strings.TrimSpace(s[i:])
	var args []int
	if strings.HasPrefix(rest, "(") {
		end := strings.IndexByte(rest, ')')
		if end < 0 {
			return Type{}, fmt.Errorf("parse Doris type %q: unclosed (", s)
		}
		for _, a := range strings.Split(rest[1:end], ",") {
			a = strings.TrimSpace(a)
			if a == "*" {
				args = append(args, MaxVarcharBytes)
				continue
			}
			n, err := strconv.Atoi(a)
			if err != nil {
				return Type{}, fmt.Errorf("parse Doris type %q: bad argument %q", s, a)
			}
			args = append(args, n)
		}
		rest = strings.TrimSpace(rest[end+1:])
	}
	arg := func(i, def int) int {
		if i < len(args) {
			return args[i]
		}
		return def
	}
	var t Type
	switch name {
	case "BOOLEAN", "BOOL":
		t.Kind = KindBoolean
	case "TINYINT":
		t.Kind = KindTinyInt
	case "SMALLINT":
		t.Kind = KindSmallInt
	case "INT", "INTEGER":
		t.Kind = KindInt
	case "BIGINT":
		t.Kind = KindBigInt
	case "LARGEINT":
		t.Kind = KindLargeInt
	case "FLOAT":
		t.Kind = KindFloat
	case "DOUBLE":
		t.Kind = KindDouble
	case "DECIMAL", "DECIMALV3", "DECIMALV2", "NUMERIC":
		t = Decimal(arg(0, 9), arg(1, 0))
	case "DATE", "DATEV2", "DATEV1":
		t.Kind = KindDate
	case "DATETIME", "DATETIMEV2", "DATETIMEV1":
		t = DateTime(arg(0, 0))
	case "CHAR":
		t = Char(arg(0, 1))
	case "VARCHAR":
		t = Varchar(arg(0, MaxVarcharBytes))
	case "STRING", "TEXT":
		t.Kind = KindString
	case "JSON", "JSONB":
		t.Kind = KindJSON
	case "VARIANT":
		t.Kind = KindVariant
	case "IPV4":
		t.Kind = KindIPv4
	case "IPV6":
		t.Kind = KindIPv6
	case "ARRAY":
		if !strings.HasPrefix(rest, "<") || !strings.HasSuffix(rest, ">") {
			return Type{}, fmt.Errorf("parse Doris type %q: ARRAY without <element>", s)
		}
		elem, err := ParseType(rest[1 : len(rest)-1])
		if err != nil {
			return Type{}, err
		}
		return ArrayOf(elem), nil
	case "MAP", "STRUCT":
		t.Kind = KindMap
		if name == "STRUCT" {
			t.Kind = KindStruct
		}
		t.Raw = s
		return t, nil
	default:
		return Type{Kind: KindOther, Raw: s}, nil
	}
	if rest != "" {
		return Type{}, fmt.Errorf("parse Doris type %q: unexpected %q", s, rest)
	}
	return t, nil
}

func isAlnum(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}
