package sync

import (
	"context"
	"crypto/md5"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math/rand"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/config"
	"github.com/doris-sync/doris-sync/testkit/mariadb"
)

// tableChecksum is COUNT(*), SUM(id) and the MD5 of the rows' fields joined by '|',
// one row a line in id order: what the source computes in SQL and the test computes
// from the stand-in's rows.
type tableChecksum struct {
	count int
	sumID int64
	md5   string
}

// dorisChecksum computes the checksum of the stand-in's table over the columns
// (the first is the integer id).
func dorisChecksum(t *testing.T, s standIn, db, table string, cols ...string) tableChecksum {
	t.Helper()
	rows, err := s.srv.Dump(db, table)
	if err != nil {
		t.Fatal(err)
	}
	type line struct {
		id   int64
		text string
	}
	lines := make([]line, 0, len(rows))
	var sum tableChecksum
	for _, r := range rows {
		id, err := strconv.ParseInt(fmt.Sprint(r[cols[0]]), 10, 64)
		if err != nil {
			t.Fatalf("%s.%s: id %v: %v", db, table, r[cols[0]], err)
		}
		parts := make([]string, len(cols))
		for i, c := range cols {
			parts[i] = fmt.Sprint(r[c])
		}
		lines = append(lines, line{id, strings.Join(parts, "|")})
		sum.sumID += id
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i].id < lines[j].id })
	h := md5.New()
	for i, l := range lines {
		if i > 0 {
			h.Write([]byte("\n"))
		}
		h.Write([]byte(l.text))
	}
	sum.count = len(lines)
	sum.md5 = hex.EncodeToString(h.Sum(nil))
	return sum
}

// A 200k-row table is copied in many chunks by four readers, exactly.
func TestAcceptMariaDBParallelSnapshot200k(t *testing.T) {
	srv := mariadb.Shared(t)
	db := srv.DB(t)
	srv.Exec(t, db,
		"CREATE TABLE big (id INT PRIMARY KEY, v VARCHAR(48) NOT NULL, n DECIMAL(12,3) NOT NULL, t DATETIME(3) NOT NULL)",
		"INSERT INTO big SELECT seq, CONCAT('v', seq, '-', MD5(seq)), seq * 1.001, TIMESTAMP('2024-01-01') + INTERVAL seq SECOND + INTERVAL (seq % 1000) * 1000 MICROSECOND FROM seq_1_to_200000",
	)
	doris := startStandIn(t)
	logs := captureLogs(t)
	a := e2eArgs(mysqlServerConf(srv, db), doris.sinkConf(), t.TempDir(), "snapshot-parallelism", "4")
	a.source = append(a.source, "scan.incremental.snapshot.chunk.size=2000")
	runUntilCaughtUp(t, config.MySQL, a, logs)

	conn, err := srv.Open(t, db).Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var want tableChecksum
	if _, err := conn.ExecContext(context.Background(), "SET SESSION group_concat_max_len = 67108864"); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRowContext(context.Background(),
		"SELECT COUNT(*), SUM(id), MD5(GROUP_CONCAT(CONCAT_WS('|', id, v, n, t) ORDER BY id SEPARATOR '\\n')) FROM big").
		Scan(&want.count, &want.sumID, &want.md5); err != nil {
		t.Fatal(err)
	}
	if want.count != 200000 {
		t.Fatalf("the source holds %d rows, want 200000", want.count)
	}
	if got := dorisChecksum(t, doris, "dst", "big", "id", "v", "n", "t"); got != want {
		t.Errorf("Doris: %+v, the source: %+v", got, want)
	}
	assertManyChunks(t, logs.String(), 50)
}

// assertManyChunks checks the copy was planned in at least min chunks.
func assertManyChunks(t *testing.T, log string, min int) {
	t.Helper()
	m := regexp.MustCompile(`msg="copying table".* chunks_planned=(\d+)`).FindStringSubmatch(log)
	if m == nil {
		t.Fatalf("no \"copying table\" line in the log:\n%s", lastLines(log, 20))
	}
	if n, _ := strconv.Atoi(m[1]); n < min {
		t.Errorf("the copy was planned in %d chunks, want at least %d", n, min)
	}
}

