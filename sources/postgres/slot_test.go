package postgres

import (
	"context"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/exitcode"
	"github.com/doris-sync/doris-sync/schema"
)

func TestNewReplicatorChecksNames(t *testing.T) {
	for _, slot := range []string{"", "Upper", "has-dash", "has space", strings.Repeat("a", 64), `x"y`} {
		if _, err := NewReplicator(Config{}, ReplicationOptions{Slot: slot, Publication: "p"}); !exitcode.IsUsage(err) {
			t.Errorf("slot %q: got %v, want a usage error", slot, err)
		}
	}
	if _, err := NewReplicator(Config{}, ReplicationOptions{Slot: "ok_1", Publication: ""}); !exitcode.IsUsage(err) {
		t.Errorf("empty publication: got %v, want a usage error", err)
	}
	if _, err := NewReplicator(Config{}, ReplicationOptions{Slot: strings.Repeat("a", 63), Publication: `any "name"`}); err != nil {
		t.Errorf("valid names: %v", err)
	}
}

// TestOddIdentifiersEverywhere replicates a table whose schema, table, column and
// publication names need quoting, through publication, snapshot and stream.
func TestOddIdentifiersEverywhere(t *testing.T) {
	e := newReplEnv(t,
		`CREATE SCHEMA "Odd Schema"`,
		`CREATE TABLE "Odd Schema"."My ""Table""" ("Key Col" integer PRIMARY KEY, "it's" text, "back\slash" text)`,
		`INSERT INTO "Odd Schema"."My ""Table""" VALUES (1, 'a', 'b')`,
		`GRANT USAGE ON SCHEMA "Odd Schema" TO repl`,
		`GRANT SELECT ON ALL TABLES IN SCHEMA "Odd Schema" TO repl`,
	)
	e.opts.Publication = `Pub "quoted" 'and' \ ` + e.db
	e.root, e.repl = e.replicator(e.srv.RootUser, ""), e.replicator(e.srv.ReplUser, e.srv.ReplPassword)
	cfg := e.config(e.srv.RootUser, "")
	cfg.Schemas = regexp.MustCompile("Odd Schema")
	src, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := src.Discover(context.Background())
	src.Close()
	if err != nil || len(tables) != 1 || tables[0].ID.Name != `My "Table"` {
		t.Fatalf("discovered %v, %v", tables, err)
	}
	e.publish(tables)
	if got := preflightProblems(t, e.repl, ids(tables)); len(got) != 0 {
		t.Errorf("pre-flight: %v", got)
	}
	snap := e.createSlot()
	sr, err := snap.OpenReader(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer sr.Close()
	if rows := readAll(t, sr, tables[0], 10); !reflect.DeepEqual(rows, [][]any{{int64(1), "a", "b"}}) {
		t.Errorf("snapshot: %v", rows)
	}
	run := startStream(t, e.repl, StreamOptions{Tables: tables}, snap, 0)
	e.exec(`INSERT INTO "Odd Schema"."My ""Table""" VALUES (2, 'c', 'd')`)
	c := run.next(t, 1)[0]
	if c.Table != tables[0].ID || !reflect.DeepEqual(c.After, []any{int64(2), "c", "d"}) {
		t.Errorf("stream: %s %s %v", c.Op, c.Table, c.After)
	}
	run.stop(t)
	if err := e.root.DropSlotAndPublication(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestEnsurePublicationKeepsUp(t *testing.T) {
	e := newReplEnv(t,
		"CREATE TABLE t1 (id integer PRIMARY KEY)",
		"CREATE TABLE t2 (id integer PRIMARY KEY)",
		"CREATE TABLE p (id integer, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)",
	)
	ctx := context.Background()
	all := ids(e.tables("t1", "t2", "p"))
	// An existing publication that lacks a table, deletes, truncates and the root setting.
	e.exec(`CREATE PUBLICATION "Pub ` + e.db + `" FOR TABLE t1 WITH (publish = 'insert, update')`)
	if err := e.root.EnsurePublication(ctx, all); err != nil {
		t.Fatal(err)
	}
	conn := e.srv.Conn(t, e.db)
	var tables []string
	var ins, upd, del, trunc, viaRoot bool
	err := conn.QueryRow(ctx, `SELECT ARRAY(SELECT prrelid::regclass::text FROM pg_publication_rel WHERE prpubid = p.oid ORDER BY 1),
		pubinsert, pubupdate, pubdelete, pubtruncate, pubviaroot FROM pg_publication p WHERE pubname = $1`, e.opts.Publication).
		Scan(&tables, &ins, &upd, &del, &trunc, &viaRoot)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tables, []string{"p", "t1", "t2"}) || !(ins && upd && del && trunc && viaRoot) {
		t.Errorf("publication: tables %v, insert/update/delete/truncate %v/%v/%v/%v, via root %v", tables, ins, upd, del, trunc, viaRoot)
	}
	// The replication role owns nothing: asking it to add a table names the statement.
	e.exec("CREATE TABLE t3 (id integer PRIMARY KEY)")
	err = e.repl.EnsurePublication(ctx, append(all, schema.TableID{Database: e.db, Schema: "public", Name: "t3"}))
	if !exitcode.IsUsage(err) || !strings.Contains(err.Error(), `ALTER PUBLICATION "Pub `+e.db+`" ADD TABLE "public"."t3"`) {
		t.Errorf("got %v, want a usage error naming the ALTER PUBLICATION to run", err)
	}

	// A complete publication made by the owner (without publish_via_partition_root,
	// which no table here needs) asks nothing of the replication role.
	e.exec(`CREATE PUBLICATION "plain ` + e.db + `" FOR TABLE t1, t2`)
	plain, err := NewReplicator(e.config(e.srv.ReplUser, e.srv.ReplPassword), ReplicationOptions{Slot: "plain", Publication: "plain " + e.db})
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.EnsurePublication(ctx, all[:2]); err != nil {
		t.Errorf("a publication that already fits: %v", err)
	}

	// FOR ALL TABLES by option.
	allOpts := ReplicationOptions{Slot: "all_" + e.db, Publication: "all " + e.db, AllTables: true}
	r, err := NewReplicator(e.config(e.srv.RootUser, ""), allOpts)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.EnsurePublication(ctx, all); err != nil {
		t.Fatal(err)
	}
	var allTables bool
	if err := conn.QueryRow(ctx, "SELECT puballtables AND pubviaroot FROM pg_publication WHERE pubname = $1", allOpts.Publication).Scan(&allTables); err != nil || !allTables {
		t.Errorf("FOR ALL TABLES publication: %v %v", allTables, err)
	}
}

func TestSlotLifecycle(t *testing.T) {
	e := newReplEnv(t, "CREATE TABLE t (id integer PRIMARY KEY)")
	ctx := context.Background()
	tables := e.tables("t")
	e.publish(tables)
	snap := e.createSlot()
	if _, err := e.repl.CreateSlot(ctx); !exitcode.IsUsage(err) || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("creating the slot twice: got %v, want a usage error", err)
	}
	run := startStream(t, e.repl, StreamOptions{Tables: tables}, snap, 0)
	e.exec("INSERT INTO t SELECT generate_series(1, 1000)")
	run.next(t, 1000)
	if err := e.root.DropSlotAndPublication(ctx); !exitcode.IsUsage(err) || !strings.Contains(err.Error(), "in use") {
		t.Errorf("dropping a slot in use: got %v, want a usage error", err)
	}

	// A tiny threshold: the WAL the slot holds back is over it.
	opts := e.opts
	opts.WALWarnBytes = 1
	r, err := NewReplicator(e.config(e.srv.RootUser, ""), opts)
	if err != nil {
		t.Fatal(err)
	}
	st, err := r.SlotStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Exists || !st.Active || st.Plugin != "pgoutput" || st.RetainedBytes <= 0 || !strings.Contains(st.Warning, "holds back") {
		t.Errorf("status %+v: want an active pgoutput slot holding WAL, with a warning", st)
	}
	if st, err = e.root.SlotStatus(ctx); err != nil || st.Warning != "" {
		t.Errorf("with the default 1 GiB threshold: %+v %v, want no warning", st, err)
	}
	lsn, err := e.root.CurrentLSN(ctx)
	if err != nil || lsn < st.RestartLSN {
		t.Errorf("current LSN %v %v, want at least the slot's restart LSN %v", lsn, err, st.RestartLSN)
	}

	run.stop(t)
	if err := e.root.DropSlotAndPublication(ctx); err != nil {
		t.Fatal(err)
	}
	if st, err := e.root.SlotStatus(ctx); err != nil || st.Exists {
		t.Errorf("after the drop: %+v %v", st, err)
	}
	var pubs int
	if err := e.srv.Conn(t, e.db).QueryRow(ctx, "SELECT count(*) FROM pg_publication").Scan(&pubs); err != nil || pubs != 0 {
		t.Errorf("publications left: %d %v", pubs, err)
	}
	if err := e.root.DropSlotAndPublication(ctx); err != nil {
		t.Errorf("dropping again: %v", err)
	}
}
