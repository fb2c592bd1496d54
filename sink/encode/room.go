package encode

import (
	"encoding/binary"
	"slices"
	"unsafe"
)

// The append helpers of this package write into the spare capacity of dst directly: each
// one first makes sure dst has room for what it may write (reserve), then stores whole
// 8-byte words where a value's bytes allow (keys, digits, dates, short text), and returns
// dst extended by the bytes that count. Bytes past the returned length may have been
// overwritten by a word's spill; append makes no promise about them either, and a failed
// row leaves its bytes there too.

// reserve makes sure dst can take n more bytes without reallocating.
func reserve(dst []byte, n int) []byte {
	if cap(dst)-len(dst) < n {
		return grow(dst, n)
	}
	return dst
}

// grow is reserve's rare path, kept out of line so reserve inlines. slices.Grow grows
// like append does (amortized doubling), so reserving per value stays cheap.
//
//go:noinline
func grow(dst []byte, n int) []byte {
	return slices.Grow(dst, n)
}

const (
	lsb8 = 0x0101010101010101
	msb8 = 0x8080808080808080
)

// load8 reads s[i:i+8] as a little-endian word; i+8 ≤ len(s).
func load8(s string, i int) uint64 {
	return binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s), len(s))[i:])
}

// bytesAsString views b as a string without copying; the result must not outlive b.
func bytesAsString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}
