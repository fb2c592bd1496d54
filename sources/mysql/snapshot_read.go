package mysql

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unsafe"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/doris-sync/doris-sync/internal/slab"
	"github.com/doris-sync/doris-sync/schema"
)

// The snapshot decodes the binary protocol's row packets (snapshot_wire.go) straight
// into the schema value contract: each value is read once from the packet, and the
// memory of decoded rows is allocated per block of rows rather than per value (see
// rowAlloc). Integers, floats and dates are read from their binary form; no value is
// formatted as text to be parsed back. This is the hot loop of a snapshot.
//
// Every value must come out exactly as go-sql-driver's binary rows decoded by fromText
// gave it before (the value contract in values.go): the common pairs of column kind and
// wire type are decoded here directly; the rest are turned into the value go-sql-driver
// handed out (an int64, a float32, a date printed as text, …) and go through fromText.

// chunkDecoder turns the row packets of one ReadChunk into schema rows.
type chunkDecoder struct {
	codecs rowCodec
	cols   []wireColumn
	alloc  rowAlloc
}

// newChunkDecoder checks the result's columns against the table's.
func newChunkDecoder(codecs rowCodec, cols []wireColumn) (*chunkDecoder, error) {
	if len(cols) != len(codecs) {
		return nil, fmt.Errorf("the result has %d columns, the table %d", len(cols), len(codecs))
	}
	return &chunkDecoder{codecs: codecs, cols: cols}, nil
}

// decodeRow decodes one binary-protocol row packet. The result stays valid after the
// packet's buffer is reused: everything that pointed into it was copied.
func (d *chunkDecoder) decodeRow(p []byte) ([]any, error) {
	n := len(d.cols)
	bitmap := 1 + (n+7+2)>>3 // header byte, then the NULL bitmap (offset by 2 bits)
	if len(p) < bitmap || p[0] != 0x00 {
		return nil, errMalformed
	}
	nulls := p[1:bitmap]
	p = p[bitmap:]
	out := d.alloc.rows.Take(n)
	for i := range d.cols {
		if (nulls[(i+2)>>3]>>((i+2)&7))&1 != 0 {
			continue // NULL: the slot is nil already
		}
		v, used, err := d.value(i, p)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", d.codecs[i].name, err)
		}
		p = p[used:]
		out[i] = v
	}
	return out, nil
}

var errTruncated = errors.New("protocol error: row packet too short")

