// Package postgres starts throwaway PostgreSQL 15 clusters for integration tests: a real
// postgres, child of the test binary, on a free loopback port, with logical decoding on.
//
// Most tests use the one cluster of their test binary and a database of their own:
//
//	func TestMain(m *testing.M) { testkit.Main(m) }
//
//	func TestX(t *testing.T) {
//		srv := postgres.Shared(t)
//		db := srv.DB(t)
//		srv.Exec(t, db, "CREATE TABLE t (id int PRIMARY KEY)")
//	}
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/doris-sync/doris-sync/testkit"
)

// DefaultBinDir is where Debian's postgresql-15 package puts initdb and postgres.
const DefaultBinDir = "/usr/lib/postgresql/15/bin"

// ErrNotInstalled means PostgreSQL 15 is missing on this machine.
var ErrNotInstalled = errors.New("PostgreSQL 15 is not installed; it is required for the integration tests: run scripts/test.sh (it installs postgresql-15)")

// Options tunes a cluster. The zero value is what the tests use.
type Options struct {
	BinDir       string        // holds initdb and postgres; default DefaultBinDir
	Settings     []string      // extra "name=value" server settings, after the defaults (so they override them)
	StartTimeout time.Duration // how long to wait for readiness; default 60 s
}

// Server is a running PostgreSQL cluster. The superuser "postgres" logs in without a
// password (trust); ReplUser is a LOGIN REPLICATION role whose password is checked
// (scram-sha-256) and that can read, but not change, the databases made by DB.
type Server struct {
	Host         string // always 127.0.0.1
	Port         int
	Version      string // SHOW server_version, e.g. "15.18 (Debian 15.18-0+deb12u1)"
	RootUser     string // the superuser, "postgres"
	RootPassword string // empty: the superuser is trusted
	ReplUser     string
	ReplPassword string

	dir       string
	proc      *testkit.Process
	seq       atomic.Uint64
	closeOnce sync.Once
}

const (
	superuser    = "postgres"
	replUser     = "repl"
	stopGrace    = 10 * time.Second
	portAttempts = 3
)

// The superuser is trusted so setup needs no secret; every other role must give its password,
// so tests of the replication role see real authentication.
const hbaConf = `# written by testkit/postgres
local   all          postgres                 trust
host    all          postgres  127.0.0.1/32   trust
host    replication  postgres  127.0.0.1/32   trust
local   all          all                      scram-sha-256
host    all          all       127.0.0.1/32   scram-sha-256
host    replication  all       127.0.0.1/32   scram-sha-256
`

// Start creates a fresh cluster under /tmp, starts postgres on it and waits until the
// superuser can connect over TCP. Close stops the cluster and deletes its files. As root,
// initdb and postgres run as the "postgres" OS user, because they refuse to run as root.
func Start(opts Options) (*Server, error) {
	if opts.BinDir == "" {
		opts.BinDir = DefaultBinDir
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 60 * time.Second
	}
	initdb, server := filepath.Join(opts.BinDir, "initdb"), filepath.Join(opts.BinDir, "postgres")
	for _, bin := range []string{initdb, server} {
		if _, err := os.Stat(bin); err != nil {
			return nil, fmt.Errorf("postgres: %s not found: %w", bin, ErrNotInstalled)
		}
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}

	dir, err := testkit.TempDir("", "dspg")
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Server{Host: "127.0.0.1", RootUser: superuser, ReplUser: replUser, dir: dir}
	ok := false
	defer func() {
		if !ok {
			s.Close()
		}
	}()
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, fmt.Errorf("postgres: give %s to the postgres user: %w", dir, err)
		}
	}

	data := filepath.Join(dir, "data")
	init := exec.Command(initdb, "-D", data, "-U", superuser, "-A", "trust", "-E", "UTF8",
		"--locale=C", "--no-sync", "--no-instructions")
	init.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := init.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("postgres: initdb: %w\n%s", err, strings.TrimSpace(string(out)))
	}
	// initdb made data as the server user; os.WriteFile keeps the existing owner and mode.
	if err := os.WriteFile(filepath.Join(data, "pg_hba.conf"), []byte(hbaConf), 0o600); err != nil {
		return nil, fmt.Errorf("postgres: write pg_hba.conf: %w", err)
	}

	serverLog := filepath.Join(dir, "server.log")
	for attempt := 1; ; attempt++ {
		if s.Port, err = testkit.FreePort(); err != nil {
			return nil, fmt.Errorf("postgres: %w", err)
		}
		args := []string{"-D", data, "-p", strconv.Itoa(s.Port), "-k", dir}
		for _, setting := range append([]string{
			"listen_addresses=127.0.0.1",
			"wal_level=logical",
			"max_replication_slots=20",
			"max_wal_senders=20",
			"max_connections=200",
			"fsync=off",
			"full_page_writes=off",
			// synchronous_commit stays on: logical decoding only returns flushed WAL, so with
			// it off a change can be invisible to a slot for a wal_writer_delay.
		}, opts.Settings...) {
			args = append(args, "-c", setting)
		}
		logFile, err := os.OpenFile(serverLog, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return nil, fmt.Errorf("postgres: server log: %w", err)
		}
		cmd := exec.Command(server, args...)
		cmd.Stdout, cmd.Stderr = logFile, logFile
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		s.proc, err = testkit.StartProcess(cmd)
		logFile.Close() // the child has its own descriptor
		if err != nil {
			return nil, fmt.Errorf("postgres: %w", err)
		}
		err = testkit.WaitReady(s.proc, opts.StartTimeout, s.ping)
		if err == nil {
			break
		}
		log := testkit.LogTail(serverLog, 4096)
		if errors.Is(err, testkit.ErrExited) && strings.Contains(log, "Address already in use") && attempt < portAttempts {
			continue // another process took the port between FreePort and bind
		}
		return nil, fmt.Errorf("postgres: start on port %d: %w\nserver log:\n%s", s.Port, err, log)
	}

	if s.ReplPassword, err = testkit.RandomSecret(); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := s.setUp(); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	ok = true
	return s, nil
}

