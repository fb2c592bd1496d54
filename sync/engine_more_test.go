package sync

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/schema"
	"github.com/doris-sync/doris-sync/state"
	"github.com/doris-sync/doris-sync/testkit/doris"
)

// A load Doris does not take must keep the checkpoint before its changes: the next
// run replays them.
func TestCheckpointNeverPassesUnloadedData(t *testing.T) {
	for _, fault := range []string{doris.FaultFail, doris.FaultTimeout} {
		t.Run(fault, func(t *testing.T) {
			db := shopDB()
			r := newEngineRig(t, db)
			r.mustRun()
			orders, events := db.id("orders"), db.id("events")
			db.commit(ins(events, int64(100), "before"))
			r.mustRun()
			if got := savedPosition(t, r.state()); got != 1 {
				t.Fatalf("checkpoint after the first change: want 1, got %d", got)
			}
			db.commit(ins(orders, int64(101), "lost?", nil))
			db.commit(ins(events, int64(102), "after"))
			r.doris.srv.InjectFault(doris.Fault{Match: doris.FaultMatch{Table: "orders"}, Action: fault, Count: 100})
			err := r.run(context.Background(), caughtUp, func(o *Options) {
				o.Sink.MaxRetries = 1
				o.Sink.ReadTimeout = 300 * time.Millisecond
			})
			if err == nil || !strings.Contains(err.Error(), "orders") {
				t.Fatalf("a load Doris keeps failing must fail the run naming the table, got %v", err)
			}
			st := r.state()
			if got := savedPosition(t, st); got != 1 {
				t.Fatalf("the checkpoint must stay before the transaction whose load failed (1), got %d", got)
			}
			if st.LastRun == nil || st.LastRun.OK || st.LastRun.ExitCode != 1 {
				t.Errorf("the failed run should be recorded, got %+v", st.LastRun)
			}
			r.doris.srv.ClearFaults()
			r.mustRun()
			r.sameRows("orders", "orders")
			r.sameRows("events", "events")
			if got := savedPosition(t, r.state()); got != 3 {
				t.Errorf("checkpoint after the replay: want 3, got %d", got)
			}
		})
	}
}

func TestMaxDurationStopsCleanly(t *testing.T) {
	db := shopDB()
	r := newEngineRig(t, db)
	start := time.Now()
	err := r.run(context.Background(), func(o *Options) { o.MaxDuration = 300 * time.Millisecond })
	if err != nil {
		t.Fatalf("--max-duration must end the run cleanly, got %v", err)
	}
	if time.Since(start) < 300*time.Millisecond {
		t.Errorf("the run ended before --max-duration without being caught up")
	}
	r.sameRows("orders", "orders")
	st := r.state()
	if st.Phase != state.PhaseStreaming || st.LastRun == nil || !st.LastRun.OK {
		t.Errorf("want a streaming job with a successful last run, got phase %s, run %+v", st.Phase, st.LastRun)
	}
	if !strings.Contains(r.summary.String(), "--max-duration reached") {
		t.Errorf("summary should name the reason: %s", r.summary.String())
	}
}

