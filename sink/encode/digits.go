package encode

import (
	"encoding/binary"
	"math/bits"
	"time"
)

// digits8 returns v (< 10^8) as eight ASCII digits with leading zeros, the first digit in
// the lowest byte, so one little-endian store writes them in order. It splits the number
// in SIMD-within-a-register lanes: 2×4 digits, then 4×2, then 8×1, each split a multiply
// and a shift (x/100 = x·5243>>19 for x < 43699, x/10 = x·103>>10 for x < 179) instead of
// a division per digit. TestDigits8 checks it (an exhaustive run over all 10^8 values
// passed too).
func digits8(v uint32) uint64 {
	x := uint64(v/10000) | uint64(v%10000)<<32
	q := (x * 5243 >> 19) & 0x0000007F0000007F
	x = q | (x-100*q)<<16
	t := (x * 103 >> 10) & 0x000F000F000F000F
	x = t | (x-10*t)<<8
	return x | 0x3030303030303030
}

// pow10u64[i] is 10^i.
var pow10u64 = [...]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// decimalLen is the number of decimal digits of v (1 for 0).
func decimalLen(v uint64) int {
	// log10(2) ≈ 1233/4096: a guess from the bit length that is exact or one short.
	n := (bits.Len64(v|1) * 1233) >> 12
	if v >= pow10u64[n] {
		n++
	}
	return max(n, 1)
}

// appendUint appends v in decimal, like strconv.AppendUint(dst, v, 10), in groups of
// eight digits straight into dst's spare room.
func appendUint(dst []byte, v uint64) []byte {
	dst = reserve(dst, 24) // 20 digits at most, stored in 8-byte words
	n := len(dst)
	b := dst[:n+24]
	var lead uint64 // the digits before the last 8 or 16, or all of them
	switch {
	case v < 1e8:
		lead = v
	case v < 1e16:
		lead = v / 1e8
	default:
		lead = v / 1e16 // ≤ 1844
	}
	d := decimalLen(lead)
	binary.LittleEndian.PutUint64(b[n:], digits8(uint32(lead))>>(8*(8-d)))
	n += d
	if v >= 1e16 {
		binary.LittleEndian.PutUint64(b[n:], digits8(uint32(v/1e8%1e8)))
		n += 8
	}
	if v >= 1e8 {
		binary.LittleEndian.PutUint64(b[n:], digits8(uint32(v%1e8)))
		n += 8
	}
	return b[:n]
}

// appendInt appends i in decimal, like strconv.AppendInt(dst, i, 10).
func appendInt(dst []byte, i int64) []byte {
	if i < 0 {
		// uint64(-i) is right for math.MinInt64 too (two's complement).
		return appendUint(append(dst, '-'), uint64(-i))
	}
	return appendUint(dst, uint64(i))
}

// Unix times of the range wallClock computes with the fast unsigned arithmetic: from
// -0400-03-01 (so every day count is ≥ 0) to the start of year 10400. Doris dates need
// only 0000–9999; the margin keeps the callers' range checks on the fast path too.
const (
	fastClockMin   = -74784816000 // -0400-03-01T00:00:00Z
	fastClockLimit = 266025081600 // 10400-01-01T00:00:00Z
)

// wallClock splits t into its UTC calendar and clock fields (the schema contract:
// zone-less source values arrive in time.UTC with their stored wall clock, instants are
// written as UTC). One pass instead of t.UTC().Date() plus Clock(), which would each redo
// the absolute-time arithmetic.
func wallClock(t time.Time) (year, month, day, hour, min, sec int) {
	unix := t.Unix()
	if unix < fastClockMin || unix >= fastClockLimit {
		return wallClockAny(unix)
	}
	s := uint64(unix - fastClockMin)
	days := uint32(s / 86400)
	rem := uint32(s - uint64(days)*86400)
	hour, min, sec = int(rem/3600), int(rem/60%60), int(rem%60)
	// Civil date from days since a March 1st (Neri and Schneider, "Euclidean affine
	// functions and their application to calendar algorithms", 2022): the year starts in
	// March so the leap day is the year's last; all arithmetic is unsigned 32/64-bit.
	n1 := 4*days + 3
	century := n1 / 146097
	n2 := n1%146097 | 3
	p2 := 2939745 * uint64(n2)
	yearOfCentury := uint32(p2 >> 32)
	dayOfYear := uint32(p2) / 2939745 / 4
	n3 := 2141*dayOfYear + 197913
	m := n3 >> 16
	day = int((n3&0xFFFF)/2141) + 1
	y := int(100*century+yearOfCentury) - 400
	if dayOfYear >= 306 { // January or February: the next calendar year
		y++
		m -= 12
	}
	return y, int(m), day, hour, min, sec
}

