package encode

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
	"unsafe"
)

// specialMask has the top bit set in each byte of w that needs attention in a JSON string
// (a control character, '"', '\\' or a byte ≥ 0x80) and in no other. The tests work on the
// low seven bits of each byte, where adding 0x7F (or 0x60) cannot carry into the next
// byte, so no byte's flag depends on its neighbours: the lowest flag is the first byte to
// escape, and a word with no flag needs nothing.
func specialMask(w uint64) uint64 {
	lo7 := w & (lsb8 * 0x7F)
	notCtl := lo7 + lsb8*0x60                // top bit set iff the byte's low 7 bits are ≥ 0x20
	notQuote := (lo7 ^ lsb8*'"') + lsb8*0x7F // top bit set iff they are not '"'
	notBackslash := (lo7 ^ lsb8*'\\') + lsb8*0x7F
	return (^(notCtl & notQuote & notBackslash) | w) & msb8
}

// escapeJSON[c] is 0 for a byte c that stands in a JSON string as itself; the letter of
// its two-byte escape ('"', '\\', 'n', 'r', 't', 'b', 'f'); or 'u' for the other control
// characters (\u00XX) and for bytes ≥ 0x80, which take the UTF-8 path.
var escapeJSON = func() (t [256]byte) {
	for c := range t {
		if c < 0x20 || c >= utf8.RuneSelf {
			t[c] = 'u'
		}
	}
	t['"'], t['\\'] = '"', '\\'
	t['\n'], t['\r'], t['\t'], t['\b'], t['\f'] = 'n', 'r', 't', 'b', 'f'
	return t
}()

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a quoted JSON string. Control characters (NUL included)
// are escaped, and each byte that is not part of valid UTF-8 (latin1 data passed
// undecoded) becomes U+FFFD, so every body is valid JSON whatever a column held.
//
// Most text needs no escaping: a scan eight bytes at a time finds the first byte that
// needs attention, and everything before it is copied at once.
func appendJSONString(dst []byte, s string) []byte {
	p := firstSpecial(s)
	dst = reserve(dst, len(s)+2)
	n := len(dst)
	b := dst[:n+1+p]
	b[n] = '"'
	copy(b[n+1:], s[:p])
	if p == len(s) {
		return append(b, '"')
	}
	return appendJSONEscaped(b, s[p:])
}

// firstSpecial returns the index of the first byte of s that cannot stand in a JSON
// string as itself, or len(s).
func firstSpecial(s string) int {
	// A read-only view of s's bytes: nothing writes through it, and it does not outlive s.
	src := unsafe.Slice(unsafe.StringData(s), len(s))
	i := 0
	for ; i+8 <= len(src); i += 8 {
		if m := specialMask(binary.LittleEndian.Uint64(src[i : i+8])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(src); i++ {
		if escapeJSON[src[i]] != 0 {
			return i
		}
	}
	return len(src)
}

// appendJSONEscaped appends s, which starts with a byte that needs attention, and the
// closing quote. Kept out of appendJSONString so the common path stays small.
//
// It goes by words too: store eight bytes, and when specialMask flags one, keep the bytes
// before it and escape it; the next word starts right after it. The loop has no calls in
// it, so the compiler keeps its variables in registers: it runs over at most escapeBatch
// bytes with room made for all of them escaped, and leaves bytes ≥ 0x80 to the UTF-8 path
// outside it.
//
//go:noinline
func appendJSONEscaped(dst []byte, s string) []byte {
	b := dst[:cap(dst)]
	n := len(dst)
	// A read-only view of s's bytes: nothing writes through it, and it does not outlive s.
	src := unsafe.Slice(unsafe.StringData(s), len(s))
	i := 0
	for i < len(src) {
		end := min(len(src), i+escapeBatch)
		// Room for the batch and the word that may reach past it escaped (6 bytes a
		// byte at most), the rest of s as it is, the closing quote and a word's spill.
		if need := (end-i+8)*6 + len(src) - i + 1 + 8; len(b)-n < need {
			b = grow(b[:n], need)
			b = b[:cap(b)]
		}
		for i < end {
			if i+8 <= len(src) {
				w := binary.LittleEndian.Uint64(src[i : i+8])
				binary.LittleEndian.PutUint64(b[n:n+8], w)
				m := specialMask(w)
				if m == 0 {
					i, n = i+8, n+8
					continue
				}
				k := int(bits.TrailingZeros64(m) >> 3)
				i, n = i+k, n+k
			}
			c := src[i]
			e := escapeJSON[c]
			if e == 0 { // only in the last seven bytes of s
				b[n] = c
				i, n = i+1, n+1
				continue
			}
			if c >= utf8.RuneSelf {
				break
			}
			if e == 'u' {
				out := b[n : n+6]
				out[0], out[1], out[2], out[3], out[4], out[5] = '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF]
				n += 6
			} else {
				out := b[n : n+2]
				out[0], out[1] = '\\', e
				n += 2
			}
			i++
		}
		// Bytes ≥ 0x80, as many as come in a row: valid UTF-8 is copied as it is, each
		// byte that is not part of it becomes U+FFFD (latin1 text passed undecoded).
		// Within the room made: U+FFFD takes 3 bytes for 1, a rune as many as it reads
		// (stored as a 4-byte word: the spill is within the word's room).
		for i < len(src) && i < end+8 && src[i] >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(src[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				out := b[n : n+3]
				out[0], out[1], out[2] = 0xEF, 0xBF, 0xBD // U+FFFD
				n += 3
			case i+4 <= len(src):
				binary.LittleEndian.PutUint32(b[n:n+4], binary.LittleEndian.Uint32(src[i:i+4]))
				n += size
			default:
				n += copy(b[n:], src[i:i+size])
			}
			i += size
		}
	}
	b[n] = '"'
	return b[:n+1]
}

// escapeBatch is how many bytes appendJSONEscaped's loop takes at most between checks
// for room.
const escapeBatch = 64
