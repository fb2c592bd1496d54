package doris

import (
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ddlPrimitiveName is the name Doris's PrimitiveType enum gives a type; ALTER errors
// such as "Can not change BIGINT to DATEV2" use it.
func ddlPrimitiveName(t Type) string {
	switch t.Kind {
	case KindDecimal:
		switch {
		case t.Precision <= 9:
			return "DECIMAL32"
		case t.Precision <= 18:
			return "DECIMAL64"
		case t.Precision <= 38:
			return "DECIMAL128"
		}
		return "DECIMAL256"
	case KindDate:
		return "DATEV2"
	case KindDateTime:
		return "DATETIMEV2"
	case KindString:
		return "STRING"
	case KindJSON:
		return "JSONB"
	}
	return strings.ToUpper(kindNames[t.Kind])
}

// ddlShortKeySize is the bytes a column contributes to Doris's short key
// (PrimitiveType.getOlapColumnIndexSize; CHAR counts its length).
func ddlShortKeySize(t Type) int {
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
	case KindVarchar, KindString:
		return 20
	}
	return 16
}

// ddlIsComplexKind reports ARRAY, MAP, STRUCT, VARIANT, JSON and the aggregate-state types.
func ddlIsComplexKind(k Kind) bool {
	switch k {
	case KindArray, KindMap, KindStruct, KindVariant, KindJSON, KindBitmap, KindHLL:
		return true
	}
	return false
}

// ddlCheckDefault validates a column default the way Doris's ColumnDef does. The
// literal's quoting does not matter: Doris checks the value against the type
// ("0" is a fine INT default, 'abc' is not).
func ddlCheckDefault(c *ddlColumnDef, nullable bool) error {
	t := c.typ
	if !c.hasDef {
		return nil
	}
	switch t.Kind {
	case KindHLL:
		return dorisErr("Hll type column can not set default value")
	case KindBitmap:
		if !c.defNull && c.defText != "BITMAP_EMPTY" {
			return dorisErr("Bitmap type column default value only support BITMAP_EMPTY")
		}
	case KindArray:
		if !c.defNull && c.defText != "[]" {
			return dorisErr("Array type column default value only support null or []")
		}
	case KindMap:
		if !c.defNull {
			return dorisErr("Map type column default value just support null")
		}
	case KindStruct:
		if !c.defNull {
			return dorisErr("Struct type column default value just support null")
		}
	case KindJSON, KindVariant:
		if !c.defNull {
			return dorisErr("Json or Variant type column default value just support null")
		}
	}
	if c.defNull {
		if !nullable {
			return dorisErr("Can not set null default value to non nullable column: %s", c.name)
		}
		return nil
	}
	if c.defExpr {
		switch {
		case strings.HasPrefix(c.defText, "CURRENT_TIMESTAMP"):
			if t.Kind != KindDateTime {
				return dorisErr("Types other than DATETIME and DATETIMEV2 cannot use current_timestamp as the default value")
			}
			return nil
		case c.defText == "CURRENT_DATE":
			if t.Kind != KindDate {
				return dorisErr("Types other than DATE and DATEV2 cannot use current_date as the default value")
			}
			return nil
		case c.defText == "PI" || c.defText == "E":
			if t.Kind != KindDouble {
				return dorisErr("Types other than DOUBLE cannot use %s as the default value", strings.ToLower(c.defText))
			}
			return nil
		case c.defText == "BITMAP_EMPTY":
			if t.Kind != KindBitmap {
				return dorisErr("Types other than BITMAP cannot use bitmap_empty as the default value")
			}
			return nil
		}
	}
	// Doris keeps the default as written; loads and ALTER canonicalise it when used.
	_, err := ddlCanonical(t, c.defText)
	return err
}

// ddlCanonical checks a literal against a type with Doris's literal classes'
// messages and returns the value as Doris prints it.
func ddlCanonical(t Type, s string) (string, error) {
	switch t.Kind {
	case KindTinyInt, KindSmallInt, KindInt, KindBigInt:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return "", dorisErr("Invalid number format: %s", s)
		}
		lo, hi := ddlIntRange(t.Kind)
		if n < lo || n > hi {
			return "", dorisErr("Number out of range[%d]. type: %s", n, strings.ToUpper(kindNames[t.Kind]))
		}
		return strconv.FormatInt(n, 10), nil
	case KindLargeInt:
		n, ok := new(big.Int).SetString(s, 10)
		if !ok {
			return "", dorisErr("Invalid number format: %s", s)
		}
		limit := new(big.Int).Lsh(big.NewInt(1), 127)
		if n.Cmp(new(big.Int).Neg(limit)) < 0 || n.Cmp(new(big.Int).Sub(limit, big.NewInt(1))) > 0 {
			return "", dorisErr("Number out of range[%s]. type: LARGEINT", s)
		}
		return n.String(), nil
	case KindFloat, KindDouble:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return "", dorisErr("Invalid floating-point literal: %s", s)
		}
		if t.Kind == KindFloat {
			if _, err := strconv.ParseFloat(s, 32); err != nil {
				return "", dorisErr("Default value will loose precision: %s", s)
			}
			return strconv.FormatFloat(f, 'g', -1, 32), nil
		}
		return strconv.FormatFloat(f, 'g', -1, 64), nil
	case KindDecimal:
		return ddlCanonicalDecimal(t, s)
	case KindBoolean:
		switch strings.ToLower(s) {
		case "true", "1":
			return "1", nil
		case "false", "0":
			return "0", nil
		}
		return "", dorisErr("Invalid BOOLEAN literal: %s", s)
	case KindDate:
		d, ok := ddlParseDateTime(s)
		if !ok {
			return "", dorisErr("date literal [%s] is invalid", s)
		}
		return d.Format("2006-01-02"), nil
	case KindDateTime:
		d, ok := ddlParseDateTime(s)
		if !ok {
			return "", dorisErr("date literal [%s] is invalid", s)
		}
		return ddlFormatDateTime(d, t.Scale), nil
	case KindChar, KindVarchar:
		if len(s) > t.Length {
			return "", dorisErr("Default value is too long: %s", s)
		}
		return s, nil
	case KindIPv4, KindIPv6, KindString:
		return s, nil
	}
	if !utf8.ValidString(s) {
		return "", dorisErr("Invalid default value: %s", s)
	}
	return s, nil
}