// value decodes column i's value at the start of p and returns how many bytes it took.
func (d *chunkDecoder) value(i int, p []byte) (any, int, error) {
	c, w := &d.codecs[i], &d.cols[i]
	switch w.typ {
	case gomysql.MYSQL_TYPE_TINY:
		if len(p) < 1 {
			return nil, 0, errTruncated
		}
		if w.unsigned() {
			v, err := d.unsigned(c, uint64(p[0]))
			return v, 1, err
		}
		v, err := d.signed(c, int64(int8(p[0])))
		return v, 1, err
	case gomysql.MYSQL_TYPE_SHORT, gomysql.MYSQL_TYPE_YEAR:
		if len(p) < 2 {
			return nil, 0, errTruncated
		}
		x := binary.LittleEndian.Uint16(p)
		if w.unsigned() {
			v, err := d.unsigned(c, uint64(x))
			return v, 2, err
		}
		v, err := d.signed(c, int64(int16(x)))
		return v, 2, err
	case gomysql.MYSQL_TYPE_INT24, gomysql.MYSQL_TYPE_LONG:
		if len(p) < 4 {
			return nil, 0, errTruncated
		}
		x := binary.LittleEndian.Uint32(p)
		if w.unsigned() {
			v, err := d.unsigned(c, uint64(x))
			return v, 4, err
		}
		v, err := d.signed(c, int64(int32(x)))
		return v, 4, err
	case gomysql.MYSQL_TYPE_LONGLONG:
		if len(p) < 8 {
			return nil, 0, errTruncated
		}
		x := binary.LittleEndian.Uint64(p)
		if w.unsigned() {
			v, err := d.unsigned(c, x)
			return v, 8, err
		}
		v, err := d.signed(c, int64(x))
		return v, 8, err
	case gomysql.MYSQL_TYPE_FLOAT:
		if len(p) < 4 {
			return nil, 0, errTruncated
		}
		f := math.Float32frombits(binary.LittleEndian.Uint32(p))
		v, err := d.float(c, float64(f), true)
		return v, 4, err
	case gomysql.MYSQL_TYPE_DOUBLE:
		if len(p) < 8 {
			return nil, 0, errTruncated
		}
		f := math.Float64frombits(binary.LittleEndian.Uint64(p))
		v, err := d.float(c, f, false)
		return v, 8, err
	case gomysql.MYSQL_TYPE_DATE, gomysql.MYSQL_TYPE_NEWDATE, gomysql.MYSQL_TYPE_DATETIME,
		gomysql.MYSQL_TYPE_TIMESTAMP, gomysql.MYSQL_TYPE_TIME:
		raw, used, ok := lenencBytes(p)
		if !ok {
			return nil, 0, errTruncated
		}
		v, err := d.temporal(c, w, raw)
		return v, used, err
	case gomysql.MYSQL_TYPE_DECIMAL, gomysql.MYSQL_TYPE_NEWDECIMAL, gomysql.MYSQL_TYPE_VARCHAR,
		gomysql.MYSQL_TYPE_BIT, gomysql.MYSQL_TYPE_ENUM, gomysql.MYSQL_TYPE_SET, gomysql.MYSQL_TYPE_TINY_BLOB,
		gomysql.MYSQL_TYPE_MEDIUM_BLOB, gomysql.MYSQL_TYPE_LONG_BLOB, gomysql.MYSQL_TYPE_BLOB,
		gomysql.MYSQL_TYPE_VAR_STRING, gomysql.MYSQL_TYPE_STRING, gomysql.MYSQL_TYPE_GEOMETRY,
		gomysql.MYSQL_TYPE_JSON, gomysql.MYSQL_TYPE_VECTOR:
		b, used, ok := lenencBytes(p)
		if !ok {
			return nil, 0, errTruncated
		}
		v, err := d.bytes(c, b)
		return v, used, err
	case gomysql.MYSQL_TYPE_NULL:
		return nil, 0, nil
	}
	return nil, 0, fmt.Errorf("unknown field type %d", w.typ)
}

// signed decodes an integer the wire holds as signed.
func (d *chunkDecoder) signed(c *columnCodec, n int64) (any, error) {
	switch c.kind {
	case kindSigned, kindYear:
		return d.alloc.ints.Box(n), nil
	case kindUnsigned:
		if n < 0 {
			return nil, fmt.Errorf("unsigned column holds %d", n)
		}
		return d.alloc.uints.Box(uint64(n)), nil
	}
	return c.fromText(n)
}

// unsigned decodes an integer the wire holds as unsigned.
func (d *chunkDecoder) unsigned(c *columnCodec, u uint64) (any, error) {
	switch c.kind {
	case kindUnsigned:
		return d.alloc.uints.Box(u), nil
	case kindSigned, kindYear:
		if u <= math.MaxInt64 {
			return d.alloc.ints.Box(int64(u)), nil
		}
		return d.alloc.uints.Box(u), nil // only an unsigned value is this large; keep it exact
	}
	// go-sql-driver gave int64, and the decimal text above MaxInt64.
	if u > math.MaxInt64 {
		return c.fromText(strconv.AppendUint(nil, u, 10))
	}
	return c.fromText(int64(u))
}

