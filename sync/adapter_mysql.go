package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/doris-sync/doris-sync/schema"
	"github.com/doris-sync/doris-sync/sources/mysql"
)

// mysqlSource fits sources/mysql to the engine.
type mysqlSource struct {
	src       *mysql.Source
	jobName   string
	serverID  uint32
	readers   int
	chunkRows int
	chunkKeys chunkKeyColumns
	includes  func(schema.TableID) bool // the job's table filters
	log       *slog.Logger
}

func (m *mysqlSource) Discover(ctx context.Context) ([]*schema.Table, error) {
	return m.src.Discover(ctx)
}

func (m *mysqlSource) Preflight(ctx context.Context, _ []*schema.Table) error {
	rep, err := m.src.Preflight(ctx)
	if err != nil {
		return err
	}
	for _, n := range rep.Notes {
		m.log.Info(n)
	}
	return nil
}

func (m *mysqlSource) CurrentPosition(ctx context.Context) (schema.Position, error) {
	return m.src.CurrentPosition(ctx)
}

func (m *mysqlSource) Close() error { return m.src.Close() }

// BeginSnapshot opens the readers. MariaDB gives every reader one consistent view at
// the binlog position it reports, without a lock; MySQL holds commits back with a brief
// FLUSH TABLES WITH READ LOCK while the readers open. When neither works (no RELOAD
// privilege, lock timeout) the position is taken before the readers open: the snapshot
// is then not exact, which keyed tables absorb (sources/mysql, Guarantee).
func (m *mysqlSource) BeginSnapshot(ctx context.Context, _ []*schema.Table, _ bool) (Snapshot, error) {
	sn, err := m.src.BeginSnapshot(ctx, mysql.SnapshotOptions{Readers: m.readers, Logger: m.log})
	if err != nil {
		return nil, err
	}
	m.log.Info("snapshot opened", "method", sn.Method(), "guarantee", sn.Guarantee().String(), "position", sn.Position().String())
	return &mysqlSnapshot{m: m, sn: sn, plans: map[schema.TableID]mysql.ChunkPlan{}}, nil
}

type mysqlSnapshot struct {
	m  *mysqlSource
	sn *mysql.Snapshot

	mu    sync.Mutex
	plans map[schema.TableID]mysql.ChunkPlan
}

func (s *mysqlSnapshot) Position() schema.Position { return s.sn.Position() }
func (s *mysqlSnapshot) Exact() bool               { return s.sn.Guarantee() == mysql.OneView }
func (s *mysqlSnapshot) Close() error              { return s.sn.Close() }

func (s *mysqlSnapshot) key(t *schema.Table) ([]string, error) {
	return mysql.ChunkKey(t, s.m.chunkKeys.of(t.ID))
}

// plan cuts a whole table at once (sources/mysql plans are complete and cheap: even
// steps between MIN and MAX, or one index probe per chunk).
func (s *mysqlSnapshot) plan(ctx context.Context, t *schema.Table) (mysql.ChunkPlan, error) {
	s.mu.Lock()
	p, ok := s.plans[t.ID]
	s.mu.Unlock()
	if ok {
		return p, nil
	}
	key, err := s.key(t)
	if err != nil {
		return p, err
	}
	if p, err = s.sn.PlanChunks(ctx, t, key, s.m.chunkRows); err != nil {
		return p, err
	}
	s.mu.Lock()
	s.plans[t.ID] = p
	s.mu.Unlock()
	return p, nil
}

func (s *mysqlSnapshot) EstimateRows(ctx context.Context, t *schema.Table) (int64, error) {
	p, err := s.plan(ctx, t)
	return p.Estimate, err
}

func (s *mysqlSnapshot) PlanChunks(ctx context.Context, t *schema.Table, after json.RawMessage, _ int) ([]json.RawMessage, bool, error) {
	if after != nil {
		return nil, true, nil // the first call returned the whole plan
	}
	p, err := s.plan(ctx, t)
	if err != nil {
		return nil, false, err
	}
	return p.Cuts, true, nil
}

func (s *mysqlSnapshot) ReadChunk(ctx context.Context, t *schema.Table, start, end json.RawMessage, emit func([]any) error) error {
	key, err := s.key(t)
	if err != nil {
		return err
	}
	_, err = s.sn.ReadChunk(ctx, t, key, mysql.Chunk{Start: start, End: end}, emit)
	return err
}

// StartStream follows the binlog from a snapshot's position or a checkpoint.
func (m *mysqlSource) StartStream(ctx context.Context, from schema.Position, shapes []*schema.Table, history SchemaHistory) (Stream, error) {
	pos, ok := from.(mysql.Position)
	if !ok {
		return nil, fmt.Errorf("mysql stream: cannot start from a %s position", from.Kind())
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &pushStream{events: make(chan Event, 256), done: make(chan struct{}), cancel: cancel}
	// In file mode a change carries the position of the commit before it; a position
	// just after that one orders it like its own commit (see Event).
	stamp := func(p schema.Position) schema.Position { return p }
	if !pos.GTIDMode {
		stamp = func(p schema.Position) schema.Position {
			q, ok := p.(mysql.Position)
			if !ok || q.GTIDMode {
				return p
			}
			q.Pos++
			return q
		}
	}
	opts := mysql.StreamOptions{
		From: pos, Tables: shapes, Filter: m.includes, History: history,
		ServerID: m.serverID, JobName: m.jobName, Logger: m.log,
		Emit: func(ch schema.Change) error {
			ch.Position = stamp(ch.Position)
			return s.push(ctx, Event{Change: &ch})
		},
		Commit: func(p mysql.Position) error { return s.push(ctx, Event{Position: p}) },
	}
	go func() {
		s.finish(m.src.Stream(ctx, opts))
	}()
	return s, nil
}

// pushStream turns a source that calls back (Emit/Commit) into the engine's Next. The
// bounded channel holds the source back while the engine is busy.
type pushStream struct {
	events chan Event
	done   chan struct{}
	cancel context.CancelFunc
	err    error // set before done is closed
}

func (s *pushStream) push(ctx context.Context, ev Event) error {
	select {
	case s.events <- ev:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *pushStream) finish(err error) {
	if err == nil {
		err = fmt.Errorf("the change stream ended")
	}
	s.err = err
	close(s.done)
}

func (s *pushStream) Next(ctx context.Context) (Event, error) {
	select {
	case ev := <-s.events:
		return ev, nil
	default:
	}
	select {
	case ev := <-s.events:
		return ev, nil
	case <-s.done:
		return Event{}, s.err
	case <-ctx.Done():
		return Event{}, ctx.Err()
	}
}

func (s *pushStream) Close() error {
	s.cancel()
	<-s.done
	return nil
}

// chunkKeyColumns is scan.incremental.snapshot.chunk.key-column: table:column pairs,
// the table by name or database.name.
type chunkKeyColumns map[string]string

func parseChunkKeyColumns(v string) chunkKeyColumns {
	out := chunkKeyColumns{}
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if i := strings.LastIndexByte(item, ':'); i > 0 {
			out[strings.TrimSpace(item[:i])] = strings.TrimSpace(item[i+1:])
		}
	}
	return out
}

func (c chunkKeyColumns) of(id schema.TableID) string {
	if col, ok := c[id.String()]; ok {
		return col
	}
	return c[id.Name]
}
