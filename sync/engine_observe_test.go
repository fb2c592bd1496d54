package sync

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/exitcode"
	"github.com/doris-sync/doris-sync/state"
	"github.com/doris-sync/doris-sync/sync/metrics"
)

// observedBy makes a run feed reg.
func observedBy(reg *metrics.Registry) func(*Options) {
	return func(o *Options) { o.Metrics = reg }
}

func tableNumbers(t *testing.T, s metrics.Snapshot, table string) metrics.TableSnapshot {
	t.Helper()
	for _, ts := range s.Tables {
		if ts.DB == "dst" && ts.Table == table {
			return ts
		}
	}
	t.Fatalf("the registry has no numbers of dst.%s: %+v", table, s.Tables)
	return metrics.TableSnapshot{}
}

// summaryLines counts the end-of-run lines written so far.
func summaryLines(s string) int { return strings.Count(s, "doris-sync: job job ") }

func TestMetricsFollowSnapshotAndStream(t *testing.T) {
	db := shopDB()
	r := newEngineRig(t, db)
	reg := metrics.New("job", nil)
	r.mustRun(observedBy(reg))

	s := reg.Snapshot()
	orders, events := tableNumbers(t, s, "orders"), tableNumbers(t, s, "events")
	// orders: 10 rows cut every 3 keys (4 chunks, plus the engine's chunk before the
	// first bound); events: no key, one chunk.
	if orders.RowsCopied != 10 || orders.RowsEstimated != 10 || !orders.SnapshotDone || orders.ChunksDone != orders.ChunksTotal || orders.ChunksTotal < 4 {
		t.Errorf("orders after the copy: %+v", orders)
	}
	if events.RowsCopied != 7 || events.RowsEstimated != 7 || !events.SnapshotDone || events.ChunksDone != 1 || events.ChunksTotal != 1 {
		t.Errorf("events after the copy: %+v", events)
	}
	if orders.Sink.Rows != 10 || events.Sink.Rows != 7 {
		t.Errorf("rows loaded: orders %d, events %d; want 10 and 7", orders.Sink.Rows, events.Sink.Rows)
	}
	if s.Phase != state.PhaseStreaming || s.Running || s.Health == nil {
		t.Errorf("after a finished run: phase %s, running %v, health %v", s.Phase, s.Running, s.Health)
	}
	if s.Errors != 0 {
		t.Errorf("a clean run counts no error, got %d", s.Errors)
	}

	// The next run: the copy's numbers come from the state, the stream's are its own.
	oid, eid := db.id("orders"), db.id("events")
	db.commit(ins(oid, int64(11), "new", int64(1)), ins(eid, int64(8), "e8"))
	db.commit(upd(oid, []any{int64(2), "n2", int64(20)}, []any{int64(2), "two", int64(20)}))
	db.commit(del(oid, int64(4), "n4", int64(40)))
	reg = metrics.New("job", nil)
	r.mustRun(observedBy(reg))
	s = reg.Snapshot()
	orders, events = tableNumbers(t, s, "orders"), tableNumbers(t, s, "events")
	if orders.RowsCopied != 10 || !orders.SnapshotDone || events.RowsCopied != 7 || !events.SnapshotDone {
		t.Errorf("snapshot numbers must be seeded from the state on resume: orders %+v, events %+v", orders, events)
	}
	if orders.Changes != 3 || events.Changes != 1 {
		t.Errorf("changes streamed: orders %d, events %d; want 3 and 1", orders.Changes, events.Changes)
	}
	if orders.Sink.Rows != 3 || events.Sink.Rows != 1 {
		t.Errorf("rows loaded by the second run: orders %d, events %d; want 3 and 1", orders.Sink.Rows, events.Sink.Rows)
	}
	if s.Checkpoints == 0 || s.LastCheckpoint.IsZero() {
		t.Errorf("the stream's checkpoints must be counted: %d, last %v", s.Checkpoints, s.LastCheckpoint)
	}
	if s.Phase != state.PhaseStreaming {
		t.Errorf("phase %s, want streaming", s.Phase)
	}
	r.sameRows("orders", "orders")

	if n := summaryLines(r.summary.String()); n != 2 {
		t.Fatalf("two runs must write exactly two summary lines, got %d:\n%s", n, r.summary.String())
	}
	last := lastLines(r.summary.String(), 1)
	for _, want := range []string{"doris-sync: job job caught up after ", "2 tables, 4 rows loaded in ", "17 rows copied, 4 changes streamed, 0 DDL, ", "0 errors"} {
		if !strings.Contains(last, want) {
			t.Errorf("summary %q lacks %q", last, want)
		}
	}
}

