package postgres

import (
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"
	"unsafe"

	"github.com/doris-sync/doris-sync/schema"
)

// Values reach doris-sync as the text a type's output function prints: pgoutput sends
// that text, and COPY … TO STDOUT sends it too once its escapes are undone. One decoder
// per column type turns it into the Go value of the schema contract (schema/doc.go), so
// the snapshot and the stream cannot disagree. Every connection we open sets the
// session settings that fix the text (sessionSettings): DateStyle ISO, TimeZone UTC,
// IntervalStyle postgres, bytea_output hex, lc_monetary C, extra_float_digits 3.
//
// Policies for values Doris cannot hold (docs/type-mapping.md):
//
//   - numeric NaN, Infinity and -Infinity pass as schema.Decimal("NaN") and so on:
//     unconstrained numeric maps to STRING, which keeps them; a numeric(p,s) column
//     maps to DECIMAL, and Doris rejects the row with its data-quality error.
//   - real/double NaN and ±Infinity pass as float64 NaN/±Inf; the sink writes them as
//     text, which Doris FLOAT/DOUBLE columns accept.
//   - date and timestamp ±infinity are clamped to 9999-12-31 (23:59:59.999999) and
//     0000-01-01 00:00:00, the ends of Doris's DATE/DATETIME range, so they still sort
//     as the extremes; a warning is logged once per process and type.
//   - bit(1) is a bool (it maps to BOOLEAN); every other bit string is its 0/1 text.
//   - money is plain decimal text ("-1234.56"), never the locale form "-$1,234.56".
//   - PostGIS geometry and geography arrive as hex EWKB and leave as WKT.

// valueDecoder turns one non-NULL value's text into its Go value. The text is only
// valid during the call: decoders copy what they keep.
type valueDecoder func(text []byte) (any, error)

// firstNormalOID is FirstNormalObjectId: OIDs below it belong to built-in objects.
const firstNormalOID = 16384

// Built-in type OIDs (pg_type.dat).
const (
	oidBool        = 16
	oidBytea       = 17
	oidChar        = 18
	oidName        = 19
	oidInt8        = 20
	oidInt2        = 21
	oidInt4        = 23
	oidText        = 25
	oidOID         = 26
	oidXID         = 28
	oidCID         = 29
	oidJSON        = 114
	oidFloat4      = 700
	oidFloat8      = 701
	oidMoney       = 790
	oidBPChar      = 1042
	oidVarchar     = 1043
	oidDate        = 1082
	oidTimestamp   = 1114
	oidTimestamptz = 1184
	oidBit         = 1560
	oidNumeric     = 1700
	oidJSONB       = 3802
	oidXID8        = 5069
)

// valueKind says what Go value a codec makes, for the decoders that box values without
// one allocation each (valueAlloc): the text itself, retyped, or a number or time
// parsed from it. kindOther is anything else: only decode knows.
type valueKind uint8

const (
	kindOther       valueKind = iota
	kindString                // string(text)
	kindJSON                  // schema.JSON(text)
	kindDecimal               // schema.Decimal(text); empty text is an error
	kindInt                   // parseInt
	kindFloat4                // parseFloat4
	kindFloat8                // parseFloat8
	kindDate                  // parseDate
	kindTimestamp             // parseTimestamp
	kindTimestamptz           // parseTimestamptz
)

// codec is how one column type's text becomes its Go value: decode, or the same value
// made the way kind says.
type codec struct {
	decode valueDecoder
	kind   valueKind
}

// builtinDecoder is the decoder of a built-in type; every built-in type not listed
// (time, interval, uuid, arrays, ranges, network, geometric, xml, tsvector, …) is text.
func builtinDecoder(oid uint32, typmod int32) valueDecoder { return builtinCodec(oid, typmod).decode }

func builtinCodec(oid uint32, typmod int32) codec {
	switch oid {
	case oidBool:
		return codec{decode: decodeBool}
	case oidInt2, oidInt4, oidInt8, oidOID, oidXID, oidCID:
		return codec{decode: decodeInt, kind: kindInt}
	case oidXID8:
		return codec{decode: decodeUint}
	case oidFloat4:
		return codec{decode: decodeFloat4, kind: kindFloat4}
	case oidFloat8:
		return codec{decode: decodeFloat8, kind: kindFloat8}
	case oidNumeric:
		return codec{decode: decodeNumeric, kind: kindDecimal}
	case oidMoney:
		return codec{decode: decodeMoney}
	case oidBytea:
		return codec{decode: decodeBytea}
	case oidDate:
		return codec{decode: decodeDate, kind: kindDate}
	case oidTimestamp:
		return codec{decode: decodeTimestamp, kind: kindTimestamp}
	case oidTimestamptz:
		return codec{decode: decodeTimestamptz, kind: kindTimestamptz}
	case oidJSON, oidJSONB:
		return codec{decode: decodeJSON, kind: kindJSON}
	case oidBit:
		if typmod == 1 {
			return codec{decode: decodeBit1}
		}
	}
	return textCodec
}

var textCodec = codec{decode: decodeText, kind: kindString}

