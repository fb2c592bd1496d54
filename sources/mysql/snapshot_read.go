package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
	"unsafe"

	"github.com/doris-sync/doris-sync/schema"
)

// The snapshot reads rows straight from go-sql-driver's driver.Rows instead of through
// database/sql, whose Scan(*any) copies every []byte and boxes it again, and decodes
// each value once into the schema value contract, allocating per batch of rows rather
// than per value (see rowAlloc). This is the hot loop of a snapshot: it halves the
// CPU per row of BenchmarkReadChunk (~4.5 µs through database/sql, most of it in the
// allocator); what allocates per row now is the driver's boxing of its values.

// queryRows runs q with args on the reader connection and calls each with every row's
// driver values. Those values (the []byte ones) point into the driver's packet buffer
// and are valid only until each returns. Arguments make the driver prepare the query
// (binary protocol), as database/sql would; without any it runs as a plain query
// (text protocol). An error from each is returned as it is.
func queryRows(ctx context.Context, conn *sql.Conn, q string, args []any, each func(dest []driver.Value) error) error {
	return conn.Raw(func(dc any) error {
		named, err := namedArgs(dc, args)
		if err != nil {
			return err
		}
		rows, stmt, err := openRows(ctx, dc, q, named)
		if err != nil {
			return err
		}
		if stmt != nil {
			defer stmt.Close()
		}
		// Close before the statement: an unread rest of the result is skipped first.
		defer rows.Close()
		dest := make([]driver.Value, len(rows.Columns()))
		for {
			if err := rows.Next(dest); err != nil {
				if err == io.EOF {
					return nil
				}
				return err
			}
			if err := each(dest); err != nil {
				return err
			}
		}
	})
}

