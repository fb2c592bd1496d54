package postgres

import (
	"encoding/json"
	"fmt"

	"github.com/jackc/pglogrepl"

	"github.com/doris-sync/doris-sync/schema"
)

// PositionKind is the schema.Position kind of PostgreSQL positions.
const PositionKind = "postgres"

func init() { schema.RegisterPositionKind(PositionKind, decodePosition) }

// LSN is a PostgreSQL write-ahead-log location.
type LSN uint64

// ParseLSN reads the "16/B374D848" form PostgreSQL prints.
func ParseLSN(s string) (LSN, error) {
	l, err := pglogrepl.ParseLSN(s)
	if err != nil {
		return 0, fmt.Errorf("parse LSN %q: %w", s, err)
	}
	return LSN(l), nil
}

func (l LSN) String() string { return pglogrepl.LSN(l).String() }

// MarshalJSON writes the LSN as PostgreSQL prints it, so state files stay readable.
func (l LSN) MarshalJSON() ([]byte, error) { return json.Marshal(l.String()) }

// UnmarshalJSON reads what MarshalJSON wrote.
func (l *LSN) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("LSN: %w", err)
	}
	v, err := ParseLSN(s)
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// Position is where a change sits in the slot's stream.
//
// Every change of a transaction carries the transaction's commit LSN (Commit, the start
// of its commit record) and its place in the transaction (Seq: 2, 4, 6, … for row
// changes, the odd number in between for a schema change before the next row), which
// order changes totally and identically on every replay; Seq is never 0 inside a
// transaction, so every change sorts after a boundary at its commit LSN.
//
// End is set on the last change of the transaction only: it is the end of the commit
// record (pgoutput's TransactionEndLSN), the one LSN that is safe to confirm to the
// slot and to resume from. A checkpoint must therefore be taken only at a position
// whose End is set (Boundary reports it): resuming from any other LSN would skip the
// rest of a half-loaded transaction.
//
// Snapshot rows and idle progress reports are boundaries too: Commit = End = the LSN
// the stream resumes from (the slot's consistent point for the snapshot), Seq 0.
type Position struct {
	Commit LSN    `json:"commit"`
	Seq    uint64 `json:"seq"`
	End    LSN    `json:"end,omitempty"`
}

var _ schema.Position = Position{}

// BoundaryPosition is a position at a transaction boundary: nothing before lsn is
// pending. The snapshot's rows and the stream's idle progress carry one.
func BoundaryPosition(lsn LSN) Position { return Position{Commit: lsn, End: lsn} }

// Kind is "postgres".
func (p Position) Kind() string { return PositionKind }

// String prints "commit/seq", plus the end LSN at a transaction boundary.
func (p Position) String() string {
	if p.End != 0 {
		return fmt.Sprintf("%s#%d (end %s)", p.Commit, p.Seq, p.End)
	}
	return fmt.Sprintf("%s#%d", p.Commit, p.Seq)
}

// Boundary reports whether the position ends a transaction, and if so the LSN to
// checkpoint, confirm to the slot (Streamer.Ack) and resume from (Streamer.Run).
func (p Position) Boundary() (LSN, bool) { return p.End, p.End != 0 }

// Compare orders by commit LSN, then by ordinal; the last change of a transaction
// (End set) sorts after an otherwise equal one.
func (p Position) Compare(other schema.Position) (int, error) {
	q, ok := other.(Position)
	if !ok {
		return 0, fmt.Errorf("compare postgres position with %T: %w", other, schema.ErrIncomparable)
	}
	switch {
	case p.Commit != q.Commit:
		return lessToOrder(p.Commit < q.Commit), nil
	case p.Seq != q.Seq:
		return lessToOrder(p.Seq < q.Seq), nil
	case p.End != q.End:
		return lessToOrder(p.End < q.End), nil
	}
	return 0, nil
}

func lessToOrder(less bool) int {
	if less {
		return -1
	}
	return 1
}

func decodePosition(data json.RawMessage) (schema.Position, error) {
	var p Position
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, err
	}
	if p.Commit == 0 {
		return nil, fmt.Errorf("position %s has no commit LSN", data)
	}
	return p, nil
}
