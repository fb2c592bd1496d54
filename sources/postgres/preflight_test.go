package postgres

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/exitcode"
	"github.com/doris-sync/doris-sync/schema"
	"github.com/doris-sync/doris-sync/testkit"
	pgkit "github.com/doris-sync/doris-sync/testkit/postgres"
)

// preflightProblems runs Preflight and returns its lines, checking the error is a
// usage error (exit code 2) listing them.
func preflightProblems(t *testing.T, r *Replicator, tables []schema.TableID) []string {
	t.Helper()
	err := r.Preflight(context.Background(), tables)
	if err == nil {
		return nil
	}
	var pe *PreflightError
	if !errors.As(err, &pe) || exitcode.Of(err) != exitcode.UsageError {
		t.Fatalf("got %v (exit code %d), want a *PreflightError with exit code 2", err, exitcode.Of(err))
	}
	if lines := strings.Count(err.Error(), "\n  - "); lines != len(pe.Problems) {
		t.Errorf("the message has %d lines for %d problems:\n%s", lines, len(pe.Problems), err)
	}
	return pe.Problems
}

// expectProblems checks each want substring is in exactly one line and no line is
// left over.
func expectProblems(t *testing.T, got []string, want ...string) {
	t.Helper()
	used := make([]bool, len(got))
	for _, w := range want {
		n := 0
		for i, g := range got {
			if strings.Contains(g, w) {
				n++
				used[i] = true
			}
		}
		if n != 1 {
			t.Errorf("%d lines contain %q, want 1; lines:\n  %s", n, w, strings.Join(got, "\n  "))
		}
	}
	for i, u := range used {
		if !u {
			t.Errorf("unexpected problem: %s", got[i])
		}
	}
}

func TestPreflightPassesWhenReady(t *testing.T) {
	e := newReplEnv(t,
		"CREATE TABLE a (id integer PRIMARY KEY)",
		"CREATE TABLE nopk_full (v text)",
		"ALTER TABLE nopk_full REPLICA IDENTITY FULL",
		"CREATE TABLE p (id integer, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)",
		"CREATE TABLE p1 PARTITION OF p FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
	)
	tables := ids(e.tables("a", "nopk_full", "p"))
	// The tables' owner may create the publication itself.
	if got := preflightProblems(t, e.root, tables); len(got) != 0 {
		t.Errorf("superuser before the publication exists: %v", got)
	}
	if err := e.root.EnsurePublication(context.Background(), tables); err != nil {
		t.Fatal(err)
	}
	// The replication role only reads: the publication now covers everything.
	if got := preflightProblems(t, e.repl, tables); len(got) != 0 {
		t.Errorf("replication role with the publication in place: %v", got)
	}
}

func TestPreflightListsEveryMissingPiece(t *testing.T) {
	e := newReplEnv(t,
		"CREATE TABLE good (id integer PRIMARY KEY)",
		"CREATE TABLE nopk (v text)",
		"CREATE TABLE nothing (id integer PRIMARY KEY)",
		"ALTER TABLE nothing REPLICA IDENTITY NOTHING",
		"CREATE TABLE secret (id integer PRIMARY KEY)",
		"CREATE TABLE pnopk (v integer, at date) PARTITION BY RANGE (at)",
		"CREATE TABLE pnopk_1 PARTITION OF pnopk FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
	)
	user := "norepl_" + e.db[len(e.db)-6:]
	password, err := testkit.RandomSecret()
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Exec(t, "", "CREATE ROLE "+user+" LOGIN PASSWORD '"+password+"'", "GRANT CONNECT ON DATABASE "+e.db+" TO "+user)
	t.Cleanup(func() {
		e.srv.Exec(t, e.db, "DROP OWNED BY "+user)
		e.srv.Exec(t, "", "DROP ROLE "+user)
	})
	e.exec("GRANT USAGE ON SCHEMA public TO "+user, "GRANT SELECT ON good, nopk, nothing, pnopk TO "+user)
	tables := ids(e.tables("good", "nopk", "nothing", "secret", "pnopk"))

	got := preflightProblems(t, e.replicator(user, password), tables)
	expectProblems(t, got,
		"role "+user+" lacks the REPLICATION attribute: run ALTER ROLE \""+user+"\" REPLICATION",
		`publication "Pub `+e.db+`" does not exist and role `+user+` cannot create it because it does not own`,
		`may not read "public"."secret": run GRANT SELECT ON "public"."secret" TO`,
		`table "public"."nopk" has no primary key`,
		`ALTER TABLE "public"."nothing" REPLICA IDENTITY DEFAULT`,
		`table "public"."pnopk_1" has no primary key`,
	)

	// A publication that exists but misses tables and operations, owned by someone else.
	e.exec(`CREATE PUBLICATION "Pub `+e.db+`" FOR TABLE good WITH (publish = 'insert, update')`,
		"SELECT pg_create_logical_replication_slot('"+e.opts.Slot+"', 'test_decoding')")
	got = preflightProblems(t, e.repl, ids(e.tables("good", "secret")))
	expectProblems(t, got,
		"does not publish delete and truncate",
		`does not include "public"."secret" and role repl cannot add them`,
		"uses the test_decoding plugin",
	)
}

func TestPreflightOnAServerWithoutLogicalDecoding(t *testing.T) {
	srv, err := pgkit.Start(pgkit.Options{Settings: []string{"wal_level=replica", "max_replication_slots=1", "max_wal_senders=0"}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.Exec(t, "", "CREATE TABLE t (id integer PRIMARY KEY)", "SELECT pg_create_physical_replication_slot('taken')")
	r, err := NewReplicator(Config{Host: srv.Host, Port: srv.Port, User: srv.RootUser, Database: "postgres"},
		ReplicationOptions{Slot: "mine", Publication: "pub"})
	if err != nil {
		t.Fatal(err)
	}
	got := preflightProblems(t, r, []schema.TableID{{Database: "postgres", Schema: "public", Name: "t"}})
	expectProblems(t, got,
		"wal_level is replica, logical decoding needs logical: run ALTER SYSTEM SET wal_level = logical",
		"all 1 replication slots are taken (max_replication_slots = 1): drop an unused one (inactive: taken)",
		"all 0 WAL senders are busy (max_wal_senders = 0)",
	)
}
