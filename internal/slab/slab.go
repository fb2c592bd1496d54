// Package slab hands out the memory of decoded row values in blocks, so that a
// source's decoder costs an allocation per few hundred values instead of one per value:
// the []any slots of rows (Rows), the bytes of strings and binary values (Bytes), and
// the interface boxes of values such as an int64, a string or a time.Time (Boxer, and
// the boxers of fixed types: Strings, Int64s, Uint64s, Float64s, Times, ByteSlices).
// box.go states the interface layout the boxers rely on.
//
// Why it is safe: a block is only ever handed out from its unused tail. Memory handed
// out is never written again by this package, and a full block is dropped for a new
// one, never reused: the garbage collector frees it once no value points into it. So a
// string made over Bytes' memory is as immutable as Go requires, a boxed value is never
// changed behind its interface (as the runtime assumes), and every value stays valid
// however long the caller keeps it, on any goroutine. A value kept alive keeps its whole
// block alive, which is what bounds the block sizes.
//
// The allocators are not safe for concurrent use: each decoder owns its own. Their zero
// values are ready to use.
package slab

import "unsafe"

// Block sizes. Row slots and boxed values take blocks of 16 KiB: a heap object with
// pointers above 512 bytes carries an 8-byte header, so such a block holds 8 bytes less
// to fill its size class exactly, rather than spill into the next one and waste an
// eighth of it.
const (
	blockBytes   = 16 << 10
	mallocHeader = 8

	// RowBlock is how many []any slots a Rows block holds (1023).
	RowBlock = (blockBytes - mallocHeader) / int(unsafe.Sizeof(any(nil)))

	// Bytes' blocks are 32 KiB, the largest size class: they hold no pointers (no
	// header, and the collector never scans them), and text values are longer than
	// boxes. A value above BytesMaxValue gets an allocation of its own, so that a block
	// holds at least 8 values and one value kept alive pins at most 32 KiB.
	BytesBlock    = 32 << 10
	BytesMaxValue = BytesBlock / 8
)

// Rows hands out the []any slots of rows.
type Rows struct {
	free []any // the unused tail of the current block
}

// Take returns n nil slots that no other row shares. Their capacity is n, so an append
// to the row reallocates it rather than spill into the next row. A row wider than a
// quarter block gets an allocation of its own, so that a block is not mostly wasted.
func (r *Rows) Take(n int) []any {
	if n > len(r.free) {
		if n > RowBlock/4 {
			return make([]any, n)
		}
		r.free = make([]any, RowBlock)
	}
	row := r.free[:n:n]
	r.free = r.free[n:]
	return row
}

// Bytes copies byte values into shared blocks.
type Bytes struct {
	free []byte // the unused tail of the current block
}

// Copy returns a copy of b that no other value shares. Its capacity is its length, so
// an append to it reallocates it rather than write over the next value. An empty b gives
// an empty, non-nil slice (empty, not NULL).
func (a *Bytes) Copy(b []byte) []byte {
	switch {
	case len(b) == 0:
		return []byte{}
	case len(b) > BytesMaxValue:
		c := make([]byte, len(b))
		copy(c, b)
		return c
	}
	c := a.take(len(b))
	copy(c, b)
	return c
}

// String returns b as a string, copied into a shared block.
func (a *Bytes) String(b []byte) string {
	if len(b) == 0 || len(b) > BytesMaxValue {
		return string(b)
	}
	c := a.take(len(b))
	copy(c, b)
	// Safe: these bytes are never written again. take has moved the block's unused
	// tail past them, and a used-up block is dropped, never reused.
	return unsafe.String(unsafe.SliceData(c), len(c))
}

// take returns n (at most BytesMaxValue) unused bytes of the current block, capacity n.
func (a *Bytes) take(n int) []byte {
	if n > len(a.free) {
		a.free = make([]byte, BytesBlock)
	}
	c := a.free[:n:n]
	a.free = a.free[n:]
	return c
}
