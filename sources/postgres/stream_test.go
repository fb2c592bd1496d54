package postgres

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/exitcode"
	"github.com/doris-sync/doris-sync/schema"
)

// checkTransactions checks positions increase and that exactly the last change of
// each transaction (a run of equal commit LSNs) carries the end LSN.
func checkTransactions(t *testing.T, changes []schema.Change) {
	t.Helper()
	for i, c := range changes {
		p := c.Position.(Position)
		last := i == len(changes)-1 || changes[i+1].Position.(Position).Commit != p.Commit
		if _, end := p.Boundary(); end != last {
			t.Errorf("change %d (%s at %v): end marker %v, want %v%s", i, c.Op, p, end, last, describe(changes))
		}
		if i > 0 {
			if order, _ := changes[i-1].Position.Compare(p); order > 0 || order == 0 && c.Op != schema.OpDDL {
				t.Errorf("change %d at %v does not come after %v", i, p, changes[i-1].Position)
			}
		}
	}
}

func TestStreamKeyUpdateDeleteTruncate(t *testing.T) {
	e := newReplEnv(t, "CREATE TABLE kv (id integer PRIMARY KEY, v text)")
	tables := e.tables("kv")
	e.publish(tables)
	run := startStream(t, e.repl, StreamOptions{Tables: tables}, e.createSlot(), 0)
	written := time.Now()
	e.exec(
		"INSERT INTO kv VALUES (1, 'a'), (2, 'b')",
		"UPDATE kv SET id = 10 WHERE id = 1",
		"UPDATE kv SET v = 'c' WHERE id = 2",
		"DELETE FROM kv WHERE id = 2",
		"TRUNCATE kv",
		"INSERT INTO kv VALUES (5, 'e')",
	)
	changes := run.next(t, 7)
	want := []struct {
		op            schema.Op
		before, after []any
	}{
		{schema.OpInsert, nil, []any{int64(1), "a"}},
		{schema.OpInsert, nil, []any{int64(2), "b"}},
		{schema.OpUpdate, []any{int64(1), nil}, []any{int64(10), "a"}}, // the old key, under REPLICA IDENTITY DEFAULT
		{schema.OpUpdate, nil, []any{int64(2), "c"}},
		{schema.OpDelete, []any{int64(2), nil}, nil},
		{schema.OpTruncate, nil, nil},
		{schema.OpInsert, nil, []any{int64(5), "e"}},
	}
	for i, w := range want {
		c := changes[i]
		if c.Op != w.op || c.Table != tables[0].ID || !reflect.DeepEqual(c.Before, w.before) || !reflect.DeepEqual(c.After, w.after) {
			t.Errorf("change %d: got %s before=%#v after=%#v, want %s before=%#v after=%#v", i, c.Op, c.Before, c.After, w.op, w.before, w.after)
		}
		// The transaction's commit timestamp (same clock: the server runs here).
		if c.CommitTime.Before(written.Add(-time.Millisecond)) || c.CommitTime.After(time.Now()) {
			t.Errorf("change %d: commit time %v, want the moment it was committed (from %v)", i, c.CommitTime, written)
		}
	}
	if !changes[0].CommitTime.Equal(changes[1].CommitTime) {
		t.Errorf("the changes of one transaction carry its one commit time: %v, %v", changes[0].CommitTime, changes[1].CommitTime)
	}
	checkTransactions(t, changes)
}

