package encode

import (
	"encoding/base64"
	"strconv"
	"time"

	"github.com/doris-sync/doris-sync/schema"
)

// DeleteSignColumn is the hidden column of UNIQUE KEY tables that marks a row as a delete.
const DeleteSignColumn = "__DORIS_DELETE_SIGN__"

// Column is one column of the target table as the encoder sees it.
type Column struct {
	Name string
	Type ColumnType
}

// Encoder appends one table's rows to a Stream Load body.
type Encoder interface {
	// AppendRow appends one row (values in column order) without a trailing delimiter.
	// del marks a delete; it is written only when the encoder carries the delete sign.
	// On error dst is returned unchanged.
	AppendRow(dst []byte, row []any, del bool) ([]byte, error)
	// Delimiter separates rows in the body.
	Delimiter() string
}

type column struct {
	name string
	typ  ColumnType
	key  []byte // `{"name":` for the first column, `,"name":` for the others
}

func newColumns(cols []Column) []column {
	out := make([]column, len(cols))
	for i, c := range cols {
		lead := byte(',')
		if i == 0 {
			lead = '{'
		}
		key := appendJSONString([]byte{lead}, c.Name)
		out[i] = column{name: c.Name, typ: c.Type, key: append(key, ':')}
	}
	return out
}

// JSON writes rows as JSON objects, one per line (Stream Load format=json,
// read_json_by_line=true). Keys are the column names; Doris matches them to columns.
type JSON struct {
	cols       []column
	deleteSign bool
	signKey    []byte
}

// NewJSON returns a JSON-lines encoder for the columns. With deleteSign every row also
// carries __DORIS_DELETE_SIGN__ (0 or 1), which UNIQUE KEY tables need for deletes.
func NewJSON(cols []Column, deleteSign bool) *JSON {
	lead := byte(',')
	if len(cols) == 0 {
		lead = '{'
	}
	return &JSON{
		cols:       newColumns(cols),
		deleteSign: deleteSign,
		signKey:    append(appendJSONString([]byte{lead}, DeleteSignColumn), ':'),
	}
}

// Delimiter implements Encoder.
func (e *JSON) Delimiter() string { return "\n" }

// AppendRow implements Encoder.
func (e *JSON) AppendRow(dst []byte, row []any, del bool) ([]byte, error) {
	if len(row) != len(e.cols) {
		return dst, &ValueError{Column: "*", Type: "row", Value: strconv.Itoa(len(row)) + " values", Reason: "the table has " + strconv.Itoa(len(e.cols)) + " columns"}
	}
	start := len(dst)
	var err error
	for i := range e.cols {
		c := &e.cols[i]
		dst = append(dst, c.key...)
		if dst, err = appendJSONValue(dst, c, row[i]); err != nil {
			return dst[:start], err
		}
	}
	if e.deleteSign {
		dst = append(dst, e.signKey...)
		if del {
			dst = append(dst, '1')
		} else {
			dst = append(dst, '0')
		}
	} else if len(e.cols) == 0 {
		dst = append(dst, '{')
	}
	return append(dst, '}'), nil
}

func appendJSONValue(dst []byte, c *column, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		// Every column type parses its value from text, so text is always passed through.
		return appendJSONString(dst, x), nil
	case schema.Decimal:
		return appendJSONString(dst, string(x)), nil
	case schema.JSON:
		return appendJSONString(dst, string(x)), nil
	case int64:
		return appendJSONInt(dst, c, v, x, 0, false)
	case uint64:
		return appendJSONInt(dst, c, v, 0, x, true)
	case float64:
		return appendJSONFloat(dst, c, v, x, 64)
	case float32:
		return appendJSONFloat(dst, c, v, float64(x), 32)
	case bool:
		return appendJSONBool(dst, c, v, x)
	case []byte:
		if c.typ.Kind == KindText {
			dst = append(dst, '"')
			dst = base64.StdEncoding.AppendEncode(dst, x)
			return append(dst, '"'), nil
		}
		return appendJSONString(dst, bytesAsString(x)), nil
	case time.Time:
		return appendJSONTime(dst, c, v, x)
	}
	nv, ok := normalize(v)
	if !ok {
		return dst, unsupported(c, v)
	}
	return appendJSONValue(dst, c, nv)
}

