package metrics

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/sink"
	"github.com/doris-sync/doris-sync/state"
)

func TestCountersUnderConcurrency(t *testing.T) {
	r := New("j", nil)
	const workers, perWorker = 8, 2000
	var wg sync.WaitGroup
	stop := make(chan struct{})
	// A reader takes snapshots the whole time, as a scrape or a redraw would.
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			select {
			case <-stop:
				return
			default:
				_ = r.Snapshot()
			}
		}
	}()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			// Every worker looks the shared table up itself: all must get one handle.
			shared := r.Table("db", "shared")
			own := r.Table("db", fmt.Sprintf("t%d", w))
			for i := 0; i < perWorker; i++ {
				shared.Changes().Inc()
				shared.RowsCopied().Add(2)
				own.RowsCopied().Add(1)
				own.RowsEstimated().Set(int64(i))
				r.Checkpointed()
			}
		}(w)
	}
	wg.Wait()
	close(stop)
	<-readerDone

	s := r.Snapshot()
	if len(s.Tables) != workers+1 {
		t.Fatalf("%d tables, want %d", len(s.Tables), workers+1)
	}
	for _, ts := range s.Tables {
		switch ts.Table {
		case "shared":
			if ts.Changes != workers*perWorker || ts.RowsCopied != 2*workers*perWorker {
				t.Errorf("shared table: changes %d rows %d, want %d and %d", ts.Changes, ts.RowsCopied, workers*perWorker, 2*workers*perWorker)
			}
		default:
			if ts.RowsCopied != perWorker || ts.RowsEstimated != perWorker-1 {
				t.Errorf("table %s: rows %d estimate %d, want %d and %d", ts.Table, ts.RowsCopied, ts.RowsEstimated, perWorker, perWorker-1)
			}
		}
	}
	if s.Checkpoints != workers*perWorker {
		t.Errorf("checkpoints %d, want %d", s.Checkpoints, workers*perWorker)
	}
}

func TestTableHandleIsStable(t *testing.T) {
	r := New("j", nil)
	a := r.Table("db", "t")
	if b := r.Table("db", "t"); a != b {
		t.Fatal("a second lookup of one table returned another handle")
	}
	if c := r.Table("db2", "t"); c == a {
		t.Fatal("tables of two databases share a handle")
	}
}

func TestGaugeGoesBothWays(t *testing.T) {
	var g Gauge
	g.Set(10)
	g.Add(-3)
	if g.Value() != 7 {
		t.Fatalf("gauge %d, want 7", g.Value())
	}
}

func TestNilRegistryDoesNothing(t *testing.T) {
	var r *Registry
	tb := r.Table("db", "t")
	tb.RowsCopied().Add(5)
	tb.RowsEstimated().Set(5)
	tb.ChunksDone().Add(1)
	tb.ChunksTotal().Set(1)
	tb.Changes().Inc()
	tb.SetSnapshotDone(true)
	r.SetPhase(state.PhaseStreaming)
	r.SetLag(time.Second)
	r.ObserveLoaded(time.Now())
	r.Checkpointed()
	r.DDLApplied()
	r.RecordError(errors.New("x"))
	r.ClearError()
	r.AttachSink(&fakeSink{})
	r.Finish(nil)
	if tb.Changes().Value() != 0 || tb.RowsCopied().Value() != 0 {
		t.Fatal("a nil table counted")
	}
	if s := r.Snapshot(); len(s.Tables) != 0 || s.Job != "" {
		t.Fatalf("nil registry snapshot %+v", s)
	}
	if r.Health() == nil {
		t.Fatal("a nil registry reports healthy")
	}
}

func TestSnapshotJoinsEngineAndSinkByTable(t *testing.T) {
	c := newClock(t0)
	r := New("j", c.now)
	r.Table("ods", "orders").RowsCopied().Set(100)
	r.Table("ods", "only_engine").Changes().Add(3)
	fs := &fakeSink{
		stats: []sink.TableStats{
			{DB: "ods", Table: "orders", Rows: 90, Loads: 2, Retries: 1, Failures: 1},
			{DB: "ods", Table: "only_sink", Rows: 7, Loads: 1},
		},
		inUse: 10, peak: 20, waits: 1,
	}
	r.AttachSink(fs)
	s := r.Snapshot()
	if len(s.Tables) != 3 {
		t.Fatalf("tables %+v, want orders, only_engine, only_sink", s.Tables)
	}
	want := []struct {
		name        string
		fed, inSink bool
		copied      int64
		loaded      int64
	}{
		{"only_engine", true, false, 0, 0},
		{"only_sink", false, true, 0, 7},
		{"orders", true, true, 100, 90},
	}
	for i, w := range want {
		ts := s.Tables[i]
		if ts.Table != w.name || ts.Fed != w.fed || ts.InSink != w.inSink || ts.RowsCopied != w.copied || ts.Sink.Rows != w.loaded {
			t.Errorf("table %d = %+v, want %+v", i, ts, w)
		}
	}
	tot := s.Totals()
	if tot.RowsLoaded != 97 || tot.Loads != 3 || tot.Retries != 1 || tot.Failures != 1 || tot.Changes != 3 {
		t.Errorf("totals %+v", tot)
	}
	if !s.SinkAttached || s.MemInUse != 10 || s.MemPeak != 20 || s.MemWait != 1 {
		t.Errorf("memory %d/%d/%d attached %v", s.MemInUse, s.MemPeak, s.MemWait, s.SinkAttached)
	}
	// Pulled at each snapshot, never copied: a second snapshot asks the sink again.
	calls := fs.statsCalls
	fs.mu.Lock()
	fs.stats[0].Rows = 95
	fs.mu.Unlock()
	if s2 := r.Snapshot(); fs.statsCalls != calls+1 || s2.Tables[2].Sink.Rows != 95 {
		t.Errorf("second snapshot did not read the sink again: calls %d→%d, rows %d", calls, fs.statsCalls, s2.Tables[2].Sink.Rows)
	}
}

