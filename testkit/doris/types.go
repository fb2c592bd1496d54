package doris

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind is a Doris column type family.
type Kind int

// The Doris types the stand-in understands. Aliases (DECIMALV3, DATETIMEV2, DATEV2,
// TEXT, JSONB, INTEGER, BOOL) are folded into these at parse time, as Doris does.
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
	KindVariant
	KindArray
	KindMap
	KindStruct
	KindIPv4
	KindIPv6
	KindBitmap
	KindHLL
	KindTime // parsed so CREATE TABLE can reject it like Doris does
)

var kindNames = map[Kind]string{
	KindBoolean: "boolean", KindTinyInt: "tinyint", KindSmallInt: "smallint", KindInt: "int",
	KindBigInt: "bigint", KindLargeInt: "largeint", KindFloat: "float", KindDouble: "double",
	KindDecimal: "decimal", KindDate: "date", KindDateTime: "datetime", KindChar: "char",
	KindVarchar: "varchar", KindString: "text", KindJSON: "json", KindVariant: "variant",
	KindArray: "array", KindMap: "map", KindStruct: "struct", KindIPv4: "ipv4", KindIPv6: "ipv6",
	KindBitmap: "bitmap", KindHLL: "hll", KindTime: "time",
}

// Limits Doris enforces at DDL time (reference/doris-behaviour.md §6.4).
const (
	MaxVarcharLen     = 65533
	MaxCharLen        = 255
	MaxDecimalDigits  = 38
	MaxDecimal256     = 76
	MaxDateTimeScale  = 6
	DefaultStringSize = 1 << 20 // STRING/JSON value cap in bytes (BE default 1 MB)
)

// Type is a parsed Doris column type.
type Type struct {
	Kind      Kind
	Length    int    // CHAR/VARCHAR length in bytes
	Precision int    // DECIMAL precision
	Scale     int    // DECIMAL scale, DATETIME fractional digits
	Elem      *Type  // ARRAY element type
	Raw       string // original text of MAP/STRUCT types (kept verbatim)
}

// String renders the type the way SHOW CREATE TABLE prints it on Doris 2.1
// (lower case, e.g. "varchar(20)", "decimal(10,2)", "datetime(3)").
func (t Type) String() string {
	switch t.Kind {
	case KindChar, KindVarchar:
		return kindNames[t.Kind] + "(" + strconv.Itoa(t.Length) + ")"
	case KindDecimal:
		return "decimal(" + strconv.Itoa(t.Precision) + "," + strconv.Itoa(t.Scale) + ")"
	case KindDateTime:
		if t.Scale > 0 {
			return "datetime(" + strconv.Itoa(t.Scale) + ")"
		}
		return "datetime"
	case KindArray:
		return "array<" + t.Elem.String() + ">"
	case KindMap, KindStruct:
		return t.Raw
	}
	return kindNames[t.Kind]
}

// IsInteger reports whether the type is one of the fixed-width integer types.
func (t Type) IsInteger() bool {
	return t.Kind >= KindTinyInt && t.Kind <= KindLargeInt
}

// IsNumeric reports whether a numeric literal is a valid value/default for the type.
func (t Type) IsNumeric() bool {
	return t.IsInteger() || t.Kind == KindFloat || t.Kind == KindDouble || t.Kind == KindDecimal || t.Kind == KindBoolean
}

// IsStringLike reports whether the type stores text.
func (t Type) IsStringLike() bool {
	return t.Kind == KindChar || t.Kind == KindVarchar || t.Kind == KindString
}

// KeyError returns the message Doris gives when the type is used as a key column,
// or "" when it may be a key (reference/doris-behaviour.md §6.3).
func (t Type) KeyError(col string) string {
	switch t.Kind {
	case KindFloat, KindDouble:
		return "Float or double can not used as a key, use decimal instead."
	case KindString:
		return "String Type should not be used in key column[" + col + "]."
	case KindJSON:
		return "JsonType type should not be used in key column[" + col + "]."
	case KindVariant:
		return "Variant type should not be used in key column[" + col + "]."
	case KindArray:
		return "Array can only be used in the non-key column of the duplicate table at present."
	case KindMap:
		return "Map can only be used in the non-key column of the duplicate table at present."
	case KindStruct:
		return "Struct can only be used in the non-key column of the duplicate table at present."
	case KindBitmap, KindHLL:
		return "Key column can not set complex type:" + col
	}
	return ""
}

