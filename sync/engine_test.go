package sync

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/exitcode"
	"github.com/doris-sync/doris-sync/state"
)

// shopDB is a keyed table and a table without a key, with rows before the job starts.
func shopDB() *fakeDB {
	db := newFakeDB(
		keyedTable("src", "orders", textCol("note"), intCol("qty", true)),
		keylessTable("src", "events", intCol("a", true), textCol("b")),
	)
	for i := int64(1); i <= 10; i++ {
		db.seed("orders", []any{i, "n" + itoa(i), i * 10})
	}
	for i := int64(1); i <= 7; i++ {
		db.seed("events", []any{i, "e" + itoa(i)})
	}
	return db
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

func TestSnapshotAndStreamConverge(t *testing.T) {
	db := shopDB()
	r := newEngineRig(t, db)
	orders, events := db.id("orders"), db.id("events")
	// Changes before the start are in the snapshot.
	db.commit(upd(orders, []any{int64(2), "n2", int64(20)}, []any{int64(2), "changed", int64(21)}), del(orders, int64(3), "n3", int64(30)))

	stop := r.background()
	waitFor(t, "the snapshot to finish", func() bool { return r.phase() == state.PhaseStreaming })
	// Live changes: inserts, updates, deletes, a primary-key update, a multi-table
	// transaction.
	db.commit(ins(orders, int64(11), "new", int64(110)), ins(events, int64(8), "e8"))
	db.commit(upd(orders, []any{int64(1), "n1", int64(10)}, []any{int64(100), "moved", int64(10)}))
	db.commit(del(orders, int64(4), "n4", int64(40)))
	db.commit(upd(orders, []any{int64(5), "n5", int64(50)}, []any{int64(5), nil, nil}))
	db.commit(ins(events, int64(9), nil))
	waitFor(t, "the stream to be applied", func() bool {
		return strings.Join(r.dorisRows("orders"), "\n") == strings.Join(r.sourceRows("orders"), "\n") &&
			len(r.dorisRows("events")) == len(r.sourceRows("events"))
	})
	if err := stop(); err != nil {
		t.Fatalf("a stop by signal must end cleanly, got %v", err)
	}
	r.sameRows("orders", "orders")
	r.sameRows("events", "events")
	for _, row := range r.dorisRows("orders") {
		if strings.Contains(row, "id=1;") {
			t.Errorf("the primary-key update left the old key 1 in Doris: %s", row)
		}
	}
	st := r.state()
	if st.Phase != state.PhaseStreaming || savedPosition(t, st) != 6 {
		t.Errorf("after a clean stop the checkpoint should be at the last transaction (6), got phase %s position %d", st.Phase, savedPosition(t, st))
	}
	if st.LastRun == nil || !st.LastRun.OK || st.LastRun.Rows["dst.orders"] == 0 {
		t.Errorf("the run's outcome should be recorded with rows per table, got %+v", st.LastRun)
	}
	if !strings.Contains(r.summary.String(), "doris-sync: job job stopped after") {
		t.Errorf("summary line missing or wrong: %q", r.summary.String())
	}
	db.mu.Lock()
	acked := append([]uint64(nil), db.acked...)
	db.mu.Unlock()
	if len(acked) == 0 || acked[len(acked)-1] != 6 {
		t.Errorf("the source should have been told every checkpoint, last 6; got %v", acked)
	}
}

func TestMultiToOne(t *testing.T) {
	db := newFakeDB(
		keyedTable("src", "shard_1", textCol("v")),
		keyedTable("src", "shard_2", textCol("v")),
		keyedTable("src", "other", textCol("v")),
	)
	db.seed("shard_1", []any{int64(1), "a"}, []any{int64(2), "b"})
	db.seed("shard_2", []any{int64(10), "c"})
	db.seed("other", []any{int64(1), "x"})
	r := newEngineRig(t, db)
	r.naming.MultiToOneOrigin = "shard_.*"
	r.naming.MultiToOneTarget = "shards"
	r.mustRun()
	db.commit(ins(db.id("shard_2"), int64(11), "d"), upd(db.id("shard_1"), []any{int64(1), "a"}, []any{int64(1), "a2"}))
	db.commit(del(db.id("shard_1"), int64(2), "b"))
	r.mustRun()
	r.sameRows("shards", "shard_1", "shard_2")
	r.sameRows("other", "other")
}

func TestSecondRunOfTheSameJobFailsAtOnce(t *testing.T) {
	db := shopDB()
	r := newEngineRig(t, db)
	stop := r.background()
	waitFor(t, "the first run to stream", func() bool { return r.phase() == state.PhaseStreaming })
	err := r.run(context.Background(), caughtUp)
	if err == nil || !errors.Is(err, state.ErrLocked) || exitcode.Of(err) != exitcode.RuntimeError {
		t.Fatalf("a second run of a running job must fail at once with exit 1, got %v (exit %d)", err, exitcode.Of(err))
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

func TestPositionLostExits3(t *testing.T) {
	db := shopDB()
	r := newEngineRig(t, db)
	r.mustRun()
	db.commit(ins(db.id("orders"), int64(50), "x", nil))
	db.mu.Lock()
	db.purged = 5
	db.mu.Unlock()
	err := r.run(context.Background(), caughtUp)
	if exitcode.Of(err) != exitcode.PositionLostError {
		t.Fatalf("want exit 3 for a purged position, got %v", err)
	}
	for _, want := range []string{"--job-name", "job.json", "no longer available"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error should give the remedy (%q): %v", want, err)
		}
	}
}

func TestStopWhenCaughtUpAppliesEverything(t *testing.T) {
	db := shopDB()
	r := newEngineRig(t, db)
	r.mustRun()
	st := r.state()
	if st.Phase != state.PhaseStreaming || savedPosition(t, st) != 0 {
		t.Fatalf("after the first run: phase %s position %d", st.Phase, savedPosition(t, st))
	}
	r.sameRows("orders", "orders")
	r.sameRows("events", "events")
	for i := int64(0); i < 5; i++ {
		db.commit(ins(db.id("orders"), 20+i, "s", i), ins(db.id("events"), 20+i, "s"))
	}
	r.mustRun()
	r.sameRows("orders", "orders")
	r.sameRows("events", "events")
	if got := savedPosition(t, r.state()); got != 5 {
		t.Errorf("checkpoint after catching up: want 5, got %d", got)
	}
	if !strings.Contains(r.summary.String(), "caught up") {
		t.Errorf("summary should say the run caught up: %s", r.summary.String())
	}
	// Nothing new: the next run has nothing to do and ends at once.
	r.mustRun()
	r.sameRows("events", "events")
}
