package mysql_test

import (
	"database/sql"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"

	driver "github.com/go-sql-driver/mysql"

	"github.com/doris-sync/doris-sync/testkit"
	"github.com/doris-sync/doris-sync/testkit/mysql"
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
	var me *driver.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

func TestGTIDAndBinlogAreSetUpForCDC(t *testing.T) {
	srv := mysql.Shared(t)
	root := open(t, srv.RootDSN(""))
	for query, want := range map[string]string{
		"SELECT @@gtid_mode":                "ON",
		"SELECT @@enforce_gtid_consistency": "ON",
		"SELECT @@log_bin":                  "1",
		"SELECT @@binlog_format":            "ROW",
		"SELECT @@binlog_row_image":         "FULL",
		"SELECT @@binlog_row_metadata":      "FULL",
		"SELECT @@server_id":                "1",
		"SELECT COUNT(*) FROM information_schema.plugins WHERE plugin_name = 'mysqlx' AND plugin_status = 'ACTIVE'": "0",
		"SELECT LEFT(@@version, 2)":     "9.",
		"SELECT @@character_set_server": "utf8mb4",
	} {
		if got := queryString(t, root, query); got != want {
			t.Errorf("%s = %q, want %q", query, got, want)
		}
	}
	if got := queryString(t, root, "SELECT VERSION()"); got != srv.Version {
		t.Errorf("Version = %q, server says %q", srv.Version, got)
	}

	// A write gets a MySQL GTID (server_uuid:N).
	db := srv.DB(t)
	srv.Exec(t, db, "CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1)")
	uuid := queryString(t, root, "SELECT @@server_uuid")
	if executed := queryString(t, root, "SELECT @@gtid_executed"); !strings.HasPrefix(executed, uuid+":1-") {
		t.Errorf("gtid_executed = %q, want %s:1-N", executed, uuid)
	}
}

func TestReplicationUserUsesCachingSHA2OverTLS(t *testing.T) {
	srv := mysql.Shared(t)
	root := open(t, srv.RootDSN(""))
	if plugin := queryString(t, root, "SELECT plugin FROM mysql.user WHERE user = '"+srv.ReplUser+"'"); plugin != "caching_sha2_password" {
		t.Errorf("replication user authenticates with %q, want caching_sha2_password", plugin)
	}
	repl := open(t, srv.ReplDSN(""))
	var name, cipher string
	if err := repl.QueryRow("SHOW SESSION STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher); err != nil {
		t.Fatalf("repl over TLS: %v", err)
	}
	if cipher == "" {
		t.Errorf("replication connection is not encrypted")
	}
}

func TestReplicationUserHasLeastPrivilege(t *testing.T) {
	srv := mysql.Shared(t)
	db := srv.DB(t)
	srv.Exec(t, db, "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20))", "INSERT INTO items VALUES (7, 'seven')")
	repl := open(t, srv.ReplDSN(db))

	if got := queryString(t, repl, "SELECT name FROM items WHERE id = 7"); got != "seven" {
		t.Errorf("repl reads %q, want seven", got)
	}
	rows, err := repl.Query("SHOW BINARY LOG STATUS")
	if err != nil {
		t.Fatalf("repl SHOW BINARY LOG STATUS: %v", err)
	}
	cols, _ := rows.Columns()
	if !rows.Next() || len(cols) < 5 {
		t.Errorf("SHOW BINARY LOG STATUS: no row (columns %v)", cols)
	} else {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Errorf("SHOW BINARY LOG STATUS: %v", err)
		} else if vals[0].String == "" || !strings.Contains(vals[4].String, ":") {
			t.Errorf("SHOW BINARY LOG STATUS: file %q, executed GTID set %q", vals[0].String, vals[4].String)
		}
	}
	rows.Close()

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
	srv := mysql.Shared(t)
	cfg, err := driver.ParseDSN(srv.ReplDSN(""))
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
	srv := mysql.Shared(t)
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

func TestEachServerHasItsOwnUUIDAndCloseStopsIt(t *testing.T) {
	chroot, whyNot := mysql.Enabled()
	if whyNot != nil {
		t.Skip(whyNot.Error())
	}
	sharedUUID := queryString(t, open(t, mysql.Shared(t).RootDSN("")), "SELECT @@server_uuid")
	srv, err := mysql.Start(mysql.Options{Chroot: chroot})
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort(srv.Host, strconv.Itoa(srv.Port))
	var uuid string
	db, err := sql.Open("mysql", srv.RootDSN(""))
	if err == nil {
		err = db.QueryRow("SELECT @@server_uuid").Scan(&uuid)
		db.Close() // an open client connection makes mysqld's shutdown wait seconds
	}
	if err != nil {
		srv.Close()
		t.Fatalf("fresh server: %v", err)
	}
	if uuid == sharedUUID {
		t.Errorf("two servers share server_uuid %s, so their GTIDs would collide", uuid)
	}
	srv.Close()
	srv.Close() // idempotent
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after Close", addr)
	}
}