// serverCredential is the postgres OS user when running as root, else nil (run as is).
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("postgres: running as root needs the postgres OS user: %v: %w", err, ErrNotInstalled)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("postgres: uid of postgres: %w", err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("postgres: gid of postgres: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (s *Server) ping() error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.RootDSN("")+"&connect_timeout=2")
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

func (s *Server) setUp() error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.RootDSN(""))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	// The password is hex, so it needs no escaping inside the literal.
	if _, err := conn.Exec(ctx, "CREATE ROLE "+replUser+" LOGIN REPLICATION PASSWORD '"+s.ReplPassword+"'"); err != nil {
		return fmt.Errorf("create replication role: %w", err)
	}
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&s.Version); err != nil {
		return fmt.Errorf("read version: %w", err)
	}
	return nil
}

// Close stops the cluster (fast shutdown, then SIGKILL of its process group after a bound)
// and deletes its files. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		if s.proc != nil {
			s.proc.Stop(syscall.SIGINT, stopGrace)
		}
		_ = os.RemoveAll(s.dir)
	})
}

// RootDSN is a postgres:// URL for the superuser on database db ("" for "postgres").
func (s *Server) RootDSN(db string) string {
	return s.dsn(url.User(s.RootUser), db)
}

// ReplDSN is a postgres:// URL for the replication role on database db, for ordinary
// (snapshot) connections.
func (s *Server) ReplDSN(db string) string {
	return s.dsn(url.UserPassword(s.ReplUser, s.ReplPassword), db)
}

// ReplicationDSN is ReplDSN with replication=database, for a logical replication
// connection (pgconn.Connect, then pglogrepl).
func (s *Server) ReplicationDSN(db string) string {
	return s.ReplDSN(db) + "&replication=database"
}

func (s *Server) dsn(user *url.Userinfo, db string) string {
	if db == "" {
		db = "postgres"
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     user,
		Host:     fmt.Sprintf("%s:%d", s.Host, s.Port),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// DB creates a database for the calling test, dropped when the test ends (with its
// replication slots), and returns its name. The replication role may connect to it and
// read every table the superuser creates in it, now or later, in any schema; nothing else.
func (s *Server) DB(t testing.TB) string {
	t.Helper()
	name := testkit.DBName(t, s.seq.Add(1))
	s.Exec(t, "",
		"CREATE DATABASE "+name,
		"REVOKE ALL ON DATABASE "+name+" FROM PUBLIC",
		"GRANT CONNECT ON DATABASE "+name+" TO "+replUser)
	t.Cleanup(func() {
		if err := s.dropDB(name); err != nil {
			t.Errorf("postgres: drop test database %s: %v", name, err)
		}
	})
	s.Exec(t, name,
		"GRANT USAGE ON SCHEMA public TO "+replUser,
		"GRANT SELECT ON ALL TABLES IN SCHEMA public TO "+replUser,
		"ALTER DEFAULT PRIVILEGES FOR ROLE "+superuser+" GRANT USAGE ON SCHEMAS TO "+replUser,
		"ALTER DEFAULT PRIVILEGES FOR ROLE "+superuser+" GRANT SELECT ON TABLES TO "+replUser)
	return name
}

// dropDB drops a test database. Replication slots pin a database, so they go first, after
// ending the walsenders that hold them.
func (s *Server) dropDB(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.RootDSN(""))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for {
		_, err := conn.Exec(ctx, `SELECT pg_terminate_backend(active_pid, 5000) FROM pg_replication_slots
			WHERE database = $1 AND active_pid IS NOT NULL`, name)
		if err != nil {
			return fmt.Errorf("end replication connections: %w", err)
		}
		_, err = conn.Exec(ctx, `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
			WHERE database = $1 AND active_pid IS NULL`, name)
		if err != nil {
			return fmt.Errorf("drop replication slots: %w", err)
		}
		var slots int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_replication_slots WHERE database = $1", name).Scan(&slots); err != nil {
			return fmt.Errorf("count replication slots: %w", err)
		}
		if slots == 0 {
			break
		}
		// A terminated walsender releases its slot a moment after it is signalled.
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d replication slots still in use: %w", slots, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return err
	}
	return nil
}

// Exec runs the statements in order as the superuser on database db ("" for "postgres"), on
// one connection, so session settings carry over. It fails the test on the first error.
func (s *Server) Exec(t testing.TB, db string, stmts ...string) {
	t.Helper()
	if err := s.exec(db, stmts...); err != nil {
		t.Fatalf("postgres: %v", err)
	}
}

func (s *Server) exec(db string, stmts ...string) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.RootDSN(db))
	if err != nil {
		return fmt.Errorf("connect to %q: %w", db, err)
	}
	defer conn.Close(ctx)
	for _, stmt := range stmts {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("exec on %q: %s: %w", db, stmt, err)
		}
	}
	return nil
}

// Conn returns a superuser connection to database db, closed when the test ends.
func (s *Server) Conn(t testing.TB, db string) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.RootDSN(db))
	if err != nil {
		t.Fatalf("postgres: connect to %q: %v", db, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Shared returns the test binary's PostgreSQL cluster, started on first use and stopped by
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
		t.Fatalf("shared PostgreSQL server: %v", shared.err)
	}
	return shared.srv
}
