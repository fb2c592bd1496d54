package postgres

import (
	"testing"

	"github.com/doris-sync/doris-sync/schema"
)

// PostgreSQL 13–15 send a partition's own Relation message after its root's, even
// though the rows come under the root: with a Match that accepts every name (the
// engine follows new tables matching its filters), a partition must still not become
// a new table of its own.
func TestStreamPartitionIsNotANewTable(t *testing.T) {
	e := newReplEnv(t,
		"CREATE TABLE meas (id integer, at date, v integer, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)",
		"CREATE TABLE meas_2024 PARTITION OF meas FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
		"CREATE TABLE meas_2025 PARTITION OF meas FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
		"CREATE TABLE later (id integer PRIMARY KEY)",
	)
	tables := e.tables("meas", "later")
	e.publish(tables)
	everything := func(schema.TableID) bool { return true }
	run := startStream(t, e.repl, StreamOptions{Tables: tables[:1], Match: everything}, e.createSlot(), 0)
	e.exec(
		"INSERT INTO meas VALUES (1, '2024-05-01', 10), (2, '2025-05-01', 20)",
		"INSERT INTO meas_2025 VALUES (3, '2025-06-01', 30)",
		"INSERT INTO later VALUES (7)", // a table that is not a partition is still followed
	)
	changes := run.next(t, 5)
	want := []struct {
		op    schema.Op
		table string
	}{{schema.OpInsert, "meas"}, {schema.OpInsert, "meas"}, {schema.OpInsert, "meas"}, {schema.OpDDL, "later"}, {schema.OpInsert, "later"}}
	for i, c := range changes {
		if c.Op != want[i].op || c.Table.Name != want[i].table {
			t.Fatalf("change %d: %s of %s, want %s of %s%s", i, c.Op, c.Table.Name, want[i].op, want[i].table, describe(changes))
		}
	}
}
