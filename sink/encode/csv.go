package encode

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/doris-sync/doris-sync/schema"
)

// CSV writes rows as delimited text (Stream Load format=csv). NULL is \N. CSV has no
// quoting the encoder can rely on across Doris versions, so a text value that contains
// the column separator or the line delimiter, or is exactly \N, is refused with an error
// rather than loaded wrong; choose separators that never occur in the data (the sink's
// defaults are \x01 and \x02) or use JSON.
type CSV struct {
	cols       []column
	deleteSign bool
	sep, delim string
	// sepWord and delimWord repeat the first byte of sep and delim in each byte of a
	// word, for plainText's scan.
	sepWord, delimWord uint64
}

// NewCSV returns a CSV encoder. sep and delim are the raw separator bytes.
func NewCSV(cols []Column, deleteSign bool, sep, delim string) (*CSV, error) {
	if sep == "" || delim == "" {
		return nil, errors.New("csv: column separator and line delimiter must not be empty")
	}
	if strings.Contains(sep, delim) || strings.Contains(delim, sep) {
		return nil, errors.New("csv: column separator and line delimiter must differ")
	}
	for _, c := range cols {
		if strings.ContainsAny(c.Name, ",`") {
			return nil, errors.New("csv: column name " + strconv.Quote(c.Name) + " cannot be listed in the columns header; use JSON")
		}
	}
	return &CSV{cols: newColumns(cols), deleteSign: deleteSign, sep: sep, delim: delim,
		sepWord: lsb8 * uint64(sep[0]), delimWord: lsb8 * uint64(delim[0])}, nil
}

// Delimiter implements Encoder.
func (e *CSV) Delimiter() string { return e.delim }

// Columns is the Stream Load `columns` header: CSV fields are positional, so the load
// names them (the delete sign last when the encoder carries it).
func (e *CSV) Columns() string {
	var b strings.Builder
	for i, c := range e.cols {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(c.name)
	}
	if e.deleteSign {
		if len(e.cols) > 0 {
			b.WriteByte(',')
		}
		b.WriteString(DeleteSignColumn)
	}
	return b.String()
}

// AppendRow implements Encoder.
func (e *CSV) AppendRow(dst []byte, row []any, del bool) ([]byte, error) {
	if len(row) != len(e.cols) {
		return dst, &ValueError{Column: "*", Type: "row", Value: strconv.Itoa(len(row)) + " values", Reason: "the table has " + strconv.Itoa(len(e.cols)) + " columns"}
	}
	start := len(dst)
	var err error
	for i := range e.cols {
		if i > 0 {
			if len(e.sep) == 1 {
				dst = append(dst, e.sep[0])
			} else {
				dst = append(dst, e.sep...)
			}
		}
		if dst, err = e.appendValue(dst, &e.cols[i], row[i]); err != nil {
			return dst[:start], err
		}
	}
	if e.deleteSign {
		if len(e.cols) > 0 {
			dst = append(dst, e.sep...)
		}
		if del {
			dst = append(dst, '1')
		} else {
			dst = append(dst, '0')
		}
	}
	return dst, nil
}