// ParseType parses a Doris type as written in DDL ("VARCHAR(20)", "DECIMALV3(10, 2)",
// "DATETIMEV2(3)", "ARRAY<INT>", "TEXT" …). decimal256 allows precision up to 76.
// Errors carry Doris's wording where Doris has one.
func ParseType(s string, decimal256 bool) (Type, error) {
	s = strings.TrimSpace(s)
	name, args, rest := splitTypeName(s)
	upper := strings.ToUpper(name)
	var t Type
	switch upper {
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
	case "DECIMAL", "DECIMALV3", "NUMERIC":
		t.Kind = KindDecimal
		t.Precision, t.Scale = 9, 0
		if len(args) > 2 {
			return t, fmt.Errorf("Invalid decimal type: %s", s)
		}
		if len(args) >= 1 {
			p, err := strconv.Atoi(args[0])
			if err != nil {
				return t, fmt.Errorf("Invalid decimal type: %s", s)
			}
			t.Precision = p
			t.Scale = 0
		}
		if len(args) == 2 {
			sc, err := strconv.Atoi(args[1])
			if err != nil {
				return t, fmt.Errorf("Invalid decimal type: %s", s)
			}
			t.Scale = sc
		}
		max := MaxDecimalDigits
		if decimal256 {
			max = MaxDecimal256
		}
		if t.Precision < 1 || t.Precision > max {
			return t, fmt.Errorf("Precision of decimal must between 1 and %d. Precision was set to: %d.", max, t.Precision)
		}
		if t.Scale < 0 || t.Scale > t.Precision {
			return t, fmt.Errorf("Scale of decimal must between 0 and precision. Scale was set to: %d.", t.Scale)
		}
	case "DATE", "DATEV2":
		t.Kind = KindDate
	case "DATETIME", "DATETIMEV2":
		t.Kind = KindDateTime
		if len(args) == 1 {
			sc, err := strconv.Atoi(args[0])
			if err != nil {
				return t, fmt.Errorf("Invalid datetime type: %s", s)
			}
			t.Scale = sc
		} else if len(args) > 1 {
			return t, fmt.Errorf("Invalid datetime type: %s", s)
		}
		if t.Scale < 0 || t.Scale > MaxDateTimeScale {
			return t, fmt.Errorf("Scale of Datetime/Time must between 0 and 6. Scale was set to: %d", t.Scale)
		}
	case "CHAR":
		t.Kind = KindChar
		t.Length = 1
		if len(args) == 1 {
			n, err := strconv.Atoi(args[0])
			if err != nil {
				return t, fmt.Errorf("Invalid char type: %s", s)
			}
			t.Length = n
		}
		if t.Length < 1 || t.Length > MaxCharLen {
			return t, fmt.Errorf("Char size must between 1 and 255. Size was set to: %d.", t.Length)
		}
	case "VARCHAR":
		t.Kind = KindVarchar
		t.Length = MaxVarcharLen
		if len(args) == 1 && args[0] != "*" {
			n, err := strconv.Atoi(args[0])
			if err != nil {
				return t, fmt.Errorf("Invalid varchar type: %s", s)
			}
			t.Length = n
		}
		if t.Length < 1 || t.Length > MaxVarcharLen {
			return t, fmt.Errorf("Varchar size must between 1 and 65533. Size was set to: %d.", t.Length)
		}
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
	case "BITMAP":
		t.Kind = KindBitmap
	case "HLL":
		t.Kind = KindHLL
	case "TIME", "TIMEV2":
		t.Kind = KindTime
	case "ARRAY":
		if !strings.HasPrefix(rest, "<") || !strings.HasSuffix(rest, ">") {
			return t, fmt.Errorf("Invalid array type: %s", s)
		}
		elem, err := ParseType(rest[1:len(rest)-1], decimal256)
		if err != nil {
			return t, err
		}
		t.Kind = KindArray
		t.Elem = &elem
		return t, nil
	case "MAP", "STRUCT":
		if !strings.HasPrefix(rest, "<") || !strings.HasSuffix(rest, ">") {
			return t, fmt.Errorf("Invalid %s type: %s", strings.ToLower(upper), s)
		}
		t.Kind = KindMap
		if upper == "STRUCT" {
			t.Kind = KindStruct
		}
		t.Raw = strings.ToLower(upper) + rest
		return t, nil
	default:
		return t, fmt.Errorf("Unknown type: %s", s)
	}
	if rest != "" {
		return t, fmt.Errorf("Invalid type: %s", s)
	}
	return t, nil
}

// splitTypeName splits "DECIMAL(10, 2)" into DECIMAL, [10 2], "" and "ARRAY<INT>" into
// ARRAY, nil, "<INT>".
func splitTypeName(s string) (name string, args []string, rest string) {
	i := 0
	for i < len(s) && (isIdentByte(s[i])) {
		i++
	}
	name, rest = s[:i], strings.TrimSpace(s[i:])
	if strings.HasPrefix(rest, "(") {
		end := strings.IndexByte(rest, ')')
		if end < 0 {
			return name, nil, rest
		}
		for _, a := range strings.Split(rest[1:end], ",") {
			args = append(args, strings.TrimSpace(a))
		}
		rest = strings.TrimSpace(rest[end+1:])
	}
	return name, args, rest
}

func isIdentByte(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}
