package mysql

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/exitcode"
	"github.com/doris-sync/doris-sync/schema"
)

func TestTransactionsMariaDB(t *testing.T) { testTransactions(t, mariaDBFull(t), false) }
func TestTransactionsMySQL(t *testing.T)   { testTransactions(t, mysql9(t), false) }

// TestTransactionsMySQLCompressed: MySQL 8+ can log each transaction as one compressed
// payload event; its rows and commit must come out the same.
func TestTransactionsMySQLCompressed(t *testing.T) { testTransactions(t, mysql9(t), true) }

// testTransactions: a multi-statement transaction (with a primary-key update) comes
// out with one commit position on all its changes and one Commit after the last; a
// DDL and single-row transactions each get their own.
func testTransactions(t *testing.T, srv cdcServer, compressed bool) {
	db := srv.newDB(t)
	srv.exec(t, db, "CREATE TABLE a (id INT PRIMARY KEY, v VARCHAR(10))", "CREATE TABLE b (id INT PRIMARY KEY)",
		"CREATE TABLE untracked (id INT)")
	src := srv.source(t, db)
	tables := discoverTables(t, src)
	from := currentPosition(t, src)
	var session []string
	if compressed {
		session = append(session, "SET SESSION binlog_transaction_compression = ON")
	}
	written := time.Now().Truncate(time.Second) // binlog event times are whole seconds
	srv.exec(t, db, append(session,
		"INSERT INTO a VALUES (1, 'one'), (2, 'two')",
		"BEGIN",
		"INSERT INTO a VALUES (10, 'ten')",
		"UPDATE a SET id = 11 WHERE id = 10",
		"DELETE FROM a WHERE id = 1",
		"INSERT INTO untracked VALUES (5)",
		"INSERT INTO b VALUES (7)",
		"COMMIT",
		"INSERT INTO untracked VALUES (6)",
		"ALTER TABLE a ADD COLUMN w INT",
		"UPDATE a SET w = 3 WHERE id = 2",
	)...)
	if compressed {
		// The path under test: the binlog really holds compressed payloads.
		rows, err := srv.open(t, "").Query(fmt.Sprintf("SHOW BINLOG EVENTS IN '%s' FROM %d", from.File, from.Pos))
		if err != nil {
			t.Fatal(err)
		}
		payloads := 0
		for rows.Next() {
			var file, typ, info string
			var pos, server, end int64
			if err := rows.Scan(&file, &pos, &typ, &server, &end, &info); err != nil {
				t.Fatal(err)
			}
			if typ == "Transaction_payload" {
				payloads++
			}
		}
		rows.Close()
		if payloads < 3 {
			t.Fatalf("%d compressed transaction payloads in the binlog, want at least 3", payloads)
		}
	}
	c := streamUntil(t, src, from, []*schema.Table{tables["a"], tables["b"]}, StreamOptions{})
	var got []string
	for _, ch := range c.changes {
		got = append(got, describeChange(ch))
	}
	want := []string{
		"insert a [1 one]", "insert a [2 two]",
		"insert a [10 ten]", "update a [10 ten] -> [11 ten]", "delete a [1 one]", "insert b [7]",
		"ddl a -> a(id:int,v:varchar,w:int)",
		"update a [2 two <nil>] -> [2 two 3]",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("changes:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Every change carries its transaction's event time (same clock: the server runs here).
	for i, ch := range c.changes {
		if ch.CommitTime.Before(written) || ch.CommitTime.After(time.Now()) {
			t.Errorf("change %d (%s): commit time %v, want the moment it was written (from %v)", i, got[i], ch.CommitTime, written)
		}
	}
	// Transactions: [0,1] [2..5] (untracked 6) [6] [7]; each change's commit count
	// tells which commit it precedes.
	groups := [][]int{{0, 1}, {2, 3, 4, 5}, {6}, {7}}
	for _, g := range groups {
		first := g[0]
		for _, i := range g {
			if c.changes[i].Position != c.changes[first].Position || c.at[i] != c.at[first] {
				t.Errorf("change %d (%s) is not in the transaction of change %d", i, got[i], first)
			}
		}
		commit := c.commits[c.at[first]]
		if schema.Position(commit) != c.changes[first].Position {
			t.Errorf("changes of %v carry %s but the commit after them is %s", g, c.changes[first].Position, commit)
		}
	}
	if c.at[2] != c.at[0]+1 || c.at[6] != c.at[2]+2 {
		t.Errorf("commits between transactions: %v (the untracked insert commits too)", c.at)
	}
	for i := 1; i < len(c.commits); i++ {
		if cmp, err := c.commits[i].Compare(c.commits[i-1]); err != nil || cmp != 1 {
			t.Errorf("commit %d (%s) is not after %s", i, c.commits[i], c.commits[i-1])
		}
	}
}

// TestFilePositionsAndHeartbeats streams by binlog file and offset. After FLUSH BINARY
// LOGS the server's position is in a new file that holds no transaction: only the
// heartbeats can tell the stream it got there.
func TestFilePositionsAndHeartbeats(t *testing.T) {
	srv := mariaDBFull(t)
	db := srv.newDB(t)
	srv.exec(t, db, "CREATE TABLE f (id INT PRIMARY KEY)")
	src := srv.source(t, db)
	tables := discoverTables(t, src)
	p := currentPosition(t, src)
	from := Position{Flavor: p.Flavor, File: p.File, Pos: p.Pos}
	srv.exec(t, db, "INSERT INTO f VALUES (1)", "INSERT INTO f VALUES (2)", "FLUSH BINARY LOGS")
	c := streamUntil(t, src, from, []*schema.Table{tables["f"]}, StreamOptions{})
	if len(c.changes) != 2 {
		t.Fatalf("%d changes", len(c.changes))
	}
	for i, ch := range c.changes {
		pos := ch.Position.(Position)
		if pos.GTIDMode || pos.File == "" {
			t.Errorf("change %d carries %s, want a file position", i, pos)
		}
		// File mode: a change carries the commit before its transaction.
		if i > 0 && pos != c.commits[c.at[i]-1] {
			t.Errorf("change %d carries %s, want the previous commit %s", i, pos, c.commits[c.at[i]-1])
		}
	}
	last := c.commits[len(c.commits)-1]
	if last.File == from.File {
		t.Errorf("the last commit %s is still in %s: the stream did not follow the rotation", last, from.File)
	}
}

// TestStreamReconnects kills the server side of the binlog connection mid-stream: the
// stream reconnects from its last commit and every change arrives exactly once.
func TestStreamReconnects(t *testing.T) {
	srv := mariaDBFull(t)
	db := srv.newDB(t)
	srv.exec(t, db, "CREATE TABLE r (id INT PRIMARY KEY)")
	src := srv.source(t, db)
	tables := discoverTables(t, src)
	from := currentPosition(t, src)
	c := &collector{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		errc <- src.Stream(ctx, StreamOptions{From: from, Tables: []*schema.Table{tables["r"]}, Emit: c.emit, Commit: c.commit,
			Heartbeat: time.Second, Logger: quietLogger(), JobName: t.Name()})
	}()
	count := func() int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.changes) }
	waitFor := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); count() < n; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("only %d of %d changes arrived", count(), n)
			}
		}
	}
	for i := 1; i <= 5; i++ {
		srv.exec(t, db, fmt.Sprintf("INSERT INTO r VALUES (%d)", i))
	}
	waitFor(5)
	pool := srv.open(t, "")
	rows, err := pool.Query("SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%' AND USER = ?", srv.user)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if len(ids) == 0 {
		t.Fatal("no binlog dump connection to kill")
	}
	for _, id := range ids {
		if _, err := pool.Exec(fmt.Sprintf("KILL %d", id)); err != nil {
			t.Fatal(err)
		}
	}
	for i := 6; i <= 10; i++ {
		srv.exec(t, db, fmt.Sprintf("INSERT INTO r VALUES (%d)", i))
	}
	waitFor(10)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("stream ended with %v, want context.Canceled", err)
	}
	var got []int64
	for _, ch := range c.changes {
		got = append(got, ch.After[0].(int64))
	}
	if !reflect.DeepEqual(got, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}) {
		t.Errorf("rows %v", got)
	}
}

