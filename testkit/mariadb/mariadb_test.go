package mariadb_test

import (
	"database/sql"
	"errors"
	"net"
	"os"
	"strconv"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/doris-sync/doris-sync/testkit"
	"github.com/doris-sync/doris-sync/testkit/mariadb"
)

func TestMain(m *testing.M) { testkit.Main(m) }

func open(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func queryString(t *testing.T, db *sql.DB, query string) string {
	t.Helper()
	var v string
	if err := db.QueryRow(query).Scan(&v); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return v
}

func mysqlErrNumber(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

func TestBinlogIsSetUpForCDC(t *testing.T) {
	srv := mariadb.Shared(t)
	root := open(t, srv.RootDSN(""))
	for query, want := range map[string]string{
		"SELECT @@log_bin":              "1",
		"SELECT @@binlog_format":        "ROW",
		"SELECT @@binlog_row_image":     "FULL",
		"SELECT @@binlog_row_metadata":  "FULL",
		"SELECT @@server_id":            "1",
		"SELECT @@character_set_server": "utf8mb4",
	} {
		if got := queryString(t, root, query); got != want {
			t.Errorf("%s = %q, want %q", query, got, want)
		}
	}
	if got := queryString(t, root, "SELECT VERSION()"); got != srv.Version || srv.Version == "" {
		t.Errorf("Version = %q, server says %q", srv.Version, got)
	}

	// A write gets a MariaDB GTID (domain-server-seq) in the binlog.
	db := srv.DB(t)
	srv.Exec(t, db, "CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1)")
	if pos := queryString(t, root, "SELECT @@gtid_binlog_pos"); len(pos) < 5 || pos[:4] != "0-1-" {
		t.Errorf("gtid_binlog_pos = %q, want 0-1-N", pos)
	}
}

func TestNoAnonymousUsers(t *testing.T) {
	srv := mariadb.Shared(t)
	root := open(t, srv.RootDSN(""))
	if n := queryString(t, root, "SELECT COUNT(*) FROM mysql.user WHERE User = ''"); n != "0" {
		t.Errorf("%s anonymous accounts left", n)
	}
}

func TestReplicationUserHasLeastPrivilege(t *testing.T) {
	srv := mariadb.Shared(t)
	if srv.ReplUser == "" || srv.ReplPassword == "" {
		t.Fatalf("replication user %q has no password", srv.ReplUser)
	}
	db := srv.DB(t)
	srv.Exec(t, db, "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20))", "INSERT INTO items VALUES (7, 'seven')")
	repl := open(t, srv.ReplDSN(db))

	if got := queryString(t, repl, "SELECT name FROM items WHERE id = 7"); got != "seven" {
		t.Errorf("repl reads %q, want seven", got)
	}
	for _, status := range []string{"SHOW MASTER STATUS", "SHOW BINLOG STATUS"} {
		var file, pos, doDB, ignoreDB string
		if err := repl.QueryRow(status).Scan(&file, &pos, &doDB, &ignoreDB); err != nil {
			t.Errorf("repl %s: %v", status, err)
		} else if file == "" {
			t.Errorf("repl %s: empty binlog file name", status)
		}
	}

	const denied = 1142 // ER_TABLEACCESS_DENIED_ERROR
	for _, stmt := range []string{
		"CREATE TABLE other (id INT)",
		"INSERT INTO items VALUES (8, 'eight')",
		"DROP TABLE items",
	} {
		_, err := repl.Exec(stmt)
		if n := mysqlErrNumber(err); n != denied {
			t.Errorf("repl %q: err %v (number %d), want access denied %d", stmt, err, n, denied)
		}
	}
}

func TestReplicationPasswordIsChecked(t *testing.T) {
	srv := mariadb.Shared(t)
	cfg, err := mysql.ParseDSN(srv.ReplDSN(""))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Passwd = "not-" + srv.ReplPassword
	err = open(t, cfg.FormatDSN()).Ping()
	if n := mysqlErrNumber(err); n != 1045 { // ER_ACCESS_DENIED_ERROR
		t.Fatalf("wrong password: err %v (number %d), want 1045", err, n)
	}
}

func TestEachTestGetsItsOwnDatabase(t *testing.T) {
	srv := mariadb.Shared(t)
	root := open(t, srv.RootDSN(""))
	var names []string
	for _, sub := range []string{"first", "second"} {
		t.Run(sub, func(t *testing.T) {
			db := srv.DB(t)
			names = append(names, db)
			srv.Exec(t, db, "CREATE TABLE only_"+sub+" (id INT)")
			if n := queryString(t, root, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '"+db+"'"); n != "1" {
				t.Errorf("database %s has %s tables, want only its own", db, n)
			}
		})
	}
	if len(names) != 2 || names[0] == names[1] {
		t.Fatalf("databases %q are not distinct", names)
	}
	for _, name := range names {
		if n := queryString(t, root, "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = '"+name+"'"); n != "0" {
			t.Errorf("database %s still exists after its test ended", name)
		}
	}
}

func TestCloseStopsServerAndRemovesFiles(t *testing.T) {
	srv, err := mariadb.Start(mariadb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort(srv.Host, strconv.Itoa(srv.Port))
	if err := open(t, srv.RootDSN("")).Ping(); err != nil {
		srv.Close()
		t.Fatalf("fresh server: %v", err)
	}
	dirs := dataDirs(t)
	srv.Close()
	srv.Close() // idempotent

	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after Close", addr)
	}
	after := dataDirs(t)
	if len(after) != len(dirs)-1 {
		t.Errorf("server directories before Close %v, after %v: want one fewer", dirs, after)
	}
}

// dataDirs lists this test binary's MariaDB directories under /tmp.
func dataDirs(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(os.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	prefix := "dsmdb-" + strconv.Itoa(os.Getpid()) + "-"
	var dirs []string
	for _, e := range entries {
		if len(e.Name()) > len(prefix) && e.Name()[:len(prefix)] == prefix {
			dirs = append(dirs, e.Name())
		}
	}
	return dirs
}
