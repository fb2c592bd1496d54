// Package mysql starts throwaway MySQL 9 servers for integration tests. Debian 12 has no
// MySQL, so mysqld runs inside a Debian sid chroot built by scripts/mysql-chroot.sh; it is
// still a child of the test binary and listens on a free loopback port. GTID mode is on and
// the binlog is ROW with full row image and metadata.
//
// The MySQL tests are opt-in: Shared skips the test unless DORIS_SYNC_TEST_MYSQL=1 and
// DORIS_SYNC_MYSQL_CHROOT names a built chroot.
//
//	func TestMain(m *testing.M) { testkit.Main(m) }
//
//	func TestX(t *testing.T) {
//		srv := mysql.Shared(t) // skips when MySQL is not enabled
//		db := srv.DB(t)
//		srv.Exec(t, db, "CREATE TABLE t (id INT PRIMARY KEY)")
//	}
package mysql

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

	driver "github.com/go-sql-driver/mysql"

	"github.com/doris-sync/doris-sync/testkit"
)

// Environment variables that enable the MySQL tests.
const (
	EnvEnable = "DORIS_SYNC_TEST_MYSQL"   // "1" runs the MySQL tests
	EnvChroot = "DORIS_SYNC_MYSQL_CHROOT" // the chroot made by scripts/mysql-chroot.sh
)

const mysqldInChroot = "/usr/sbin/mysqld"

// Options tunes a server.
type Options struct {
	Chroot       string        // required: the sid chroot holding /usr/sbin/mysqld
	Args         []string      // extra mysqld flags, after the defaults (so they override them)
	StartTimeout time.Duration // how long to wait for readiness; default 60 s
}

// Server is a running MySQL server. Root has no password. ReplUser authenticates with
// caching_sha2_password, which over TCP needs TLS: the DSNs carry tls=skip-verify, and
// go-mysql clients need a tls.Config with InsecureSkipVerify.
type Server struct {
	Host         string // always 127.0.0.1
	Port         int
	Version      string // SELECT VERSION(), e.g. 9.7.4-2
	RootUser     string
	RootPassword string
	ReplUser     string // SELECT, RELOAD, REPLICATION SLAVE, REPLICATION CLIENT, BACKUP_ADMIN on *.*
	ReplPassword string

	chroot    string
	dir       string // in the host's view; the server sees it without the chroot prefix
	proc      *testkit.Process
	seq       atomic.Uint64
	closeOnce sync.Once
}

const (
	replUser     = "repl"
	stopGrace    = 20 * time.Second
	portAttempts = 3
)

// Start copies a freshly initialised data directory (initialised once per test binary and
// chroot when testkit.Main runs the tests, since that takes seconds), starts mysqld in the
// chroot and waits until it is ready. It needs root, for chroot. Close stops the server and
// deletes its files.
func Start(opts Options) (*Server, error) {
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 60 * time.Second
	}
	if opts.Chroot == "" {
		return nil, errors.New("mysql: Options.Chroot is empty: build one with scripts/mysql-chroot.sh")
	}
	chroot, err := filepath.Abs(opts.Chroot)
	if err != nil {
		return nil, fmt.Errorf("mysql: chroot path: %w", err)
	}
	opts.Chroot = chroot // pathInChroot needs the clean absolute form
	if _, err := os.Stat(filepath.Join(opts.Chroot, mysqldInChroot)); err != nil {
		return nil, fmt.Errorf("mysql: no mysqld in chroot %s (build it with scripts/mysql-chroot.sh): %w", opts.Chroot, err)
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("mysql: running mysqld in its chroot needs root")
	}

	dir, err := testkit.TempDir(filepath.Join(opts.Chroot, "tmp"), "dsmy")
	if err != nil {
		return nil, fmt.Errorf("mysql: %w", err)
	}
	s := &Server{Host: "127.0.0.1", RootUser: "root", ReplUser: replUser, chroot: opts.Chroot, dir: dir}
	ok := false
	defer func() {
		if !ok {
			s.Close()
		}
	}()

	data := filepath.Join(dir, "data")
	tpl, err := dataTemplate(opts.Chroot)
	if err != nil {
		return nil, err
	}
	if tpl != "" {
		if out, err := exec.Command("cp", "-a", tpl, data).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("mysql: copy data directory template: %w: %s", err, strings.TrimSpace(string(out)))
		}
		// auto.cnf holds server_uuid, the source part of every GTID: each copy needs its own.
		if err := os.Remove(filepath.Join(data, "auto.cnf")); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("mysql: reset server_uuid: %w", err)
		}
	} else if err := initialize(opts.Chroot, dir); err != nil {
		return nil, err
	}

	errorLog := filepath.Join(dir, "error.log")
	for attempt := 1; ; attempt++ {
		if s.Port, err = testkit.FreePort(); err != nil {
			return nil, fmt.Errorf("mysql: %w", err)
		}
		args := []string{s.chroot, mysqldInChroot,
			"--no-defaults", // must be first
			"--user=root",
			"--datadir=" + s.inChroot(data),
			"--socket=" + s.inChroot(s.socket()),
			"--pid-file=" + s.inChroot(filepath.Join(dir, "pid")),
			"--log-error=" + s.inChroot(errorLog),
			"--port=" + strconv.Itoa(s.Port),
			"--bind-address=127.0.0.1",
			"--mysqlx=OFF",        // X Plugin would take port 33060 in every server
			"--secure-file-priv=", // the default /var/lib/mysql-files does not exist: mysqld aborts
			"--skip-name-resolve",
			"--server-id=1",
			"--log-bin=" + s.inChroot(filepath.Join(data, "binlog")),
			"--binlog-row-image=FULL",
			"--binlog-row-metadata=FULL",
			"--gtid-mode=ON",
			"--enforce-gtid-consistency=ON",
			"--sync-binlog=0",
			"--performance-schema=OFF",
			"--innodb-buffer-pool-size=64M",
			"--innodb-redo-log-capacity=32M",
			"--innodb-doublewrite=OFF",
			"--innodb-flush-log-at-trx-commit=2",
			"--innodb-fast-shutdown=2", // the data is thrown away: skip the flush on shutdown
		}
		args = append(args, opts.Args...)
		if s.proc, err = testkit.StartProcess(exec.Command("chroot", args...)); err != nil {
			return nil, fmt.Errorf("mysql: %w", err)
		}
		err = testkit.WaitReady(s.proc, opts.StartTimeout, s.ping)
		if err == nil {
			break
		}
		log := testkit.LogTail(errorLog, 4096)
		if errors.Is(err, testkit.ErrExited) && strings.Contains(log, "Address already in use") && attempt < portAttempts {
			_ = os.Remove(errorLog)
			continue // another process took the port between FreePort and bind
		}
		return nil, fmt.Errorf("mysql: start mysqld on port %d: %w\nerror log:\n%s", s.Port, err, log)
	}

	if s.ReplPassword, err = testkit.RandomSecret(); err != nil {
		return nil, fmt.Errorf("mysql: %w", err)
	}
	if err := s.setUp(); err != nil {
		return nil, fmt.Errorf("mysql: %w", err)
	}
	ok = true
	return s, nil
}