func TestStreamUnchangedToastIsAMarker(t *testing.T) {
	big := "repeat('0123456789abcdef', 8192)" // 128 KiB, stored out of line
	e := newReplEnv(t,
		"CREATE TABLE doc (id integer PRIMARY KEY, title text, body text)",
		"CREATE TABLE docfull (id integer PRIMARY KEY, title text, body text)",
		"ALTER TABLE docfull REPLICA IDENTITY FULL",
		"ALTER TABLE doc ALTER COLUMN body SET STORAGE EXTERNAL",
		"ALTER TABLE docfull ALTER COLUMN body SET STORAGE EXTERNAL",
		"INSERT INTO doc VALUES (1, 'old', "+big+")",
		"INSERT INTO docfull VALUES (1, 'old', "+big+")",
	)
	tables := e.tables("doc", "docfull")
	e.publish(tables)
	snap := e.createSlot()
	sr, err := snap.OpenReader(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer sr.Close()
	want := strings.Repeat("0123456789abcdef", 8192)
	if rows := readAll(t, sr, tables[0], 100); len(rows) != 1 || rows[0][2] != want {
		t.Fatalf("snapshot of doc: %d rows, want the whole body", len(rows))
	}
	run := startStream(t, e.repl, StreamOptions{Tables: tables}, snap, 0)
	e.exec("UPDATE doc SET title = 'new' WHERE id = 1", "UPDATE docfull SET title = 'new' WHERE id = 1", "UPDATE doc SET body = 'short' WHERE id = 1")
	changes := run.next(t, 3)
	if c := changes[0]; c.Op != schema.OpUpdate || !reflect.DeepEqual(c.After, []any{int64(1), "new", schema.Unchanged}) {
		t.Errorf("update leaving the TOASTed body alone: got %#v, want the Unchanged marker for body", c.After)
	}
	if c := changes[1]; c.After[2] != want || c.After[1] != "new" || c.Before[2] != want {
		t.Errorf("REPLICA IDENTITY FULL: the unchanged body must come from the old row; got title %v, body of %T", c.After[1], c.After[2])
	}
	if c := changes[2]; !reflect.DeepEqual(c.After, []any{int64(1), "new", "short"}) {
		t.Errorf("update of the body: got %#v", c.After)
	}
}

func TestStreamAddDropAndRetypeColumns(t *testing.T) {
	e := newReplEnv(t, "CREATE TABLE evo (id integer PRIMARY KEY, a text, b integer)")
	tables := e.tables("evo")
	e.publish(tables)
	run := startStream(t, e.repl, StreamOptions{Tables: tables}, e.createSlot(), 0)
	e.exec(
		"INSERT INTO evo VALUES (1, 'x', 1)",
		"ALTER TABLE evo ADD COLUMN c numeric(10,2) DEFAULT 1.5",
		"INSERT INTO evo VALUES (2, 'y', 2, 3.25)",
		"ALTER TABLE evo DROP COLUMN b",
		"INSERT INTO evo VALUES (3, 'z', 4.5)",
		"ALTER TABLE evo ALTER COLUMN a TYPE varchar(20)",
		"INSERT INTO evo VALUES (4, 'w', 1)",
	)
	changes := run.next(t, 7)
	columns := func(tb *schema.Table) string {
		var s []string
		for _, c := range tb.Columns {
			s = append(s, c.Name+" "+c.TypeText)
		}
		return strings.Join(s, ", ")
	}
	steps := []struct {
		op      schema.Op
		after   []any
		columns string
		ddl     string
	}{
		{op: schema.OpInsert, after: []any{int64(1), "x", int64(1)}},
		{op: schema.OpDDL, columns: "id integer, a text, b integer, c numeric(10,2)", ddl: `ALTER TABLE "public"."evo" ADD COLUMN "c" numeric(10,2)`},
		{op: schema.OpInsert, after: []any{int64(2), "y", int64(2), schema.Decimal("3.25")}},
		{op: schema.OpDDL, columns: "id integer, a text, c numeric(10,2)", ddl: `ALTER TABLE "public"."evo" DROP COLUMN "b"`},
		{op: schema.OpInsert, after: []any{int64(3), "z", schema.Decimal("4.50")}},
		{op: schema.OpDDL, columns: "id integer, a character varying(20), c numeric(10,2)", ddl: `ALTER TABLE "public"."evo" ALTER COLUMN "a" TYPE character varying(20)`},
		{op: schema.OpInsert, after: []any{int64(4), "w", schema.Decimal("1.00")}},
	}
	for i, s := range steps {
		c := changes[i]
		if c.Op != s.op {
			t.Fatalf("change %d: %s, want %s%s", i, c.Op, s.op, describe(changes))
		}
		if s.op == schema.OpDDL {
			if c.NewSchema == nil || columns(c.NewSchema) != s.columns || c.DDL != s.ddl {
				t.Errorf("change %d: DDL %q with columns %q, want %q with %q", i, c.DDL, columns(c.NewSchema), s.ddl, s.columns)
			}
			if c.NewSchema != nil && !reflect.DeepEqual(c.NewSchema.PrimaryKey, []string{"id"}) {
				t.Errorf("change %d: primary key %v", i, c.NewSchema.PrimaryKey)
			}
			continue
		}
		if !reflect.DeepEqual(c.After, s.after) {
			t.Errorf("change %d: got %#v, want %#v", i, c.After, s.after)
		}
	}
	if ddl := changes[1].NewSchema; ddl != nil {
		c := ddl.Columns[3]
		if !c.Nullable || c.Default == nil || c.Default.Value != "1.5" || c.Type.Name != "numeric" || c.Type.Precision != 10 {
			t.Errorf("the added column as the catalog describes it: %+v", c)
		}
	}
}

func TestStreamPartitionedTableArrivesUnderItsRoot(t *testing.T) {
	e := newReplEnv(t,
		"CREATE TABLE meas (id integer, at date, v integer, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)",
		"CREATE TABLE meas_2024 PARTITION OF meas FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
		"CREATE TABLE meas_2025 PARTITION OF meas FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
	)
	tables := e.tables("meas")
	e.publish(tables)
	run := startStream(t, e.repl, StreamOptions{Tables: tables}, e.createSlot(), 0)
	e.exec(
		"INSERT INTO meas VALUES (1, '2024-05-01', 10), (2, '2025-05-01', 20)",
		"INSERT INTO meas_2025 VALUES (3, '2025-06-01', 30)",
		"UPDATE meas SET at = '2025-05-01' WHERE id = 1", // moves the row to the other partition
		"TRUNCATE meas",
	)
	changes := run.next(t, 6)
	ops := []schema.Op{schema.OpInsert, schema.OpInsert, schema.OpInsert, schema.OpDelete, schema.OpInsert, schema.OpTruncate}
	for i, c := range changes {
		if c.Table != tables[0].ID || c.Op != ops[i] {
			t.Errorf("change %d: %s of %s, want %s of the root %s", i, c.Op, c.Table, ops[i], tables[0].ID)
		}
	}
	if got := changes[2].After; !reflect.DeepEqual(got, []any{int64(3), time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), int64(30)}) {
		t.Errorf("a row written to the partition directly: %#v", got)
	}
}

