package sink

import (
	"sync/atomic"
	"time"
)

// TableStats are one table's counters since the writer opened.
type TableStats struct {
	DB, Table      string
	Rows           int64         // rows durably loaded (delete rows included)
	Bytes          int64         // body bytes of those loads, before compression
	Loads          int64         // batches durably loaded
	Retries        int64         // re-sends of a batch (transient failures, RUNNING labels, lost 2PC transactions)
	Failures       int64         // load attempts that failed (transient or not)
	FilteredRows   int64         // rows Doris filtered within max_filter_ratio
	DeletesIgnored int64         // deletes that could not be applied (DUPLICATE table, or sink.enable-delete=false)
	ReplaySkipped  int64         // replayed changes dropped because the journal shows their batch loaded
	PartialRows    int64         // rows loaded as partial-column updates (the source left values out), among Rows
	LoadTime       time.Duration // total time from first send to confirmed load
	MaxLoadTime    time.Duration
	BufferedRows   int64 // rows waiting in memory (open, queued or in flight)
	BufferedBytes  int64
}

type tableCounters struct {
	rows, bytes, loads, retries, failures, filtered, deletesIgnored, replaySkipped, partialRows atomic.Int64
	loadNanos, maxLoadNanos                                                                     atomic.Int64
}

func (c *tableCounters) observeLoad(d time.Duration) {
	c.loadNanos.Add(int64(d))
	for {
		m := c.maxLoadNanos.Load()
		if int64(d) <= m || c.maxLoadNanos.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

func (t *tableState) snapshot() TableStats {
	c := &t.stats
	s := TableStats{
		DB: t.db, Table: t.name,
		Rows: c.rows.Load(), Bytes: c.bytes.Load(), Loads: c.loads.Load(), Retries: c.retries.Load(),
		Failures: c.failures.Load(), FilteredRows: c.filtered.Load(), DeletesIgnored: c.deletesIgnored.Load(),
		ReplaySkipped: c.replaySkipped.Load(), PartialRows: c.partialRows.Load(),
		LoadTime: time.Duration(c.loadNanos.Load()), MaxLoadTime: time.Duration(c.maxLoadNanos.Load()),
	}
	t.mu.Lock()
	for _, b := range t.pendingBatches() {
		s.BufferedRows += int64(b.rows)
		s.BufferedBytes += int64(b.size)
	}
	t.mu.Unlock()
	return s
}