// inChroot turns a host path under the chroot into the path mysqld sees.
func (s *Server) inChroot(hostPath string) string { return pathInChroot(s.chroot, hostPath) }

func pathInChroot(chroot, hostPath string) string {
	return strings.TrimPrefix(hostPath, strings.TrimSuffix(chroot, "/"))
}

func (s *Server) socket() string { return filepath.Join(s.dir, "sock") }

// socketDSN reaches root@localhost, the only account --initialize-insecure makes, through the
// unix socket (the host can use it from outside the chroot).
func (s *Server) socketDSN() string {
	cfg := driver.NewConfig()
	cfg.User = "root"
	cfg.Net = "unix"
	cfg.Addr = s.socket()
	return cfg.FormatDSN()
}

func (s *Server) ping() error {
	db, err := sql.Open("mysql", s.socketDSN()+"?timeout=2s")
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

// initialize runs mysqld --initialize-insecure into dir/data (root@localhost, no password).
func initialize(chroot, dir string) error {
	logPath := filepath.Join(dir, "init.log")
	cmd := exec.Command("chroot", chroot, mysqldInChroot, "--no-defaults", "--initialize-insecure", "--user=root",
		"--datadir="+pathInChroot(chroot, filepath.Join(dir, "data")),
		"--log-error="+pathInChroot(chroot, logPath),
		"--skip-log-bin",
		"--innodb-doublewrite=OFF",
		"--innodb-flush-log-at-trx-commit=0",
		"--innodb-redo-log-capacity=32M") // the 8M minimum stalls on redo and takes longer
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("mysql: mysqld --initialize-insecure: %w\n%s\n%s", err,
			strings.TrimSpace(string(out)), testkit.LogTail(logPath, 4096))
	}
	return nil
}

var templates struct {
	mu   sync.Mutex
	dirs map[string]string // chroot -> initialised data directory (host path)
}

// dataTemplate returns an initialised data directory to copy, made on first use and removed
// by testkit.Main. Without Main nothing would remove it, so it returns "" and each server
// initialises its own.
func dataTemplate(chroot string) (string, error) {
	templates.mu.Lock()
	defer templates.mu.Unlock()
	if dir, ok := templates.dirs[chroot]; ok {
		return filepath.Join(dir, "data"), nil
	}
	dir, err := testkit.TempDir(filepath.Join(chroot, "tmp"), "dsmytpl")
	if err != nil {
		return "", fmt.Errorf("mysql: %w", err)
	}
	if err := testkit.RegisterStop(func() { _ = os.RemoveAll(dir) }); err != nil {
		_ = os.RemoveAll(dir)
		return "", nil
	}
	if err := initialize(chroot, dir); err != nil {
		return "", err // the directory goes when Main ends; the next Start tries again
	}
	if templates.dirs == nil {
		templates.dirs = map[string]string{}
	}
	templates.dirs[chroot] = dir
	return filepath.Join(dir, "data"), nil
}

