package encode

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind is how a column's values are written; several Doris types share one kind.
type Kind uint8

// Encoder kinds. Text covers CHAR/VARCHAR/STRING and the types Doris parses from text
// (IPV4, IPV6, ARRAY, MAP, STRUCT); JSON covers JSON/JSONB/VARIANT.
const (
	KindInvalid Kind = iota
	KindBool
	KindInt      // TINYINT, SMALLINT, INT, BIGINT
	KindLargeInt // LARGEINT (128-bit): always sent as a JSON string so no reader rounds it
	KindFloat    // FLOAT: shortest text that round-trips through float32
	KindDouble   // DOUBLE: shortest text that round-trips through float64
	KindDecimal  // DECIMAL(p,s): exact text, sent as a JSON string
	KindDate
	KindDateTime // DATETIME(s): fraction of exactly s digits
	KindText
	KindJSON
)

var kindNames = [...]string{
	KindInvalid: "invalid", KindBool: "BOOLEAN", KindInt: "integer", KindLargeInt: "LARGEINT",
	KindFloat: "FLOAT", KindDouble: "DOUBLE", KindDecimal: "DECIMAL", KindDate: "DATE",
	KindDateTime: "DATETIME", KindText: "text", KindJSON: "JSON",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// ColumnType is a Doris column type reduced to what the encoder needs.
type ColumnType struct {
	Kind  Kind
	Scale int    // DATETIME fractional digits (0–6)
	Text  string // the type as given, for error messages
}

// ParseType reads a Doris type as written in DDL ("DATETIME(3)", "DECIMAL(10,2)",
// "VARCHAR(765)", "LARGEINT", "JSON", "ARRAY<INT>" …). It runs once per column, not per row.
func ParseType(text string) (ColumnType, error) {
	t := ColumnType{Text: text}
	s := strings.TrimSpace(text)
	i := 0
	for i < len(s) && (s[i] == '_' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9') {
		i++
	}
	name, rest := strings.ToUpper(s[:i]), strings.TrimSpace(s[i:])
	var args []string
	if strings.HasPrefix(rest, "(") {
		end := strings.IndexByte(rest, ')')
		if end < 0 {
			return t, fmt.Errorf("parse type %q: unbalanced parenthesis", text)
		}
		for _, a := range strings.Split(rest[1:end], ",") {
			args = append(args, strings.TrimSpace(a))
		}
		rest = strings.TrimSpace(rest[end+1:])
	}
	switch name {
	case "BOOLEAN", "BOOL":
		t.Kind = KindBool
	case "TINYINT", "SMALLINT", "INT", "INTEGER", "BIGINT":
		t.Kind = KindInt
	case "LARGEINT":
		t.Kind = KindLargeInt
	case "FLOAT":
		t.Kind = KindFloat
	case "DOUBLE":
		t.Kind = KindDouble
	case "DECIMAL", "DECIMALV2", "DECIMALV3", "NUMERIC":
		t.Kind = KindDecimal
	case "DATE", "DATEV2":
		t.Kind = KindDate
	case "DATETIME", "DATETIMEV2":
		t.Kind = KindDateTime
		if len(args) > 1 {
			return t, fmt.Errorf("parse type %q: DATETIME takes one argument", text)
		}
		if len(args) == 1 {
			n, err := strconv.Atoi(args[0])
			if err != nil || n < 0 || n > 6 {
				return t, fmt.Errorf("parse type %q: DATETIME scale must be 0–6", text)
			}
			t.Scale = n
		}
	case "CHAR", "VARCHAR", "STRING", "TEXT", "IPV4", "IPV6":
		t.Kind = KindText
	case "ARRAY", "MAP", "STRUCT":
		// Complex values arrive as their JSON text and Doris casts the string.
		if !strings.HasPrefix(rest, "<") || !strings.HasSuffix(rest, ">") {
			return t, fmt.Errorf("parse type %q: %s needs <…>", text, name)
		}
		return ColumnType{Kind: KindText, Text: text}, nil
	case "JSON", "JSONB", "VARIANT":
		t.Kind = KindJSON
	default:
		return t, fmt.Errorf("parse type %q: not a Doris column type the sink can load", text)
	}
	if rest != "" {
		return t, fmt.Errorf("parse type %q: unexpected %q", text, rest)
	}
	return t, nil
}
