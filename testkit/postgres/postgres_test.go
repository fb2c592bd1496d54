package postgres_test

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/doris-sync/doris-sync/testkit"
	"github.com/doris-sync/doris-sync/testkit/postgres"
)

func TestMain(m *testing.M) { testkit.Main(m) }

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func queryString(t *testing.T, conn *pgx.Conn, query string, args ...any) string {
	t.Helper()
	var v string
	if err := conn.QueryRow(context.Background(), query, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return v
}

func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func TestLogicalDecodingIsOn(t *testing.T) {
	srv := postgres.Shared(t)
	root := connect(t, srv.RootDSN(""))
	for setting, want := range map[string]string{
		"wal_level":          "logical",
		"synchronous_commit": "on",
		"fsync":              "off",
		"full_page_writes":   "off",
		"listen_addresses":   "127.0.0.1",
	} {
		if got := queryString(t, root, "SELECT current_setting($1)", setting); got != want {
			t.Errorf("%s = %q, want %q", setting, got, want)
		}
	}
	for _, setting := range []string{"max_replication_slots", "max_wal_senders"} {
		n, err := strconv.Atoi(queryString(t, root, "SELECT current_setting($1)", setting))
		if err != nil || n < 20 {
			t.Errorf("%s = %d (%v), want at least 20", setting, n, err)
		}
	}
	if v := queryString(t, root, "SHOW server_version"); v != srv.Version || !strings.HasPrefix(v, "15.") {
		t.Errorf("Version = %q, server says %q, want 15.x", srv.Version, v)
	}
}

func TestReplicationRoleCreatesAndDropsPgoutputSlot(t *testing.T) {
	srv := postgres.Shared(t)
	db := srv.DB(t)
	srv.Exec(t, db,
		"CREATE TABLE items (id int PRIMARY KEY, name text)",
		"CREATE PUBLICATION pub FOR TABLE items")
	ctx := context.Background()

	rc, err := pgconn.Connect(ctx, srv.ReplicationDSN(db))
	if err != nil {
		t.Fatalf("replication connection as %s: %v", srv.ReplUser, err)
	}
	defer rc.Close(ctx)
	sys, err := pglogrepl.IdentifySystem(ctx, rc)
	if err != nil {
		t.Fatalf("IDENTIFY_SYSTEM: %v", err)
	}
	if sys.DBName != db {
		t.Errorf("IDENTIFY_SYSTEM dbname = %q, want %q", sys.DBName, db)
	}
	if _, err := pglogrepl.CreateReplicationSlot(ctx, rc, "items_slot", "pgoutput",
		pglogrepl.CreateReplicationSlotOptions{SnapshotAction: "NOEXPORT_SNAPSHOT"}); err != nil {
		t.Fatalf("create pgoutput slot as %s: %v", srv.ReplUser, err)
	}

	// With synchronous_commit on, a committed change is decodable at once.
	srv.Exec(t, db, "INSERT INTO items VALUES (1, 'one')")
	root := connect(t, srv.RootDSN(db))
	kinds := queryString(t, root, `SELECT string_agg(chr(get_byte(data, 0)), '' ORDER BY lsn)
		FROM pg_logical_slot_peek_binary_changes('items_slot', NULL, NULL,
			'proto_version', '1', 'publication_names', 'pub')`)
	if kinds != "BRIC" {
		t.Errorf("pgoutput messages after one INSERT = %q, want BRIC (begin, relation, insert, commit)", kinds)
	}

	if err := pglogrepl.DropReplicationSlot(ctx, rc, "items_slot", pglogrepl.DropReplicationSlotOptions{}); err != nil {
		t.Fatalf("drop slot as %s: %v", srv.ReplUser, err)
	}
	if n := queryString(t, root, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'items_slot'"); n != "0" {
		t.Errorf("slot still listed after drop")
	}
}

func TestReplicationRoleOnlyReads(t *testing.T) {
	srv := postgres.Shared(t)
	db := srv.DB(t)
	srv.Exec(t, db,
		"CREATE TABLE items (id int PRIMARY KEY, name text)",
		"INSERT INTO items VALUES (7, 'seven')",
		"CREATE SCHEMA shop",
		"CREATE TABLE shop.orders (id int PRIMARY KEY)",
		"INSERT INTO shop.orders VALUES (42)")
	repl := connect(t, srv.ReplDSN(db))

	if got := queryString(t, repl, "SELECT name FROM items WHERE id = 7"); got != "seven" {
		t.Errorf("repl reads %q from public.items, want seven", got)
	}
	if got := queryString(t, repl, "SELECT id::text FROM shop.orders"); got != "42" {
		t.Errorf("repl reads %q from shop.orders, want 42", got)
	}
	if super := queryString(t, repl, "SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user"); super != "false" {
		t.Errorf("repl rolsuper = %s", super)
	}

	const insufficientPrivilege = "42501"
	for _, stmt := range []string{
		"CREATE TABLE other (id int)",
		"CREATE TABLE shop.other (id int)",
		"CREATE TEMP TABLE scratch (id int)",
		"CREATE SCHEMA mine",
		"INSERT INTO items VALUES (8, 'eight')",
		"DELETE FROM shop.orders",
		"DROP TABLE items",
	} {
		_, err := repl.Exec(context.Background(), stmt)
		if code := sqlState(err); code != insufficientPrivilege {
			t.Errorf("repl %q: err %v (SQLSTATE %q), want %s", stmt, err, code, insufficientPrivilege)
		}
	}
}

func TestReplicationPasswordIsChecked(t *testing.T) {
	srv := postgres.Shared(t)
	db := srv.DB(t)
	const invalidPassword = "28P01"
	for _, dsn := range []string{srv.ReplDSN(db), srv.ReplicationDSN(db)} {
		wrong := strings.Replace(dsn, ":"+srv.ReplPassword+"@", ":not-"+srv.ReplPassword+"@", 1)
		if wrong == dsn {
			t.Fatalf("password not found in the DSN")
		}
		conn, err := pgconn.Connect(context.Background(), wrong)
		if err == nil {
			conn.Close(context.Background())
		}
		if code := sqlState(err); code != invalidPassword {
			t.Errorf("wrong password: err %v (SQLSTATE %q), want %s", err, code, invalidPassword)
		}
		noPassword := strings.Replace(dsn, ":"+srv.ReplPassword+"@", "@", 1)
		conn, err = pgconn.Connect(context.Background(), noPassword)
		if err == nil {
			conn.Close(context.Background())
			t.Errorf("replication role logged in without a password")
		}
	}
}

func TestEachTestGetsItsOwnDatabase(t *testing.T) {
	srv := postgres.Shared(t)
	root := connect(t, srv.RootDSN(""))
	var names []string
	for _, sub := range []string{"first", "second"} {
		t.Run(sub, func(t *testing.T) {
			db := srv.DB(t)
			names = append(names, db)
			srv.Exec(t, db, "CREATE TABLE only_"+sub+" (id int)")
			// A slot left behind pins the database; cleanup must still drop it.
			srv.Exec(t, db, "SELECT pg_create_logical_replication_slot('left_"+sub+"', 'pgoutput')")
			tables := connect(t, srv.RootDSN(db))
			if n := queryString(t, tables, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"); n != "1" {
				t.Errorf("database %s has %s tables, want only its own", db, n)
			}
		})
	}
	if len(names) != 2 || names[0] == names[1] {
		t.Fatalf("databases %q are not distinct", names)
	}
	for _, name := range names {
		if n := queryString(t, root, "SELECT count(*) FROM pg_database WHERE datname = $1", name); n != "0" {
			t.Errorf("database %s still exists after its test ended", name)
		}
		if n := queryString(t, root, "SELECT count(*) FROM pg_replication_slots WHERE database = $1", name); n != "0" {
			t.Errorf("%s replication slots of %s left", n, name)
		}
	}
}

func TestCloseStopsServerAndRemovesFiles(t *testing.T) {
	srv, err := postgres.Start(postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort(srv.Host, strconv.Itoa(srv.Port))
	conn, err := pgconn.Connect(context.Background(), srv.RootDSN(""))
	if err != nil {
		srv.Close()
		t.Fatalf("fresh server: %v", err)
	}
	conn.Close(context.Background())
	dirs := serverDirs(t)
	srv.Close()
	srv.Close() // idempotent

	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after Close", addr)
	}
	if after := serverDirs(t); len(after) != len(dirs)-1 {
		t.Errorf("server directories before Close %v, after %v: want one fewer", dirs, after)
	}
}

// serverDirs lists this test binary's PostgreSQL directories under /tmp.
func serverDirs(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(os.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	prefix := "dspg-" + strconv.Itoa(os.Getpid()) + "-"
	var dirs []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			dirs = append(dirs, e.Name())
		}
	}
	return dirs
}

func TestMissingBinariesSayHowToInstall(t *testing.T) {
	_, err := postgres.Start(postgres.Options{BinDir: "/nonexistent/postgresql/bin"})
	if !errors.Is(err, postgres.ErrNotInstalled) || !strings.Contains(err.Error(), "scripts/test.sh") {
		t.Fatalf("Start without binaries: %v, want ErrNotInstalled pointing at scripts/test.sh", err)
	}
}