// openRows runs the query the way database/sql does: directly when the driver takes
// it, else (driver.ErrSkip: it has arguments and the driver does not interpolate
// them) as a prepared statement, which the caller closes after the rows.
func openRows(ctx context.Context, dc any, q string, args []driver.NamedValue) (driver.Rows, driver.Stmt, error) {
	if qc, ok := dc.(driver.QueryerContext); ok {
		rows, err := qc.QueryContext(ctx, q, args)
		if !errors.Is(err, driver.ErrSkip) {
			return rows, nil, err
		}
	}
	pc, ok := dc.(driver.ConnPrepareContext)
	if !ok {
		return nil, nil, fmt.Errorf("driver connection %T cannot prepare statements", dc)
	}
	stmt, err := pc.PrepareContext(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	sq, ok := stmt.(driver.StmtQueryContext)
	if !ok {
		stmt.Close()
		return nil, nil, fmt.Errorf("driver statement %T cannot query", stmt)
	}
	rows, err := sq.QueryContext(ctx, args)
	if err != nil {
		stmt.Close()
		return nil, nil, err
	}
	return rows, stmt, nil
}

// namedArgs converts query arguments with the driver's own checker, as database/sql
// does (go-sql-driver accepts uint64, which the default converter refuses above
// MaxInt64).
func namedArgs(dc any, args []any) ([]driver.NamedValue, error) {
	out := make([]driver.NamedValue, len(args))
	checker, _ := dc.(driver.NamedValueChecker)
	for i, a := range args {
		out[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
		if checker != nil {
			if err := checker.CheckNamedValue(&out[i]); err != nil {
				return nil, fmt.Errorf("argument %d: %w", i+1, err)
			}
			continue
		}
		v, err := driver.DefaultParameterConverter.ConvertValue(a)
		if err != nil {
			return nil, fmt.Errorf("argument %d: %w", i+1, err)
		}
		out[i].Value = v
	}
	return out, nil
}

// chunkDecoder turns driver rows into schema rows for one ReadChunk.
type chunkDecoder struct {
	codecs rowCodec
	alloc  rowAlloc
}

// decodeRow decodes one row. The result stays valid after the driver reads the next
// row: everything that pointed into its buffer was copied.
func (d *chunkDecoder) decodeRow(vals []driver.Value) ([]any, error) {
	out := d.alloc.row(len(vals))
	for i, v := range vals {
		x, err := d.value(&d.codecs[i], v)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", d.codecs[i].name, err)
		}
		out[i] = x
	}
	return out, nil
}

// value decodes one driver value (binary protocol: int64, float32/64, []byte in the
// packet buffer, []byte of a formatted DATE/DATETIME/TIME, []byte of the decimal text
// of a BIGINT UNSIGNED above MaxInt64; text protocol: int64, uint64, float32/64,
// []byte in the packet buffer). The common kinds are decoded here without a copy
// in between; the rest go through fromText, which copies whatever it keeps.
func (d *chunkDecoder) value(c *columnCodec, v driver.Value) (any, error) {
	a := &d.alloc
	switch x := v.(type) {
	case nil:
		return nil, nil
	case int64:
		switch c.kind {
		case kindSigned, kindYear:
			return v, nil // the driver's own box: no second one
		case kindUnsigned:
			if x < 0 {
				return nil, fmt.Errorf("unsigned column holds %d", x)
			}
			return a.uints.box(uint64(x)), nil
		}
	case float64:
		if c.kind == kindDouble {
			return v, nil
		}
	case []byte:
		switch c.kind {
		case kindText, kindChar, kindEnum, kindSet, kindUUID, kindInet4, kindInet6, kindOther:
			return a.strings.box(a.str(x)), nil
		case kindDecimal:
			return a.decimals.box(schema.Decimal(a.str(x))), nil
		case kindDate, kindDatetime, kindTimestamp:
			t, ok, err := parseDateTime(view(x))
			if err != nil || !ok {
				return nil, err
			}
			return a.times.box(t), nil
		case kindBinary, kindFixedBinary:
			return a.bytes.box(a.copyBytes(x)), nil
		case kindUnsigned:
			n, err := strconv.ParseUint(view(x), 10, 64)
			if err != nil {
				return nil, err
			}
			return a.uints.box(n), nil
		}
	}
	return c.fromText(v)
}

// view is b as a string without a copy, for parsing only: it must not outlive b's
// contents (the parsers here keep no reference to it; their errors copy it).
func view(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// Allocation sizes of rowAlloc: about 64 KB each, so a batch of rows (the engine hands
// 256 to its writer at once) shares a handful of allocations, and a value kept alive
// keeps at most one block of each kind.
const (
	rowSlotsPerBlock = 4096     // row slots ([]any) per block
	arenaBlock       = 64 << 10 // bytes of text and binary values per block
	arenaMaxValue    = 8 << 10  // larger values get an allocation of their own
	boxesPerBlock    = 512      // boxed values of one type per block
)

// rowAlloc hands out the memory of decoded rows in blocks. A block is only ever
// appended to: what was handed out is never written again, and a full block is
// dropped (the GC frees it once no row refers to it) for a new one. That is what makes
// the strings made over arena bytes and the values boxed in place safe: their memory
// is never reused while a row can still see it.
type rowAlloc struct {
	slots    []any
	arena    []byte
	strings  boxes[string]
	decimals boxes[schema.Decimal]
	times    boxes[time.Time]
	bytes    boxes[[]byte]
	uints    boxes[uint64]
}

// row returns n zeroed slots for one row.
func (a *rowAlloc) row(n int) []any {
	if n > rowSlotsPerBlock/4 {
		return make([]any, n)
	}
	if cap(a.slots)-len(a.slots) < n {
		a.slots = make([]any, 0, rowSlotsPerBlock)
	}
	start := len(a.slots)
	a.slots = a.slots[:start+n]
	return a.slots[start : start+n : start+n]
}

// str copies b into the arena and returns it as a string.
func (a *rowAlloc) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > arenaMaxValue {
		return string(b)
	}
	c := a.copyBytes(b)
	// The arena bytes are never written again (see rowAlloc), so the string is
	// immutable as Go requires.
	return unsafe.String(unsafe.SliceData(c), len(c))
}

// copyBytes copies b into the arena. The copy's capacity ends at its length, so an
// append to it cannot reach the next value.
func (a *rowAlloc) copyBytes(b []byte) []byte {
	n := len(b)
	if n == 0 {
		return []byte{} // empty, not NULL (nil)
	}
	if n > arenaMaxValue {
		return append(make([]byte, 0, n), b...)
	}
	if cap(a.arena)-len(a.arena) < n {
		a.arena = make([]byte, 0, arenaBlock)
	}
	start := len(a.arena)
	a.arena = append(a.arena, b...) // within capacity: never moves the block
	return a.arena[start : start+n : start+n]
}

// boxes puts values of type T into interfaces without an allocation per value: the
// value is stored in a block of Ts and the interface points at it, which is exactly
// the layout Go gives a boxed T that is not pointer-shaped (its data word points at a
// copy of the value). The element is never written again after it is boxed, so the
// interface's value is immutable as the runtime assumes, and the block lives as long
// as any interface pointing into it. T must not be pointer-shaped (a pointer, map,
// chan, func, or a struct/array holding just one of those), since such a T is stored
// in the data word itself; string, []byte, uint64, time.Time and schema.Decimal are
// not, and TestBoxes checks each against an ordinary conversion.
type boxes[T any] struct {
	block []T
	typ   unsafe.Pointer // T's type word, taken from an ordinary conversion
}

// eface is the layout of an interface value (any): type word, then data word.
type eface struct {
	typ, data unsafe.Pointer
}

func (b *boxes[T]) box(v T) any {
	if b.typ == nil {
		var zero T
		z := any(zero)
		b.typ = (*eface)(unsafe.Pointer(&z)).typ
	}
	if len(b.block) == cap(b.block) {
		b.block = make([]T, 0, boxesPerBlock)
	}
	b.block = append(b.block, v)
	var out any
	e := (*eface)(unsafe.Pointer(&out))
	e.typ, e.data = b.typ, unsafe.Pointer(&b.block[len(b.block)-1])
	return out
}