func appendInteger(dst []byte, i int64, u uint64, unsigned bool) []byte {
	if unsigned {
		return strconv.AppendUint(dst, u, 10)
	}
	return strconv.AppendInt(dst, i, 10)
}

func appendJSONInt(dst []byte, c *column, v any, i int64, u uint64, unsigned bool) ([]byte, error) {
	switch c.typ.Kind {
	case KindInt, KindFloat, KindDouble:
		return appendInteger(dst, i, u, unsigned), nil
	case KindLargeInt, KindDecimal, KindText, KindJSON:
		dst = append(dst, '"')
		dst = appendInteger(dst, i, u, unsigned)
		return append(dst, '"'), nil
	case KindBool:
		switch {
		case i == 0 && u == 0:
			return append(dst, "false"...), nil
		case !unsigned && i == 1 || unsigned && u == 1:
			return append(dst, "true"...), nil
		}
		return dst, valueError(c, v, "only 0 and 1 fit a BOOLEAN")
	}
	return dst, valueError(c, v, "a number is not a date")
}

func appendJSONFloat(dst []byte, c *column, v any, f float64, bits int) ([]byte, error) {
	if f != f || f > maxFloat64 || f < -maxFloat64 {
		switch c.typ.Kind {
		case KindFloat, KindDouble, KindText, KindJSON:
			dst = append(dst, '"')
			dst = append(dst, nonFinite(f)...)
			return append(dst, '"'), nil
		}
		return dst, valueError(c, v, "NaN and infinities fit only FLOAT, DOUBLE and text columns")
	}
	switch c.typ.Kind {
	case KindFloat:
		return appendFloat(dst, f, 32), nil
	case KindDouble, KindInt:
		return appendFloat(dst, f, bits), nil
	case KindDecimal, KindLargeInt:
		dst = append(dst, '"')
		dst = strconv.AppendFloat(dst, f, 'f', -1, bits)
		return append(dst, '"'), nil
	case KindText, KindJSON:
		dst = append(dst, '"')
		dst = appendFloat(dst, f, bits)
		return append(dst, '"'), nil
	case KindBool:
		switch f {
		case 0:
			return append(dst, "false"...), nil
		case 1:
			return append(dst, "true"...), nil
		}
		return dst, valueError(c, v, "only 0 and 1 fit a BOOLEAN")
	}
	return dst, valueError(c, v, "a number is not a date")
}

func appendJSONBool(dst []byte, c *column, v any, b bool) ([]byte, error) {
	switch c.typ.Kind {
	case KindBool:
		if b {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case KindInt, KindFloat, KindDouble:
		if b {
			return append(dst, '1'), nil
		}
		return append(dst, '0'), nil
	case KindLargeInt, KindDecimal, KindText:
		if b {
			return append(dst, `"1"`...), nil
		}
		return append(dst, `"0"`...), nil
	case KindJSON:
		if b {
			return append(dst, `"true"`...), nil
		}
		return append(dst, `"false"`...), nil
	}
	return dst, valueError(c, v, "a boolean is not a date")
}

func appendJSONTime(dst []byte, c *column, v any, t time.Time) ([]byte, error) {
	n := len(dst)
	dst = append(dst, '"')
	var ok bool
	switch c.typ.Kind {
	case KindDate:
		dst, ok = appendDate(dst, t)
	case KindDateTime:
		dst, ok = appendDateTime(dst, t, c.typ.Scale)
	case KindText, KindJSON:
		dst, ok = appendTimeText(dst, t)
	default:
		return dst[:n], valueError(c, v, "a time fits only DATE, DATETIME and text columns")
	}
	if !ok {
		return dst[:n], valueError(c, v, "year outside 0000–9999")
	}
	return append(dst, '"'), nil
}

const maxFloat64 = 1.7976931348623157e308
