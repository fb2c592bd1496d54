// Package mariadb starts throwaway MariaDB servers for integration tests: a real mariadbd,
// child of the test binary, on a free loopback port, with the binlog set up the way
// doris-sync needs it (ROW, full row image, full row metadata, GTID).
//
// Most tests use the one server of their test binary and a database of their own:
//
//	func TestMain(m *testing.M) { testkit.Main(m) }
//
//	func TestX(t *testing.T) {
//		srv := mariadb.Shared(t)
//		db := srv.DB(t)
//		srv.Exec(t, db, "CREATE TABLE t (id INT PRIMARY KEY)")
//	}
package mariadb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/doris-sync/doris-sync/testkit"
)

// ErrNotInstalled means the MariaDB server or its install tool is missing on this machine.
var ErrNotInstalled = errors.New("MariaDB is not installed; it is required for the integration tests: run scripts/test.sh (it installs mariadb-server-core and mariadb-client-core)")

// Options tunes a server. The zero value is what the tests use.
type Options struct {
	Args         []string      // extra mariadbd flags, after the defaults (so they override them)
	StartTimeout time.Duration // how long to wait for readiness; default 60 s
}

// Server is a running MariaDB server. Root has no password; ReplUser has only the
// privileges a CDC reader needs.
type Server struct {
	Host         string // always 127.0.0.1
	Port         int
	Version      string // SELECT VERSION(), e.g. 10.11.19-MariaDB-0+deb12u1-log
	RootUser     string
	RootPassword string
	ReplUser     string // SELECT, RELOAD, REPLICATION SLAVE, BINLOG MONITOR on *.*
	ReplPassword string

	dir       string
	proc      *testkit.Process
	seq       atomic.Uint64
	closeOnce sync.Once
}

const (
	replUser     = "repl"
	stopGrace    = 10 * time.Second
	portAttempts = 3
)

// Start initialises a fresh data directory under /tmp, starts mariadbd on it and waits
// until root can log in over TCP. Close stops the server and deletes its files.
func Start(opts Options) (*Server, error) {
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 60 * time.Second
	}
	serverBin, err := findBinary("mariadbd")
	if err != nil {
		return nil, err
	}
	installBin, err := findBinary("mariadb-install-db")
	if err != nil {
		return nil, err
	}
	if _, err := findBinary("my_print_defaults"); err != nil { // mariadb-install-db needs it
		return nil, err
	}

	dir, err := testkit.TempDir("", "dsmdb")
	if err != nil {
		return nil, fmt.Errorf("mariadb: %w", err)
	}
	s := &Server{Host: "127.0.0.1", RootUser: "root", ReplUser: replUser, dir: dir}
	ok := false
	defer func() {
		if !ok {
			s.Close()
		}
	}()

	data := filepath.Join(dir, "data")
	// --no-defaults must come first, or /etc/mysql/my.cnf is read.
	common := []string{"--no-defaults"}
	if os.Geteuid() == 0 {
		common = append(common, "--user=root") // mariadbd refuses to run as root otherwise
	}
	install := exec.Command(installBin, append(common,
		"--datadir="+data,
		"--auth-root-authentication-method=normal", // root@127.0.0.1 with an empty password, so TCP login works
		"--skip-test-db", "--skip-name-resolve", "--innodb-log-file-size=8M")...)
	if out, err := install.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("mariadb: mariadb-install-db: %w\n%s", err, strings.TrimSpace(string(out)))
	}

	errorLog := filepath.Join(dir, "error.log")
	for attempt := 1; ; attempt++ {
		if s.Port, err = testkit.FreePort(); err != nil {
			return nil, fmt.Errorf("mariadb: %w", err)
		}
		args := append(append([]string{}, common...),
			"--datadir="+data,
			"--socket="+filepath.Join(dir, "sock"),
			"--pid-file="+filepath.Join(dir, "pid"),
			"--port="+strconv.Itoa(s.Port),
			"--bind-address=127.0.0.1",
			"--log-error="+errorLog,
			"--skip-name-resolve",
			"--server-id=1",
			"--log-bin="+filepath.Join(data, "binlog"),
			"--binlog-format=ROW",
			"--binlog-row-image=FULL",
			"--binlog-row-metadata=FULL",
			"--sync-binlog=0",
			"--character-set-server=utf8mb4",
			"--collation-server=utf8mb4_general_ci",
			"--innodb-log-file-size=8M",
			"--innodb-buffer-pool-size=64M",
			"--innodb-flush-log-at-trx-commit=2",
			"--innodb-doublewrite=0",
		)
		args = append(args, opts.Args...)
		if s.proc, err = testkit.StartProcess(exec.Command(serverBin, args...)); err != nil {
			return nil, fmt.Errorf("mariadb: %w", err)
		}
		err = testkit.WaitReady(s.proc, opts.StartTimeout, func() error { return s.ping() })
		if err == nil {
			break
		}
		log := testkit.LogTail(errorLog, 4096)
		if errors.Is(err, testkit.ErrExited) && strings.Contains(log, "Address already in use") && attempt < portAttempts {
			_ = os.Remove(errorLog)
			continue // another process took the port between FreePort and bind
		}
		return nil, fmt.Errorf("mariadb: start mariadbd on port %d: %w\nerror log:\n%s", s.Port, err, log)
	}

	if s.ReplPassword, err = testkit.RandomSecret(); err != nil {
		return nil, fmt.Errorf("mariadb: %w", err)
	}
	if err := s.setUp(); err != nil {
		return nil, fmt.Errorf("mariadb: %w", err)
	}
	ok = true
	return s, nil
}

