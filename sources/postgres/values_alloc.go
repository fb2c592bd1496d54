package postgres

import (
	"time"
	"unsafe"

	"github.com/doris-sync/doris-sync/schema"
)

// Decoding a row used to cost an allocation per value: a copy of each string, and the
// box of every non-pointer value put in an interface (the runtime copies an int64, a
// float64, a string header or a time.Time to the heap to box it). valueAlloc does the
// same work with an allocation per few hundred values: strings are cut from shared
// byte slabs, and values are boxed in typed slabs. Nothing it hands out is ever written
// again, so the values stay valid however long the engine and the sink keep them; a
// slab is freed by the garbage collector once no value points into it.
type valueAlloc struct {
	strings stringArena
	str     slab[string]
	ints    slab[int64]
	floats  slab[float64]
	times   slab[time.Time]
}

// decode is c.decode(text), with fewer allocations.
func (a *valueAlloc) decode(c codec, text []byte) (any, error) {
	switch c.kind {
	case kindString:
		return box(stringType, a.str.put(a.strings.copy(text))), nil
	case kindJSON:
		return box(jsonType, a.str.put(a.strings.copy(text))), nil
	case kindDecimal:
		if len(text) == 0 {
			return nil, errEmptyNumeric
		}
		return box(decimalType, a.str.put(a.strings.copy(text))), nil
	case kindInt:
		n, err := parseInt(text)
		if err != nil {
			return nil, err
		}
		return box(int64Type, a.ints.put(n)), nil
	case kindFloat4, kindFloat8:
		parse := parseFloat8
		if c.kind == kindFloat4 {
			parse = parseFloat4
		}
		f, err := parse(text)
		if err != nil {
			return nil, err
		}
		return box(float64Type, a.floats.put(f)), nil
	case kindDate, kindTimestamp, kindTimestamptz:
		parse := parseDate
		switch c.kind {
		case kindTimestamp:
			parse = parseTimestamp
		case kindTimestamptz:
			parse = parseTimestamptz
		}
		t, err := parse(text)
		if err != nil {
			return nil, err
		}
		return box(timeType, a.times.put(t)), nil
	}
	return c.decode(text)
}

// stringArena copies short strings into shared slabs.
type stringArena struct {
	slab []byte // the unused tail of the current slab
}

const (
	stringSlabSize = 32 << 10
	maxArenaString = stringSlabSize / 8 // longer strings get an allocation of their own
)

// copy returns b as a string that stays valid for good.
func (a *stringArena) copy(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > maxArenaString {
		return string(b)
	}
	if len(b) > len(a.slab) {
		a.slab = make([]byte, stringSlabSize)
	}
	s := a.slab[:len(b):len(b)]
	copy(s, b)
	a.slab = a.slab[len(b):]
	// Safe: these bytes are never written again. The arena only writes past them (the
	// slab's unused tail now starts after them), and a used-up slab is dropped, never
	// reused.
	return unsafe.String(unsafe.SliceData(s), len(s))
}

// rowSlab hands out rows cut from shared []any slabs.
type rowSlab struct {
	free []any
}

// Slab lengths are one element short of a power of two: a heap object with pointers
// above 512 bytes carries an 8-byte header, which would push a 16 KiB slab into the
// next size class and waste an eighth of it.
const rowSlabValues = 1023

// take returns n nil values that no other row shares; appending to the row reallocates
// it, so it cannot spill into the next one.
func (s *rowSlab) take(n int) []any {
	if n > len(s.free) {
		if n > rowSlabValues/4 {
			return make([]any, n)
		}
		s.free = make([]any, rowSlabValues)
	}
	row := s.free[:n:n]
	s.free = s.free[n:]
	return row
}

// slab stores values of one type for boxing; each slot is written once.
type slab[T any] struct {
	free []T
}

const boxSlabLen = 255

func (s *slab[T]) put(v T) unsafe.Pointer {
	if len(s.free) == 0 {
		s.free = make([]T, boxSlabLen)
	}
	p := &s.free[0]
	*p = v
	s.free = s.free[1:]
	return unsafe.Pointer(p)
}

// An interface value is two words: its type (for an interface with methods, its itab)
// and, for a type that is not pointer-shaped, a pointer to the value. The runtime boxes
// a value by copying it to a new heap object and pointing there; box points into a slab
// instead. Every type boxed this way (string, schema.Decimal, schema.JSON, int64,
// float64, time.Time, Position) is not pointer-shaped, and the slab slots hold values
// of exactly that type (Decimal and JSON are strings underneath), so the garbage
// collector sees a pointer to a live value of the right layout and keeps its slab
// alive. TestBoxedValuesAreOrdinaryValues checks that boxes behave like the runtime's.
type ifaceWords struct {
	typ, data unsafe.Pointer
}

func typeWord(v any) unsafe.Pointer { return (*ifaceWords)(unsafe.Pointer(&v)).typ }

var (
	stringType  = typeWord("")
	jsonType    = typeWord(schema.JSON(""))
	decimalType = typeWord(schema.Decimal(""))
	int64Type   = typeWord(int64(0))
	float64Type = typeWord(float64(0))
	timeType    = typeWord(time.Time{})
)

func box(typ, value unsafe.Pointer) (v any) {
	w := (*ifaceWords)(unsafe.Pointer(&v))
	w.typ, w.data = typ, value
	return v
}
