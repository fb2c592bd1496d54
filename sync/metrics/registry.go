package metrics

import (
	"errors"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/doris-sync/doris-sync/sink"
	"github.com/doris-sync/doris-sync/state"
)

// Counter is a number that only goes up. The zero value is ready; a nil *Counter
// ignores updates and reads 0.
type Counter struct{ v atomic.Int64 }

// Add adds n (n ≥ 0; counters never go down).
func (c *Counter) Add(n int64) {
	if c != nil {
		c.v.Add(n)
	}
}

// Inc adds one.
func (c *Counter) Inc() { c.Add(1) }

// Value is the current count.
func (c *Counter) Value() int64 {
	if c == nil {
		return 0
	}
	return c.v.Load()
}

// Gauge is a number that goes up and down. The zero value is ready; a nil *Gauge
// ignores updates and reads 0.
type Gauge struct{ v atomic.Int64 }

// Set replaces the value.
func (g *Gauge) Set(n int64) {
	if g != nil {
		g.v.Store(n)
	}
}

// Add adds n (which may be negative).
func (g *Gauge) Add(n int64) {
	if g != nil {
		g.v.Add(n)
	}
}

// Value is the current value.
func (g *Gauge) Value() int64 {
	if g == nil {
		return 0
	}
	return g.v.Load()
}

// Table is one Doris table's numbers that the engine feeds. Look it up once
// (Registry.Table) and keep it: its methods take no lock.
type Table struct {
	db, name      string
	rowsCopied    Gauge
	rowsEstimated Gauge
	chunksDone    Gauge
	chunksTotal   Gauge
	snapshotDone  atomic.Bool
	changes       Counter
}

// RowsCopied counts the snapshot rows copied into the table, those of earlier runs
// included (set it from the state on resume, then add): a gauge, since a new snapshot
// of the table starts it again.
func (t *Table) RowsCopied() *Gauge {
	if t == nil {
		return nil
	}
	return &t.rowsCopied
}

// RowsEstimated is the source's estimate of the rows to copy (table statistics).
func (t *Table) RowsEstimated() *Gauge {
	if t == nil {
		return nil
	}
	return &t.rowsEstimated
}

// ChunksDone counts the snapshot chunks Doris holds completely.
func (t *Table) ChunksDone() *Gauge {
	if t == nil {
		return nil
	}
	return &t.chunksDone
}

// ChunksTotal is the number of snapshot chunks planned so far (the plan of a large
// table grows as the copy goes).
func (t *Table) ChunksTotal() *Gauge {
	if t == nil {
		return nil
	}
	return &t.chunksTotal
}

// Changes counts the streamed changes routed to the table in this run.
func (t *Table) Changes() *Counter {
	if t == nil {
		return nil
	}
	return &t.changes
}

// SetSnapshotDone records whether the table's copy is finished.
func (t *Table) SetSnapshotDone(done bool) {
	if t != nil {
		t.snapshotDone.Store(done)
	}
}

// SinkStats is what the registry reads from the Doris sink when asked for numbers;
// *sink.Writer implements it.
type SinkStats interface {
	Stats() []sink.TableStats
	MemoryStats() (inUse, peak, waits int64)
	Err() error
}

type tableKey struct{ db, name string }

// noLag marks a lag that was never measured.
const noLag = -1

// Registry holds one job's numbers. It is safe for concurrent use.
type Registry struct {
	job     string
	now     func() time.Time
	started time.Time

	mu     sync.RWMutex
	tables map[tableKey]*Table

	checkpoints    Counter
	ddl            Counter
	errs           Counter
	lastCheckpoint atomic.Int64 // unix nanoseconds, 0 before the first
	lagNanos       atomic.Int64 // noLag until measured

	smu     sync.Mutex // guards the fields below, which change rarely
	phase   state.Phase
	sink    SinkStats
	running bool
	lastErr error
}

// New returns the registry of a job that starts now, in the planning phase. now is
// the clock (nil: time.Now); tests pass a fixed one.
func New(job string, now func() time.Time) *Registry {
	if now == nil {
		now = time.Now
	}
	r := &Registry{job: job, now: now, started: now(), tables: map[tableKey]*Table{},
		phase: state.PhasePlanning, running: true}
	r.lagNanos.Store(noLag)
	return r
}

