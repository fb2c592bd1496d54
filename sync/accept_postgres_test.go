package sync

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/doris-sync/doris-sync/config"
	pgkit "github.com/doris-sync/doris-sync/testkit/postgres"
)

// A 200k-row table is copied in many chunks by four readers, exactly.
func TestAcceptPostgresParallelSnapshot200k(t *testing.T) {
	srv := pgkit.Shared(t)
	db := srv.DB(t)
	srv.Exec(t, db,
		"CREATE TABLE big (id integer PRIMARY KEY, v text NOT NULL, n numeric(12,3) NOT NULL)",
		"INSERT INTO big SELECT g, 'v' || g || '-' || md5(g::text), g * 1.001 FROM generate_series(1, 200000) g",
		"CREATE PUBLICATION accept_pub FOR ALL TABLES",
	)
	doris := startStandIn(t)
	logs := captureLogs(t)
	a := postgresJobArgs(t, srv, db, "accept_pub", doris, t.TempDir(), "snapshot-parallelism", "4")
	a.source = append(a.source, "scan.incremental.snapshot.chunk.size=2000")
	runUntilCaughtUp(t, config.Postgres, a, logs)

	var want tableChecksum
	if err := srv.Conn(t, db).QueryRow(context.Background(),
		`SELECT count(*), sum(id), md5(string_agg(concat_ws('|', id, v, n), E'\n' ORDER BY id)) FROM big`).
		Scan(&want.count, &want.sumID, &want.md5); err != nil {
		t.Fatal(err)
	}
	if want.count != 200000 {
		t.Fatalf("the source holds %d rows, want 200000", want.count)
	}
	if got := dorisChecksum(t, doris, "dst", "big", "id", "v", "n"); got != want {
		t.Errorf("Doris: %+v, the source: %+v", got, want)
	}
	assertManyChunks(t, logs.String(), 50)
}

// postgresWriter changes the source while a job runs (see mariaDBWriter).
func postgresWriter(t *testing.T, conn *pgx.Conn, seed int64, stop <-chan struct{}) <-chan int {
	rnd := rand.New(rand.NewSource(seed))
	done := make(chan int, 1)
	go func() {
		ctx := context.Background()
		n := 0
		next := 1_000_000
		exec := func(q string, args ...any) {
			if _, err := conn.Exec(ctx, q, args...); err != nil {
				t.Errorf("writer: %s: %v", q, err)
			}
			n++
		}
		for {
			select {
			case <-stop:
				done <- n
				return
			default:
			}
			id := 1 + rnd.Intn(20000)
			switch op := rnd.Intn(10); {
			case op < 3:
				next++
				exec("INSERT INTO items VALUES ($1, $2, $3)", next, fmt.Sprintf("new-%d", next), rnd.Intn(1000))
			case op < 6:
				exec("UPDATE items SET v = $1, n = n + 1 WHERE id = $2", fmt.Sprintf("upd-%d", n), id)
			case op < 7:
				exec("DELETE FROM items WHERE id = $1", id)
			case op < 8:
				next++
				exec("UPDATE items SET id = $1 WHERE id = $2", next, id) // a primary-key update
			case op < 9:
				exec("BEGIN")
				exec("UPDATE items SET n = n - 1 WHERE id = $1", id)
				exec("INSERT INTO journal VALUES ($1, $2)", id, fmt.Sprintf("txn-%d", n))
				exec("DELETE FROM items WHERE id = $1", 1+rnd.Intn(20000))
				exec("COMMIT")
			default:
				exec("INSERT INTO journal VALUES ($1, $2)", id, fmt.Sprintf("log-%d", n))
			}
		}
	}()
	return done
}

// Writes while the exported snapshot is copied converge: after the first run and a
// cron run, Doris equals the source, the table without a key included.
func TestAcceptPostgresChangesDuringSnapshot(t *testing.T) {
	srv := pgkit.Shared(t)
	db := srv.DB(t)
	srv.Exec(t, db,
		"CREATE TABLE items (id integer PRIMARY KEY, v text, n integer)",
		"CREATE TABLE journal (item integer, note text)",
		"ALTER TABLE journal REPLICA IDENTITY FULL",
		"INSERT INTO items SELECT g, 'v' || g, g % 100 FROM generate_series(1, 20000) g",
		"INSERT INTO journal SELECT g, 'seed' FROM generate_series(1, 3000) g",
		"CREATE PUBLICATION accept_pub FOR ALL TABLES",
	)
	doris := startStandIn(t)
	logs := captureLogs(t)
	a := postgresJobArgs(t, srv, db, "accept_pub", doris, t.TempDir(), "snapshot-parallelism", "3")
	a.source = append(a.source, "scan.incremental.snapshot.chunk.size=500")

	seed := time.Now().UnixNano()
	t.Logf("writer seed %d", seed)
	stop := make(chan struct{})
	written := postgresWriter(t, srv.Conn(t, db), seed, stop)
	runUntilCaughtUp(t, config.Postgres, a, logs)
	close(stop)
	t.Logf("%d statements ran while the first run copied and streamed", <-written)

	runUntilCaughtUp(t, config.Postgres, a, logs)
	conn := srv.Conn(t, db)
	sameLines(t, "items", dumpRows(t, doris.srv, "dst", "items"), pgRows(t, conn, "SELECT * FROM items"))
	sameLines(t, "journal", dumpRows(t, doris.srv, "dst", "journal"), pgRows(t, conn, "SELECT * FROM journal"))
}

