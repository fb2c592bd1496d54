package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/doris-sync/doris-sync/schema"
	"github.com/doris-sync/doris-sync/sources/postgres"
)

// postgresSource fits sources/postgres to the engine.
//
// Hand-off: the first copy reads inside the snapshot the replication slot exported at
// its creation, and the stream starts at the slot's consistent point, so the copy and
// the stream neither miss nor repeat a transaction. A copy resumed by a later run
// cannot get that snapshot back; it reads its remaining chunks inside the snapshot of a
// second, short-lived slot (<slot>_resume, dropped as soon as the readers hold its
// snapshot), whose consistent point is exactly what those reads hold. The stream still
// starts at the first slot's consistent point and skips, per table, the changes a copy
// already holds, so even a table without a key is neither doubled nor missed.
//
// Chunks: sources/postgres plans a table as a list of self-describing chunks (key
// ranges, a NULL-key chunk, heap page ranges). The engine's plan is a list of bounds, so
// each chunk's JSON is used as the bound that starts it: the engine's chunk i+1 is the
// source's chunk i, and the engine's chunk 0 (before the first bound) is empty.
type postgresSource struct {
	src       *postgres.Source // discovery
	repl      *postgres.Replicator
	cfg       postgres.Config
	slot      string
	readers   int
	chunkRows int
	chunkKeys chunkKeyColumns
	includes  func(schema.TableID) bool
	log       *slog.Logger
	reclaim   bool // ReclaimAbandonedStart was called
}

func (p *postgresSource) Discover(ctx context.Context) ([]*schema.Table, error) {
	return p.src.Discover(ctx)
}

func (p *postgresSource) Preflight(ctx context.Context, tables []*schema.Table) error {
	return p.repl.Preflight(ctx, tableIDs(tables))
}

func (p *postgresSource) CurrentPosition(ctx context.Context) (schema.Position, error) {
	lsn, err := p.repl.CurrentLSN(ctx)
	if err != nil {
		return nil, err
	}
	return postgres.BoundaryPosition(lsn), nil
}

func (p *postgresSource) Close() error { return p.src.Close() }

// ReclaimAbandonedStart lets the next first snapshot drop a slot of this job's name that
// an earlier run created and never checkpointed from (sync.abandonedStarter).
func (p *postgresSource) ReclaimAbandonedStart() { p.reclaim = true }

func tableIDs(tables []*schema.Table) []schema.TableID {
	ids := make([]schema.TableID, len(tables))
	for i, t := range tables {
		ids[i] = t.ID
	}
	return ids
}

