package slab

import (
	"fmt"
	"reflect"
	"time"
	"unsafe"
)

// Boxing in place. An interface value is two words (the gc toolchain's layout): the
// first is the dynamic type's type word (for any) or the itab of the type in the
// interface (for an interface with methods); for a type that is not pointer-shaped,
// the second points at a copy of the value, which the runtime makes on the heap to box
// it. The boxers here store that copy in a block of values of the type instead, and
// point there: the interface is exactly the one an ordinary conversion gives, except
// where its value lives. The first word always comes from an ordinary conversion, so it
// is the runtime's own. The garbage collector sees an interface pointing at a live value
// of the right layout, which keeps its block alive; the value is never written again
// (the block's unused tail has moved past it), so it is as immutable as the runtime
// assumes.
//
// A pointer-shaped type (a pointer, map, chan, func, unsafe.Pointer, or a struct or
// array whose only non-zero-size element is one of those) is stored in the data word
// itself, not behind it, so it cannot be boxed this way. Boxer checks at its first use;
// the boxers of fixed types (Strings, Int64s, Uint64s, Float64s, Times, ByteSlices)
// box types that are not pointer-shaped by construction, and are small enough to be
// inlined where they are used, which Boxer's first-use check keeps it from.

// ifaceWords is the layout of an interface value.
type ifaceWords struct {
	typ, data unsafe.Pointer
}

// slots stores values of one type in blocks of 16 KiB.
type slots[T any] struct {
	block []T
	used  int // block[used:] is the unused tail
}

// put stores v in the current block and returns where.
func (s *slots[T]) put(v T) unsafe.Pointer {
	if s.used == len(s.block) {
		// As many Ts as fill 16 KiB with the 8-byte header of a block with pointers,
		// so that blocks of every T fill their size class.
		s.block, s.used = make([]T, (blockBytes-mallocHeader)/max(1, unsafe.Sizeof(v))), 0
	}
	p := &s.block[s.used]
	s.used++
	*p = v
	return unsafe.Pointer(p)
}

// pointingAt returns e (an interface holding a value of a type that is not
// pointer-shaped) with its data word set to p, a value of that same type.
func pointingAt(e any, p unsafe.Pointer) any {
	(*ifaceWords)(unsafe.Pointer(&e)).data = p
	return e
}

// Boxer puts values of type T into interface values of type I (any, or an interface T
// implements) without an allocation per value. The first Box checks that T can be boxed
// in place as an I and panics if not: T is pointer-shaped or an interface type, I is
// not an interface type, or T does not implement I. The zero Boxer is ready to use.
type Boxer[I, T any] struct {
	slots slots[T]
	word  unsafe.Pointer // the interface's first word for a T (nil until the first Box)
}

// Box returns v as an I, equal in every way to I(v).
func (b *Boxer[I, T]) Box(v T) (out I) {
	if b.word == nil {
		b.word = firstWord[I, T]()
	}
	// Safe: firstWord checked that I is an interface and that T is stored behind its
	// data word.
	*(*ifaceWords)(unsafe.Pointer(&out)) = ifaceWords{b.word, b.slots.put(v)}
	return out
}

// firstWord checks that a T can be boxed in place as an I, and returns the first word
// of an I holding a T.
func firstWord[I, T any]() unsafe.Pointer {
	it, tt := reflect.TypeFor[I](), reflect.TypeFor[T]()
	refuse := func(why string, args ...any) {
		panic(fmt.Sprintf("slab: Boxer[%v, %v]: %s", it, tt, fmt.Sprintf(why, args...)))
	}
	switch {
	case it.Kind() != reflect.Interface:
		refuse("%v is not an interface type", it)
	case tt.Kind() == reflect.Interface:
		refuse("%v is an interface type", tt)
	case !tt.Implements(it):
		refuse("%v does not implement %v", tt, it)
	case pointerShaped(tt):
		refuse("%v is pointer-shaped: an interface holds it in its data word", tt)
	}
	var zero T
	plain := any(zero)
	boxed := plain.(I)
	if (*ifaceWords)(unsafe.Pointer(&plain)).data == nil {
		// The runtime holds a T in the data word after all: not the layout this
		// package knows.
		refuse("the runtime holds %v in an interface's data word", tt)
	}
	return (*ifaceWords)(unsafe.Pointer(&boxed)).typ
}

// pointerShaped reports whether the gc toolchain stores a t in an interface's data word
// itself: t is one word, and that word is a pointer.
func pointerShaped(t reflect.Type) bool {
	if t.Size() != unsafe.Sizeof(uintptr(0)) {
		return false
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return true
	case reflect.Array:
		return t.Len() == 1 && pointerShaped(t.Elem())
	case reflect.Struct:
		for f := range t.Fields() {
			if f.Type.Size() != 0 {
				return pointerShaped(f.Type) // the only field with a size: t's one word
			}
		}
	}
	return false
}

// Strings boxes values of a string type (string, schema.Decimal, …) as any.
type Strings[T ~string] struct{ slots slots[T] }

// Box returns v as an any, equal in every way to any(v).
func (b *Strings[T]) Box(v T) any {
	// any(T("")) is the type word and a pointer to static data: no allocation.
	return pointingAt(any(T("")), b.slots.put(v))
}

// Int64s boxes int64 values as any. Go's own conversion allocates nothing for 0 to 255
// (the runtime has those boxed already), so only other values take room in a block.
type Int64s struct{ slots slots[int64] }

// Box returns n as an any, equal in every way to any(n).
func (b *Int64s) Box(n int64) any {
	if uint64(n) < 256 {
		return n
	}
	return pointingAt(any(int64(0)), b.slots.put(n))
}

// Uint64s boxes uint64 values as any, as Int64s does int64s.
type Uint64s struct{ slots slots[uint64] }

// Box returns u as an any, equal in every way to any(u).
func (b *Uint64s) Box(u uint64) any {
	if u < 256 {
		return u
	}
	return pointingAt(any(uint64(0)), b.slots.put(u))
}

// Float64s boxes float64 values as any.
type Float64s struct{ slots slots[float64] }

// Box returns f as an any, equal in every way to any(f).
func (b *Float64s) Box(f float64) any { return pointingAt(any(float64(0)), b.slots.put(f)) }

// Times boxes time.Time values as any.
type Times struct{ slots slots[time.Time] }

// Box returns t as an any, equal in every way to any(t).
func (b *Times) Box(t time.Time) any { return pointingAt(zeroTime, b.slots.put(t)) }

// ByteSlices boxes []byte values as any (the slice header; the bytes are not copied).
type ByteSlices struct{ slots slots[[]byte] }

// Box returns p as an any, equal in every way to any(p).
func (b *ByteSlices) Box(p []byte) any { return pointingAt(zeroByteSlice, b.slots.put(p)) }

// Boxed zero values whose type words the boxers reuse: copying them costs no
// conversion.
var (
	zeroTime      any = time.Time{}
	zeroByteSlice any = []byte(nil)
)