// float decodes a FLOAT (single: go-sql-driver gave a float32) or a DOUBLE.
func (d *chunkDecoder) float(c *columnCodec, f float64, single bool) (any, error) {
	switch c.kind {
	case kindFloat:
		return d.alloc.floats.Box(float64(float32(f))), nil
	case kindDouble:
		return d.alloc.floats.Box(f), nil
	}
	if single {
		return c.fromText(float32(f))
	}
	return c.fromText(f)
}

// temporal decodes a DATE, DATETIME, TIMESTAMP or TIME from its binary form.
func (d *chunkDecoder) temporal(c *columnCodec, w *wireColumn, raw []byte) (any, error) {
	switch c.kind {
	case kindDate, kindDatetime, kindTimestamp:
		if w.typ != gomysql.MYSQL_TYPE_TIME {
			t, ok, err := binaryDateTime(w, raw)
			if err != nil || !ok {
				return nil, err
			}
			return d.alloc.times.Box(t), nil
		}
	}
	text, err := legacyTemporalText(w, raw)
	if err != nil {
		return nil, err
	}
	return c.fromText(text)
}

// bytes decodes a value the wire holds as a length-encoded string. b points into the
// packet: whatever is kept is copied.
func (d *chunkDecoder) bytes(c *columnCodec, b []byte) (any, error) {
	a := &d.alloc
	switch c.kind {
	case kindText, kindChar, kindEnum, kindSet, kindUUID, kindInet4, kindInet6, kindOther:
		return a.strings.Box(a.bytes.String(b)), nil
	case kindDecimal:
		return a.decimals.Box(schema.Decimal(a.bytes.String(b))), nil
	case kindDate, kindDatetime, kindTimestamp:
		t, ok, err := parseDateTime(view(b))
		if err != nil || !ok {
			return nil, err
		}
		return a.times.Box(t), nil
	case kindBinary, kindFixedBinary:
		return a.blobs.Box(a.bytes.Copy(b)), nil
	case kindUnsigned:
		n, err := strconv.ParseUint(view(b), 10, 64)
		if err != nil {
			return nil, err
		}
		return a.uints.Box(n), nil
	}
	// The rest copy what they keep: numbers, JSON and WKT text are built anew.
	return c.fromText(b)
}

// binaryDateTime reads the binary form of a DATE, DATETIME or TIMESTAMP (0, 4, 7 or 11
// bytes: year, month, day, hour, minute, second, microseconds). ok is false for a zero
// date or one with a zero month or day (NULL in the contract). Fractional digits beyond
// the column's are dropped, and a DATE's time part is ignored, as go-sql-driver's text
// did.
func binaryDateTime(w *wireColumn, raw []byte) (t time.Time, ok bool, err error) {
	isDate := w.typ == gomysql.MYSQL_TYPE_DATE || w.typ == gomysql.MYSQL_TYPE_NEWDATE
	fsp := 0
	if !isDate {
		if fsp, err = wireFSP(w.decimals); err != nil {
			return time.Time{}, false, err
		}
	}
	switch len(raw) {
	case 0:
		return time.Time{}, false, nil
	case 4, 7, 11:
	default:
		return time.Time{}, false, fmt.Errorf("illegal %s packet length %d", temporalName(isDate), len(raw))
	}
	year, month, day := int(binary.LittleEndian.Uint16(raw)), int(raw[2]), int(raw[3])
	var hour, minute, second, nanos int
	if !isDate && len(raw) >= 7 {
		hour, minute, second = int(raw[4]), int(raw[5]), int(raw[6])
		if len(raw) == 11 {
			micros := int(binary.LittleEndian.Uint32(raw[7:]))
			nanos = (micros - micros%pow10[6-fsp]) * 1000
		}
	}
	if month == 0 || day == 0 {
		return time.Time{}, false, nil
	}
	return time.Date(year, time.Month(month), day, hour, minute, second, nanos, time.UTC), true, nil
}

var pow10 = [...]int{1, 10, 100, 1000, 10000, 100000, 1000000}