// wallClockAny is wallClock for any Unix time (H. Hinnant's algorithm, signed arithmetic).
func wallClockAny(unix int64) (year, month, day, hour, min, sec int) {
	days := unix / 86400
	rem := unix - days*86400
	if rem < 0 {
		rem += 86400
		days--
	}
	hour, min, sec = int(rem/3600), int(rem/60%60), int(rem%60)
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

// digitPairs[n] is n (0–99) as two ASCII digits, the first in the low byte. Dates and
// times are built from these: independent table loads, where digits8's chain of
// multiplications would add its latency to every field.
var digitPairs = func() (t [100]uint64) {
	for i := range t {
		t[i] = uint64('0'+i/10) | uint64('0'+i%10)<<8
	}
	return t
}()

// dateWords returns YYYY-MM-DD as the word "YYYY-MM-" and the two digits DD in the low
// bytes of a second word; 0 ≤ y ≤ 9999.
func dateWords(y, m, d int) (uint64, uint64) {
	return digitPairs[y/100] | digitPairs[y%100]<<16 | '-'<<32 | digitPairs[m]<<40 | '-'<<56, digitPairs[d]
}

// appendDate appends YYYY-MM-DD, in double quotes with quote; false for years outside
// 0000–9999.
func appendDate(dst []byte, t time.Time, quote bool) ([]byte, bool) {
	y, m, d, _, _, _ := wallClock(t)
	if y < 0 || y > 9999 {
		return dst, false
	}
	dst = reserve(dst, 18)
	n := len(dst)
	b := dst[:n+18]
	if quote {
		b[n] = '"'
		n++
	}
	w0, w1 := dateWords(y, m, d)
	binary.LittleEndian.PutUint64(b[n:], w0)
	binary.LittleEndian.PutUint64(b[n+8:], w1)
	n += 10
	if quote {
		b[n] = '"'
		n++
	}
	return b[:n], true
}

// appendDateTime appends YYYY-MM-DD HH:MM:SS and, for scale > 0, exactly scale fraction
// digits (0–9; truncated, never rounded: rounding could carry into the seconds), in double
// quotes with quote; false for years outside 0000–9999.
func appendDateTime(dst []byte, t time.Time, scale int, quote bool) ([]byte, bool) {
	y, mo, d, h, mi, s := wallClock(t)
	if y < 0 || y > 9999 {
		return dst, false
	}
	dst = reserve(dst, 34)
	n := len(dst)
	b := dst[:n+34]
	if quote {
		b[n] = '"'
		n++
	}
	// Four words: "YYYY-MM-", "DD HH:MM", ":SS.ffff", "fffff".
	w0, dd := dateWords(y, mo, d)
	w1 := dd | ' '<<16 | digitPairs[h]<<24 | ':'<<40 | digitPairs[mi]<<48
	w2 := ':' | digitPairs[s]<<8
	binary.LittleEndian.PutUint64(b[n:], w0)
	binary.LittleEndian.PutUint64(b[n+8:], w1)
	if scale <= 0 {
		binary.LittleEndian.PutUint64(b[n+16:], w2)
		n += 19
	} else {
		// All nine digits of the nanoseconds, then keep the first scale: that is the
		// fraction truncated to scale digits.
		ns := uint32(t.Nanosecond())
		fw := digits8(ns / 10)
		w2 |= '.'<<24 | (fw&0xFFFFFFFF)<<32
		binary.LittleEndian.PutUint64(b[n+16:], w2)
		binary.LittleEndian.PutUint64(b[n+24:], fw>>32|uint64('0'+ns%10)<<32)
		n += 20 + scale
	}
	if quote {
		b[n] = '"'
		n++
	}
	return b[:n], true
}

// appendTimeText formats a time for a text column: the DATETIME layout with as many
// fraction digits as the value needs (none for whole seconds).
func appendTimeText(dst []byte, t time.Time, quote bool) ([]byte, bool) {
	ns, scale := t.Nanosecond(), 9
	for scale > 0 && ns%10 == 0 {
		ns /= 10
		scale--
	}
	return appendDateTime(dst, t, scale, quote)
}