func TestMetricsCountDDLPhaseAndFailure(t *testing.T) {
	db := shopDB()
	r := newEngineRig(t, db)
	r.mustRun()
	v2 := keyedTable("src", "orders", textCol("note"), intCol("qty", true), textCol("extra"))
	db.commit(ddlChange(v2, "ALTER TABLE orders ADD COLUMN extra varchar(64)"))
	reg := metrics.New("job", nil)
	r.mustRun(observedBy(reg))
	if s := reg.Snapshot(); s.DDL != 1 {
		t.Errorf("one source DDL applied, the registry counted %d", s.DDL)
	}

	db.commit(ins(db.id("orders"), int64(60), "x", nil, nil))
	db.mu.Lock()
	db.purged = 2
	db.mu.Unlock()
	reg = metrics.New("job", nil)
	err := r.run(context.Background(), caughtUp, observedBy(reg))
	if exitcode.Of(err) != exitcode.PositionLostError {
		t.Fatalf("want exit 3, got %v", err)
	}
	s := reg.Snapshot()
	if s.Errors != 1 || s.Running || s.Health == nil || !strings.Contains(s.Health.Error(), "cannot resume") {
		t.Errorf("a failed run: errors %d, running %v, health %v", s.Errors, s.Running, s.Health)
	}
	if last := lastLines(r.summary.String(), 1); !strings.HasPrefix(last, "doris-sync: job job FAILED (exit 3) after ") || !strings.Contains(last, "1 error") {
		t.Errorf("the failed run's summary: %q", last)
	}
}

// The lag is the time since the newest checkpointed transaction was committed.
func TestLagFromCommitTimes(t *testing.T) {
	db := shopDB()
	r := newEngineRig(t, db)
	r.mustRun()
	now := time.Date(2026, 5, 4, 2, 0, 0, 0, time.UTC)
	oid := db.id("orders")
	older, newer := ins(oid, int64(70), "a", nil), ins(oid, int64(71), "b", nil)
	older.CommitTime, newer.CommitTime = now.Add(-90*time.Second), now.Add(-30*time.Second)
	unknown := ins(oid, int64(72), "c", nil) // a source that gave no time: the lag stays measured by the others
	db.commit(older)
	db.commit(newer)
	db.commit(unknown)
	reg := metrics.New("job", func() time.Time { return now })
	// No checkpoint tick during the run (the interval is long): the lag comes from the
	// checkpoint the run ends with.
	r.mustRun(observedBy(reg), func(o *Options) { o.CheckpointInterval = time.Hour })
	s := reg.Snapshot()
	if !s.LagKnown || s.Lag != 30*time.Second {
		t.Fatalf("lag = %v (known %v), want 30s: the newest checkpointed transaction committed 30 s ago", s.Lag, s.LagKnown)
	}
	if last := lastLines(r.summary.String(), 1); !strings.Contains(last, ", lag 30") {
		t.Errorf("the summary should give the lag: %q", last)
	}
	// The state keeps it for `status`: the newest checkpointed commit time and when.
	st, err := loadStateFile(r.stateDir, "job")
	if err != nil {
		t.Fatal(err)
	}
	if !st.SourceTime.Equal(now.Add(-30 * time.Second)) {
		t.Errorf("saved source time %v, want %v", st.SourceTime, now.Add(-30*time.Second))
	}
	if st.CheckpointTime.IsZero() || st.CheckpointTime.Before(st.Updated.Add(-time.Minute)) {
		t.Errorf("saved checkpoint time %v (state updated %v)", st.CheckpointTime, st.Updated)
	}
}