func findBinary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("mariadb: %s not found: %w", name, ErrNotInstalled)
}

func (s *Server) ping() error {
	db, err := sql.Open("mysql", s.RootDSN("")+"?timeout=2s")
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

// setUp removes anonymous accounts, creates the replication user and reads the version.
func (s *Server) setUp() error {
	db, err := sql.Open("mysql", s.RootDSN(""))
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()

	rows, err := db.QueryContext(ctx, "SELECT Host FROM mysql.user WHERE User = ''")
	if err != nil {
		return fmt.Errorf("list anonymous users: %w", err)
	}
	var anonHosts []string
	for rows.Next() {
		var host string
		if err := rows.Scan(&host); err != nil {
			rows.Close()
			return fmt.Errorf("list anonymous users: %w", err)
		}
		anonHosts = append(anonHosts, host)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("list anonymous users: %w", err)
	}
	for _, host := range anonHosts {
		if _, err := db.ExecContext(ctx, "DROP USER ''@"+quote(host)); err != nil {
			return fmt.Errorf("drop anonymous user @%s: %w", host, err)
		}
	}

	// REPLICATION CLIENT is an alias of BINLOG MONITOR since 10.5; BINLOG MONITOR is what
	// SHOW MASTER STATUS / SHOW BINLOG STATUS and SHOW BINARY LOGS check.
	if _, err := db.ExecContext(ctx, "CREATE USER "+quote(replUser)+"@'%' IDENTIFIED BY "+quote(s.ReplPassword)); err != nil {
		return fmt.Errorf("create replication user: %w", err)
	}
	if _, err := db.ExecContext(ctx, "GRANT SELECT, RELOAD, REPLICATION SLAVE, BINLOG MONITOR ON *.* TO "+quote(replUser)+"@'%'"); err != nil {
		return fmt.Errorf("grant replication user: %w", err)
	}
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&s.Version); err != nil {
		return fmt.Errorf("read version: %w", err)
	}
	return nil
}

// quote makes a MariaDB string literal; the inputs are names this package controls or reads
// from mysql.user.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// Close stops the server (SIGTERM, then SIGKILL of its process group after a bound) and
// deletes its files. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		if s.proc != nil {
			s.proc.Stop(syscall.SIGTERM, stopGrace)
		}
		_ = os.RemoveAll(s.dir)
	})
}

// RootDSN is a go-sql-driver/mysql DSN for root on database db ("" for none).
func (s *Server) RootDSN(db string) string {
	return s.dsn(s.RootUser, s.RootPassword, db)
}

// ReplDSN is a go-sql-driver/mysql DSN for the replication user on database db.
func (s *Server) ReplDSN(db string) string {
	return s.dsn(s.ReplUser, s.ReplPassword, db)
}

func (s *Server) dsn(user, password, db string) string {
	cfg := mysql.NewConfig()
	cfg.User = user
	cfg.Passwd = password
	cfg.Net = "tcp"
	cfg.Addr = fmt.Sprintf("%s:%d", s.Host, s.Port)
	cfg.DBName = db
	return cfg.FormatDSN()
}

// DB creates a database for the calling test, dropped when the test ends, and returns its
// name. The replication user can read it (SELECT on *.*).
func (s *Server) DB(t testing.TB) string {
	t.Helper()
	name := testkit.DBName(t, s.seq.Add(1))
	s.Exec(t, "", "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4")
	t.Cleanup(func() {
		db, err := sql.Open("mysql", s.RootDSN(""))
		if err != nil {
			t.Errorf("mariadb: drop test database %s: %v", name, err)
			return
		}
		defer db.Close()
		if _, err := db.Exec("DROP DATABASE IF EXISTS `" + name + "`"); err != nil {
			t.Errorf("mariadb: drop test database %s: %v", name, err)
		}
	})
	return name
}

// Exec runs the statements in order as root on database db ("" for none), on one
// connection, so session settings carry over. It fails the test on the first error.
func (s *Server) Exec(t testing.TB, db string, stmts ...string) {
	t.Helper()
	if err := s.exec(db, stmts...); err != nil {
		t.Fatalf("mariadb: %v", err)
	}
}

func (s *Server) exec(db string, stmts ...string) error {
	pool, err := sql.Open("mysql", s.RootDSN(db))
	if err != nil {
		return err
	}
	defer pool.Close()
	ctx := context.Background()
	conn, err := pool.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect to %q: %w", db, err)
	}
	defer conn.Close()
	for _, stmt := range stmts {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("exec on %q: %s: %w", db, stmt, err)
		}
	}
	return nil
}

// Open returns a root connection pool on database db, closed when the test ends.
func (s *Server) Open(t testing.TB, db string) *sql.DB {
	t.Helper()
	pool, err := sql.Open("mysql", s.RootDSN(db))
	if err != nil {
		t.Fatalf("mariadb: open %q: %v", db, err)
	}
	t.Cleanup(func() { pool.Close() })
	return pool
}

var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Shared returns the test binary's MariaDB server, started on first use and stopped by
// testkit.Main after the tests. If it cannot start, every caller fails with the same error.
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.once.Do(func() {
		if err := testkit.RegisterStop(func() {
			if shared.srv != nil {
				shared.srv.Close()
			}
		}); err != nil {
			shared.err = err
			return
		}
		shared.srv, shared.err = Start(Options{})
	})
	if shared.err != nil {
		t.Fatalf("shared MariaDB server: %v", shared.err)
	}
	return shared.srv
}