// typeDecoder picks the decoder of a column type (see typeCodec).
func typeDecoder(types map[uint32]*pgType, oid uint32, typmod int32) valueDecoder {
	return typeCodec(types, oid, typmod).decode
}

// typeCodec picks the codec of a column type: built-in types by OID, domains by their
// base type (with the domain's typmod, so a domain over bit(1) is a bool), PostGIS
// types by name, and everything else (enums, arrays, ranges, composites, citext,
// hstore, ltree, …) as its text. types holds the pg_type rows of oid and of the domain
// bases below it.
func typeCodec(types map[uint32]*pgType, oid uint32, typmod int32) codec {
	for depth := 0; depth < 32; depth++ {
		if oid < firstNormalOID {
			return builtinCodec(oid, typmod)
		}
		t := types[oid]
		if t == nil {
			return textCodec
		}
		switch {
		case t.typtype == "d":
			oid, typmod = t.base, t.baseTypmod
			continue
		case t.typtype == "b" && t.category != "A" && (t.name == "geometry" || t.name == "geography"):
			return codec{decode: decodeEWKB}
		}
		return textCodec
	}
	return textCodec
}

// view is b as a string without a copy, for parsing only: it must not be kept.
func view(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func decodeText(b []byte) (any, error) { return string(b), nil }

func decodeJSON(b []byte) (any, error) { return schema.JSON(b), nil }

var errEmptyNumeric = errors.New("empty numeric")

func decodeNumeric(b []byte) (any, error) {
	if len(b) == 0 {
		return nil, errEmptyNumeric
	}
	return schema.Decimal(b), nil
}

func decodeBool(b []byte) (any, error) {
	if len(b) == 1 {
		switch b[0] {
		case 't':
			return true, nil
		case 'f':
			return false, nil
		}
	}
	return nil, fmt.Errorf("boolean %q is neither t nor f", b)
}

func decodeBit1(b []byte) (any, error) {
	if len(b) == 1 {
		switch b[0] {
		case '1':
			return true, nil
		case '0':
			return false, nil
		}
	}
	return nil, fmt.Errorf("bit(1) value %q is neither 0 nor 1", b)
}

func decodeInt(b []byte) (any, error) { return boxed(parseInt(b)) }

func parseInt(b []byte) (int64, error) {
	n, err := strconv.ParseInt(view(b), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("integer %q: %w", b, errors.Unwrap(err))
	}
	return n, nil
}

func decodeUint(b []byte) (any, error) {
	n, err := strconv.ParseUint(view(b), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("unsigned integer %q: %w", b, errors.Unwrap(err))
	}
	return n, nil
}

func decodeFloat4(b []byte) (any, error) { return boxed(parseFloat4(b)) }

// parseFloat4 parses as float32 first so the value is the real's value, not the
// nearest double to its decimal text.
func parseFloat4(b []byte) (float64, error) {
	f, err := strconv.ParseFloat(view(b), 32)
	if err != nil {
		return 0, fmt.Errorf("real %q: %w", b, errors.Unwrap(err))
	}
	return f, nil
}

func decodeFloat8(b []byte) (any, error) { return boxed(parseFloat8(b)) }

func parseFloat8(b []byte) (float64, error) {
	f, err := strconv.ParseFloat(view(b), 64)
	if err != nil {
		return 0, fmt.Errorf("double %q: %w", b, errors.Unwrap(err))
	}
	return f, nil
}

// boxed is a typed parse result as a decoder's: a value, or nil with the error.
func boxed[T any](v T, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return v, nil
}

// decodeMoney turns money's output ("$1,234.56", "-$1,234.56" under lc_monetary C;
// "($1,234.56)" or a trailing currency in other locales) into plain decimal text.
func decodeMoney(b []byte) (any, error) {
	out := make([]byte, 0, len(b)+1)
	out = append(out, '-')
	neg, digits := false, 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			out = append(out, c)
			digits++
		case c == '.':
			out = append(out, c)
		case c == '-' || c == '(':
			neg = true
		case c == '$' || c == ',' || c == ' ' || c == ')':
		default:
			return nil, fmt.Errorf("money %q: unexpected %q (lc_monetary should be C)", b, c)
		}
	}
	if digits == 0 {
		return nil, fmt.Errorf("money %q has no digits", b)
	}
	if !neg {
		out = out[1:]
	}
	return schema.Decimal(out), nil
}

// decodeBytea reads the hex format ("\x0aff") and, should a server force it, the
// escape format.
func decodeBytea(b []byte) (any, error) {
	if len(b) >= 2 && b[0] == '\\' && b[1] == 'x' {
		out := make([]byte, (len(b)-2)/2)
		if _, err := hex.Decode(out, b[2:]); err != nil {
			return nil, fmt.Errorf("bytea hex: %w", err)
		}
		return out, nil
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			out = append(out, b[i])
			continue
		}
		switch {
		case i+1 < len(b) && b[i+1] == '\\':
			out = append(out, '\\')
			i++
		case i+3 < len(b) && isOctal(b[i+1]) && isOctal(b[i+2]) && isOctal(b[i+3]):
			out = append(out, (b[i+1]-'0')<<6|(b[i+2]-'0')<<3|(b[i+3]-'0'))
			i += 3
		default:
			return nil, fmt.Errorf("bytea escape: bad backslash sequence at byte %d", i)
		}
	}
	return out, nil
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// The clamped ends of ±infinity dates and timestamps (Doris's DATE/DATETIME range).
var (
	maxDate      = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	maxTimestamp = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
	minTimestamp = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
)