// mariaDBWriter changes the source while a job runs: inserts, updates, deletes,
// primary-key updates and multi-statement transactions on a keyed table, and inserts
// into a table without a key. It stops when stop is closed and reports how many
// statements it ran.
func mariaDBWriter(t *testing.T, pool *sql.DB, seed int64, stop <-chan struct{}) <-chan int {
	t.Helper()
	rnd := rand.New(rand.NewSource(seed))
	conn, err := pool.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan int, 1)
	go func() {
		defer conn.Close()
		ctx := context.Background()
		n := 0
		next := 1_000_000
		exec := func(q string, args ...any) {
			if _, err := conn.ExecContext(ctx, q, args...); err != nil {
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
				exec("INSERT INTO items VALUES (?, ?, ?)", next, fmt.Sprintf("new-%d", next), rnd.Intn(1000))
			case op < 6:
				exec("UPDATE items SET v = ?, n = n + 1 WHERE id = ?", fmt.Sprintf("upd-%d", n), id)
			case op < 7:
				exec("DELETE FROM items WHERE id = ?", id)
			case op < 8:
				next++
				exec("UPDATE items SET id = ? WHERE id = ?", next, id) // a primary-key update
			case op < 9:
				exec("BEGIN")
				exec("UPDATE items SET n = n - 1 WHERE id = ?", id)
				exec("INSERT INTO journal VALUES (?, ?)", id, fmt.Sprintf("txn-%d", n))
				exec("DELETE FROM items WHERE id = ?", 1+rnd.Intn(20000))
				exec("COMMIT")
			default:
				exec("INSERT INTO journal VALUES (?, ?)", id, fmt.Sprintf("log-%d", n))
			}
		}
	}()
	return done
}

// Writes while the snapshot is being read converge: after the run that copied the
// tables and a cron run, Doris equals the source, rows of the table without a key
// included (none lost, none doubled).
func TestAcceptMariaDBChangesDuringSnapshot(t *testing.T) {
	srv := mariadb.Shared(t)
	db := srv.DB(t)
	srv.Exec(t, db,
		"CREATE TABLE items (id INT PRIMARY KEY, v VARCHAR(32), n INT)",
		"CREATE TABLE journal (item INT, note VARCHAR(32))",
		"INSERT INTO items SELECT seq, CONCAT('v', seq), seq % 100 FROM seq_1_to_20000",
		"INSERT INTO journal SELECT seq, 'seed' FROM seq_1_to_3000",
	)
	doris := startStandIn(t)
	logs := captureLogs(t)
	a := e2eArgs(mysqlServerConf(srv, db), doris.sinkConf(), t.TempDir(), "snapshot-parallelism", "3")
	a.source = append(a.source, "scan.incremental.snapshot.chunk.size=500")
	pool := srv.Open(t, db)

	seed := time.Now().UnixNano()
	t.Logf("writer seed %d", seed)
	stop := make(chan struct{})
	written := mariaDBWriter(t, pool, seed, stop)
	runUntilCaughtUp(t, config.MySQL, a, logs)
	close(stop)
	t.Logf("%d statements ran while the first run copied and streamed", <-written)

	runUntilCaughtUp(t, config.MySQL, a, logs)
	sameLines(t, "items", dumpRows(t, doris.srv, "dst", "items"), sqlRows(t, pool, "SELECT * FROM items"))
	sameLines(t, "journal", dumpRows(t, doris.srv, "dst", "journal"), sqlRows(t, pool, "SELECT * FROM journal"))
}

// A table created while a job streams is created in Doris and gets its rows, whether
// they come from INSERTs or from CREATE TABLE … SELECT (logged as one transaction).
func TestAcceptMariaDBTableCreatedMidStream(t *testing.T) {
	testTableCreatedMidStream(t, mariaDBServer(t))
}

func TestAcceptMySQLTableCreatedMidStream(t *testing.T) {
	testTableCreatedMidStream(t, mySQLServer(t))
}

func testTableCreatedMidStream(t *testing.T, src mysqlServer) {
	db := src.newDB(t)
	src.exec(t, db, "CREATE TABLE first (id INT PRIMARY KEY, v VARCHAR(10))", "INSERT INTO first VALUES (1, 'a')")
	doris := startStandIn(t)
	logs := captureLogs(t)
	a := e2eArgs(src.sourceConf(db), doris.sinkConf(), t.TempDir())
	job := backgroundJob(t, config.MySQL, a, logs)
	job.waitFor("the snapshot", func() bool { return rowCount(doris.srv, "dst", "first") == 1 })

	src.exec(t, db,
		"CREATE TABLE late (id INT PRIMARY KEY, v VARCHAR(20), at DATETIME(3))",
		"INSERT INTO late VALUES (1, 'one', '2024-05-06 07:08:09.123'), (2, 'two', NULL), (3, 'three', '2024-01-01 00:00:00')",
		"UPDATE late SET v = 'TWO' WHERE id = 2",
		"DELETE FROM late WHERE id = 3",
		"CREATE TABLE late_copy (PRIMARY KEY (id)) AS SELECT id, v FROM late",
		"INSERT INTO late_copy VALUES (10, 'ten')",
		"CREATE TABLE late_nokey AS SELECT v AS msg FROM late",
		"INSERT INTO late_nokey VALUES ('one'), ('y')",
		"INSERT INTO first VALUES (2, 'last')",
	)
	job.waitFor("the new tables' rows", func() bool {
		return hasRow(doris.srv, "dst", "first", "id", "2") && rowCount(doris.srv, "dst", "late_copy") == 3 && rowCount(doris.srv, "dst", "late_nokey") == 4
	})
	job.mustStop()
	pool := src.open(t, db)
	for _, table := range []string{"first", "late", "late_copy", "late_nokey"} {
		sameLines(t, table, dumpRows(t, doris.srv, "dst", table), sqlRows(t, pool, "SELECT * FROM "+table))
	}
	mustContain(t, "SHOW CREATE TABLE late", doris.showCreate(t, "dst", "late"), "UNIQUE KEY(`id`)", "`at` datetime(3) NULL")
	mustContain(t, "SHOW CREATE TABLE late_copy", doris.showCreate(t, "dst", "late_copy"), "UNIQUE KEY(`id`)")
	mustContain(t, "SHOW CREATE TABLE late_nokey", doris.showCreate(t, "dst", "late_nokey"), "DUPLICATE KEY(`msg`)")
}