func (e *CSV) appendText(dst []byte, c *column, v any, s string) ([]byte, error) {
	if s == `\N` {
		return dst, valueError(c, v, `the text \N reads back as NULL in CSV; use JSON`)
	}
	if e.plainText(s) {
		return append(dst, s...), nil
	}
	if strings.Contains(s, e.sep) || strings.Contains(s, e.delim) {
		return dst, valueError(c, v, "the text contains the CSV column separator or line delimiter; use JSON or other separators")
	}
	if utf8.ValidString(s) {
		return append(dst, s...), nil
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, "\ufffd"...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst, nil
}

func (e *CSV) appendValue(dst []byte, c *column, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, `\N`...), nil
	case string:
		return e.appendText(dst, c, v, x)
	case schema.Decimal:
		return e.appendText(dst, c, v, string(x))
	case schema.JSON:
		return e.appendText(dst, c, v, string(x))
	case int64:
		return appendCSVInt(dst, c, v, x, 0, false)
	case uint64:
		return appendCSVInt(dst, c, v, 0, x, true)
	case float64:
		return appendCSVFloat(dst, c, v, x, 64)
	case float32:
		return appendCSVFloat(dst, c, v, float64(x), 32)
	case bool:
		switch c.typ.Kind {
		case KindDate, KindDateTime:
			return dst, valueError(c, v, "a boolean is not a date")
		case KindJSON:
			return strconv.AppendBool(dst, x), nil
		}
		if x {
			return append(dst, '1'), nil
		}
		return append(dst, '0'), nil
	case []byte:
		if c.typ.Kind == KindText {
			return base64.StdEncoding.AppendEncode(dst, x), nil
		}
		return e.appendText(dst, c, v, bytesAsString(x))
	case time.Time:
		var ok bool
		n := len(dst)
		switch c.typ.Kind {
		case KindDate:
			dst, ok = appendDate(dst, x, false)
		case KindDateTime:
			dst, ok = appendDateTime(dst, x, c.typ.Scale, false)
		case KindText, KindJSON:
			dst, ok = appendTimeText(dst, x, false)
		default:
			return dst, valueError(c, v, "a time fits only DATE, DATETIME and text columns")
		}
		if !ok {
			return dst[:n], valueError(c, v, "year outside 0000–9999")
		}
		return dst, nil
	}
	nv, ok := normalize(v)
	if !ok {
		return dst, unsupported(c, v)
	}
	return e.appendValue(dst, c, nv)
}

func appendCSVInt(dst []byte, c *column, v any, i int64, u uint64, unsigned bool) ([]byte, error) {
	switch c.typ.Kind {
	case KindDate, KindDateTime:
		return dst, valueError(c, v, "a number is not a date")
	case KindBool:
		if !(i == 0 && u == 0) && !(!unsigned && i == 1 || unsigned && u == 1) {
			return dst, valueError(c, v, "only 0 and 1 fit a BOOLEAN")
		}
	}
	return appendInteger(dst, i, u, unsigned), nil
}

func appendCSVFloat(dst []byte, c *column, v any, f float64, bits int) ([]byte, error) {
	if f != f || f > maxFloat64 || f < -maxFloat64 {
		switch c.typ.Kind {
		case KindFloat, KindDouble, KindText, KindJSON:
			return append(dst, nonFinite(f)...), nil
		}
		return dst, valueError(c, v, "NaN and infinities fit only FLOAT, DOUBLE and text columns")
	}
	switch c.typ.Kind {
	case KindFloat:
		return appendFloat(dst, f, 32), nil
	case KindDecimal, KindLargeInt:
		return strconv.AppendFloat(dst, f, 'f', -1, bits), nil
	case KindBool:
		if f != 0 && f != 1 {
			return dst, valueError(c, v, "only 0 and 1 fit a BOOLEAN")
		}
		return strconv.AppendInt(dst, int64(f), 10), nil
	case KindDate, KindDateTime:
		return dst, valueError(c, v, "a number is not a date")
	}
	return appendFloat(dst, f, bits), nil
}

// plainText reports whether s has no byte equal to the first byte of the separator or of
// the line delimiter, and no byte ≥ 0x80: then it contains neither, and it is valid UTF-8
// (ASCII), so it goes into the body as it is. One pass by words instead of two searches
// and a UTF-8 check; text it does not clear goes through those.
func (e *CSV) plainText(s string) bool {
	// A read-only view of s's bytes: nothing writes through it, and it does not outlive s.
	src := unsafe.Slice(unsafe.StringData(s), len(s))
	i := 0
	for ; i+8 <= len(src); i += 8 {
		w := binary.LittleEndian.Uint64(src[i : i+8])
		if (zeroBytes(w^e.sepWord)|zeroBytes(w^e.delimWord)|w)&msb8 != 0 {
			return false
		}
	}
	sep, delim := byte(e.sepWord), byte(e.delimWord)
	for ; i < len(src); i++ {
		if c := src[i]; c == sep || c == delim || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// zeroBytes has the top bit set in exactly the bytes of x that are zero: adding 0x7F to
// the low seven bits sets the top bit of every byte but 0, without carrying into the next.
func zeroBytes(x uint64) uint64 {
	return ^(((x & (lsb8 * 0x7F)) + lsb8*0x7F) | x) & msb8
}
