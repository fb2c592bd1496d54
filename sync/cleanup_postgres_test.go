package sync

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/doris-sync/doris-sync/config"
	"github.com/doris-sync/doris-sync/exitcode"
	pgkit "github.com/doris-sync/doris-sync/testkit/postgres"
)

// dropSlotAndPublication runs the job with --drop-slot-and-publication, as the CLI does.
func dropSlotAndPublication(t *testing.T, a args) (string, error) {
	t.Helper()
	b := a
	b.flags = map[string]string{"drop-slot-and-publication": "true"}
	for k, v := range a.flags {
		b.flags[k] = v
	}
	var out bytes.Buffer
	err := RunObserved(context.Background(), buildJob(t, config.Postgres, b), &out, Observer{})
	return out.String(), err
}

func slotOf(a args) string {
	for _, kv := range a.source {
		if v, ok := strings.CutPrefix(kv, "slot.name="); ok {
			return v
		}
	}
	return ""
}

func TestPostgresDropSlotAndPublication(t *testing.T) {
	srv := pgkit.Shared(t)
	db := srv.DB(t)
	// The job's role owns the table and may create publications, so doris-sync creates
	// (and marks) the publication itself.
	srv.Exec(t, db,
		"GRANT CREATE ON DATABASE "+db+" TO "+srv.ReplUser,
		"CREATE TABLE items (id integer PRIMARY KEY, v text)",
		"ALTER TABLE items OWNER TO "+srv.ReplUser,
		"INSERT INTO items SELECT g, 'v' || g FROM generate_series(1, 50) g")
	doris := startStandIn(t)
	logs := captureLogs(t)
	a := postgresJobArgs(t, srv, db, "cleanup_pub", doris, t.TempDir())
	slot := slotOf(a)
	runUntilCaughtUp(t, config.Postgres, a, logs)

	root := srv.Conn(t, db)
	ctx := context.Background()
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := root.QueryRow(ctx, q, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	slots := func() int { return count("SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1", slot) }
	pubs := func() int { return count("SELECT count(*) FROM pg_publication WHERE pubname = 'cleanup_pub'") }
	if slots() != 1 || pubs() != 1 {
		t.Fatalf("after the first run: %d slots %s, %d publications cleanup_pub; want 1 and 1", slots(), slot, pubs())
	}

	// A consumer holds the slot: refused with its pid, nothing dropped.
	rc, err := pgconn.Connect(ctx, srv.ReplicationDSN(db))
	if err != nil {
		t.Fatal(err)
	}
	if err := pglogrepl.StartReplication(ctx, rc, slot, 0, pglogrepl.StartReplicationOptions{
		PluginArgs: []string{"proto_version '1'", "publication_names 'cleanup_pub'"}}); err != nil {
		t.Fatal(err)
	}
	pid := count("SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1", slot)
	_, err = dropSlotAndPublication(t, a)
	if exitcode.Of(err) != exitcode.RuntimeError || !strings.Contains(err.Error(), fmt.Sprintf("in use by the process with pid %d", pid)) {
		t.Fatalf("an active slot: want exit 1 naming pid %d, got %v (exit %d)", pid, err, exitcode.Of(err))
	}
	if slots() != 1 || pubs() != 1 {
		t.Fatalf("a refused cleanup dropped something: %d slots, %d publications", slots(), pubs())
	}
	rc.Close(ctx)

	out, err := dropSlotAndPublication(t, a)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "the cleanup", out,
		fmt.Sprintf("replication slot %q: dropped\n", slot),
		"publication \"cleanup_pub\": dropped\n",
		`state of job "e2e": marked: its position is gone`)
	if slots() != 0 || pubs() != 0 {
		t.Fatalf("after the cleanup: %d slots, %d publications; want none", slots(), pubs())
	}

	out, err = dropSlotAndPublication(t, a)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "the second cleanup", out,
		fmt.Sprintf("replication slot %q: already gone\n", slot),
		"publication \"cleanup_pub\": already gone\n",
		`state of job "e2e": already marked: replication slot `+slot+" was dropped by --drop-slot-and-publication")

	b := a
	b.flags = map[string]string{"stop-when-caught-up": "true"}
	for k, v := range a.flags {
		b.flags[k] = v
	}
	err = replicate(t, config.Postgres, b)
	if exitcode.Of(err) != exitcode.PositionLostError || !strings.Contains(err.Error(), "--on-position-lost=resnapshot") {
		t.Fatalf("the run after the cleanup: want exit 3 naming --on-position-lost=resnapshot, got %v (exit %d)", err, exitcode.Of(err))
	}
	if slots() != 0 {
		t.Errorf("the refused run created the slot again")
	}

	// The remedy works: a new copy, a new slot and publication, and the mark is gone.
	srv.Exec(t, db, "INSERT INTO items VALUES (51, 'after')")
	b.flags["on-position-lost"] = "resnapshot"
	if err := replicate(t, config.Postgres, b); err != nil {
		t.Fatalf("%v\nlog:\n%s", err, lastLines(logs.String(), 40))
	}
	if got := rowCount(doris.srv, "dst", "items"); got != 51 {
		t.Errorf("Doris holds %d rows after the re-copy, want 51", got)
	}
	if slots() != 1 || pubs() != 1 {
		t.Errorf("after the re-copy: %d slots, %d publications; want 1 and 1", slots(), pubs())
	}
	st, err := loadStateFile(b.flags["state-dir"], "e2e")
	if err != nil {
		t.Fatal(err)
	}
	if st.PositionLost != "" {
		t.Errorf("the re-copy left the mark: %q", st.PositionLost)
	}
}

// A publication doris-sync did not create is kept, with the statement that drops it.
func TestPostgresDropKeepsForeignPublication(t *testing.T) {
	srv := pgkit.Shared(t)
	db := srv.DB(t)
	srv.Exec(t, db, "CREATE TABLE items (id integer PRIMARY KEY)", "CREATE PUBLICATION shared_pub FOR ALL TABLES")
	a := postgresJobArgs(t, srv, db, "shared_pub", startStandIn(t), t.TempDir())
	out, err := dropSlotAndPublication(t, a)
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "the cleanup", out,
		fmt.Sprintf("replication slot %q: already gone\n", slotOf(a)),
		`publication "shared_pub": kept: doris-sync did not create it for this job's slot, so other consumers may read it; to drop it yourself: DROP PUBLICATION "shared_pub"`,
		`state of job "e2e": none saved`)
	var n int
	if err := srv.Conn(t, db).QueryRow(context.Background(), "SELECT count(*) FROM pg_publication WHERE pubname = 'shared_pub'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("the foreign publication: %d (%v), want kept", n, err)
	}
}

func TestDropSlotAndPublicationIsForPostgresOnly(t *testing.T) {
	job := config.NewJob(config.MySQL)
	err := job.Set("drop-slot-and-publication", "true")
	if err == nil || !strings.Contains(err.Error(), "valid only for postgres-sync-database") {
		t.Fatalf("a MySQL job took --drop-slot-and-publication: %v", err)
	}
	job.DropSlotAndPublication = true // as if set some other way: the run refuses too
	err = DropSlotAndPublication(context.Background(), job, &bytes.Buffer{})
	if exitcode.Of(err) != exitcode.UsageError {
		t.Fatalf("want exit 2, got %v", err)
	}
}