// TestStreamConfirmsOnlyAckedPositions: the slot's confirmed_flush_lsn follows Ack and
// nothing else, so a restart sees every unacknowledged change again, at the same
// positions; a checkpoint behind what the slot confirmed is a lost position.
func TestStreamConfirmsOnlyAckedPositions(t *testing.T) {
	e := newReplEnv(t, "CREATE TABLE acks (id integer PRIMARY KEY)", "CREATE TABLE unfollowed (id integer)")
	tables := e.tables("acks")
	e.publish(e.tables("acks", "unfollowed"))
	snap := e.createSlot()
	start := snap.ConsistentPoint
	run := startStream(t, e.repl, StreamOptions{Tables: tables}, snap, 0)
	e.exec("INSERT INTO acks VALUES (1)", "INSERT INTO acks VALUES (2)", "INSERT INTO acks VALUES (3)")
	first := run.next(t, 3)
	ends := make([]LSN, 3)
	for i, c := range first {
		end, ok := c.Position.(Position).Boundary()
		if !ok {
			t.Fatalf("change %d is a whole transaction but has no end", i)
		}
		ends[i] = end
	}
	if got := e.slotConfirmed(); got != start {
		t.Fatalf("before any Ack the slot confirmed %v, want the consistent point %v", got, start)
	}

	run.st.Ack(ends[0])
	e.waitConfirmed(ends[0])
	// Let the stream send several more status updates (each moves reply_time) and check
	// none confirmed more than was acknowledged, while the server has much more.
	for i := 0; i < 3; i++ {
		e.waitStatusUpdate()
		if got := e.slotConfirmed(); got != ends[0] {
			t.Fatalf("the slot confirmed %v after Ack(%v)", got, ends[0])
		}
	}
	run.stop(t)

	again := startStream(t, e.repl, StreamOptions{Tables: tables}, nil, ends[0])
	replayed := again.next(t, 2)
	for i, c := range replayed {
		if !reflect.DeepEqual(c.After, first[i+1].After) || c.Position != first[i+1].Position {
			t.Errorf("replayed change %d: %v at %v, want %v at %v", i, c.After, c.Position, first[i+1].After, first[i+1].Position)
		}
	}
	// A transaction with nothing to emit (its table is published but not followed) is
	// reported as progress, which may be acknowledged like an end.
	e.exec("INSERT INTO unfollowed VALUES (1)")
	var idle Position
	deadline := time.Now().Add(30 * time.Second)
	for idle.End <= ends[2] && time.Now().Before(deadline) {
		again.mu.Lock()
		if n := len(again.progress); n > 0 {
			idle = again.progress[n-1]
		}
		again.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	if idle.End <= ends[2] {
		t.Fatalf("no progress past the last transaction's end %v was reported", ends[2])
	}
	again.st.Ack(idle.End)
	e.waitConfirmed(idle.End)
	again.stop(t)

	err := e.repl.NewStreamer(StreamOptions{Tables: tables}).Run(context.Background(), ends[0], func(schema.Change) error { return nil })
	if !exitcode.IsPositionLost(err) {
		t.Errorf("resuming behind the slot's confirmed position: got %v, want a lost-position error", err)
	}
}

// waitConfirmed polls until the slot confirmed lsn; the deadline only bounds a broken
// test.
func (e *replEnv) waitConfirmed(lsn LSN) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := e.slotConfirmed()
		if got == lsn {
			return
		}
		if got > lsn || time.Now().After(deadline) {
			e.t.Fatalf("the slot confirmed %v, want %v", got, lsn)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitStatusUpdate waits until the slot's walsender receives another standby status
// update (pg_stat_replication.reply_time moves).
func (e *replEnv) waitStatusUpdate() {
	e.t.Helper()
	conn := e.srv.Conn(e.t, e.db)
	read := func() (reply time.Time) {
		err := conn.QueryRow(context.Background(), `SELECT COALESCE(r.reply_time, 'epoch') FROM pg_stat_replication r
			JOIN pg_replication_slots s ON s.active_pid = r.pid WHERE s.slot_name = $1`, e.opts.Slot).Scan(&reply)
		if err != nil {
			e.t.Fatalf("read reply_time: %v", err)
		}
		return reply
	}
	before := read()
	deadline := time.Now().Add(30 * time.Second)
	for read().Equal(before) {
		if time.Now().After(deadline) {
			e.t.Fatal("no standby status update arrived")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestStreamLargeTransactions runs with logical_decoding_work_mem at its minimum, so
// PostgreSQL streams big transactions before they commit (protocol 2): a committed one
// arrives whole, a rolled-back one not at all, a rolled-back savepoint without its rows.
func TestStreamLargeTransactions(t *testing.T) {
	e := newReplEnv(t, "CREATE TABLE big (id integer PRIMARY KEY, pad text)")
	e.srv.Exec(t, "", "ALTER DATABASE "+e.db+" SET logical_decoding_work_mem = '64kB'")
	tables := e.tables("big")
	e.publish(tables)
	run := startStream(t, e.repl, StreamOptions{Tables: tables, SpillDir: t.TempDir()}, e.createSlot(), 0)
	rows := "SELECT g, repeat('x', 100) FROM generate_series"
	e.exec("BEGIN", "INSERT INTO big "+rows+"(1, 5000) g", "COMMIT")
	committed := run.next(t, 5000)
	for i, c := range committed {
		if c.Op != schema.OpInsert || c.After[0] != int64(i+1) {
			t.Fatalf("change %d: %s %v, want insert %d", i, c.Op, c.After, i+1)
		}
	}
	checkTransactions(t, committed)

	e.exec("BEGIN", "INSERT INTO big "+rows+"(10001, 15000) g", "ROLLBACK")
	e.exec("BEGIN", "INSERT INTO big VALUES (20001, 'kept')", "SAVEPOINT s",
		"INSERT INTO big "+rows+"(30001, 35000) g", "ROLLBACK TO SAVEPOINT s",
		"INSERT INTO big VALUES (20002, 'kept')", "COMMIT")
	e.exec("INSERT INTO big VALUES (99999, 'marker')")
	rest := run.until(t, func(c schema.Change) bool { return c.After[0] == int64(99999) })
	var got []any
	for _, c := range rest {
		got = append(got, c.After[0])
	}
	if want := []any{int64(20001), int64(20002), int64(99999)}; !reflect.DeepEqual(got, want) {
		t.Errorf("after the rollbacks: got rows %v, want %v", got, want)
	}
	st := run.st.Stats()
	if st.StreamedTransactions < 2 || st.AbortedStreams < 1 {
		t.Errorf("stats %+v: want at least two streamed transactions and one aborted stream (did PostgreSQL stream at all?)", st)
	}
}

// TestStreamReconnectsWithoutRepeats ends the walsender in the middle of the stream:
// the stream reconnects on its own and resumes without losing or repeating a change.
func TestStreamReconnectsWithoutRepeats(t *testing.T) {
	e := newReplEnv(t, "CREATE TABLE rc (id integer PRIMARY KEY)")
	tables := e.tables("rc")
	e.publish(tables)
	run := startStream(t, e.repl, StreamOptions{Tables: tables}, e.createSlot(), 0)
	e.exec("INSERT INTO rc SELECT generate_series(1, 100)", "INSERT INTO rc SELECT generate_series(101, 150)")
	got := run.next(t, 120) // the first transaction and part of the second
	e.exec(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '` + e.opts.Slot + `'`)
	e.exec("INSERT INTO rc SELECT generate_series(151, 200)")
	got = append(got, run.next(t, 80)...)
	for i, c := range got {
		if c.After[0] != int64(i+1) {
			t.Fatalf("change %d is row %v, want %d", i, c.After[0], i+1)
		}
	}
	checkTransactions(t, got)
	if n := run.st.Stats().Reconnects; n < 1 {
		t.Errorf("reconnects = %d, want at least 1", n)
	}
	select {
	case c := <-run.changes:
		t.Errorf("an extra change after the last row: %s %v", c.Op, c.After)
	default:
	}
}

func TestStreamFollowsNewTablesThatMatch(t *testing.T) {
	e := newReplEnv(t, "CREATE TABLE old (id integer PRIMARY KEY)")
	tables := e.tables("old")
	e.publish(tables)
	match := func(id schema.TableID) bool { return strings.HasPrefix(id.Name, "new_") }
	run := startStream(t, e.repl, StreamOptions{Tables: tables, Match: match}, e.createSlot(), 0)
	e.exec("CREATE TABLE new_one (id integer PRIMARY KEY, v text)", "CREATE TABLE other (id integer PRIMARY KEY)")
	if err := e.root.EnsurePublication(context.Background(), []schema.TableID{tables[0].ID,
		{Database: e.db, Schema: "public", Name: "new_one"}, {Database: e.db, Schema: "public", Name: "other"}}); err != nil {
		t.Fatal(err)
	}
	e.exec("INSERT INTO other VALUES (1)", "INSERT INTO new_one VALUES (7, 'x')", "INSERT INTO old VALUES (1)")
	changes := run.next(t, 3)
	if c := changes[0]; c.Op != schema.OpDDL || c.Table.Name != "new_one" || c.NewSchema == nil ||
		len(c.NewSchema.Columns) != 2 || !reflect.DeepEqual(c.NewSchema.PrimaryKey, []string{"id"}) || !strings.HasPrefix(c.DDL, "CREATE TABLE") {
		t.Errorf("first change: want the new table's schema%s", describe(changes))
	}
	if c := changes[1]; c.Op != schema.OpInsert || c.Table.Name != "new_one" || !reflect.DeepEqual(c.After, []any{int64(7), "x"}) {
		t.Errorf("second change: want the new table's row%s", describe(changes))
	}
	if c := changes[2]; c.Table.Name != "old" {
		t.Errorf("third change: want the row of old (other is not followed)%s", describe(changes))
	}
}

func TestStreamStopsOnAMissingSlot(t *testing.T) {
	e := newReplEnv(t)
	err := e.repl.NewStreamer(StreamOptions{}).Run(context.Background(), 0, func(schema.Change) error { return nil })
	if !exitcode.IsPositionLost(err) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("got %v, want a lost-position error saying the slot does not exist", err)
	}
}

func TestStreamStopsOnEmitError(t *testing.T) {
	e := newReplEnv(t, "CREATE TABLE st (id integer PRIMARY KEY)")
	tables := e.tables("st")
	e.publish(tables)
	snap := e.createSlot()
	e.exec("INSERT INTO st VALUES (1)", "INSERT INTO st VALUES (2)")
	refused := errors.New("refused by the test")
	err := e.repl.NewStreamer(StreamOptions{Tables: tables}).RunFromSnapshot(context.Background(), snap,
		func(schema.Change) error { return refused })
	if !errors.Is(err, refused) {
		t.Errorf("got %v, want the emit error", err)
	}
}

// TestStreamSurvivesASlowEngine blocks emit for four times wal_sender_timeout: the
// stream keeps confirming its position meanwhile, so the server does not drop it.
func TestStreamSurvivesASlowEngine(t *testing.T) {
	e := newReplEnv(t, "CREATE TABLE slow (id integer PRIMARY KEY)")
	e.srv.Exec(t, "", "ALTER DATABASE "+e.db+" SET wal_sender_timeout = '1s'")
	tables := e.tables("slow")
	e.publish(tables)
	snap := e.createSlot()
	st := e.repl.NewStreamer(StreamOptions{Tables: tables, StatusInterval: 200 * time.Millisecond})
	got := make(chan schema.Change, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- st.RunFromSnapshot(ctx, snap, func(c schema.Change) error {
			if c.After[0] == int64(1) {
				time.Sleep(4 * time.Second) // the engine is busy, say loading into Doris
			}
			got <- c
			return nil
		})
	}()
	e.exec("INSERT INTO slow VALUES (1)", "INSERT INTO slow VALUES (2)")
	for want := int64(1); want <= 2; want++ {
		select {
		case c := <-got:
			if c.After[0] != want {
				t.Fatalf("got row %v, want %d", c.After[0], want)
			}
		case err := <-done:
			t.Fatalf("the stream ended: %v", err)
		case <-time.After(60 * time.Second):
			t.Fatalf("row %d did not arrive", want)
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("stream ended with %v", err)
	}
	if n := st.Stats().Reconnects; n != 0 {
		t.Errorf("the stream reconnected %d times while the engine was busy", n)
	}
}