func (p *postgresSource) BeginSnapshot(ctx context.Context, tables []*schema.Table, resume bool) (Snapshot, error) {
	if err := p.repl.EnsurePublication(ctx, tableIDs(tables)); err != nil {
		return nil, err
	}
	s := &postgresSnapshot{p: p, readers: make(chan *postgres.SnapshotReader, p.readers)}
	if !resume {
		if p.reclaim {
			// An earlier run of this job created the slot and was stopped before saving
			// any position from it: nothing depends on it, and a new copy needs a new one.
			if err := p.repl.DropAbandonedSlot(ctx); err != nil {
				return nil, err
			}
		}
		exp, err := p.repl.CreateSlot(ctx)
		if err != nil {
			return nil, err
		}
		// The exported snapshot lives while the slot's connection is idle: open every
		// reader inside it now, then let it go (the readers keep it).
		defer exp.Close()
		for i := 0; i < p.readers; i++ {
			r, err := exp.OpenReader(ctx)
			if err != nil {
				s.Close()
				return nil, err
			}
			s.all = append(s.all, r)
			s.readers <- r
		}
		s.pos, s.exact = exp.Position(), true
		return s, nil
	}
	tmp, err := p.resumeReplicator()
	if err != nil {
		return nil, err
	}
	// A slot left by a run killed here would hold WAL back for ever.
	if err := tmp.DropSlotAndPublication(ctx); err != nil {
		return nil, err
	}
	exp, err := tmp.CreateSlot(ctx)
	if err != nil {
		return nil, err
	}
	for i := 0; i < p.readers; i++ {
		r, err := exp.OpenReader(ctx)
		if err != nil {
			exp.Close()
			s.Close()
			_ = tmp.DropSlotAndPublication(context.WithoutCancel(ctx))
			return nil, err
		}
		s.all = append(s.all, r)
		s.readers <- r
	}
	s.pos, s.exact = exp.Position(), true
	exp.Close()
	if err := tmp.DropSlotAndPublication(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// resumeReplicator manages the short-lived slot of a resumed copy. Its publication
// name is one no job uses: dropping the slot also drops that (absent) publication.
func (p *postgresSource) resumeReplicator() (*postgres.Replicator, error) {
	slot := p.slot
	if len(slot) > 56 {
		slot = slot[:56]
	}
	return postgres.NewReplicator(p.cfg, postgres.ReplicationOptions{Slot: slot + "_resume", Publication: "doris_sync_none_" + slot})
}

// StartAtLatest creates the slot for a job that streams without a copy; the stream
// starts at its consistent point.
func (p *postgresSource) StartAtLatest(ctx context.Context, tables []*schema.Table) (schema.Position, error) {
	// The publication must exist before the slot's start: pgoutput reads it as of
	// each change.
	if err := p.repl.EnsurePublication(ctx, tableIDs(tables)); err != nil {
		return nil, err
	}
	exp, err := p.repl.CreateSlot(ctx)
	if err != nil {
		return nil, err
	}
	defer exp.Close()
	return exp.Position(), nil
}

type postgresSnapshot struct {
	p       *postgresSource
	readers chan *postgres.SnapshotReader // idle readers
	all     []*postgres.SnapshotReader
	pos     schema.Position
	exact   bool
}

func (s *postgresSnapshot) Position() schema.Position { return s.pos }

func (s *postgresSnapshot) Exact() bool { return s.exact }

func (s *postgresSnapshot) Close() error {
	var errs []error
	for _, r := range s.all {
		errs = append(errs, r.Close())
	}
	s.all = nil
	return errors.Join(errs...)
}

// with lends a reader (they are not safe for concurrent use).
func (s *postgresSnapshot) with(ctx context.Context, f func(*postgres.SnapshotReader) error) error {
	var r *postgres.SnapshotReader
	select {
	case r = <-s.readers:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { s.readers <- r }()
	return f(r)
}

func (s *postgresSnapshot) EstimateRows(context.Context, *schema.Table) (int64, error) {
	return 0, nil // the source plans by its own estimate; progress shows rows copied
}

func (s *postgresSnapshot) PlanChunks(ctx context.Context, t *schema.Table, after json.RawMessage, _ int) ([]json.RawMessage, bool, error) {
	if after != nil {
		return nil, true, nil // the first call returned the whole plan
	}
	var key []string
	if col := s.p.chunkKeys.of(t.ID); col != "" {
		key = []string{col}
	}
	var chunks []postgres.Chunk
	err := s.with(ctx, func(r *postgres.SnapshotReader) error {
		var err error
		chunks, err = r.PlanChunks(ctx, t, key, s.p.chunkRows)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	bounds := make([]json.RawMessage, len(chunks))
	for i, c := range chunks {
		if bounds[i], err = json.Marshal(c); err != nil {
			return nil, false, err
		}
	}
	return bounds, true, nil
}

func (s *postgresSnapshot) ReadChunk(ctx context.Context, t *schema.Table, start, _ json.RawMessage, emit func([]any) error) error {
	if start == nil {
		return nil // the empty chunk before the first of the source's chunks
	}
	var c postgres.Chunk
	if err := json.Unmarshal(start, &c); err != nil {
		return fmt.Errorf("snapshot chunk of %s: %w", t.ID, err)
	}
	return s.with(ctx, func(r *postgres.SnapshotReader) error {
		_, err := r.ReadChunk(ctx, t, c, emit)
		return err
	})
}

// StartStream follows the slot from a boundary. Every change of a transaction carries
// its commit LSN; the last one also carries the end of the commit record, the one LSN
// safe to resume from and to confirm, which becomes the boundary after it.
func (p *postgresSource) StartStream(ctx context.Context, from schema.Position, shapes []*schema.Table, _ SchemaHistory) (Stream, error) {
	pos, ok := from.(postgres.Position)
	if !ok {
		return nil, fmt.Errorf("postgres stream: cannot start from a %s position", from.Kind())
	}
	lsn, ok := pos.Boundary()
	if !ok {
		return nil, fmt.Errorf("postgres stream: %s is not a transaction boundary", pos)
	}
	if err := p.repl.EnsurePublication(ctx, tableIDs(shapes)); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &postgresStream{pushStream: pushStream{events: make(chan Event, 256), done: make(chan struct{}), cancel: cancel}}
	s.st = p.repl.NewStreamer(postgres.StreamOptions{
		Tables: shapes,
		Match:  p.includes,
		Progress: func(b postgres.Position) {
			_ = s.push(ctx, Event{Position: b})
		},
	})
	go func() {
		s.finish(s.st.Run(ctx, lsn, func(ch schema.Change) error {
			if err := s.push(ctx, Event{Change: &ch}); err != nil {
				return err
			}
			if cp, ok := ch.Position.(postgres.Position); ok {
				if end, ok := cp.Boundary(); ok {
					return s.push(ctx, Event{Position: postgres.BoundaryPosition(end)})
				}
			}
			return nil
		}))
	}()
	return s, nil
}

type postgresStream struct {
	pushStream
	st *postgres.Streamer
}

// Ack confirms a checkpointed boundary to the slot, so PostgreSQL may drop the WAL
// before it.
func (s *postgresStream) Ack(_ context.Context, pos schema.Position) error {
	p, ok := pos.(postgres.Position)
	if !ok {
		return fmt.Errorf("postgres stream: cannot confirm a %s position", pos.Kind())
	}
	if lsn, ok := p.Boundary(); ok {
		s.st.Ack(lsn)
	}
	return nil
}