// Rows before and after each kind of ALTER land in the shape of their time.
func TestSchemaChangeBarrier(t *testing.T) {
	db := shopDB()
	r := newEngineRig(t, db)
	r.mustRun()
	orders := db.id("orders")
	v2 := keyedTable("src", "orders", textCol("note"), intCol("qty", true), textCol("extra"))
	v3 := keyedTable("src", "orders", textCol("memo"), intCol("qty", true), textCol("extra"))
	v4 := keyedTable("src", "orders", textCol("memo"), textCol("extra"))
	db.commit(ins(orders, int64(200), "old shape", int64(1)))
	db.commit(ddlChange(v2, "ALTER TABLE orders ADD COLUMN extra varchar(64)"))
	db.commit(ins(orders, int64(201), "new shape", int64(2), "x"))
	db.commit(upd(orders, []any{int64(1), "n1", int64(10), nil}, []any{int64(1), "n1", int64(10), "filled"}))
	db.commit(ddlChange(v3, "ALTER TABLE orders RENAME COLUMN note TO memo"))
	db.commit(ins(orders, int64(202), "renamed", int64(3), "y"))
	db.commit(ddlChange(v4, "ALTER TABLE orders DROP COLUMN qty"))
	db.commit(ins(orders, int64(203), "dropped", "z"))
	r.mustRun()
	r.sameRows("orders", "orders")
	desc := r.doris.desc(t, "dst", "orders")
	if _, ok := desc["qty"]; ok {
		t.Errorf("qty should be dropped in Doris: %v", desc)
	}
	if _, ok := desc["memo"]; !ok {
		t.Errorf("note should be renamed to memo in Doris: %v", desc)
	}
}

// A crash after Doris ran an ALTER and before the checkpoint after it replays the DDL:
// the replay must neither fail nor lose values (the state file is put back as it was
// before the DDL, which is what such a crash leaves).
func TestSchemaChangeReplayedAfterCrash(t *testing.T) {
	v2 := keyedTable("src", "orders", textCol("note"), intCol("qty", true), textCol("extra"))
	v3 := keyedTable("src", "orders", textCol("memo"), intCol("qty", true), textCol("extra"))
	v4 := keyedTable("src", "orders", textCol("memo"), textCol("extra"))
	steps := []struct {
		early []any // a row in the shape before the DDL
		shape *schema.Table
		ddl   string
		row   []any // a row in the shape after it
	}{
		{[]any{int64(1201), "before", int64(1)}, v2, "ALTER TABLE orders ADD COLUMN extra varchar(64)", []any{int64(201), "added", int64(2), "x"}},
		{[]any{int64(1202), "before", int64(1), "e"}, v3, "ALTER TABLE orders RENAME COLUMN note TO memo", []any{int64(202), "renamed", int64(3), "y"}},
		{[]any{int64(1203), "before", int64(1), "e"}, v4, "ALTER TABLE orders DROP COLUMN qty", []any{int64(203), "dropped", "z"}},
	}
	db := shopDB()
	r := newEngineRig(t, db)
	r.mustRun()
	orders := db.id("orders")
	for _, step := range steps {
		db.commit(ins(orders, step.early...))
		r.mustRun()
		before := r.stateFile()
		db.commit(ddlChange(step.shape, step.ddl))
		db.commit(ins(orders, step.row...))
		r.mustRun()
		r.sameRows("orders", "orders")
		r.putStateFile(before)
		r.mustRun()
		r.sameRows("orders", "orders")
	}
}

func (r *engineRig) stateFile() []byte {
	r.t.Helper()
	data, err := os.ReadFile(filepath.Join(r.stateDir, "job.json"))
	if err != nil {
		r.t.Fatal(err)
	}
	return data
}

func (r *engineRig) putStateFile(data []byte) {
	r.t.Helper()
	if err := os.WriteFile(filepath.Join(r.stateDir, "job.json"), data, 0o600); err != nil {
		r.t.Fatal(err)
	}
}

func TestSchemaChangeDorisCannotApplyStops(t *testing.T) {
	db := shopDB()
	r := newEngineRig(t, db)
	r.mustRun()
	newKey := keyedTable("src", "orders", textCol("note"), intCol("qty", true))
	newKey.PrimaryKey = []string{"id", "qty"}
	newKey.Columns[2].Nullable = false
	db.commit(ddlChange(newKey, "ALTER TABLE orders DROP PRIMARY KEY, ADD PRIMARY KEY (id, qty)"))
	err := r.run(context.Background(), caughtUp)
	if err == nil {
		t.Fatal("a key change Doris cannot apply must stop the job")
	}
	for _, want := range []string{"src.orders", "dst.orders", "ADD PRIMARY KEY (id, qty)", "primary key changed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error should name %q: %v", want, err)
		}
	}
	if got := savedPosition(t, r.state()); got != 0 {
		t.Errorf("the checkpoint must stay before the DDL, got %d", got)
	}
	// With the skip policy the job goes on, loudly.
	db.commit(ins(db.id("orders"), int64(300), "after", int64(1)))
	r.mustRun(func(o *Options) { o.OnDDLError = OnDDLErrorSkip })
	if !strings.Contains(r.logs.String(), "SKIPPED a source DDL") {
		t.Errorf("a skipped DDL must be logged loudly")
	}
	r.sameRows("orders", "orders")
}

