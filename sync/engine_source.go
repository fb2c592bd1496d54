package sync

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/doris-sync/doris-sync/schema"
)

// Source is what the replication engine needs from a source database. The engine owns
// the order of work (snapshot, hand-off, stream, checkpoints); a source owns its
// protocol. Thin adapters (adapter_*.go) fit each source package to it.
type Source interface {
	// Discover returns the tables the source-side filters select, in a deterministic
	// order, columns in ordinal order.
	Discover(ctx context.Context) ([]*schema.Table, error)
	// Preflight checks that the server is set up to capture changes of the given tables
	// (binlog/WAL settings, privileges, publication) and explains every missing piece.
	Preflight(ctx context.Context, tables []*schema.Table) error
	// CurrentPosition is the source's newest position now; --stop-when-caught-up
	// stops once the stream has passed it.
	CurrentPosition(ctx context.Context) (schema.Position, error)
	// BeginSnapshot opens a consistent snapshot of the given tables. Its Position is the
	// hand-off to the stream (see Snapshot). resume says an earlier run began the copy
	// and the stream will start where that run's snapshot was taken.
	BeginSnapshot(ctx context.Context, tables []*schema.Table, resume bool) (Snapshot, error)
	// StartStream reads changes after from (exclusive). shapes holds, per table, the
	// schema in force at from as the engine knows it; the rows of a table follow that
	// column order until the stream reports a DDL change with a NewSchema for it.
	// history is the job's schema history, for a source that needs it to decode rows
	// written before a DDL it replays. A position the source no longer has (purged
	// binlog, dropped slot) is an error matching ErrPositionLost or marked
	// exitcode.PositionLost.
	StartStream(ctx context.Context, from schema.Position, shapes []*schema.Table, history SchemaHistory) (Stream, error)
	Close() error
}

// Snapshot is a consistent read of the source at one position.
//
// Position is the hand-off to the stream: every transaction at or before it is in what
// ReadChunk returns, none after it, so streaming from Position neither misses nor
// repeats a change. MariaDB/MySQL give it by START TRANSACTION WITH CONSISTENT SNAPSHOT
// and the binlog position taken with it; PostgreSQL by reading inside the snapshot a
// replication slot exported at its consistent point.
//
// A snapshot that cannot be that exact says so (Exact false): Position is then a
// position at or before everything the reads hold (streaming from it replays changes the
// copy may hold already, which keyed tables absorb), or nil when the source cannot name
// one (a resumed copy that streams from the first snapshot's position anyway).
type Snapshot interface {
	Position() schema.Position
	Exact() bool
	// EstimateRows is a cheap estimate of a table's rows, for progress.
	EstimateRows(ctx context.Context, t *schema.Table) (int64, error)
	// PlanChunks cuts the key space of t after the bound after (nil: from the start)
	// into at most max more chunks: it returns their inner bounds in key order, each
	// greater than after, and last=true when no further cut exists past the last bound
	// returned (or past after when it returns none). A table without a usable key is
	// one chunk: no bounds, last=true. Bounds are the source's JSON.
	PlanChunks(ctx context.Context, t *schema.Table, after json.RawMessage, max int) (bounds []json.RawMessage, last bool, err error)
	// ReadChunk reads the rows with key in [start, end) (nil: unbounded), in key order,
	// values in t's column order, and passes each to emit; the engine keeps the row, so
	// the source must not reuse it. Several ReadChunk calls run at once (one per
	// --snapshot-parallelism worker).
	ReadChunk(ctx context.Context, t *schema.Table, start, end json.RawMessage, emit func(row []any) error) error
	// Close ends the snapshot (its transactions, the exported snapshot).
	Close() error
}

// LatestStarter is a Source that must prepare something before it can stream from its
// current position without a copy (scan.startup.mode=latest-offset): PostgreSQL creates
// its replication slot, whose consistent point is where the stream starts. Sources
// without it start at CurrentPosition.
type LatestStarter interface {
	StartAtLatest(ctx context.Context, tables []*schema.Table) (schema.Position, error)
}

// Stream is a source's change stream.
type Stream interface {
	// Next blocks until the next event or ctx ends.
	Next(ctx context.Context) (Event, error)
	Close() error
}

// Acker is a Stream that wants to hear which positions are checkpointed (PostgreSQL
// confirms them to its slot, so the server may drop the WAL before them). The engine
// calls Ack only with a position whose changes are all loaded into Doris.
type Acker interface {
	Ack(ctx context.Context, pos schema.Position) error
}

// Event is one item of a stream: a change, or a boundary.
//
// A boundary (Change nil) says the stream may resume at Position: every change at or
// before it has been delivered. Sources emit one after every transaction (also those
// that held nothing for the selected tables) and on heartbeats, so the engine can
// checkpoint and notice it has caught up while the source is idle. Changes between two
// boundaries form one transaction; the engine checkpoints only at boundaries.
//
// A change's Position must order like its transaction's commit: it compares at or
// before a snapshot position exactly when the snapshot holds the transaction.
type Event struct {
	Change   *schema.Change
	Position schema.Position // of a boundary
}

// SchemaHistory is the job's record of each table's shape over time, kept in its state
// file. Tables are named by schema.TableID.String(), positions encoded with
// schema.MarshalPosition, shapes with encoding/json of schema.Table (JSON null: the
// table was dropped).
type SchemaHistory interface {
	// AppendSchema records that table has shape from pos on; versions arrive in stream
	// order.
	AppendSchema(table string, pos, shape json.RawMessage, ddl string) error
	// SchemaAt returns the newest version of table whose position atOrBefore accepts.
	SchemaAt(table string, atOrBefore func(pos json.RawMessage) (bool, error)) (pos, shape json.RawMessage, found bool, err error)
}

// ErrPositionLost is matched (errors.Is) by the error of a source that no longer has
// the position to resume from: a purged binlog (MySQL error 1236), a dropped
// replication slot. The run then exits 3 with the remedy.
var ErrPositionLost = errors.New("the saved position is no longer available at the source")
