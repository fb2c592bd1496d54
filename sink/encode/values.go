package encode

import (
	"encoding/binary"
	"math"
	"reflect"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/doris-sync/doris-sync/schema"
)

// ValueError says which column refused which value; it is built only on failure.
type ValueError struct {
	Column string
	Type   string // the column's Doris type text
	Value  string // a short description of the Go value (its type, never its content)
	Reason string
}

func (e *ValueError) Error() string {
	return "column " + e.Column + " (" + e.Type + "): cannot encode " + e.Value + ": " + e.Reason
}

func valueError(col *column, v any, reason string) error {
	return &ValueError{Column: col.name, Type: col.typ.Text, Value: reflect.TypeOf(v).String(), Reason: reason}
}

// unsupported explains a value of no type the encoder takes. schema.Unchanged gets its
// own reason: it is not a value, and writing anything for it would overwrite the one
// Doris has.
func unsupported(col *column, v any) error {
	if schema.IsUnchanged(v) {
		return &ValueError{Column: col.name, Type: col.typ.Text, Value: "schema.Unchanged",
			Reason: "the source did not send this value (it is unchanged), so only a partial-column update of the other columns may load the row"}
	}
	return valueError(col, v, "unsupported Go type")
}

// safeJSON[b] is true for bytes that go into a JSON string unchanged.
var safeJSON = func() (t [256]bool) {
	for b := 0x20; b < 0x80; b++ {
		t[b] = b != '"' && b != '\\'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a quoted JSON string. Control characters (NUL included)
// are escaped, and each byte that is not part of valid UTF-8 (latin1 data passed
// undecoded) becomes U+FFFD, so every body is valid JSON whatever a column held.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start, i := 0, 0
	for {
		// Skip eight plain ASCII bytes at a time (most text needs no escaping), then
		// byte by byte up to the next byte that needs attention.
		for i+8 <= len(s) && !special8(load8(s, i)) {
			i += 8
		}
		for i < len(s) && safeJSON[s[i]] {
			i++
		}
		if i >= len(s) {
			break
		}
		b := s[i]
		if b >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\ufffd"...)
			i++
			start = i
			continue
		}
		dst = append(dst, s[start:i]...)
		switch b {
		case '"', '\\':
			dst = append(dst, '\\', b)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

const (
	lsb8 = 0x0101010101010101
	msb8 = 0x8080808080808080
)

// load8 reads s[i:i+8] as a little-endian word; i+8 ≤ len(s).
func load8(s string, i int) uint64 {
	return binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s), len(s))[i:])
}

// special8 reports whether any byte of w needs attention in a JSON string: a control
// character, '"', '\\' or a byte ≥ 0x80 (the classic "has byte less than / equal to" tricks).
func special8(w uint64) bool {
	ctl := (w - lsb8*0x20) &^ w
	q := w ^ (lsb8 * '"')
	bs := w ^ (lsb8 * '\\')
	return (ctl|(q-lsb8)&^q|(bs-lsb8)&^bs|w)&msb8 != 0
}

// bytesAsString views b as a string without copying; the result must not outlive b.
func bytesAsString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// put2 writes n (0–99) as two digits at b[i:i+2].
func put2(b []byte, i, n int) {
	b[i], b[i+1] = byte('0'+n/10), byte('0'+n%10)
}

// wallClock splits t into its UTC calendar and clock fields (the schema contract:
// zone-less source values arrive in time.UTC with their stored wall clock, instants are
// written as UTC). One pass instead of t.UTC().Date() plus Clock(), which would each redo
// the absolute-time arithmetic.
func wallClock(t time.Time) (year, month, day, hour, min, sec int) {
	unix := t.Unix()
	days := unix / 86400
	rem := unix - days*86400
	if rem < 0 {
		rem += 86400
		days--
	}
	hour, min, sec = int(rem/3600), int(rem/60%60), int(rem%60)
	// Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day = int(doy - (153*mp+2)/5 + 1)
	month = int(mp + 3)
	if mp >= 10 {
		month = int(mp - 9)
	}
	year = int(yoe + era*400)
	if month <= 2 {
		year++
	}
	return
}

// putYMD writes YYYY-MM-DD at b[0:10].
func putYMD(b []byte, y, m, d int) {
	put2(b, 0, y/100)
	put2(b, 2, y%100)
	b[4] = '-'
	put2(b, 5, m)
	b[7] = '-'
	put2(b, 8, d)
}

// appendDate appends YYYY-MM-DD; false for years outside 0000–9999.
func appendDate(dst []byte, t time.Time) ([]byte, bool) {
	y, m, d, _, _, _ := wallClock(t)
	if y < 0 || y > 9999 {
		return dst, false
	}
	var b [10]byte
	putYMD(b[:], y, m, d)
	return append(dst, b[:]...), true
}

var pow10 = [...]int{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000}

// appendDateTime appends YYYY-MM-DD HH:MM:SS and, for scale > 0, exactly scale fraction
// digits (0–9; truncated, never rounded: rounding could carry into the seconds).
func appendDateTime(dst []byte, t time.Time, scale int) ([]byte, bool) {
	y, mo, d, h, mi, s := wallClock(t)
	if y < 0 || y > 9999 {
		return dst, false
	}
	// Built in a fixed array and appended once: one copy instead of a dozen appends.
	var b [29]byte
	putYMD(b[:], y, mo, d)
	b[10] = ' '
	put2(b[:], 11, h)
	b[13] = ':'
	put2(b[:], 14, mi)
	b[16] = ':'
	put2(b[:], 17, s)
	n := 19
	if scale > 0 {
		frac := t.Nanosecond() / pow10[9-scale]
		b[19] = '.'
		for i := scale; i > 0; i-- {
			b[19+i] = byte('0' + frac%10)
			frac /= 10
		}
		n = 20 + scale
	}
	return append(dst, b[:n]...), true
}

// appendTimeText formats a time for a text column: the DATETIME layout with as many
// fraction digits as the value needs (none for whole seconds).
func appendTimeText(dst []byte, t time.Time) ([]byte, bool) {
	ns, scale := t.Nanosecond(), 9
	for scale > 0 && ns%10 == 0 {
		ns /= 10
		scale--
	}
	return appendDateTime(dst, t, scale)
}

// appendFloat appends the shortest text that round-trips through a float of the given
// bit size, in plain notation for 1e-6 ≤ |f| < 1e21 and exponent notation otherwise
// (the same rule encoding/json uses). f must be finite.
func appendFloat(dst []byte, f float64, bits int) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	n := len(dst)
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// clean up e-09 to e-9
		m := len(dst)
		if m-n >= 4 && dst[m-4] == 'e' && dst[m-3] == '-' && dst[m-2] == '0' {
			dst[m-2] = dst[m-1]
			dst = dst[:m-1]
		}
	}
	return dst
}

// nonFinite returns the text Doris parses back into NaN or ±Inf ("nan", "inf", "-inf").
func nonFinite(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case f > 0:
		return "inf"
	}
	return "-inf"
}

// normalize maps values outside the core set (named string types such as a schema
// package's decimal or JSON text, other integer/float widths) onto it. Only values that
// missed the fast type switch pay for the reflection.
func normalize(v any) (any, bool) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.String:
		return rv.String(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return rv.Uint(), true
	case reflect.Float32:
		return float32(rv.Float()), true
	case reflect.Float64:
		return rv.Float(), true
	case reflect.Bool:
		return rv.Bool(), true
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return rv.Bytes(), true
		}
	}
	return nil, false
}
