package sync

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/doris-sync/doris-sync/config"
	"github.com/doris-sync/doris-sync/schema"
	"github.com/doris-sync/doris-sync/sources/postgres"
	"github.com/doris-sync/doris-sync/testkit/mariadb"
	pgkit "github.com/doris-sync/doris-sync/testkit/postgres"
)

// e2eArgs is a full-sync job as the command line gives it.
func e2eArgs(source, sink []string, stateDir string, extra ...string) args {
	sink = append(append([]string(nil), sink...), "sink.buffer-flush.interval=50ms")
	a := args{source: source, sink: sink, flags: map[string]string{
		"database": "dst", "state-dir": stateDir, "job-name": "e2e",
		"multi-to-one-origin": "s_.*", "multi-to-one-target": "shards",
	}}
	for i := 0; i+1 < len(extra); i += 2 {
		a.flags[extra[i]] = extra[i+1]
	}
	return a
}

// replicate runs a full sync of the job the arguments build, as the CLI does.
func replicate(t *testing.T, kind config.Kind, a args) error {
	t.Helper()
	job := buildJob(t, kind, a)
	return ReplicateJob(context.Background(), job, nil)
}

// sqlRows reads a table through database/sql as canonical lines.
func sqlRows(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		for i, c := range cols {
			if vals[i].Valid {
				m[c] = vals[i].String
			} else {
				m[c] = nil
			}
		}
		out = append(out, canonical(m))
	}
	sort.Strings(out)
	return out
}

// pgRows reads a table through pgx as canonical lines, values in PostgreSQL's text
// form.
func pgRows(t *testing.T, conn *pgx.Conn, query string) []string {
	t.Helper()
	// The simple protocol answers in text and caches no plan (a table's columns change).
	rows, err := conn.Query(context.Background(), query, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		m := map[string]any{}
		for i, raw := range rows.RawValues() {
			name := rows.FieldDescriptions()[i].Name
			if raw == nil {
				m[name] = nil
			} else {
				m[name] = string(raw)
			}
		}
		out = append(out, canonical(m))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s: Doris has %d rows, the source %d:\n%s", what, len(got), len(want), diffRows(got, want))
	}
}