func ddlIntRange(k Kind) (int64, int64) {
	switch k {
	case KindTinyInt:
		return -1 << 7, 1<<7 - 1
	case KindSmallInt:
		return -1 << 15, 1<<15 - 1
	case KindInt:
		return -1 << 31, 1<<31 - 1
	}
	return -1 << 63, 1<<63 - 1
}

// ddlCanonicalDecimal checks precision and scale and pads the value to the type's scale.
func ddlCanonicalDecimal(t Type, s string) (string, error) {
	r, ok := new(big.Rat).SetString(s)
	if !ok || strings.Contains(s, "/") {
		return "", dorisErr("Invalid floating-point literal: %s", s)
	}
	text := r.FloatString(t.Scale)
	exact, _ := new(big.Rat).SetString(text)
	intPart := strings.TrimLeft(strings.TrimPrefix(strings.SplitN(text, ".", 2)[0], "-"), "0")
	if exact.Cmp(r) != 0 || len(intPart) > t.Precision-t.Scale {
		return "", dorisErr("Invalid precision and scale - expect (%d, %d), but (%d, %d)", t.Precision, t.Scale, ddlDecimalDigits(s), ddlDecimalScale(s))
	}
	return text, nil
}

func ddlDecimalScale(s string) int {
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return len(s) - i - 1
	}
	return 0
}

func ddlDecimalDigits(s string) int {
	n := 0
	for _, c := range strings.TrimLeft(strings.TrimPrefix(s, "-"), "0.") {
		if c >= '0' && c <= '9' {
			n++
		}
	}
	if n == 0 {
		n = 1
	}
	return n
}

// ddlParseDateTime accepts the date and datetime forms Doris's DateLiteral takes.
func ddlParseDateTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{
		"2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05", "2006-01-02T15:04:05.999999999",
		"2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02", "20060102150405", "20060102",
	} {
		if d, err := time.Parse(layout, s); err == nil {
			return d, true
		}
	}
	return time.Time{}, false
}

// ddlFormatDateTime prints a datetime with exactly scale fractional digits.
func ddlFormatDateTime(d time.Time, scale int) string {
	if scale <= 0 {
		return d.Format("2006-01-02 15:04:05")
	}
	return d.Format("2006-01-02 15:04:05." + strings.Repeat("0", scale))
}

// ddlStringRepSize is Type.getColumnStringRepSize: the characters a number needs as text.
func ddlStringRepSize(t Type) int {
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
		return 12
	case KindDouble:
		return 24
	case KindDecimal:
		return t.Precision + 2
	case KindChar, KindVarchar:
		return t.Length
	}
	return 1 << 30
}

// ddlSchemaChangeAllowed is Doris's ColumnType.isSchemaChangeAllowed matrix as the
// ALTER TABLE documentation states it (reference/doris-behaviour.md §7.1).
func ddlSchemaChangeAllowed(from, to Type) bool {
	if from.Kind == to.Kind {
		switch from.Kind {
		case KindArray, KindMap, KindStruct:
			return from.String() == to.String()
		}
		return true
	}
	if from.Kind == KindString {
		return false
	}
	if to.Kind == KindString {
		return from.Kind != KindDate && from.Kind != KindDateTime
	}
	numericRank := map[Kind]int{KindTinyInt: 1, KindSmallInt: 2, KindInt: 3, KindBigInt: 4, KindLargeInt: 5, KindFloat: 6, KindDouble: 7}
	fr, fromNum := numericRank[from.Kind]
	tr, toNum := numericRank[to.Kind]
	switch {
	case fromNum && toNum:
		if from.Kind == KindLargeInt && to.Kind == KindFloat {
			return false
		}
		return tr > fr
	case (fromNum || from.Kind == KindDecimal || from.Kind == KindBoolean) && to.Kind == KindVarchar:
		return true
	case (from.Kind == KindVarchar || from.Kind == KindChar) && (toNum || to.Kind == KindDate || to.Kind == KindVarchar):
		return true
	case from.Kind == KindInt && to.Kind == KindDate:
		return true
	case from.Kind == KindDate && to.Kind == KindDateTime, from.Kind == KindDateTime && to.Kind == KindDate:
		return true
	}
	return false
}

// ddlConvertValue rewrites a stored value after MODIFY COLUMN changed its type, into
// the canonical form loads store for the new type.
func ddlConvertValue(from, to Type, v Value) (Value, error) {
	if v.Null {
		return v, nil
	}
	s, cerr := ConvertText(to, v.S)
	if cerr != nil {
		return v, dorisErr("can not convert value '%s' from %s to %s: %s", v.S, from, to, cerr.Detail)
	}
	return resStr(s), nil
}
