package sync

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/config"
	pgkit "github.com/doris-sync/doris-sync/testkit/postgres"
)

// A table of every PostgreSQL type family round-trips exactly into Doris, through the
// exported-snapshot copy and through pgoutput: each value lands as the text Doris
// prints, written out below by hand.

var postgresWideSchema = []string{
	"CREATE TYPE mood AS ENUM ('happy', 'sad', 'ünïcode 😀')",
	"CREATE DOMAIN posint AS numeric(12,2) CHECK (VALUE > 0)",
	"CREATE TABLE wide (id integer PRIMARY KEY, " +
		"s smallint, i integer, b bigint, n numeric, n122 numeric(12,2), n50 numeric(50,10), " +
		"r real, dp double precision, m money, " +
		"t text, vc varchar(16), ch char(4), by bytea, bo boolean, " +
		"d date, tm time(6), ttz timetz, tsp timestamp(3), ts6 timestamp, tstz timestamptz, iv interval, " +
		"u uuid, js json, jsb jsonb, ia integer[], ta text[], ia2 integer[][], " +
		"mo mood, dom posint, ip inet, cid cidr, mac macaddr, pt point, x xml, tsv tsvector, " +
		"bv bit varying(20), b1 bit(1), b8 bit(8), rng int4range, tsr tstzrange)",
}

var postgresWideColumns = strings.Fields("s i b n n122 n50 r dp m t vc ch by bo d tm ttz tsp ts6 tstz iv u js jsb ia ta ia2 " +
	"mo dom ip cid mac pt x tsv bv b1 b8 rng tsr")