func decodeDate(b []byte) (any, error) { return boxed(parseDate(b)) }

func parseDate(b []byte) (time.Time, error) {
	if t, ok := infinity(b, "date", maxDate); ok {
		return t, nil
	}
	t, err := parseDateTime(b, false, false)
	if err != nil {
		return t, fmt.Errorf("date %q: %w", b, err)
	}
	return t, nil
}

func decodeTimestamp(b []byte) (any, error) { return boxed(parseTimestamp(b)) }

func parseTimestamp(b []byte) (time.Time, error) {
	if t, ok := infinity(b, "timestamp", maxTimestamp); ok {
		return t, nil
	}
	t, err := parseDateTime(b, true, false)
	if err != nil {
		return t, fmt.Errorf("timestamp %q: %w", b, err)
	}
	return t, nil
}

func decodeTimestamptz(b []byte) (any, error) { return boxed(parseTimestamptz(b)) }

func parseTimestamptz(b []byte) (time.Time, error) {
	if t, ok := infinity(b, "timestamp with time zone", maxTimestamp); ok {
		return t, nil
	}
	t, err := parseDateTime(b, true, true)
	if err != nil {
		return t, fmt.Errorf("timestamptz %q: %w", b, err)
	}
	return t, nil
}

var infinityWarned sync.Map // type name → struct{}

// infinity clamps 'infinity' and '-infinity' to the ends of Doris's range.
func infinity(b []byte, typeName string, max time.Time) (time.Time, bool) {
	var t time.Time
	switch view(b) {
	case "infinity":
		t = max
	case "-infinity":
		t = minTimestamp
	default:
		return t, false
	}
	if _, seen := infinityWarned.LoadOrStore(typeName, struct{}{}); !seen {
		slog.Warn("PostgreSQL ±infinity clamped to the end of Doris's range (9999-12-31 / 0000-01-01)", "type", typeName)
	}
	return t, true
}

// parseDateTime reads DateStyle ISO output: "YYYY-MM-DD", with a time
// "YYYY-MM-DD HH:MM:SS[.ffffff]", with a zone a trailing "±HH[:MM[:SS]]", and " BC" for
// years before 1 (year 1 BC is year 0). Years may have more than four digits. The result
// is in UTC: the wall clock for zone-less values, the instant for zoned ones.
func parseDateTime(b []byte, withTime, withZone bool) (time.Time, error) {
	p := dtParser{b: b}
	year := p.number(1, 9)
	p.expect('-')
	month := p.number(2, 2)
	p.expect('-')
	day := p.number(2, 2)
	var hour, minute, sec, nsec, offset int
	if withTime {
		p.expect(' ')
		hour = p.number(2, 2)
		p.expect(':')
		minute = p.number(2, 2)
		p.expect(':')
		sec = p.number(2, 2)
		if p.peek('.') {
			p.i++
			start := p.i
			frac := p.number(1, 9)
			for n := p.i - start; n < 9; n++ {
				frac *= 10
			}
			nsec = frac
		}
	}
	if withZone {
		sign := 1
		switch {
		case p.peek('+'):
		case p.peek('-'):
			sign = -1
		default:
			p.fail()
		}
		p.i++
		offset = p.number(2, 2) * 3600
		if p.peek(':') {
			p.i++
			offset += p.number(2, 2) * 60
			if p.peek(':') {
				p.i++
				offset += p.number(2, 2)
			}
		}
		offset *= sign
	}
	if p.i+3 == len(b) && view(b[p.i:]) == " BC" {
		year = 1 - year
		p.i += 3
	}
	if p.err || p.i != len(b) || month < 1 || month > 12 || day < 1 || day > 31 || hour > 24 || minute > 59 || sec > 60 {
		return time.Time{}, errors.New("not in ISO DateStyle form")
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if offset != 0 {
		t = t.Add(-time.Duration(offset) * time.Second)
	}
	return t, nil
}

type dtParser struct {
	b   []byte
	i   int
	err bool
}

func (p *dtParser) fail() { p.err = true }

func (p *dtParser) peek(c byte) bool { return p.i < len(p.b) && p.b[p.i] == c }

func (p *dtParser) expect(c byte) {
	if !p.peek(c) {
		p.err = true
		return
	}
	p.i++
}

// number reads min to max decimal digits.
func (p *dtParser) number(min, max int) int {
	n, digits := 0, 0
	for p.i < len(p.b) && digits < max && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		n = n*10 + int(p.b[p.i]-'0')
		p.i++
		digits++
	}
	if digits < min {
		p.err = true
	}
	return n
}