// A partitioned table's rows arrive under its root; TRUNCATE upstream is logged and
// leaves Doris's rows alone (the documented policy); columns added and dropped while
// the job streams are added and dropped in Doris, with rows before and after each.
func TestAcceptPostgresPartitionsTruncateAndColumns(t *testing.T) {
	srv := pgkit.Shared(t)
	db := srv.DB(t)
	srv.Exec(t, db,
		"CREATE TABLE events (id integer, at date, body text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)",
		"CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
		"CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
		"CREATE TABLE items (id integer PRIMARY KEY, v text)",
		"CREATE TABLE logs (id integer PRIMARY KEY, msg text)",
		"INSERT INTO events VALUES (1, '2024-03-01', 'a'), (2, '2025-03-01', 'b'), (3, '2024-12-31', 'c')",
		"INSERT INTO items VALUES (1, 'one'), (2, 'two')",
		"INSERT INTO logs VALUES (1, 'first'), (2, 'second')",
		"CREATE PUBLICATION accept_pub FOR ALL TABLES WITH (publish_via_partition_root = true)",
	)
	doris := startStandIn(t)
	logs := captureLogs(t)
	a := postgresJobArgs(t, srv, db, "accept_pub", doris, t.TempDir())
	job := backgroundJob(t, config.Postgres, a, logs)
	job.waitFor("the snapshot", func() bool {
		return rowCount(doris.srv, "dst", "logs") == 2 && rowCount(doris.srv, "dst", "events") == 3
	})

	srv.Exec(t, db,
		"INSERT INTO events VALUES (4, '2025-07-01', 'd'), (5, '2024-07-01', 'e')",
		"UPDATE events SET body = 'A' WHERE id = 1",
		"UPDATE events SET at = '2025-01-15' WHERE id = 3", // moves the row to the other partition
		"DELETE FROM events WHERE id = 2",
		"TRUNCATE logs",
		"INSERT INTO logs VALUES (2, 'after truncate'), (3, 'third')",
		"INSERT INTO items VALUES (3, 'before add')",
		"ALTER TABLE items ADD COLUMN extra text",
		"ALTER TABLE items ADD COLUMN flag integer NOT NULL DEFAULT 7", // existing rows read 7 without a change
		"INSERT INTO items VALUES (4, 'after add', 'x', 8)",
		"UPDATE items SET extra = 'y' WHERE id = 1",
		"ALTER TABLE items DROP COLUMN v",
		"INSERT INTO items VALUES (5, 'after drop', 9)",
		"UPDATE items SET extra = 'z' WHERE id = 2",
	)
	job.waitFor("the changes", func() bool { return hasRow(doris.srv, "dst", "items", "extra", "z") })
	job.mustStop()
	runUntilCaughtUp(t, config.Postgres, a, logs)

	conn := srv.Conn(t, db)
	sameLines(t, "events", dumpRows(t, doris.srv, "dst", "events"), pgRows(t, conn, "SELECT * FROM events"))
	for _, partition := range []string{"events_2024", "events_2025"} {
		if _, err := doris.srv.Dump("dst", partition); err == nil {
			t.Errorf("partition %s has a Doris table of its own; its rows belong to dst.events\nlog:\n%s", partition, logs.String())
		}
	}
	sameLines(t, "items", dumpRows(t, doris.srv, "dst", "items"), pgRows(t, conn, "SELECT * FROM items"))
	if _, ok := doris.desc(t, "dst", "items")["v"]; ok {
		t.Error("the dropped column v is still in the Doris table")
	}

	// Doris keeps the rows from before the TRUNCATE; the later rows upsert by key.
	sameLines(t, "logs", dumpRows(t, doris.srv, "dst", "logs"), []string{
		"id=1;msg=first;",
		"id=2;msg=after truncate;",
		"id=3;msg=third;",
	})
	warned := 0
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, `msg="TRUNCATE upstream is NOT applied`) && strings.Contains(line, "source="+db+".public.logs ") &&
			strings.Contains(line, "doris=dst.logs") && strings.Contains(line, "level=WARN") {
			warned++
		}
	}
	if warned != 1 {
		t.Errorf("want one warning that the TRUNCATE of logs is not applied, got %d\nlog:\n%s", warned, logs.String())
	}
}
