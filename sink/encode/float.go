package encode

import (
	"encoding/binary"
	"math"
	"strconv"
)

// pow10f[j] is 10^j, exact as a float64 up to 10^22.
var pow10f = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// appendFloat appends the shortest text that round-trips through a float of the given
// bit size, in plain notation for 1e-6 ≤ |f| < 1e21 and exponent notation otherwise
// (the same rule encoding/json uses). f must be finite.
func appendFloat(dst []byte, f float64, bits int) []byte {
	if bits == 64 {
		if f == 0 {
			if math.Signbit(f) {
				return append(dst, '-', '0')
			}
			return append(dst, '0')
		}
		if m, j, ok := shortDecimal(math.Abs(f)); ok {
			return appendFixed(dst, f < 0, m, j)
		}
	}
	return appendFloatStrconv(dst, f, bits)
}

// fastDecimalLimit bounds the scaled values shortDecimal tries: below 2^50 a float64 holds
// every integer with room to spare, and the rounding error of a·10^j stays far below ½.
const fastDecimalLimit = 1 << 50

// shortDecimal finds the decimal m/10^j with the fewest fraction digits j (at most 16)
// that parses back to a (a > 0), for the values most data holds: integers and decimals
// with few digits (12.5, 0.125, 19.99). It reports false when there is none with
// m < 2^50, or a is outside the plain-notation range; the caller then asks strconv.
//
// Why the result is what strconv's shortest formatting writes: a decimal with j fraction
// digits that round-trips lies within half an ulp of a, so it is round(a·10^j)/10^j (the
// product's rounding error is < 2^-52·a·10^j < ¼ below the limit), and it is the only one
// with j digits (its neighbours are 10^-j apart, the ulp interval is far narrower). The
// check m/10^j == a is exact: m and 10^j are exact floats, and IEEE division rounds the
// quotient correctly, just as parsing "m/10^j" does. The fewest fraction digits is the
// fewest significant digits, since every candidate has a's magnitude; and the shortest
// digits strconv picks are unique here, so it picks the same. TestFloatFastPathMatchesStrconv
// and FuzzFloat check this against strconv.
func shortDecimal(a float64) (m uint64, j int, ok bool) {
	if a < 1e-6 || a >= fastDecimalLimit {
		return 0, 0, false
	}
	for j = 0; j <= 16; j++ {
		p := a * pow10f[j]
		if p >= fastDecimalLimit {
			return 0, 0, false
		}
		r := math.Floor(p + 0.5)
		// Cheap filter before the division: a candidate has p within 2^-51·p of r.
		if math.Abs(p-r) <= p*0x1p-51 && r/pow10f[j] == a {
			return uint64(r), j, true
		}
	}
	return 0, 0, false
}

// appendFixed appends ±m/10^j (m < 2^50, j ≤ 16) in plain notation with exactly j fraction
// digits (none for j == 0), as strconv's 'f' format writes it.
func appendFixed(dst []byte, neg bool, m uint64, j int) []byte {
	dst = reserve(dst, 48)
	n := len(dst)
	b := dst[:n+48]
	if neg {
		b[n] = '-'
		n++
	}
	p := pow10u64[j]
	ip, fp := m/p, m%p
	// The integer part: below 2^50, so at most 16 digits.
	if ip < 1e8 {
		d := decimalLen(ip)
		binary.LittleEndian.PutUint64(b[n:], digits8(uint32(ip))>>(8*(8-d)))
		n += d
	} else {
		hi := ip / 1e8
		d := decimalLen(hi)
		binary.LittleEndian.PutUint64(b[n:], digits8(uint32(hi))>>(8*(8-d)))
		binary.LittleEndian.PutUint64(b[n+d:], digits8(uint32(ip%1e8)))
		n += d + 8
	}
	if j == 0 {
		return b[:n]
	}
	// The fraction, zero-padded to j digits: the last j of its 8 or 16 padded digits.
	b[n] = '.'
	n++
	if j <= 8 {
		binary.LittleEndian.PutUint64(b[n:], digits8(uint32(fp))>>(8*(8-j)))
	} else {
		binary.LittleEndian.PutUint64(b[n:], digits8(uint32(fp/1e8))>>(8*(16-j)))
		binary.LittleEndian.PutUint64(b[n+j-8:], digits8(uint32(fp%1e8)))
	}
	return b[:n+j]
}

// appendFloatStrconv is appendFloat through strconv, for every value.
func appendFloatStrconv(dst []byte, f float64, bits int) []byte {
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