// TestStreamSkipsEmittedChangesAfterReconnect breaks the connection inside a
// transaction (Emit kills it) and checks the resumed stream does not emit the
// transaction's first changes twice.
func TestStreamSkipsEmittedChangesAfterReconnect(t *testing.T) {
	srv := mariaDBFull(t)
	db := srv.newDB(t)
	srv.exec(t, db, "CREATE TABLE r (id INT PRIMARY KEY)")
	src := srv.source(t, db)
	tables := discoverTables(t, src)
	from := currentPosition(t, src)
	// A transaction of many events: far more than the client reads ahead, so the kill
	// lands inside it and the resumed stream reads it again from its start.
	const n = 300
	txn := []string{"BEGIN"}
	for i := 1; i <= n; i++ {
		txn = append(txn, fmt.Sprintf("INSERT INTO r VALUES (%d)", i))
	}
	srv.exec(t, db, append(txn, "COMMIT", fmt.Sprintf("INSERT INTO r VALUES (%d)", n+1))...)
	until := currentPosition(t, src)

	pool := srv.open(t, "")
	var got []int64
	killed := false
	var once sync.Once
	emit := func(ch schema.Change) error {
		got = append(got, ch.After[0].(int64))
		if ch.After[0].(int64) == 2 {
			once.Do(func() {
				// Kill the dump connection between two rows of one transaction.
				var id int64
				if err := pool.QueryRow("SELECT ID FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%' AND USER = ? LIMIT 1", srv.user).Scan(&id); err == nil {
					_, err = pool.Exec(fmt.Sprintf("KILL %d", id))
					killed = err == nil
				}
			})
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := src.Stream(ctx, StreamOptions{From: from, Until: until, Tables: []*schema.Table{tables["r"]}, Emit: emit,
		Commit: func(Position) error { return nil }, Heartbeat: time.Second, Logger: quietLogger(), JobName: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	if !killed {
		t.Fatal("the dump connection was not killed")
	}
	if len(got) != n+1 {
		t.Errorf("%d rows, want %d", len(got), n+1)
	}
	for i, id := range got {
		if id != int64(i+1) {
			t.Fatalf("row %d is %d: rows must arrive once each, in order", i, id)
		}
	}
}

// TestUnparseableDDL: a DDL on a tracked table that cannot be read stops the stream with
// a *DDLError naming it; with SkipUnparsedDDL the stream warns and goes on.
func TestUnparseableDDL(t *testing.T) {
	srv := mariaDBFull(t)
	db := srv.newDB(t)
	srv.exec(t, db, "CREATE TABLE u (id INT PRIMARY KEY)", "CREATE TABLE other (id INT PRIMARY KEY)")
	src := srv.source(t, db)
	tables := discoverTables(t, src)
	from := currentPosition(t, src)
	srv.exec(t, db, "INSERT INTO u VALUES (1)",
		"ALTER TABLE other WAIT 5 ADD COLUMN x INT", // not tracked: ignored before parsing
		"ALTER TABLE u WAIT 5 ADD COLUMN x INT",
		"INSERT INTO u VALUES (2, 7)")
	until := currentPosition(t, src)
	c := &collector{}
	opts := StreamOptions{From: from, Until: until, Tables: []*schema.Table{tables["u"]}, Emit: c.emit, Commit: c.commit,
		Heartbeat: time.Second, Logger: quietLogger(), JobName: t.Name()}
	err := src.Stream(context.Background(), opts)
	derr, ok := errorsAs[*DDLError](err)
	if !ok || len(derr.Tables) != 1 || derr.Tables[0].Name != "u" || !strings.Contains(err.Error(), "WAIT 5 ADD COLUMN x INT") {
		t.Fatalf("got %v", err)
	}
	if len(c.changes) != 1 {
		t.Errorf("%d changes before the DDL, want 1", len(c.changes))
	}
	// Stopped before the DDL: resuming from the last commit meets it again.
	c2 := &collector{}
	opts.From, opts.Emit, opts.Commit, opts.SkipUnparsedDDL = c.commits[len(c.commits)-1], c2.emit, c2.commit, true
	if err := src.Stream(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if len(c2.changes) != 1 || c2.changes[0].After[0] != int64(2) || len(c2.changes[0].After) != 1 {
		t.Errorf("after skipping: %v", c2.changes)
	}
}

// TestStatementBasedWrite: a write logged as a statement cannot be replicated: the
// stream stops and says why.
func TestStatementBasedWrite(t *testing.T) {
	srv := mariaDBFull(t)
	db := srv.newDB(t)
	srv.exec(t, db, "CREATE TABLE s (id INT PRIMARY KEY)")
	src := srv.source(t, db)
	tables := discoverTables(t, src)
	from := currentPosition(t, src)
	srv.exec(t, db, "SET SESSION binlog_format = 'STATEMENT'", "BEGIN", "INSERT INTO s VALUES (1)", "COMMIT")
	until := currentPosition(t, src)
	err := src.Stream(context.Background(), StreamOptions{From: from, Until: until, Tables: []*schema.Table{tables["s"]},
		Emit: (&collector{}).emit, Commit: (&collector{}).commit, Heartbeat: time.Second, Logger: quietLogger(), JobName: t.Name()})
	if err == nil || !strings.Contains(err.Error(), "statement-based write to "+db+".s") {
		t.Errorf("got %v", err)
	}
}

// TestPurgedPosition: a position whose binlog is gone ends with exit code 3.
func TestPurgedPosition(t *testing.T) {
	srv := mariaDBFull(t)
	db := srv.newDB(t)
	src := srv.source(t, db)
	p := currentPosition(t, src)
	gone := Position{Flavor: p.Flavor, File: "binlog.999999", Pos: 4}
	err := src.Stream(context.Background(), StreamOptions{From: gone, Emit: (&collector{}).emit, Commit: (&collector{}).commit,
		Heartbeat: time.Second, Logger: quietLogger(), JobName: t.Name()})
	if exitcode.Of(err) != exitcode.PositionLostError || !strings.Contains(err.Error(), "no longer available") {
		t.Errorf("got %v (exit code %d)", err, exitcode.Of(err))
	}
}

// TestCaughtUpAtStart: a stream whose start is already at its end returns at once.
func TestCaughtUpAtStart(t *testing.T) {
	srv := mariaDBFull(t)
	src := srv.source(t, srv.newDB(t))
	p := currentPosition(t, src)
	c := &collector{}
	err := src.Stream(context.Background(), StreamOptions{From: p, Until: p, Emit: c.emit, Commit: c.commit, Logger: quietLogger()})
	if err != nil || len(c.commits) != 0 {
		t.Errorf("got %v, %d commits", err, len(c.commits))
	}
}

func TestDefaultServerID(t *testing.T) {
	a, b := DefaultServerID("mysql-shop-to-ods"), DefaultServerID("mysql-crm-to-ods")
	for _, id := range []uint32{a, b, DefaultServerID("")} {
		if id < 2_000_000_000 || id >= 3_000_000_000 {
			t.Errorf("server id %d outside [2e9, 3e9)", id)
		}
	}
	if a == b || a != DefaultServerID("mysql-shop-to-ods") {
		t.Errorf("ids %d %d: want stable and distinct per job", a, b)
	}
}

// TestUndecodableEvent: rows the binlog client cannot decode (MariaDB's compressed
// columns) end the stream with an error naming the event, not an endless reconnect.
func TestUndecodableEvent(t *testing.T) {
	srv := mariaDBFull(t)
	db := srv.newDB(t)
	srv.exec(t, db, "CREATE TABLE z (id INT PRIMARY KEY)")
	src := srv.source(t, db)
	tables := discoverTables(t, src)
	from := currentPosition(t, src)
	srv.exec(t, db, "ALTER TABLE z ADD COLUMN c BLOB COMPRESSED", "INSERT INTO z VALUES (1, 'x')")
	until := currentPosition(t, src)
	err := src.Stream(context.Background(), StreamOptions{From: from, Until: until, Tables: []*schema.Table{tables["z"]},
		Emit: (&collector{}).emit, Commit: (&collector{}).commit, SkipUnparsedDDL: true, Heartbeat: time.Second,
		ReconnectFor: time.Minute, Logger: quietLogger(), JobName: t.Name()})
	if err == nil || !strings.Contains(err.Error(), "cannot decode a binlog event") {
		t.Errorf("got %v", err)
	}
}

func TestXATransactionMariaDB(t *testing.T) { testXATransaction(t, mariaDBFull(t)) }
func TestXATransactionMySQL(t *testing.T)   { testXATransaction(t, mysql9(t)) }

// testXATransaction: an XA transaction's rows come once, and the stream's position
// stays exact through its XA PREPARE and XA COMMIT (the end position is reached).
func testXATransaction(t *testing.T, srv cdcServer) {
	db := srv.newDB(t)
	srv.exec(t, db, "CREATE TABLE x (id INT PRIMARY KEY)")
	src := srv.source(t, db)
	tables := discoverTables(t, src)
	from := currentPosition(t, src)
	// One connection throughout: committing from a second connection races the server
	// noticing that the first one (which still owns the prepared XID) has gone, and the
	// INSERT then waits out innodb_lock_wait_timeout (50 s) on the prepared rows' locks.
	srv.exec(t, db, "XA START 'x1'", "INSERT INTO x VALUES (1)", "INSERT INTO x VALUES (2)", "XA END 'x1'", "XA PREPARE 'x1'",
		"XA COMMIT 'x1'", "INSERT INTO x VALUES (3)")
	c := streamUntil(t, src, from, []*schema.Table{tables["x"]}, StreamOptions{})
	var got []string
	for _, ch := range c.changes {
		got = append(got, describeChange(ch))
	}
	if want := []string{"insert x [1]", "insert x [2]", "insert x [3]"}; !reflect.DeepEqual(got, want) {
		t.Errorf("changes %v, want %v", got, want)
	}
}