func TestNewTableIsCreatedAndReplicated(t *testing.T) {
	db := shopDB()
	r := newEngineRig(t, db)
	r.mustRun()
	fresh := keyedTable("src", "fresh", textCol("v"))
	db.commit(ddlChange(fresh, "CREATE TABLE fresh (id bigint primary key, v varchar(64))"))
	db.commit(ins(fresh.ID, int64(1), "a"), ins(fresh.ID, int64(2), "b"))
	db.commit(upd(fresh.ID, []any{int64(1), "a"}, []any{int64(1), "a2"}))
	r.mustRun()
	r.sameRows("fresh", "fresh")
	// A restart rediscovers it and goes on.
	db.commit(del(fresh.ID, int64(2), "b"))
	r.mustRun()
	r.sameRows("fresh", "fresh")
}

// A copy of a table without a key that was interrupted after some of its rows were
// loaded starts over, so no row is doubled, even with rows added in between.
func TestInterruptedCopyOfTableWithoutKeyStartsOver(t *testing.T) {
	db := shopDB()
	for i := int64(8); i <= 300; i++ {
		db.seed("events", []any{i, "e"})
	}
	// The reader stops after 270 rows; the engine has got 256 of them by then.
	db.blockAfter = map[string]int{"events": 270}
	r := newEngineRig(t, db)
	small := func(o *Options) { o.Sink.FlushMaxRows = 50 }
	stop := r.background(small)
	waitFor(t, "part of the copy to be loaded", func() bool {
		rows, err := r.doris.srv.Dump("dst", "events")
		return err == nil && len(rows) >= 8
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if st := r.state(); st.Snapshot["src.events"] == nil || st.Snapshot["src.events"].Done {
		t.Fatalf("the copy of events should be unfinished")
	}
	db.blockAfter = nil
	db.commit(ins(db.id("events"), int64(301), "between runs"))
	db.commit(ins(db.id("orders"), int64(301), "between runs", nil))
	r.mustRun(small)
	r.sameRows("events", "events")
	r.sameRows("orders", "orders")
	if !strings.Contains(r.logs.String(), "copy it again from scratch") {
		t.Errorf("the restart of the copy should be logged")
	}
	db.commit(ins(db.id("events"), int64(302), "streamed"))
	r.mustRun(small)
	r.sameRows("events", "events")
}

func TestStartAtLatestOffsetCopiesNothing(t *testing.T) {
	db := shopDB()
	r := newEngineRig(t, db)
	latest := func(o *Options) { o.StartupMode = StartLatest }
	r.mustRun(latest)
	if rows := r.dorisRows("orders"); len(rows) != 0 {
		t.Fatalf("latest-offset must not copy existing rows, Doris has %d", len(rows))
	}
	db.commit(ins(db.id("orders"), int64(500), "new", nil), ins(db.id("events"), int64(500), "new"))
	r.mustRun(latest)
	if got := r.dorisRows("orders"); len(got) != 1 || !strings.Contains(got[0], "id=500;") {
		t.Errorf("want only the change after the start, got %v", got)
	}
	if got := r.dorisRows("events"); len(got) != 1 {
		t.Errorf("want only the change after the start, got %v", got)
	}
}
