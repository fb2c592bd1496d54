package postgres

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/schema"
)

// everyType is one column of the wide table: its type, an edge value as SQL, and the
// Go value both the snapshot and the stream must produce for it.
type everyType struct {
	name, typ, literal string
	want               any
}

func everyTypes(extensions map[string]bool) []everyType {
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	cols := []everyType{
		{"i2", "smallint", "-32768", int64(-32768)},
		{"i4", "integer", "2147483647", int64(2147483647)},
		{"i8", "bigint", "-9223372036854775808", int64(math.MinInt64)},
		{"n122", "numeric(12,2)", "-1234567890.12", schema.Decimal("-1234567890.12")},
		{"n", "numeric", "12345678901234567890.000000000000000000001", schema.Decimal("12345678901234567890.000000000000000000001")},
		{"nnan", "numeric", "'NaN'", schema.Decimal("NaN")},
		{"ninf", "numeric", "'-Infinity'", schema.Decimal("-Infinity")},
		{"r", "real", "1.1", float64(float32(1.1))},
		{"rnan", "real", "'NaN'", math.NaN()},
		{"dp", "double precision", "0.1", 0.1},
		{"dinf", "double precision", "'Infinity'", math.Inf(1)},
		{"m", "money", "-1234567.89", schema.Decimal("-1234567.89")},
		{"t", "text", `E'tab\there\nnew \\ back ''q'' € 😀'`, "tab\there\nnew \\ back 'q' € 😀"},
		{"vc", "varchar(10)", "'abc'", "abc"},
		{"ch", "char(5)", "'ab'", "ab   "},
		{"nm", "name", "'a name'", "a name"},
		{"qc", `"char"`, "'x'", "x"},
		{"by", "bytea", `'\x00ff5c0a'`, []byte{0, 0xff, '\\', '\n'}},
		{"bo", "boolean", "true", true},
		{"d", "date", "'2024-02-29'", utc(2024, 2, 29, 0, 0, 0, 0)},
		{"dinfy", "date", "'infinity'", utc(9999, 12, 31, 0, 0, 0, 0)},
		{"dbc", "date", "'0044-03-15 BC'", utc(-43, 3, 15, 0, 0, 0, 0)},
		{"tm", "time", "'23:59:59.999999'", "23:59:59.999999"},
		{"ttz", "timetz", "'12:00:00+05:30'", "12:00:00+05:30"},
		{"ts", "timestamp", "'2024-06-04 18:03:37.123456'", utc(2024, 6, 4, 18, 3, 37, 123456000)},
		{"tsinf", "timestamp", "'-infinity'", utc(0, 1, 1, 0, 0, 0, 0)},
		{"tstz", "timestamptz", "'2024-06-04 18:03:37.5+02'", utc(2024, 6, 4, 16, 3, 37, 500000000)},
		{"iv", "interval", "'1 year 2 mons 3 days 04:05:06.789'", "1 year 2 mons 3 days 04:05:06.789"},
		{"u", "uuid", "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{"js", "json", `'{"b": [1, 2], "a": null}'`, schema.JSON(`{"b": [1, 2], "a": null}`)},
		{"jsb", "jsonb", `'{"b": 1, "a": "x"}'`, schema.JSON(`{"a": "x", "b": 1}`)},
		{"ia", "integer[]", "'{1,NULL,3}'", "{1,NULL,3}"},
		{"ta", "text[]", `'{"a b","c,d",NULL,"q\"uote"}'`, `{"a b","c,d",NULL,"q\"uote"}`},
		{"ia2", "integer[][]", "'{{1,2},{3,4}}'", "{{1,2},{3,4}}"},
		{"en", "feeling", "'it''s'", "it's"},
		{"pr", "price", "5.5", schema.Decimal("5.50")},
		{"fl", "flag", "'1'", true},
		{"ip", "inet", "'192.168.0.1/24'", "192.168.0.1/24"},
		{"cd", "cidr", "'10.0.0.0/8'", "10.0.0.0/8"},
		{"mac", "macaddr", "'08:00:2B:01:02:03'", "08:00:2b:01:02:03"},
		{"mac8", "macaddr8", "'08:00:2b:01:02:03:04:05'", "08:00:2b:01:02:03:04:05"},
		{"pt", "point", "'(1.5,2)'", "(1.5,2)"},
		{"ln", "line", "'{1,-1,0}'", "{1,-1,0}"},
		{"ls", "lseg", "'[(0,0),(1,1)]'", "[(0,0),(1,1)]"},
		{"bx", "box", "'(0,0),(1,1)'", "(1,1),(0,0)"},
		{"pa", "path", "'[(0,0),(1,1),(2,0)]'", "[(0,0),(1,1),(2,0)]"},
		{"pg", "polygon", "'((0,0),(1,1),(1,0))'", "((0,0),(1,1),(1,0))"},
		{"ci", "circle", "'<(1,1),2>'", "<(1,1),2>"},
		{"x", "xml", "'<a>x &amp; y</a>'", "<a>x &amp; y</a>"},
		{"tsv", "tsvector", "'a fat cat'", "'a' 'cat' 'fat'"},
		{"tsq", "tsquery", "'fat & cat'", "'fat' & 'cat'"},
		{"bv", "bit varying(20)", "'10101'", "10101"},
		{"b1", "bit(1)", "'1'", true},
		{"b8", "bit(8)", "'10100101'", "10100101"},
		{"i4r", "int4range", "'[1,10)'", "[1,10)"},
		{"tsr", "tstzrange", "'[2024-01-01 02:00+02,2024-02-01 00:00+00)'", `["2024-01-01 00:00:00+00","2024-02-01 00:00:00+00")`},
		{"dmr", "datemultirange", "'{[2020-01-01,2020-02-01)}'", "{[2020-01-01,2020-02-01)}"},
		{"oi", "oid", "4294967295", int64(4294967295)},
		{"x8", "xid8", "'18446744073709551615'", uint64(math.MaxUint64)},
		{"lsn", "pg_lsn", "'16/B374D848'", "16/B374D848"},
		{"pair", "pair", `'(1,"x y")'`, `(1,"x y")`},
	}
	if extensions["hstore"] {
		cols = append(cols, everyType{"hs", "hstore", `'a=>1, "b c"=>NULL'`, `"a"=>"1", "b c"=>NULL`})
	}
	if extensions["citext"] {
		cols = append(cols, everyType{"cit", "citext", "'MiXeD'", "MiXeD"})
	}
	return cols
}

// setUpEveryType creates the wide table with row 1 holding the edge values and row 2
// only NULLs.
func setUpEveryType(t *testing.T, e *replEnv) []everyType {
	ext := map[string]bool{}
	conn := e.srv.Conn(t, e.db)
	for _, name := range []string{"hstore", "citext"} {
		if _, err := conn.Exec(context.Background(), "CREATE EXTENSION IF NOT EXISTS "+name); err != nil {
			t.Logf("extension %s is not available (%v): its column is left out", name, err)
			continue
		}
		ext[name] = true
	}
	cols := everyTypes(ext)
	defs := []string{"id integer PRIMARY KEY"}
	names := []string{"id"}
	lits := []string{"1"}
	for _, c := range cols {
		defs = append(defs, c.name+" "+c.typ)
		names = append(names, c.name)
		lits = append(lits, c.literal)
	}
	e.exec(
		"CREATE TYPE feeling AS ENUM ('happy', 'it''s')",
		"CREATE DOMAIN price AS numeric(12,2)",
		"CREATE DOMAIN flag AS bit(1)",
		"CREATE TYPE pair AS (a integer, b text)",
		"CREATE TABLE every ("+strings.Join(defs, ", ")+")",
		"INSERT INTO every ("+strings.Join(names, ", ")+") VALUES ("+strings.Join(lits, ", ")+")",
		"INSERT INTO every (id) VALUES (2)",
	)
	return cols
}

func checkEveryRow(t *testing.T, path string, cols []everyType, row []any, id int64) {
	t.Helper()
	if len(row) != len(cols)+1 || row[0] != id {
		t.Fatalf("%s: row %v, want id %d and %d columns", path, row, id, len(cols)+1)
	}
	for i, c := range cols {
		got := row[i+1]
		if id%2 == 0 {
			if got != nil {
				t.Errorf("%s row %d %s: got %#v, want NULL", path, id, c.name, got)
			}
			continue
		}
		if !sameValue(got, c.want) {
			t.Errorf("%s %s (%s): got %#v (%T), want %#v (%T)", path, c.name, c.typ, got, got, c.want, c.want)
		}
	}
}

func sameValue(got, want any) bool {
	switch w := want.(type) {
	case time.Time:
		g, ok := got.(time.Time)
		return ok && g.Equal(w) && g.Location() == time.UTC
	case float64:
		g, ok := got.(float64)
		return ok && (g == w || math.IsNaN(g) && math.IsNaN(w))
	}
	return reflect.DeepEqual(got, want)
}

// TestEveryTypeSnapshotAndStreamAgree reads a row of every type with edge values
// through the snapshot (COPY and row-by-row) and through the stream, and checks all
// three against the literal expectations.
func TestEveryTypeSnapshotAndStreamAgree(t *testing.T) {
	e := newReplEnv(t)
	cols := setUpEveryType(t, e)
	tables := e.tables("every")
	e.publish(tables)
	snap := e.createSlot()
	ctx := context.Background()

	sr, err := snap.OpenReader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sr.Close()
	rows := readAll(t, sr, tables[0], 1000)
	if len(rows) != 2 {
		t.Fatalf("snapshot: %d rows, want 2", len(rows))
	}
	checkEveryRow(t, "snapshot (COPY)", cols, rows[0], 1)
	checkEveryRow(t, "snapshot (COPY)", cols, rows[1], 2)
	var queried [][]any
	if _, err := sr.readChunkRows(ctx, tables[0], Chunk{Table: tables[0].ID, Key: []string{"id"}},
		func(r []any) error { queried = append(queried, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(queried) != 2 {
		t.Fatalf("snapshot (query): %d rows", len(queried))
	}
	checkEveryRow(t, "snapshot (query)", cols, queried[0], 1)
	checkEveryRow(t, "snapshot (query)", cols, queried[1], 2)

	run := startStream(t, e.repl, StreamOptions{Tables: tables}, snap, 0)
	e.exec("CREATE TEMP TABLE copied AS SELECT * FROM every", "UPDATE copied SET id = id + 2", "INSERT INTO every SELECT * FROM copied ORDER BY id")
	changes := run.next(t, 2)
	for i, c := range changes {
		if c.Op != schema.OpInsert || c.Table != tables[0].ID {
			t.Fatalf("change %d: %s of %s, want an insert into every (no DDL: discovery and the stream must agree on types)%s", i, c.Op, c.Table, describe(changes))
		}
		checkEveryRow(t, "stream", cols, c.After, int64(3+i))
	}
	if _, ok := changes[0].Position.(Position).Boundary(); ok {
		t.Error("the first change of a two-row transaction is marked as its end")
	}
	if end, ok := changes[1].Position.(Position).Boundary(); !ok || end <= snap.ConsistentPoint {
		t.Errorf("the last change of the transaction: end %v %v, want one after the consistent point %v", end, ok, snap.ConsistentPoint)
	}
}
