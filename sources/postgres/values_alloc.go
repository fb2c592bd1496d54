package postgres

import (
	"github.com/doris-sync/doris-sync/internal/slab"
	"github.com/doris-sync/doris-sync/schema"
)

// Decoding a row used to cost an allocation per value: a copy of each string, and the
// box of every non-pointer value put in an interface (the runtime copies an int64, a
// float64, a string header or a time.Time to the heap to box it). valueAlloc does the
// same work with an allocation per few hundred values (internal/slab): strings are cut
// from shared byte blocks, and values are boxed in typed blocks. Nothing it hands out
// is ever written again, so the values stay valid however long the engine and the sink
// keep them.
type valueAlloc struct {
	bytes    slab.Bytes
	strings  slab.Strings[string]
	json     slab.Strings[schema.JSON]
	decimals slab.Strings[schema.Decimal]
	ints     slab.Int64s
	floats   slab.Float64s
	times    slab.Times
}

// decode is c.decode(text), with fewer allocations.
func (a *valueAlloc) decode(c codec, text []byte) (any, error) {
	switch c.kind {
	case kindString:
		return a.strings.Box(a.bytes.String(text)), nil
	case kindJSON:
		return a.json.Box(schema.JSON(a.bytes.String(text))), nil
	case kindDecimal:
		if len(text) == 0 {
			return nil, errEmptyNumeric
		}
		return a.decimals.Box(schema.Decimal(a.bytes.String(text))), nil
	case kindInt:
		n, err := parseInt(text)
		if err != nil {
			return nil, err
		}
		return a.ints.Box(n), nil
	case kindFloat4, kindFloat8:
		parse := parseFloat8
		if c.kind == kindFloat4 {
			parse = parseFloat4
		}
		f, err := parse(text)
		if err != nil {
			return nil, err
		}
		return a.floats.Box(f), nil
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
		return a.times.Box(t), nil
	}
	return c.decode(text)
}
