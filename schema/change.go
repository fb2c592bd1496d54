package schema

import (
	"fmt"
	"time"
)

// Op is the kind of a change.
type Op uint8

// The change kinds. The zero Op is invalid so a forgotten field is caught.
const (
	OpInsert Op = iota + 1
	OpUpdate
	OpDelete
	OpDDL
	OpTruncate
)

func (o Op) String() string {
	switch o {
	case OpInsert:
		return "insert"
	case OpUpdate:
		return "update"
	case OpDelete:
		return "delete"
	case OpDDL:
		return "ddl"
	case OpTruncate:
		return "truncate"
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

// Change is one change read from a source: a row change, a DDL statement or a truncate.
type Change struct {
	Table TableID
	Op    Op
	// Before is the old row of an update or delete (nil when the source does not
	// provide it); After is the new row of an insert or update. Values are in the
	// table's column order and use the types listed in the package documentation.
	Before []any
	After  []any
	// Position orders the change in the source's stream; every change at or before it
	// has been emitted once this change is.
	Position Position
	// DDL is the statement text of an OpDDL change, as the source logged it.
	DDL string
	// NewSchema is the table as it is after an OpDDL change, when the source knows it
	// (nil for DROP TABLE).
	NewSchema *Table
	// CommitTime is when the source committed the change's transaction, as the source
	// records it (MySQL/MariaDB: the binlog event time, whole seconds; PostgreSQL: the
	// transaction's commit timestamp); zero when unknown. It measures replication lag
	// and never decides what is loaded.
	CommitTime time.Time
}

// Decimal is an exact decimal number in plain notation ("-12.50", "1000"), taken from the
// database's own decimal text rather than through a float.
type Decimal string

// JSON is a JSON document as text.
type JSON string

// unchanged is the type of Unchanged. It is unexported so no other value can pass for
// the marker, and it holds nothing, so every copy of the marker is equal.
type unchanged struct{}

func (unchanged) String() string { return "<unchanged>" }

// Unchanged stands in a row for a column whose value the source did not send because the
// change left it as it was (a PostgreSQL TOASTed value an update did not touch). It is
// not a value: whoever writes the row must leave the stored column alone (the sink loads
// such rows as partial-column updates) and never store anything in its place.
var Unchanged any = unchanged{}

// IsUnchanged reports whether v is the Unchanged marker.
func IsUnchanged(v any) bool {
	_, ok := v.(unchanged)
	return ok
}