// postgresWideRows are the rows with edge values; the session writing them runs in
// time zone UTC unless a literal says otherwise.
var postgresWideRows = []roundTripRow{
	{name: "maximum values", cells: []cell{
		{"s", "32767", "32767"}, {"i", "2147483647", "2147483647"}, {"b", "9223372036854775807", "9223372036854775807"},
		{"n", "'123456789012345678901234567890.123456789012345678901234567890'", "123456789012345678901234567890.123456789012345678901234567890"},
		{"n122", "9999999999.99", "9999999999.99"},
		{"n50", "'1234567890123456789012345678901234567890.0123456789'", "1234567890123456789012345678901234567890.0123456789"},
		{"r", "'3.4028235e+38'", "3.4028235e+38"}, {"dp", "'1.7976931348623157e+308'", "1.7976931348623157e+308"},
		{"m", "'92233720368547758.07'", "92233720368547758.07"},
		{"t", `E'emoji 😀 tab\there "q" back\\slash\nnew line'`, "emoji 😀 tab\there \"q\" back\\slash\nnew line"},
		{"vc", "'ñ漢😀'", "ñ漢😀"}, {"ch", "'abcd'", "abcd"},
		{"by", `'\x00ff10'`, "AP8Q"}, {"bo", "true", "1"},
		{"d", "'9999-12-31'", "9999-12-31"}, {"tm", "'24:00:00'", "24:00:00"}, {"ttz", "'12:34:56.789+05:30'", "12:34:56.789+05:30"},
		{"tsp", "'2024-02-29 23:59:59.999'", "2024-02-29 23:59:59.999"},
		{"ts6", "'9999-12-31 23:59:59.999999'", "9999-12-31 23:59:59.999999"},
		{"tstz", "'2024-06-04 18:03:37.123456+02'", "2024-06-04 16:03:37.123456"},
		{"iv", "'1 year 2 months 3 days 04:05:06.789'", "1 year 2 mons 3 days 04:05:06.789"},
		{"u", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{"js", `'{"b": 1, "a": [1, 2.5, "é"], "c": null}'`, `{"b":1,"a":[1,2.5,"é"],"c":null}`},
		{"jsb", `'{"b": 1, "aa": {"x": [true, false]}, "a": "é"}'`, `{"a":"é","b":1,"aa":{"x":[true,false]}}`},
		{"ia", "'{1,NULL,-3}'", "{1,NULL,-3}"}, {"ta", `'{"a b","c,d",NULL,"q\"x"}'`, `{"a b","c,d",NULL,"q\"x"}`},
		{"ia2", "'{{1,2},{3,4}}'", "{{1,2},{3,4}}"},
		{"mo", "'ünïcode 😀'", "ünïcode 😀"}, {"dom", "12.50", "12.50"},
		{"ip", "'192.168.0.1/24'", "192.168.0.1/24"}, {"cid", "'10.0.0.0/8'", "10.0.0.0/8"}, {"mac", "'08:00:2b:01:02:03'", "08:00:2b:01:02:03"},
		{"pt", "'(1.5,-2)'", "(1.5,-2)"}, {"x", `'<a b="1">é</a>'`, `<a b="1">é</a>`}, {"tsv", "'a fat cat'", "'a' 'cat' 'fat'"},
		{"bv", "B'10101'", "10101"}, {"b1", "B'1'", "1"}, {"b8", "B'10101010'", "10101010"},
		{"rng", "int4range(1, 10, '[]')", "[1,11)"},
		{"tsr", "'[2024-01-01 00:00+02,2024-02-01 00:00+00)'", `["2023-12-31 22:00:00+00","2024-02-01 00:00:00+00")`},
	}},
	{name: "minimum and empty values", cells: []cell{
		{"s", "-32768", "-32768"}, {"i", "-2147483648", "-2147483648"}, {"b", "-9223372036854775808", "-9223372036854775808"},
		{"n", "'NaN'", "NaN"}, {"n122", "-9999999999.99", "-9999999999.99"}, {"n50", "'-0.0000000001'", "-0.0000000001"},
		{"r", "'-1.5e-7'", "-1.5e-07"}, {"dp", "'-2.2250738585072014e-308'", "-2.2250738585072014e-308"},
		{"m", "'-92233720368547758.08'", "-92233720368547758.08"},
		{"t", "''", ""}, {"vc", "''", ""}, {"by", `''`, ""}, {"bo", "false", "0"},
		{"d", "'0001-01-01'", "0001-01-01"}, {"tm", "'00:00:00'", "00:00:00"}, {"ttz", "'00:00:00-12'", "00:00:00-12"},
		{"tsp", "'0001-01-01 00:00:00'", "0001-01-01 00:00:00.000"},
		{"ts6", "'1970-01-01 00:00:00.000001'", "1970-01-01 00:00:00.000001"},
		{"tstz", "'1970-01-01 00:00:00+00'", "1970-01-01 00:00:00.000000"},
		{"iv", "'-1 day -1 second'", "-1 days -00:00:01"},
		{"u", "'00000000-0000-0000-0000-000000000000'", "00000000-0000-0000-0000-000000000000"},
		{"js", "'[]'", "[]"}, {"jsb", "'null'", "null"},
		{"ia", "'{}'", "{}"}, {"ta", "'{}'", "{}"}, {"ia2", "'{{NULL}}'", "{{NULL}}"},
		{"mo", "'happy'", "happy"}, {"dom", "0.01", "0.01"},
		{"ip", "'::1'", "::1"}, {"cid", "'::/0'", "::/0"}, {"mac", "'00:00:00:00:00:00'", "00:00:00:00:00:00"},
		{"pt", "'(0,0)'", "(0,0)"}, {"x", "''", ""}, {"tsv", "''", ""},
		{"bv", "B''", ""}, {"b1", "B'0'", "0"}, {"b8", "B'00000000'", "00000000"},
		{"rng", "'empty'", "empty"}, {"tsr", "'(,)'", "(,)"},
	}},
	// ±infinity dates and timestamps are clamped to the ends of Doris's range; numeric
	// NaN and ±Infinity stay text in the STRING columns unconstrained numeric maps to.
	{name: "infinities", cells: []cell{
		{"n", "'-Infinity'", "-Infinity"}, {"n50", "'NaN'", "NaN"},
		{"r", "'1e-45'", "1e-45"}, {"dp", "'5e-324'", "5e-324"},
		{"d", "'infinity'", "9999-12-31"}, {"tsp", "'infinity'", "9999-12-31 23:59:59.999"},
		{"ts6", "'-infinity'", "0000-01-01 00:00:00.000000"}, {"tstz", "'infinity'", "9999-12-31 23:59:59.999999"},
		{"iv", "'-178000000 years'", "-178000000 years"},
	}},
	{name: "every column NULL"},
}

func postgresWideInserts(base int) []string {
	stmts := []string{"SET TIME ZONE 'UTC'"}
	quote := func(s string) string { return `"` + s + `"` }
	for i, r := range postgresWideRows {
		stmts = append(stmts, r.insertSQL("wide", base+i+1, quote))
	}
	return stmts
}

// postgresJobArgs is a full-sync job on database db with its own slot and the
// publication pub (made by the test, as its owner would).
func postgresJobArgs(t *testing.T, srv *pgkit.Server, db, pub string, doris standIn, dir string, extra ...string) args {
	slot := fmt.Sprintf("accept_%d", time.Now().UnixNano()%1e9)
	src := []string{"hostname=" + srv.Host, fmt.Sprint("port=", srv.Port), "username=" + srv.ReplUser, "password=" + srv.ReplPassword,
		"database-name=" + db, "schema-name=public", "slot.name=" + slot, "publication.name=" + pub, "connect.max-retries=0"}
	return e2eArgs(src, doris.sinkConf(), dir, extra...)
}

func TestAcceptPostgresWideRoundTrip(t *testing.T) {
	srv := pgkit.Shared(t)
	db := srv.DB(t)
	srv.Exec(t, db, postgresWideSchema...)
	srv.Exec(t, db, "CREATE PUBLICATION accept_pub FOR ALL TABLES")
	srv.Exec(t, db, postgresWideInserts(0)...)
	const streamBase = 100
	rows := postgresWideRows

	doris := startStandIn(t)
	logs := captureLogs(t)
	a := postgresJobArgs(t, srv, db, "accept_pub", doris, t.TempDir(), "snapshot-parallelism", "2")
	job := backgroundJob(t, config.Postgres, a, logs)
	job.waitFor("the snapshot rows", func() bool { return rowCount(doris.srv, "dst", "wide") == len(rows) })
	srv.Exec(t, db, postgresWideInserts(streamBase)...)
	job.waitFor("the streamed rows", func() bool { return rowCount(doris.srv, "dst", "wide") == 2*len(rows) })
	job.mustStop()
	runUntilCaughtUp(t, config.Postgres, a, logs)

	got := dumpByKey(t, doris.srv, "dst", "wide", "id")
	if len(got) != 2*len(rows) {
		t.Errorf("Doris holds %d rows, want %d", len(got), 2*len(rows))
	}
	for i, r := range rows {
		snap, stream := got[strconv.Itoa(i+1)], got[strconv.Itoa(streamBase+i+1)]
		checkRoundTrip(t, "snapshot", snap, i+1, r, postgresWideColumns)
		checkRoundTrip(t, "stream", stream, streamBase+i+1, r, postgresWideColumns)
		if snap != nil && stream != nil && withoutID(snap) != withoutID(stream) {
			t.Errorf("row %q: the snapshot and the stream wrote different values", r.name)
		}
	}
}