// setUp creates root@127.0.0.1 for TCP (only root@localhost exists, and --skip-name-resolve
// does not map 127.0.0.1 to localhost), the replication user, and reads the version.
func (s *Server) setUp() error {
	db, err := sql.Open("mysql", s.socketDSN())
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	for _, stmt := range []string{
		"CREATE USER 'root'@'127.0.0.1'",
		"GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION",
		// The password is hex, so it needs no escaping inside the literal.
		"CREATE USER '" + replUser + "'@'%' IDENTIFIED WITH caching_sha2_password BY '" + s.ReplPassword + "'",
		"GRANT SELECT, RELOAD, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '" + replUser + "'@'%'",
		"GRANT BACKUP_ADMIN ON *.* TO '" + replUser + "'@'%'",
	} {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			// Not the statement: it may hold the password.
			return fmt.Errorf("create users: %w", err)
		}
	}
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&s.Version); err != nil {
		return fmt.Errorf("read version: %w", err)
	}
	return nil
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

// RootDSN is a go-sql-driver/mysql DSN for root on database db ("" for none), over TLS.
func (s *Server) RootDSN(db string) string {
	return s.dsn(s.RootUser, s.RootPassword, db)
}

// ReplDSN is a go-sql-driver/mysql DSN for the replication user on database db. It uses
// TLS (tls=skip-verify: the server's certificate is self-signed), which caching_sha2_password
// needs to send a password over TCP.
func (s *Server) ReplDSN(db string) string {
	return s.dsn(s.ReplUser, s.ReplPassword, db)
}

func (s *Server) dsn(user, password, db string) string {
	cfg := driver.NewConfig()
	cfg.User = user
	cfg.Passwd = password
	cfg.Net = "tcp"
	cfg.Addr = fmt.Sprintf("%s:%d", s.Host, s.Port)
	cfg.DBName = db
	cfg.TLSConfig = "skip-verify"
	return cfg.FormatDSN()
}

// DB creates a database for the calling test, dropped when the test ends, and returns its
// name. The replication user can read it (SELECT on *.*).
func (s *Server) DB(t testing.TB) string {
	t.Helper()
	name := testkit.DBName(t, s.seq.Add(1))
	s.Exec(t, "", "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4")
	t.Cleanup(func() {
		if err := s.exec("", "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			t.Errorf("mysql: drop test database %s: %v", name, err)
		}
	})
	return name
}

// Exec runs the statements in order as root on database db ("" for none), on one
// connection, so session settings carry over. It fails the test on the first error.
func (s *Server) Exec(t testing.TB, db string, stmts ...string) {
	t.Helper()
	if err := s.exec(db, stmts...); err != nil {
		t.Fatalf("mysql: %v", err)
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
		t.Fatalf("mysql: open %q: %v", db, err)
	}
	t.Cleanup(func() { pool.Close() })
	return pool
}

// Enabled reports the chroot to use when the MySQL tests are switched on and runnable here,
// or why they are not.
func Enabled() (chroot string, whyNot error) {
	const how = "build the chroot with scripts/mysql-chroot.sh [DIR] (as root), then set " +
		EnvEnable + "=1 and " + EnvChroot + "=DIR"
	if os.Getenv(EnvEnable) != "1" {
		return "", fmt.Errorf("MySQL 9 tests are opt-in: %s", how)
	}
	chroot = os.Getenv(EnvChroot)
	if chroot == "" {
		return "", fmt.Errorf("%s is not set: %s", EnvChroot, how)
	}
	if _, err := os.Stat(filepath.Join(chroot, mysqldInChroot)); err != nil {
		return "", fmt.Errorf("%s=%s holds no MySQL 9 chroot (%v): %s", EnvChroot, chroot, err, how)
	}
	if os.Geteuid() != 0 {
		return "", errors.New("MySQL 9 tests need root, to run mysqld in its chroot")
	}
	return chroot, nil
}

var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Shared returns the test binary's MySQL server, started on first use and stopped by
// testkit.Main after the tests. It skips the test when MySQL is not enabled (see Enabled);
// once enabled, a server that cannot start fails every caller with the same error.
func Shared(t testing.TB) *Server {
	t.Helper()
	chroot, whyNot := Enabled()
	if whyNot != nil {
		t.Skip(whyNot.Error())
	}
	shared.once.Do(func() {
		if err := testkit.RegisterStop(func() {
			if shared.srv != nil {
				shared.srv.Close()
			}
		}); err != nil {
			shared.err = err
			return
		}
		shared.srv, shared.err = Start(Options{Chroot: chroot})
	})
	if shared.err != nil {
		t.Fatalf("shared MySQL server: %v", shared.err)
	}
	return shared.srv
}