func TestMariaDBFullSync(t *testing.T) {
	srv := mariadb.Shared(t)
	db := srv.DB(t)
	srv.Exec(t, db,
		"CREATE TABLE orders (id INT PRIMARY KEY, note VARCHAR(64), qty DECIMAL(10,2))",
		"CREATE TABLE events (a INT, b VARCHAR(32))",
		"CREATE TABLE s_1 (id INT PRIMARY KEY, v VARCHAR(20))",
		"CREATE TABLE s_2 (id INT PRIMARY KEY, v VARCHAR(20))",
	)
	for i := 1; i <= 50; i++ {
		srv.Exec(t, db, fmt.Sprintf("INSERT INTO orders VALUES (%d, 'n%d', %d.25)", i, i, i),
			fmt.Sprintf("INSERT INTO events VALUES (%d, 'e%d')", i%7, i))
	}
	srv.Exec(t, db, "INSERT INTO s_1 VALUES (1, 'a'), (2, 'b')", "INSERT INTO s_2 VALUES (10, 'c')")
	doris := startStandIn(t)
	dir := t.TempDir()
	src := mysqlServerConf(srv, db)
	a := e2eArgs(src, doris.sinkConf(), dir, "stop-when-caught-up", "true", "snapshot-parallelism", "3")
	a.source = append(a.source, "scan.incremental.snapshot.chunk.size=7")
	pool := srv.Open(t, db)
	check := func(stage string) {
		t.Helper()
		sameLines(t, stage+": orders", dumpRows(t, doris.srv, "dst", "orders"), sqlRows(t, pool, "SELECT * FROM orders"))
		sameLines(t, stage+": events", dumpRows(t, doris.srv, "dst", "events"), sqlRows(t, pool, "SELECT * FROM events"))
		sameLines(t, stage+": shards", dumpRows(t, doris.srv, "dst", "shards"), sqlRows(t, pool, "SELECT * FROM s_1 UNION ALL SELECT * FROM s_2"))
	}

	if err := replicate(t, config.MySQL, a); err != nil {
		t.Fatal(err)
	}
	check("after the snapshot")

	// Live changes while a job streams, then a cron run catches up.
	live := e2eArgs(src, doris.sinkConf(), dir)
	job := buildJob(t, config.MySQL, live)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ReplicateJob(ctx, job, nil) }()
	srv.Exec(t, db,
		"INSERT INTO orders VALUES (100, 'live', 1.50)",
		"UPDATE orders SET note = 'changed' WHERE id = 2",
		"DELETE FROM orders WHERE id = 3",
		"UPDATE orders SET id = 1000 WHERE id = 4", // a primary-key update
		"BEGIN", "INSERT INTO events VALUES (99, 'txn')", "INSERT INTO s_2 VALUES (11, 'd')", "UPDATE s_1 SET v = 'a2' WHERE id = 1", "COMMIT",
		"ALTER TABLE orders ADD COLUMN extra VARCHAR(10)",
		"INSERT INTO orders VALUES (101, 'after ddl', 2.00, 'x')",
		"UPDATE orders SET extra = 'y' WHERE id = 5",
	)
	waitFor(t, "the live changes to reach Doris", func() bool {
		rows, err := doris.srv.Dump("dst", "orders")
		if err != nil {
			return false
		}
		for _, r := range rows {
			if r["id"] == "5" && r["extra"] == "y" {
				return true
			}
		}
		return false
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("a stop by signal must end cleanly: %v", err)
	}
	check("after live changes")

	srv.Exec(t, db, "DELETE FROM orders WHERE id < 10", "INSERT INTO events VALUES (100, 'cron')", "DELETE FROM s_2 WHERE id = 10")
	if err := replicate(t, config.MySQL, a); err != nil {
		t.Fatal(err)
	}
	check("after a cron run")
	st := readState(t, dir, "e2e")
	if st.Phase != "streaming" || st.LastRun == nil || !st.LastRun.OK {
		t.Errorf("state after the cron run: phase %s, last run %+v", st.Phase, st.LastRun)
	}
}

func mysqlServerConf(srv *mariadb.Server, db string) []string {
	return []string{"hostname=" + srv.Host, fmt.Sprint("port=", srv.Port), "username=" + srv.ReplUser, "password=" + srv.ReplPassword,
		"database-name=" + db, "connect.max-retries=0"}
}