// An idle source whose every change is checkpointed has no lag, however long ago its
// last transaction committed.
func TestLagIsZeroWhenIdleAndCaughtUp(t *testing.T) {
	db := shopDB()
	r := newEngineRig(t, db)
	r.mustRun()
	old := ins(db.id("orders"), int64(80), "old", nil)
	old.CommitTime = time.Now().Add(-time.Hour)
	db.commit(old)
	reg := metrics.New("job", nil)
	stop := r.background(observedBy(reg))
	waitFor(t, "the hour-old transaction to be checkpointed", func() bool {
		st, err := loadStateFile(r.stateDir, "job")
		return err == nil && st.Position != nil && savedPosition(t, st) == 1
	})
	waitFor(t, "the lag of the idle, caught-up stream to be 0", func() bool {
		s := reg.Snapshot()
		return s.LagKnown && s.Lag == 0
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	r.sameRows("orders", "orders")
}

// lostPosition makes the changes before the source's current position unavailable, as
// a purged binlog or a dropped slot does.
func lostPosition(db *fakeDB) {
	db.mu.Lock()
	db.purged = uint64(db.visible())
	db.mu.Unlock()
}

func resnapshot(o *Options) { o.OnPositionLost = OnPositionLostResnapshot }

func TestPositionLostStopsWithTheRemedy(t *testing.T) {
	db := shopDB()
	r := newEngineRig(t, db)
	r.mustRun()
	db.commit(ins(db.id("orders"), int64(50), "x", nil))
	db.commit(ins(db.id("orders"), int64(51), "y", nil))
	lostPosition(db)
	before := r.state()
	err := r.run(context.Background(), caughtUp)
	if exitcode.Of(err) != exitcode.PositionLostError {
		t.Fatalf("want exit 3 for a lost position, got %v", err)
	}
	if !strings.Contains(err.Error(), "--on-position-lost=resnapshot") {
		t.Errorf("the remedy should name --on-position-lost=resnapshot: %v", err)
	}
	after := r.state()
	if after.Epoch != before.Epoch || string(after.Position) != string(before.Position) || after.Phase != state.PhaseStreaming {
		t.Errorf("stop must leave the state as it was: epoch %s→%s, position %s→%s, phase %s",
			before.Epoch, after.Epoch, before.Position, after.Position, after.Phase)
	}
	if strings.Contains(r.logs.String(), "TRUNCATE") {
		t.Errorf("stop must not touch the Doris tables:\n%s", r.logs.String())
	}
}

// With resnapshot, a lost position starts a new copy at once: a table without a key
// is emptied and copied once, a keyed table is upserted without being emptied, and the
// new copy's labels cannot meet the previous epoch's in Doris.
func TestPositionLostResnapshotConverges(t *testing.T) {
	db := shopDB()
	r := newEngineRig(t, db)
	r.mustRun()
	before := r.state()
	oid, eid := db.id("orders"), db.id("events")
	// The changes lost with the position. events keeps its size, so with the old
	// epoch and numbering its new copy would carry the label of its first copy, which
	// Doris would refuse as already loaded — leaving the emptied table empty.
	db.commit(ins(oid, int64(50), "lost insert", nil))
	db.commit(upd(oid, []any{int64(2), "n2", int64(20)}, []any{int64(2), "lost update", int64(20)}))
	db.commit(del(oid, int64(3), "n3", int64(30)))
	db.commit(upd(eid, []any{int64(1), "e1"}, []any{int64(1), "e1 changed"}))
	lostPosition(db)

	reg := metrics.New("job", nil)
	if err := r.run(context.Background(), caughtUp, resnapshot, observedBy(reg)); err != nil {
		t.Fatalf("a lost position with resnapshot must recover, got %v\n%s", err, lastLines(r.logs.String(), 30))
	}
	r.sameRows("events", "events") // emptied, then copied once: no duplicates
	// orders: every source row, upserted; the row deleted while the position was lost
	// stays, which shows the table was not emptied.
	got, want := r.dorisRows("orders"), r.sourceRows("orders")
	deleted := "id=3;note=n3;qty=30;"
	if len(got) != len(want)+1 || !strings.Contains(strings.Join(got, "\n"), deleted) {
		t.Fatalf("orders should hold the source's %d rows and the row deleted upstream (%s), got %d:\n%s", len(want), deleted, len(got), strings.Join(got, "\n"))
	}
	for _, w := range want {
		if !strings.Contains(strings.Join(got, "\n")+"\n", w+"\n") {
			t.Errorf("orders lacks the source row %s", w)
		}
	}
	logs := r.logs.String()
	for _, w := range []string{"POSITION LOST", "emptying a table without a key", "table=dst.events", "keyed table kept", "table=dst.orders"} {
		if !strings.Contains(logs, w) {
			t.Errorf("the log should say %q:\n%s", w, lastLines(logs, 30))
		}
	}
	after := r.state()
	if after.Epoch == before.Epoch || after.Phase != state.PhaseStreaming || savedPosition(t, after) != 4 || len(after.Loads) != 0 {
		t.Errorf("after the re-snapshot: epoch %s (was %s), phase %s, position %d (want 4), loads %d",
			after.Epoch, before.Epoch, after.Phase, savedPosition(t, after), len(after.Loads))
	}
	if after.LastRun == nil || !after.LastRun.OK || after.Job == nil || before.Job == nil || after.Job.SourceKind != before.Job.SourceKind {
		t.Errorf("the run is recorded as a success of the same job: %+v, job %+v", after.LastRun, after.Job)
	}
	s := reg.Snapshot()
	if ev := tableNumbers(t, s, "events"); ev.RowsCopied != 7 || !ev.SnapshotDone {
		t.Errorf("the new copy's numbers: %+v", ev)
	}
	if n := summaryLines(r.summary.String()); n != 2 {
		t.Errorf("two runs, two summary lines; got %d:\n%s", n, r.summary.String())
	}

	// The job streams on from the new copy.
	db.commit(ins(eid, int64(9), "after"), del(oid, int64(5), "n5", int64(50)))
	r.mustRun()
	r.sameRows("events", "events")
	if got := r.dorisRows("orders"); len(got) != len(r.sourceRows("orders"))+1 {
		t.Errorf("orders after streaming on: %d rows, want the source's %d and the lost delete", len(got), len(r.sourceRows("orders")))
	}
}
