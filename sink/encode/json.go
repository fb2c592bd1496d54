package encode

import (
	"encoding/base64"
	"encoding/binary"
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
	// keyWords is key as two little-endian words, zero-padded, when it has at most 16
	// bytes (most names): two stores instead of a copy per row.
	keyWords [2]uint64
	longKey  bool // key has more than 16 bytes: copied
}

func newColumns(cols []Column) []column {
	out := make([]column, len(cols))
	for i, c := range cols {
		lead := byte(',')
		if i == 0 {
			lead = '{'
		}
		key := append(appendJSONString([]byte{lead}, c.Name), ':')
		out[i] = column{name: c.Name, typ: c.Type, key: key, longKey: len(key) > 16}
		if len(key) <= 16 {
			var padded [16]byte
			copy(padded[:], key)
			out[i].keyWords = [2]uint64{binary.LittleEndian.Uint64(padded[:]), binary.LittleEndian.Uint64(padded[8:])}
		}
	}
	return out
}

// JSON writes rows as JSON objects, one per line (Stream Load format=json,
// read_json_by_line=true). Keys are the column names; Doris matches them to columns.
type JSON struct {
	cols []column
	// tails[del] ends a row: the delete sign's key and value when the encoder carries it,
	// and the closing brace.
	tails [2]string
}

// NewJSON returns a JSON-lines encoder for the columns. With deleteSign every row also
// carries __DORIS_DELETE_SIGN__ (0 or 1), which UNIQUE KEY tables need for deletes.
func NewJSON(cols []Column, deleteSign bool) *JSON {
	lead := byte(',')
	if len(cols) == 0 {
		lead = '{'
	}
	e := &JSON{cols: newColumns(cols), tails: [2]string{"}", "}"}}
	if deleteSign {
		signKey := string(append(appendJSONString([]byte{lead}, DeleteSignColumn), ':'))
		e.tails = [2]string{signKey + "0}", signKey + "1}"}
	} else if len(cols) == 0 {
		e.tails = [2]string{"{}", "{}"}
	}
	return e
}

// Delimiter implements Encoder.
func (e *JSON) Delimiter() string { return "\n" }

// AppendRow implements Encoder.
func (e *JSON) AppendRow(dst []byte, row []any, del bool) ([]byte, error) {
	if len(row) != len(e.cols) {
		return dst, &ValueError{Column: "*", Type: "row", Value: strconv.Itoa(len(row)) + " values", Reason: "the table has " + strconv.Itoa(len(e.cols)) + " columns"}
	}
	start := len(dst)
	cols := e.cols[:len(row)]
	for i, v := range row {
		c := &cols[i]
		if c.longKey {
			dst = append(dst, c.key...)
		} else {
			// Two word stores; the bytes past the key are overwritten by what follows.
			dst = reserve(dst, 16)
			n := len(dst)
			b := dst[n : n+16]
			binary.LittleEndian.PutUint64(b, c.keyWords[0])
			binary.LittleEndian.PutUint64(b[8:], c.keyWords[1])
			dst = dst[:n+len(c.key)]
		}
		// The value types each kind usually gets, tested by a type comparison or two
		// and written here, without the detours of appendJSONValue's full type switch.
		// Anything else (NULL, other types, refusals) goes there.
		switch c.typ.Kind {
		case KindText, KindDecimal, KindJSON:
			// Text, and the decimal and JSON text sources send as the schema types.
			s, ok := v.(string)
			if !ok {
				if d, isDec := v.(schema.Decimal); isDec {
					s, ok = string(d), true
				} else if j, isJSON := v.(schema.JSON); isJSON {
					s, ok = string(j), true
				}
			}
			if ok {
				if l := len(s); l >= 8 && l <= 16 {
					// Short text (names, codes, decimals) that needs no escaping: two
					// overlapping words, checked and stored here without a call.
					w0, w1 := load8(s, 0), load8(s, l-8)
					if specialMask(w0)|specialMask(w1) == 0 {
						dst = reserve(dst, 18)
						n := len(dst)
						b := dst[n : n+18]
						b[0] = '"'
						binary.LittleEndian.PutUint64(b[1:], w0)
						binary.LittleEndian.PutUint64(b[l-7:], w1)
						b[l+1] = '"'
						dst = dst[:n+l+2]
						continue
					}
				}
				dst = appendJSONString(dst, s)
				continue
			}
		case KindInt:
			if x, ok := v.(int64); ok {
				if x >= 0 && x < 1e8 {
					// Most integers: eight digits in one word, written here.
					dst = reserve(dst, 8)
					n := len(dst)
					d := decimalLen(uint64(x))
					binary.LittleEndian.PutUint64(dst[n:n+8], digits8(uint32(x))>>(8*(8-d)))
					dst = dst[:n+d]
				} else {
					dst = appendInt(dst, x)
				}
				continue
			}
		case KindDateTime:
			if t, ok := v.(time.Time); ok {
				if out, ok := appendDateTime(dst, t, c.typ.Scale, true); ok {
					dst = out
					continue
				}
			}
		case KindDate:
			if t, ok := v.(time.Time); ok {
				if out, ok := appendDate(dst, t, true); ok {
					dst = out
					continue
				}
			}
		case KindDouble:
			if f, ok := v.(float64); ok && f == f && f <= maxFloat64 && f >= -maxFloat64 {
				dst = appendFloat(dst, f, 64)
				continue
			}
		case KindBool:
			if x, ok := v.(bool); ok {
				if x {
					dst = append(dst, "true"...)
				} else {
					dst = append(dst, "false"...)
				}
				continue
			}
		case KindLargeInt:
			if x, ok := v.(uint64); ok {
				dst = append(appendUint(append(dst, '"'), x), '"')
				continue
			}
		}
		var err error
		if dst, err = appendJSONValue(dst, c, v); err != nil {
			return dst[:start], err
		}
	}
	if del {
		return append(dst, e.tails[1]...), nil
	}
	return append(dst, e.tails[0]...), nil
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
		return appendUint(dst, u)
	}
	return appendInt(dst, i)
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
	var out []byte
	var ok bool
	switch c.typ.Kind {
	case KindDate:
		out, ok = appendDate(dst, t, true)
	case KindDateTime:
		out, ok = appendDateTime(dst, t, c.typ.Scale, true)
	case KindText, KindJSON:
		out, ok = appendTimeText(dst, t, true)
	default:
		return dst, valueError(c, v, "a time fits only DATE, DATETIME and text columns")
	}
	if !ok {
		return dst, valueError(c, v, "year outside 0000–9999")
	}
	return out, nil
}

const maxFloat64 = 1.7976931348623157e308