// wireFSP is the fractional digits of a temporal column's decimals: none for 0 and for
// 0x1f (not fixed), which go-sql-driver printed without a fraction.
func wireFSP(decimals uint8) (int, error) {
	switch {
	case decimals == 0 || decimals == 0x1f:
		return 0, nil
	case decimals <= 6:
		return int(decimals), nil
	}
	return 0, fmt.Errorf("protocol error, illegal decimals value %d", decimals)
}

func temporalName(isDate bool) string {
	if isDate {
		return "DATE"
	}
	return "DATETIME"
}

// legacyTemporalText prints a binary temporal value as go-sql-driver did (formatBinary-
// DateTime and formatBinaryTime with parseTime off), for the kinds that take text:
// TIME columns, and columns whose type changed after discovery.
func legacyTemporalText(w *wireColumn, raw []byte) ([]byte, error) {
	const zero = "0000-00-00 00:00:00.000000"
	fsp, err := wireFSP(w.decimals)
	if err != nil {
		return nil, err
	}
	if w.typ == gomysql.MYSQL_TYPE_TIME {
		width := 8 // [-]HH:MM:SS, longer for 100+ hours
		if fsp > 0 {
			width += 1 + fsp
		}
		if len(raw) == 0 {
			return []byte(zero[11 : 11+width]), nil
		}
		if len(raw) != 8 && len(raw) != 12 {
			return nil, fmt.Errorf("invalid TIME packet length %d", len(raw))
		}
		var out []byte
		if raw[0] == 1 {
			out = append(out, '-')
		}
		hours := int64(binary.LittleEndian.Uint32(raw[1:5]))*24 + int64(raw[5])
		out = fmt.Appendf(out, "%02d:%02d:%02d", hours, raw[6], raw[7])
		return appendMicros(out, raw[8:], fsp), nil
	}
	isDate := w.typ == gomysql.MYSQL_TYPE_DATE || w.typ == gomysql.MYSQL_TYPE_NEWDATE
	width := 10
	if !isDate {
		width = 19
		if fsp > 0 {
			width += 1 + fsp
		}
	}
	if len(raw) == 0 {
		return []byte(zero[:width]), nil
	}
	if len(raw) != 4 && len(raw) != 7 && len(raw) != 11 {
		return nil, fmt.Errorf("illegal %s packet length %d", temporalName(isDate), len(raw))
	}
	out := fmt.Appendf(nil, "%04d-%02d-%02d", binary.LittleEndian.Uint16(raw), raw[2], raw[3])
	switch {
	case isDate:
		return out, nil
	case len(raw) == 4:
		return append(out, zero[10:width]...), nil
	}
	out = fmt.Appendf(out, " %02d:%02d:%02d", raw[4], raw[5], raw[6])
	return appendMicros(out, raw[7:], fsp), nil
}

// appendMicros appends the first fsp digits of the microseconds in src (none: zeros).
func appendMicros(dst, src []byte, fsp int) []byte {
	if fsp == 0 {
		return dst
	}
	if len(src) < 4 {
		return append(dst, ".000000"[:1+fsp]...)
	}
	digits := fmt.Appendf(nil, "%06d", binary.LittleEndian.Uint32(src))
	return append(append(dst, '.'), digits[:fsp]...)
}

// view is b as a string without a copy, for parsing only: it must not outlive b's
// contents (the parsers here keep no reference to it; their errors copy it).
func view(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// rowAlloc hands out the memory of decoded rows in blocks (internal/slab): row slots,
// the bytes of text and binary values, and the boxes of the values put in the rows.
// What it hands out is never written again, so every value stays valid after the packet
// buffer is reused, for as long as the engine and the sink keep the row.
type rowAlloc struct {
	rows     slab.Rows
	bytes    slab.Bytes
	strings  slab.Strings[string]
	decimals slab.Strings[schema.Decimal]
	times    slab.Times
	blobs    slab.ByteSlices
	floats   slab.Float64s
	ints     slab.Int64s
	uints    slab.Uint64s
}
