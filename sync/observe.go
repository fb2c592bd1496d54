package sync

import (
	"sync"

	"github.com/doris-sync/doris-sync/sink"
	"github.com/doris-sync/doris-sync/state"
	"github.com/doris-sync/doris-sync/sync/metrics"
)

// The engine's feed of the operator's view (package metrics): per Doris table the
// snapshot progress and the streamed changes, per job the phase (ledger.update),
// checkpoints and lag (checkpoint.go, stream.go), DDL (stream_ddl.go) and the outcome
// (Replicate). The loaded rows are the sink's own counters, read through sinkRuns.

// track gives a new Doris table its handle in the registry, before any copy or
// stream goroutine reads it.
func (e *engine) track(t *target) {
	t.stats = e.reg.Table(t.plan.Database, t.plan.Table)
}

// tableStats is the Doris table's handle in the registry.
func (e *engine) tableStats(t *target) *metrics.Table {
	if t.stats == nil {
		return e.reg.Table(t.plan.Database, t.plan.Table) // (every target is tracked)
	}
	return t.stats
}

// snapshotGauges sets a Doris table's snapshot gauges from the state, summed over the
// source tables that feed it (multi-to-one). Rows copied are set only when withRows (a
// pass's start): afterwards the copy adds rows as it writes them, ahead of the state,
// which counts the rows of finished chunks only. Call it with the ledger held.
func (e *engine) snapshotGauges(st *state.State, t *target, withRows bool) {
	var estimate, rows, chunks, chunksDone int64
	planned, done := false, len(t.routes) > 0
	for _, rt := range t.routes {
		tp := st.Snapshot[rt.key]
		if tp == nil || tp.Chunks == 0 {
			done = false
			continue
		}
		planned = true
		estimate += tp.TotalEstimate
		rows += tp.RowsCopied
		chunks += int64(tp.Chunks)
		chunksDone += int64(tp.ChunksDone())
		done = done && tp.Done
	}
	m := e.tableStats(t)
	m.RowsEstimated().Set(estimate)
	m.ChunksTotal().Set(chunks)
	m.ChunksDone().Set(chunksDone)
	m.SetSnapshotDone(planned && done)
	if withRows {
		m.RowsCopied().Set(rows)
	}
}

// sinkRuns shows the registry the Doris writers of one run as one: a re-snapshot after
// a lost position opens a second writer, and the run's numbers include what the first
// one loaded. It implements metrics.SinkStats.
type sinkRuns struct {
	mu      sync.Mutex
	retired []sink.TableStats // final counters of closed writers, summed per table
	cur     *sink.Writer
}

var _ metrics.SinkStats = (*sinkRuns)(nil)

// attach makes w the writer whose counters are read live.
func (s *sinkRuns) attach(w *sink.Writer) {
	s.mu.Lock()
	s.cur = w
	s.mu.Unlock()
}

// retire keeps the current writer's final counters (it is closed) and detaches it.
func (s *sinkRuns) retire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil {
		return
	}
	s.retired = addTableStats(s.retired, s.cur.Stats())
	s.cur = nil
}

// Stats implements metrics.SinkStats: every table's counters over the run's writers.
func (s *sinkRuns) Stats() []sink.TableStats {
	s.mu.Lock()
	retired, cur := s.retired, s.cur
	s.mu.Unlock()
	out := addTableStats(nil, retired)
	if cur != nil {
		out = addTableStats(out, cur.Stats())
	}
	return out
}

// MemoryStats implements metrics.SinkStats: the current writer's.
func (s *sinkRuns) MemoryStats() (inUse, peak, waits int64) {
	s.mu.Lock()
	cur := s.cur
	s.mu.Unlock()
	if cur == nil {
		return 0, 0, 0
	}
	return cur.MemoryStats()
}

// Err implements metrics.SinkStats: the current writer's failure.
func (s *sinkRuns) Err() error {
	s.mu.Lock()
	cur := s.cur
	s.mu.Unlock()
	if cur == nil {
		return nil
	}
	return cur.Err()
}

// addTableStats adds more into sum, table by table (a table new to sum is appended).
func addTableStats(sum, more []sink.TableStats) []sink.TableStats {
	for _, m := range more {
		i := 0
		for i < len(sum) && (sum[i].DB != m.DB || sum[i].Table != m.Table) {
			i++
		}
		if i == len(sum) {
			sum = append(sum, m)
			continue
		}
		s := &sum[i]
		s.Rows += m.Rows
		s.Bytes += m.Bytes
		s.Loads += m.Loads
		s.Retries += m.Retries
		s.Failures += m.Failures
		s.FilteredRows += m.FilteredRows
		s.DeletesIgnored += m.DeletesIgnored
		s.ReplaySkipped += m.ReplaySkipped
		s.PartialRows += m.PartialRows
		s.LoadTime += m.LoadTime
		s.MaxLoadTime = max(s.MaxLoadTime, m.MaxLoadTime)
		s.BufferedRows += m.BufferedRows
		s.BufferedBytes += m.BufferedBytes
	}
	return sum
}