func TestHealth(t *testing.T) {
	r := New("j", nil)
	if err := r.Health(); err != nil {
		t.Fatalf("a fresh running job is unhealthy: %v", err)
	}
	fs := &fakeSink{}
	r.AttachSink(fs)
	fs.setErr(sink.ErrClosed)
	if err := r.Health(); err != nil {
		t.Fatalf("a closed sink (shutdown) made the job unhealthy: %v", err)
	}
	loadErr := errors.New("load ods.t label l: Doris rejected the load: too many filtered rows")
	fs.setErr(loadErr)
	if err := r.Health(); err != loadErr {
		t.Fatalf("health %v, want the sink's error", err)
	}
	fs.setErr(nil)

	boom := errors.New("boom")
	r.RecordError(boom)
	if err := r.Health(); err != boom {
		t.Fatalf("health %v, want boom", err)
	}
	r.ClearError()
	if err := r.Health(); err != nil {
		t.Fatalf("health after ClearError: %v", err)
	}
	if r.Snapshot().Errors != 1 {
		t.Fatal("RecordError was not counted")
	}

	r.Finish(boom)
	if err := r.Health(); err != boom {
		t.Fatalf("health after a failed run %v, want boom", err)
	}
	if n := r.Snapshot().Errors; n != 2 {
		t.Fatalf("errors %d, want 2 (Finish counts an error not recorded since)", n)
	}
	r.Finish(boom)
	if n := r.Snapshot().Errors; n != 2 {
		t.Fatalf("errors %d after finishing twice with the same error, want 2", n)
	}

	ok := New("j", nil)
	ok.Finish(nil)
	if err := ok.Health(); err == nil || err.Error() != "the job is not running" {
		t.Fatalf("health of a finished run %v", err)
	}
}

func TestLagAndCheckpointTimes(t *testing.T) {
	c := newClock(t0)
	r := New("j", c.now)
	if r.Snapshot().LagKnown {
		t.Fatal("lag known before it was measured")
	}
	c.advance(5 * time.Second)
	r.ObserveLoaded(t0.Add(3 * time.Second))
	s := r.Snapshot()
	if !s.LagKnown || s.Lag != 2*time.Second {
		t.Fatalf("lag %v known %v, want 2s", s.Lag, s.LagKnown)
	}
	r.SetLag(-time.Second) // clocks of source and here disagree
	if s := r.Snapshot(); s.Lag != 0 || !s.LagKnown {
		t.Fatalf("negative lag kept as %v", s.Lag)
	}
	r.Checkpointed()
	if s := r.Snapshot(); !s.LastCheckpoint.Equal(t0.Add(5 * time.Second)) {
		t.Fatalf("last checkpoint %v", s.LastCheckpoint)
	}
}

func TestCounterIncrementDoesNotAllocate(t *testing.T) {
	r := New("j", nil)
	c := r.Table("db", "t").Changes()
	if n := testing.AllocsPerRun(1000, func() { c.Add(1) }); n != 0 {
		t.Fatalf("Counter.Add allocates %.1f times", n)
	}
	g := r.Table("db", "t").RowsCopied()
	if n := testing.AllocsPerRun(1000, func() { g.Add(1) }); n != 0 {
		t.Fatalf("Gauge.Add allocates %.1f times", n)
	}
	if n := testing.AllocsPerRun(1000, func() { r.Table("db", "t").Changes().Inc() }); n != 0 {
		t.Fatalf("looking a known table up allocates %.1f times", n)
	}
}

func BenchmarkCounterAdd(b *testing.B) {
	c := New("j", nil).Table("db", "t").Changes()
	b.ReportAllocs()
	for b.Loop() {
		c.Add(1)
	}
}

func BenchmarkCounterAddParallel(b *testing.B) {
	c := New("j", nil).Table("db", "t").Changes()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Add(1)
		}
	})
}

func BenchmarkTableLookup(b *testing.B) {
	r := New("j", nil)
	r.Table("db", "t")
	b.ReportAllocs()
	for b.Loop() {
		r.Table("db", "t").Changes().Inc()
	}
}