// Two jobs (different names and Doris databases) stream from one server at the same
// time: both converge, and neither disconnects the other (their server ids differ).
func TestAcceptMariaDBTwoJobsOneServer(t *testing.T) {
	srv := mariadb.Shared(t)
	db := srv.DB(t)
	srv.Exec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))", "INSERT INTO t SELECT seq, CONCAT('v', seq) FROM seq_1_to_100")
	doris := startStandIn(t)
	logs := captureLogs(t)
	dir := t.TempDir()
	src := mysqlServerConf(srv, db)
	jobA := backgroundJob(t, config.MySQL, e2eArgs(src, doris.sinkConf(), dir, "job-name", "orders-a", "database", "dst_a"), logs)
	jobB := backgroundJob(t, config.MySQL, e2eArgs(src, doris.sinkConf(), dir, "job-name", "orders-b", "database", "dst_b"), logs)
	for _, j := range []struct {
		job *liveJob
		db  string
	}{{jobA, "dst_a"}, {jobB, "dst_b"}} {
		j.job.waitFor("the snapshot of "+j.db, func() bool { return rowCount(doris.srv, j.db, "t") == 100 })
	}
	for i := 0; i < 20; i++ {
		srv.Exec(t, db,
			fmt.Sprintf("INSERT INTO t VALUES (%d, 'live')", 1000+i),
			fmt.Sprintf("UPDATE t SET v = 'changed %d' WHERE id = %d", i, i+1),
			fmt.Sprintf("DELETE FROM t WHERE id = %d", 100-i))
	}
	srv.Exec(t, db, "INSERT INTO t VALUES (5000, 'last')")
	for _, j := range []struct {
		job *liveJob
		db  string
	}{{jobA, "dst_a"}, {jobB, "dst_b"}} {
		j.job.waitFor("the changes in "+j.db, func() bool { return hasRow(doris.srv, j.db, "t", "id", "5000") })
	}

	// Both replicas are registered with the server at once, under their own ids.
	ids := regexp.MustCompile(`msg="binlog stream started".* server_id=(\d+)`).FindAllStringSubmatch(logs.String(), -1)
	distinct := map[string]bool{}
	for _, m := range ids {
		distinct[m[1]] = true
	}
	if len(ids) != 2 || len(distinct) != 2 {
		t.Fatalf("want two binlog streams with two server ids, got %q\nlog:\n%s", ids, logs.String())
	}
	hosts := sqlRows(t, srv.Open(t, ""), "SHOW SLAVE HOSTS")
	for id := range distinct {
		found := false
		for _, h := range hosts {
			found = found || strings.Contains(h, "Server_id="+id+";")
		}
		if !found {
			t.Errorf("SHOW SLAVE HOSTS does not list server id %s while both jobs run: %q", id, hosts)
		}
	}

	jobA.mustStop()
	jobB.mustStop()
	if strings.Contains(logs.String(), "binlog connection lost") {
		t.Errorf("a job lost its binlog connection while the other ran:\n%s", logs.String())
	}
	want := sqlRows(t, srv.Open(t, db), "SELECT * FROM t")
	sameLines(t, "job a", dumpRows(t, doris.srv, "dst_a", "t"), want)
	sameLines(t, "job b", dumpRows(t, doris.srv, "dst_b", "t"), want)
}

// A value longer than Doris's STRING limit (string_type_length_soft_limit_bytes, 1 MB
// by default; BLOBs grow by a third as base64) stops the job with Doris's reason and
// the table, rather than leaving the row out.
func TestAcceptMariaDBValueOverDorisStringLimit(t *testing.T) {
	srv := mariadb.Shared(t)
	db := srv.DB(t)
	srv.Exec(t, db, "CREATE TABLE docs (id INT PRIMARY KEY, body LONGBLOB)",
		"INSERT INTO docs VALUES (1, 'small'), (2, REPEAT('x', 2 << 20))")
	doris := startStandIn(t)
	logs := captureLogs(t)
	a := e2eArgs(mysqlServerConf(srv, db), doris.sinkConf(), t.TempDir(), "stop-when-caught-up", "true")
	err := replicate(t, config.MySQL, a)
	if err == nil {
		t.Fatalf("a 2 MB value must not load into a Doris STRING capped at 1 MB\nlog:\n%s", logs.String())
	}
	for _, want := range []string{"dst.docs", "the length of input is too long than schema"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
}
