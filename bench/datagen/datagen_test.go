package datagen

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/testkit"
	"github.com/doris-sync/doris-sync/testkit/mariadb"
	"github.com/doris-sync/doris-sync/testkit/postgres"
)

func TestMain(m *testing.M) { testkit.Main(m) }

func TestRowsAfter(t *testing.T) {
	if got := RowsAfter(0); got != SeedRows {
		t.Errorf("RowsAfter(0) = %d, want %d", got, SeedRows)
	}
	if got := RowsAfter(10000); got != 60+450000 {
		t.Errorf("RowsAfter(10000) = %d, want 450060", got)
	}
	if TxnChanges != 100 {
		t.Errorf("TxnChanges = %d, want transactions of 100 changes", TxnChanges)
	}
}

func TestParseDialect(t *testing.T) {
	for in, want := range map[string]Dialect{"mariadb": MariaDB, "MySQL": MariaDB, "postgres": Postgres, "PostgreSQL": Postgres} {
		if got, err := ParseDialect(in); err != nil || got != want {
			t.Errorf("ParseDialect(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseDialect("oracle"); err == nil {
		t.Error("ParseDialect(oracle) succeeded")
	}
}

func TestFillBatches(t *testing.T) {
	stmts := Fill(MariaDB, "t", 1, 250, 100)
	want := []string{"seq_1_to_100", "seq_101_to_200", "seq_201_to_250"}
	if len(stmts) != len(want) {
		t.Fatalf("Fill made %d statements, want %d: %q", len(stmts), len(want), stmts)
	}
	for i, w := range want {
		if !strings.Contains(stmts[i], w) {
			t.Errorf("statement %d = %q, want it to read %s", i, stmts[i], w)
		}
	}
}

// checkWorkload fills, seeds and runs the workload in two calls on a real server, then
// checks the row count and the rows the transactions touched.
func checkWorkload(t *testing.T, d Dialect, dsn string) Conn {
	t.Helper()
	ctx := context.Background()
	c, err := Open(ctx, d, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := ExecAll(ctx, c, CreateTable(d, "snap")); err != nil {
		t.Fatal(err)
	}
	if err := ExecAll(ctx, c, Fill(d, "snap", 1, 1000, 300)...); err != nil {
		t.Fatal(err)
	}
	if n, err := c.QueryInt(ctx, "SELECT COUNT(*) FROM snap"); err != nil || n != 1000 {
		t.Fatalf("snap has %d rows (%v), want 1000", n, err)
	}
	// ~200 bytes a row: the 64-character note is the bulk of it.
	if n, err := c.QueryInt(ctx, "SELECT MIN(LENGTH(note)) FROM snap"); err != nil || n != 64 {
		t.Errorf("shortest note = %d (%v), want 64", n, err)
	}

	stmts := append([]string{CreateTable(d, "cdc")}, Seed(d, "cdc")...)
	stmts = append(stmts, CreateChangesProc(d, "cdc"))
	if err := ExecAll(ctx, c, stmts...); err != nil {
		t.Fatal(err)
	}
	if err := ExecAll(ctx, c, CallChanges("cdc", 0, 3), CallChanges("cdc", 3, 2)); err != nil {
		t.Fatal(err)
	}
	if n, err := c.QueryInt(ctx, "SELECT COUNT(*) FROM cdc"); err != nil || n != RowsAfter(5) {
		t.Errorf("cdc has %d rows (%v), want %d", n, err, RowsAfter(5))
	}
	for _, q := range []struct {
		sql  string
		want int64
	}{
		{"SELECT tenant FROM cdc WHERE id = 1", 2},     // seed row updated by transaction 0
		{"SELECT tenant FROM cdc WHERE id = 241", 242}, // inserted by transaction 3, updated by 4 (second call)
		{"SELECT COUNT(*) FROM cdc WHERE id BETWEEN 26 AND 40", 0},
		{"SELECT COUNT(*) FROM cdc WHERE id BETWEEN 266 AND 280", 0},  // inserted by 3, deleted by 4
		{"SELECT COUNT(*) FROM cdc WHERE id BETWEEN 241 AND 300", 45}, // 3's inserts less 4's deletes
		{"SELECT COUNT(*) FROM cdc WHERE id BETWEEN 301 AND 360", 60}, // 4's inserts, untouched
		{"SELECT MAX(id) FROM cdc", int64(SeedRows + 5*TxnInserts)},   // last insert of transaction 4
	} {
		if n, err := c.QueryInt(ctx, q.sql); err != nil || n != q.want {
			t.Errorf("%s = %d (%v), want %d", q.sql, n, err, q.want)
		}
	}
	return c
}

func TestWorkloadMariaDB(t *testing.T) {
	srv := mariadb.Shared(t)
	db := srv.DB(t)
	checkWorkload(t, MariaDB, srv.RootDSN(db))
}

// TestWorkloadPostgres also reads the changes back through logical decoding: each
// transaction is exactly TxnChanges row changes.
func TestWorkloadPostgres(t *testing.T) {
	srv := postgres.Shared(t)
	db := srv.DB(t)
	ctx := context.Background()
	c := checkWorkload(t, Postgres, srv.RootDSN(db))
	slot := "bench_" + db
	if err := c.Exec(ctx, fmt.Sprintf("SELECT pg_create_logical_replication_slot('%s', 'test_decoding')", slot)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Exec(ctx, fmt.Sprintf("SELECT pg_drop_replication_slot('%s')", slot)) })
	// 40 transactions take ids past 2147, where id * 1000003 no longer fits an integer.
	if err := c.Exec(ctx, CallChanges("cdc", 5, 40)); err != nil {
		t.Fatal(err)
	}
	q := fmt.Sprintf("SELECT COUNT(*) FROM pg_logical_slot_get_changes('%s', NULL, NULL) WHERE data LIKE 'table public.cdc:%%'", slot)
	if n, err := c.QueryInt(ctx, q); err != nil || n != 40*TxnChanges {
		t.Errorf("decoded %d row changes (%v), want %d", n, err, 40*TxnChanges)
	}
	q = fmt.Sprintf("SELECT COUNT(*) FROM pg_logical_slot_peek_changes('%s', NULL, NULL)", slot)
	if n, err := c.QueryInt(ctx, q); err != nil || n != 0 {
		t.Errorf("slot still holds %d changes (%v)", n, err)
	}
}