func TestPostgresFullSync(t *testing.T) {
	srv := pgkit.Shared(t)
	db := srv.DB(t)
	srv.Exec(t, db,
		"CREATE TABLE orders (id integer PRIMARY KEY, note varchar(64), qty numeric(10,2))",
		"CREATE TABLE events (a integer, b varchar(32))",
		"ALTER TABLE events REPLICA IDENTITY FULL",
		"CREATE TABLE s_1 (id integer PRIMARY KEY, v varchar(20))",
		"CREATE TABLE s_2 (id integer PRIMARY KEY, v varchar(20))",
		"INSERT INTO orders SELECT g, 'n' || g, g + 0.25 FROM generate_series(1, 50) g",
		"INSERT INTO events SELECT g % 7, 'e' || g FROM generate_series(1, 50) g",
		"INSERT INTO s_1 VALUES (1, 'a'), (2, 'b')", "INSERT INTO s_2 VALUES (10, 'c')",
		// A value large enough to be TOASTed out of line.
		"CREATE TABLE docs (id integer PRIMARY KEY, body text, n integer)",
		"INSERT INTO docs SELECT 1, string_agg(md5(g::text), ''), 1 FROM generate_series(1, 2000) g",
		"CREATE PUBLICATION e2e_pub FOR ALL TABLES",
	)
	slot := fmt.Sprintf("e2e_%d", time.Now().UnixNano()%1e9)
	conn := srv.Conn(t, db)
	t.Cleanup(func() {
		_, _ = conn.Exec(context.Background(), "SELECT pg_drop_replication_slot($1)", slot)
	})
	doris := startStandIn(t)
	dir := t.TempDir()
	src := []string{"hostname=" + srv.Host, fmt.Sprint("port=", srv.Port), "username=" + srv.ReplUser, "password=" + srv.ReplPassword,
		"database-name=" + db, "schema-name=public", "slot.name=" + slot, "publication.name=e2e_pub", "connect.max-retries=0",
		"scan.incremental.snapshot.chunk.size=7"}
	a := e2eArgs(src, doris.sinkConf(), dir, "stop-when-caught-up", "true", "snapshot-parallelism", "3")
	check := func(stage string) {
		t.Helper()
		sameLines(t, stage+": orders", dumpRows(t, doris.srv, "dst", "orders"), pgRows(t, conn, "SELECT * FROM orders"))
		sameLines(t, stage+": events", dumpRows(t, doris.srv, "dst", "events"), pgRows(t, conn, "SELECT * FROM events"))
		sameLines(t, stage+": shards", dumpRows(t, doris.srv, "dst", "shards"), pgRows(t, conn, "SELECT * FROM s_1 UNION ALL SELECT * FROM s_2"))
		sameLines(t, stage+": docs", dumpRows(t, doris.srv, "dst", "docs"), pgRows(t, conn, "SELECT * FROM docs"))
	}
	if err := replicate(t, config.Postgres, a); err != nil {
		t.Fatal(err)
	}
	check("after the snapshot")

	live := e2eArgs(src, doris.sinkConf(), dir)
	job := buildJob(t, config.Postgres, live)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ReplicateJob(ctx, job, nil) }()
	srv.Exec(t, db,
		"INSERT INTO orders VALUES (100, 'live', 1.50)",
		"UPDATE orders SET note = 'changed' WHERE id = 2",
		"DELETE FROM orders WHERE id = 3",
		"UPDATE orders SET id = 1000 WHERE id = 4",
		"BEGIN", "INSERT INTO events VALUES (99, 'txn')", "INSERT INTO s_2 VALUES (11, 'd')", "UPDATE s_1 SET v = 'a2' WHERE id = 1", "COMMIT",
		"UPDATE docs SET n = 2", // leaves the TOASTed body out of the change
		"ALTER TABLE orders ADD COLUMN extra varchar(10)",
		"INSERT INTO orders VALUES (101, 'after ddl', 2.00, 'x')",
		"UPDATE orders SET extra = 'y' WHERE id = 5",
	)
	waitFor(t, "the live changes to reach Doris", func() bool {
		rows, err := doris.srv.Dump("dst", "orders")
		if err != nil {
			return false
		}
		for _, r := range rows {
			if r["id"] == "5" && r["extra"] == "y" {
				return true
			}
		}
		return false
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("a stop by signal must end cleanly: %v", err)
	}
	check("after live changes")

	srv.Exec(t, db, "DELETE FROM orders WHERE id < 10", "INSERT INTO events VALUES (100, 'cron')", "DELETE FROM s_2 WHERE id = 10")
	if err := replicate(t, config.Postgres, a); err != nil {
		t.Fatal(err)
	}
	check("after a cron run")
	var confirmed string
	if err := conn.QueryRow(context.Background(), "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1", slot).Scan(&confirmed); err != nil {
		t.Fatal(err)
	}
	st := readState(t, dir, "e2e")
	saved, err := schema.UnmarshalPosition(st.Position)
	if err != nil {
		t.Fatal(err)
	}
	end, _ := saved.(postgres.Position).Boundary()
	slotAt, err := postgres.ParseLSN(confirmed)
	if err != nil {
		t.Fatal(err)
	}
	if slotAt > end {
		t.Errorf("the slot confirmed %s, past the checkpoint %s", slotAt, end)
	}
}
