package postgres

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/doris-sync/doris-sync/internal/slab"
	"github.com/doris-sync/doris-sync/schema"
)

// Row messages (Insert, Update, Delete) are nearly every message of a busy stream, so
// they are read here straight from the payload into the row values, without
// pglogrepl's message structs and its copy of every column. Their layout (PostgreSQL
// "Logical Replication Message Formats"):
//
//	Insert  'I' [xid] relid 'N' tuple
//	Update  'U' [xid] relid ['K' tuple | 'O' tuple] 'N' tuple
//	Delete  'D' [xid] relid ('K' | 'O') tuple
//	tuple   Int16 columns, then per column 'n' (null), 'u' (unchanged TOAST value),
//	        or 't'/'b' Int32 length and that many bytes (text / binary format)
//
// xid (Int32) is there only inside a streamed transaction (protocol 2). 'K' carries
// the replica identity key (its other columns are 'n'), 'O' the whole old row
// (REPLICA IDENTITY FULL).

// rowMessage is a parsed row message; its tuples point into the payload.
type rowMessage struct {
	op      schema.Op
	xid     uint32
	relID   uint32
	oldType byte   // 'K', 'O' or 0 (no old tuple)
	old     []byte // the old tuple, from its column count on
	new     []byte // the new tuple (nil for a delete)
}

var errShortMessage = errors.New("message too short")

// parseRowMessage reads an Insert, Update or Delete message (data[0] is its type),
// checking every length against the payload.
func parseRowMessage(data []byte, inStream bool) (rowMessage, error) {
	var m rowMessage
	switch data[0] {
	case 'I':
		m.op = schema.OpInsert
	case 'U':
		m.op = schema.OpUpdate
	case 'D':
		m.op = schema.OpDelete
	default:
		return m, fmt.Errorf("not a row message: %q", data[0])
	}
	p := 1
	if inStream {
		if len(data) < p+4 {
			return m, errShortMessage
		}
		m.xid = binary.BigEndian.Uint32(data[p:])
		p += 4
	}
	if len(data) < p+5 {
		return m, errShortMessage
	}
	m.relID = binary.BigEndian.Uint32(data[p:])
	p += 4
	tag := data[p]
	p++
	if tag == 'K' || tag == 'O' {
		if m.op == schema.OpInsert {
			return m, fmt.Errorf("insert with an old tuple (%q)", tag)
		}
		n, err := tupleLen(data[p:])
		if err != nil {
			return m, fmt.Errorf("old tuple: %w", err)
		}
		m.oldType, m.old = tag, data[p:p+n]
		p += n
		if m.op == schema.OpDelete {
			return m, trailing(data, p)
		}
		if len(data) <= p {
			return m, errShortMessage
		}
		tag = data[p]
		p++
	}
	if tag != 'N' || m.op == schema.OpDelete {
		return m, fmt.Errorf("unexpected tuple type %q", tag)
	}
	n, err := tupleLen(data[p:])
	if err != nil {
		return m, fmt.Errorf("new tuple: %w", err)
	}
	m.new = data[p : p+n]
	return m, trailing(data, p+n)
}

func trailing(data []byte, end int) error {
	if end != len(data) {
		return fmt.Errorf("%d bytes after the last tuple", len(data)-end)
	}
	return nil
}

// tupleLen is the length of the TupleData at the start of b.
func tupleLen(b []byte) (int, error) {
	if len(b) < 2 {
		return 0, errShortMessage
	}
	cols := int(binary.BigEndian.Uint16(b))
	p := 2
	for i := 0; i < cols; i++ {
		if p >= len(b) {
			return 0, errShortMessage
		}
		kind := b[p]
		p++
		switch kind {
		case 'n', 'u':
		case 't', 'b':
			if len(b) < p+4 {
				return 0, errShortMessage
			}
			n := int(binary.BigEndian.Uint32(b[p:]))
			p += 4
			if n < 0 || n > len(b)-p {
				return 0, errShortMessage
			}
			p += n
		default:
			return 0, fmt.Errorf("column %d: unknown kind %q", i+1, kind)
		}
	}
	return p, nil
}

// rowDecoder turns tuples into rows. The rows it returns, and every value in them,
// are never touched again by the decoder: the engine keeps them and the sink encodes
// them later on another goroutine.
type rowDecoder struct {
	values    valueAlloc
	rows      slab.Rows
	positions slab.Boxer[schema.Position, Position]
}

// position boxes p as a schema.Position without an allocation of its own.
func (d *rowDecoder) position(p Position) schema.Position { return d.positions.Box(p) }

// row decodes a tuple (checked by tupleLen) in the relation's column order. A column
// PostgreSQL did not send because it is an unchanged TOAST value is taken from before
// (the decoded REPLICA IDENTITY FULL old row) when that has it, else it is
// schema.Unchanged.
func (d *rowDecoder) row(rel *relation, tuple []byte, before []any) ([]any, error) {
	cols := int(binary.BigEndian.Uint16(tuple))
	if cols != len(rel.cols) {
		return nil, fmt.Errorf("postgres stream: a row of %s has %d columns, its Relation message %d", rel.id, cols, len(rel.cols))
	}
	row := d.rows.Take(cols)
	p := 2
	for i := 0; i < cols; i++ {
		kind := tuple[p]
		p++
		switch kind {
		case 'n':
		case 'u':
			row[i] = schema.Unchanged
			if i < len(before) && before[i] != nil && !schema.IsUnchanged(before[i]) {
				row[i] = before[i] // values are immutable: both rows may hold it
			}
		case 't':
			n := int(binary.BigEndian.Uint32(tuple[p:]))
			p += 4
			v, err := d.values.decode(rel.codecs[i], tuple[p:p+n])
			p += n
			if err != nil {
				return nil, fmt.Errorf("postgres stream: %s column %s: %w", rel.id, rel.cols[i].name, err)
			}
			row[i] = v
		default:
			return nil, fmt.Errorf("postgres stream: %s column %s arrived in format %q, not text", rel.id, rel.cols[i].name, kind)
		}
	}
	return row, nil
}