// Job is the job's name.
func (r *Registry) Job() string {
	if r == nil {
		return ""
	}
	return r.job
}

// Table returns the handle of a Doris table, creating it on first use.
func (r *Registry) Table(db, name string) *Table {
	if r == nil {
		return nil
	}
	k := tableKey{db, name}
	r.mu.RLock()
	t := r.tables[k]
	r.mu.RUnlock()
	if t != nil {
		return t
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if t = r.tables[k]; t == nil {
		t = &Table{db: db, name: name}
		r.tables[k] = t
	}
	return t
}

// AttachSink makes the sink's load counters part of every snapshot of the registry;
// nil detaches it.
func (r *Registry) AttachSink(s SinkStats) {
	if r == nil {
		return
	}
	r.smu.Lock()
	r.sink = s
	r.smu.Unlock()
}

// SetPhase records where the job stands.
func (r *Registry) SetPhase(p state.Phase) {
	if r == nil {
		return
	}
	r.smu.Lock()
	r.phase = p
	r.smu.Unlock()
}

// SetLag records the replication lag: how long ago the source committed the newest
// change Doris now holds (0 when caught up with an idle source).
func (r *Registry) SetLag(d time.Duration) {
	if r == nil {
		return
	}
	r.lagNanos.Store(max(int64(d), 0))
}

// ObserveLoaded records the lag of a change the source committed at commit and that
// Doris holds now.
func (r *Registry) ObserveLoaded(commit time.Time) {
	if r == nil {
		return
	}
	r.SetLag(r.now().Sub(commit))
}

// Checkpointed counts a saved checkpoint.
func (r *Registry) Checkpointed() {
	if r == nil {
		return
	}
	r.checkpoints.Inc()
	r.lastCheckpoint.Store(r.now().UnixNano())
}

// DDLApplied counts a source DDL applied to Doris.
func (r *Registry) DDLApplied() {
	if r != nil {
		r.ddl.Inc()
	}
}

// RecordError counts an error and makes /healthz report it until ClearError.
func (r *Registry) RecordError(err error) {
	if r == nil || err == nil {
		return
	}
	r.errs.Inc()
	r.smu.Lock()
	r.lastErr = err
	r.smu.Unlock()
}

// ClearError forgets the last error (the engine recovered from it).
func (r *Registry) ClearError() {
	if r == nil {
		return
	}
	r.smu.Lock()
	r.lastErr = nil
	r.smu.Unlock()
}

// Finish records that the run ended with err (nil: success). /healthz answers 503
// from now on; an error not recorded before is counted.
func (r *Registry) Finish(err error) {
	if r == nil {
		return
	}
	r.smu.Lock()
	defer r.smu.Unlock()
	r.running = false
	if err != nil && err != r.lastErr {
		r.errs.Inc()
		r.lastErr = err
	}
}

// errNotRunning is the health of a job that ended without an error.
var errNotRunning = errors.New("the job is not running")

// Health is nil while the job runs and neither the engine nor the sink reported an
// error; otherwise it says why not.
func (r *Registry) Health() error {
	if r == nil {
		return errNotRunning
	}
	r.smu.Lock()
	running, lastErr, s := r.running, r.lastErr, r.sink
	r.smu.Unlock()
	if lastErr != nil {
		return lastErr
	}
	if !running {
		return errNotRunning
	}
	if s != nil {
		// A closed writer is a run shutting down, not a failure.
		if err := s.Err(); err != nil && !errors.Is(err, sink.ErrClosed) {
			return err
		}
	}
	return nil
}

// Snapshot is the registry's numbers at one moment, the sink's included.
type Snapshot struct {
	Job     string
	Taken   time.Time
	Started time.Time
	Phase   state.Phase
	Running bool
	Health  error // see Registry.Health

	Lag            time.Duration
	LagKnown       bool
	Checkpoints    int64
	LastCheckpoint time.Time // zero before the first
	DDL            int64
	Errors         int64

	Tables []TableSnapshot // by database, then table

	SinkAttached               bool
	MemInUse, MemPeak, MemWait int64
}

// TableSnapshot is one Doris table's numbers.
type TableSnapshot struct {
	DB, Table string
	// Fed reports that the engine looked the table up (Registry.Table); the fields up
	// to Changes are the engine's.
	Fed                       bool
	RowsCopied, RowsEstimated int64
	ChunksDone, ChunksTotal   int64
	SnapshotDone              bool
	Changes                   int64
	InSink                    bool            // the sink knows the table
	Sink                      sink.TableStats // zero unless InSink
}

// Snapshot reads every number now.
func (r *Registry) Snapshot() Snapshot {
	if r == nil {
		return Snapshot{}
	}
	s := Snapshot{
		Job: r.job, Taken: r.now(), Started: r.started,
		Checkpoints: r.checkpoints.Value(), DDL: r.ddl.Value(), Errors: r.errs.Value(),
	}
	if lag := r.lagNanos.Load(); lag != noLag {
		s.Lag, s.LagKnown = time.Duration(lag), true
	}
	if ns := r.lastCheckpoint.Load(); ns != 0 {
		s.LastCheckpoint = time.Unix(0, ns)
	}
	s.Health = r.Health()
	r.smu.Lock()
	s.Phase, s.Running = r.phase, r.running
	sk := r.sink
	r.smu.Unlock()

	byKey := map[tableKey]*TableSnapshot{}
	r.mu.RLock()
	for k, t := range r.tables {
		byKey[k] = &TableSnapshot{
			DB: t.db, Table: t.name, Fed: true,
			RowsCopied: t.rowsCopied.Value(), RowsEstimated: t.rowsEstimated.Value(),
			ChunksDone: t.chunksDone.Value(), ChunksTotal: t.chunksTotal.Value(),
			SnapshotDone: t.snapshotDone.Load(), Changes: t.changes.Value(),
		}
	}
	r.mu.RUnlock()
	if sk != nil {
		s.SinkAttached = true
		s.MemInUse, s.MemPeak, s.MemWait = sk.MemoryStats()
		for _, st := range sk.Stats() {
			k := tableKey{st.DB, st.Table}
			ts := byKey[k]
			if ts == nil {
				ts = &TableSnapshot{DB: st.DB, Table: st.Table}
				byKey[k] = ts
			}
			ts.InSink, ts.Sink = true, st
		}
	}
	s.Tables = make([]TableSnapshot, 0, len(byKey))
	for _, ts := range byKey {
		s.Tables = append(s.Tables, *ts)
	}
	sort.Slice(s.Tables, func(i, j int) bool {
		a, b := s.Tables[i], s.Tables[j]
		if a.DB != b.DB {
			return a.DB < b.DB
		}
		return a.Table < b.Table
	})
	return s
}

// Totals are a snapshot's numbers summed over its tables.
type Totals struct {
	Tables                       int
	SnapshotTables, TablesCopied int // tables with snapshot progress, and those whose copy is done
	RowsCopied, RowsEstimated    int64
	RowsToCopy                   int64 // estimated rows still to copy, over tables not done
	Changes                      int64
	RowsLoaded, BytesLoaded      int64
	Loads, Retries, Failures     int64
	FilteredRows, DeletesIgnored int64
	BufferedRows                 int64
}

// Totals sums the tables.
func (s Snapshot) Totals() Totals {
	var t Totals
	t.Tables = len(s.Tables)
	for _, ts := range s.Tables {
		if ts.hasSnapshot() {
			t.SnapshotTables++
			if ts.SnapshotDone {
				t.TablesCopied++
			} else {
				t.RowsToCopy += max(ts.RowsEstimated-ts.RowsCopied, 0)
			}
		}
		t.RowsCopied += ts.RowsCopied
		t.RowsEstimated += ts.RowsEstimated
		t.Changes += ts.Changes
		t.RowsLoaded += ts.Sink.Rows
		t.BytesLoaded += ts.Sink.Bytes
		t.Loads += ts.Sink.Loads
		t.Retries += ts.Sink.Retries
		t.Failures += ts.Sink.Failures
		t.FilteredRows += ts.Sink.FilteredRows
		t.DeletesIgnored += ts.Sink.DeletesIgnored
		t.BufferedRows += ts.Sink.BufferedRows
	}
	return t
}

// hasSnapshot reports whether the engine recorded any snapshot progress of the table.
func (ts TableSnapshot) hasSnapshot() bool {
	return ts.SnapshotDone || ts.RowsEstimated > 0 || ts.RowsCopied > 0 || ts.ChunksTotal > 0
}
