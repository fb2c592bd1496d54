package sync

import (
	"strconv"
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/config"
	"github.com/doris-sync/doris-sync/testkit/doris"
)

// A table of every MySQL/MariaDB type round-trips exactly into Doris, through the
// snapshot and through the binlog: each value lands as the text Doris prints, written
// out below by hand (not computed by the code under test).

const mysqlWideTable = "CREATE TABLE wide (" +
	"id INT NOT NULL PRIMARY KEY, " +
	"ti TINYINT, ti_u TINYINT UNSIGNED, si SMALLINT, si_u SMALLINT UNSIGNED, mi MEDIUMINT, mi_u MEDIUMINT UNSIGNED, " +
	"i INT, i_u INT UNSIGNED, bi BIGINT, bi_u BIGINT UNSIGNED, " +
	"flag TINYINT(1), b1 BIT(1), b8 BIT(8), b64 BIT(64), " +
	"dec38 DECIMAL(38,10), dec65 DECIMAL(65,30), dec_u DECIMAL(5,2) UNSIGNED, f FLOAT, d DOUBLE, " +
	"dt DATE, dtm DATETIME(6), dtm0 DATETIME, ts TIMESTAMP(6) NULL, tm TIME(6), yr YEAR, " +
	"c_utf8 CHAR(10) CHARACTER SET utf8mb4, vc VARCHAR(64) CHARACTER SET utf8mb4, " +
	"c_latin CHAR(10) CHARACTER SET latin1, vc_latin VARCHAR(64) CHARACTER SET latin1, tx TEXT CHARACTER SET utf8mb4, " +
	"bn BINARY(4), vb VARBINARY(16), bl BLOB, big LONGBLOB, " +
	"e ENUM('new','paid','shipped'), st SET('a','bb','ccc'), j JSON, g GEOMETRY, pt POINT%s)"

// mariaDBOnlyColumns are MariaDB's own types (10.7+ UUID, 10.10+ INET4/INET6).
const mariaDBOnlyColumns = ", u UUID, ip4 INET4, ip6 INET6"

// bigBlobSQL is a 16 MiB value; bigBlobDoris is its base64 text in Doris, by digest
// (computed once with Python's base64 and hashlib).
const (
	bigBlobSQL   = "REPEAT('ab', 8388608)"
	bigBlobDoris = "sha256:ebf4cf22fd448bea0f310bc77a5997e3a33cdbd7c3576cf00ab440b2fae44800 len:22369624"
)

func mysqlWideColumns(mariadb bool) []string {
	cols := strings.Fields("ti ti_u si si_u mi mi_u i i_u bi bi_u flag b1 b8 b64 dec38 dec65 dec_u f d dt dtm dtm0 ts tm yr " +
		"c_utf8 vc c_latin vc_latin tx bn vb bl big e st j g pt")
	if mariadb {
		cols = append(cols, "u", "ip4", "ip6")
	}
	return cols
}

// mysqlWideRows are the rows with edge values. Sessions insert them with an empty
// sql_mode (zero dates) and time_zone '+00:00' unless a row says otherwise.
func mysqlWideRows(mariadb bool) []roundTripRow {
	// MariaDB's JSON is LONGTEXT: Doris gets the text as written. MySQL's is a binary
	// document: Doris gets it compact, keys in MySQL's order (length, then bytes).
	json := func(maria, mysql string) string {
		if mariadb {
			return maria
		}
		return mysql
	}
	maxRow := roundTripRow{name: "maximum values", cells: []cell{
		{"ti", "127", "127"}, {"ti_u", "255", "255"}, {"si", "32767", "32767"}, {"si_u", "65535", "65535"},
		{"mi", "8388607", "8388607"}, {"mi_u", "16777215", "16777215"},
		{"i", "2147483647", "2147483647"}, {"i_u", "4294967295", "4294967295"},
		{"bi", "9223372036854775807", "9223372036854775807"}, {"bi_u", "18446744073709551615", "18446744073709551615"},
		{"flag", "1", "1"}, {"b1", "b'1'", "1"}, {"b8", "b'11111111'", "255"},
		{"b64", "b'" + strings.Repeat("1", 64) + "'", "18446744073709551615"},
		{"dec38", "'9999999999999999999999999999.9999999999'", "9999999999999999999999999999.9999999999"},
		{"dec65", "'99999999999999999999999999999999999.999999999999999999999999999999'", "99999999999999999999999999999999999.999999999999999999999999999999"},
		{"dec_u", "999.99", "999.99"},
		{"f", "3.40282e38", "3.40282e+38"}, {"d", "1.7976931348623157e308", "1.7976931348623157e+308"},
		{"dt", "'9999-12-31'", "9999-12-31"}, {"dtm", "'9999-12-31 23:59:59.999999'", "9999-12-31 23:59:59.999999"},
		{"dtm0", "'9999-12-31 23:59:59'", "9999-12-31 23:59:59"},
		{"ts", "'2038-01-19 03:14:07.999999'", "2038-01-19 03:14:07.999999"},
		{"tm", "'838:59:59'", "838:59:59.000000"}, {"yr", "2155", "2155"},
		{"c_utf8", "'😀ñ漢字'", "😀ñ漢字"},
		{"vc", `'emoji 😀🎉 "q" back\\slash tab\there'`, "emoji 😀🎉 \"q\" back\\slash tab\there"},
		{"c_latin", "'çàé€'", "çàé€"}, {"vc_latin", "'Ÿ€ café'", "Ÿ€ café"},
		{"tx", `'line1\nline2'`, "line1\nline2"},
		{"bn", "'ab'", "YWIAAA=="}, {"vb", "x'00FF10'", "AP8Q"}, {"bl", "x'DEADBEEF00'", "3q2+7wA="},
		{"big", bigBlobSQL, bigBlobDoris},
		{"e", "'shipped'", "shipped"}, {"st", "'a,bb,ccc'", "a,bb,ccc"},
		{"j", `'{"k": [1, 2.5, "é", null, true], "a": {"n": -1}}'`,
			json(`{"k": [1, 2.5, "é", null, true], "a": {"n": -1}}`, `{"a":{"n":-1},"k":[1,2.5,"é",null,true]}`)},
		{"g", "ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 10,0 0))')", "POLYGON((0 0,10 0,10 10,0 10,0 0))"},
		{"pt", "ST_GeomFromText('POINT(1.5 -2)')", "POINT(1.5 -2)"},
	}}
	minRow := roundTripRow{name: "minimum and empty values", cells: []cell{
		{"ti", "-128", "-128"}, {"ti_u", "0", "0"}, {"si", "-32768", "-32768"}, {"si_u", "0", "0"},
		{"mi", "-8388608", "-8388608"}, {"mi_u", "0", "0"},
		{"i", "-2147483648", "-2147483648"}, {"i_u", "0", "0"},
		{"bi", "-9223372036854775808", "-9223372036854775808"}, {"bi_u", "0", "0"},
		{"flag", "0", "0"}, {"b1", "b'0'", "0"}, {"b8", "b'0'", "0"}, {"b64", "b'0'", "0"},
		{"dec38", "'-9999999999999999999999999999.9999999999'", "-9999999999999999999999999999.9999999999"},
		{"dec65", "'-0.000000000000000000000000000001'", "-0.000000000000000000000000000001"},
		{"dec_u", "0", "0.00"},
		{"f", "-3.40282e38", "-3.40282e+38"}, {"d", "-2.2250738585072014e-308", "-2.2250738585072014e-308"},
		{"dt", "'0001-01-01'", "0001-01-01"}, {"dtm", "'0001-01-01 00:00:00'", "0001-01-01 00:00:00.000000"},
		{"dtm0", "'1000-01-01 00:00:00'", "1000-01-01 00:00:00"},
		{"ts", "'1970-01-01 00:00:01'", "1970-01-01 00:00:01.000000"},
		{"tm", "'-838:59:59'", "-838:59:59.000000"}, {"yr", "1901", "1901"},
		{"c_utf8", "''", ""}, {"vc", "''", ""}, {"c_latin", "''", ""}, {"vc_latin", "''", ""}, {"tx", "''", ""},
		{"bn", "x'00000000'", "AAAAAA=="}, {"vb", "''", ""}, {"bl", "''", ""},
		{"e", "'new'", "new"}, {"st", "''", ""},
		{"j", "'null'", "null"},
		{"g", "ST_GeomFromText('POINT(0 0)')", "POINT(0 0)"},
		{"pt", "ST_GeomFromText('POINT(-180 90)')", "POINT(-180 90)"},
	}}
	// Zero and partial-zero dates arrive as NULL (Doris cannot store them); YEAR 0000
	// is 0; a TIMESTAMP written in +02:00 lands as UTC.
	datesRow := roundTripRow{name: "zero dates, fractions and time zones", cells: []cell{
		{"ti", "0", "0"}, {"dec38", "'0.0000000001'", "0.0000000001"}, {"dec65", "1.5", "1.500000000000000000000000000000"},
		{"dec_u", "0.01", "0.01"}, {"f", "0.1", "0.1"}, {"d", "0.1", "0.1"},
		{"dt", "'0000-00-00'", nil}, {"dtm", "'0000-00-00 00:00:00'", nil}, {"dtm0", "'2024-00-10 00:00:00'", nil},
		{"ts", "'0000-00-00 00:00:00'", nil}, {"yr", "0", "0"},
		{"tm", "'-00:00:00.000001'", "-00:00:00.000001"},
		{"c_latin", "'ÿ'", "ÿ"}, {"bn", "'abcd'", "YWJjZA=="},
		{"e", "'not a label'", ""}, {"st", "'ccc,a'", "a,ccc"},
		{"j", `'{"a": "line\\nbreak \\u00e9 \\"q\\"", "n": 1.0e2, "big": 12345678901234567890}'`,
			json(`{"a": "line\nbreak \u00e9 \"q\"", "n": 1.0e2, "big": 12345678901234567890}`, `{"a":"line\nbreak é \"q\"","n":100.0,"big":12345678901234567890}`)},
		{"g", "ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 1),LINESTRING(0 0,1.25 1))')", "GEOMETRYCOLLECTION(POINT(1 1),LINESTRING(0 0,1.25 1))"},
	}}
	zoned := roundTripRow{name: "a TIMESTAMP written in +02:00", cells: []cell{
		{"dtm", "'2024-02-29 12:34:56.000001'", "2024-02-29 12:34:56.000001"},
		{"ts", "'2024-06-04 18:03:37.5'", "2024-06-04 16:03:37.500000"},
		{"tm", "'23:59:59.123456'", "23:59:59.123456"},
	}}
	nulls := roundTripRow{name: "every column NULL"}
	if mariadb {
		maxRow.cells = append(maxRow.cells, cell{"u", "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
			cell{"ip4", "'255.255.255.255'", "255.255.255.255"}, cell{"ip6", "'2001:db8::ff00:42:8329'", "2001:db8::ff00:42:8329"})
		minRow.cells = append(minRow.cells, cell{"u", "'00000000-0000-0000-0000-000000000000'", "00000000-0000-0000-0000-000000000000"},
			cell{"ip4", "'0.0.0.0'", "0.0.0.0"}, cell{"ip6", "'::ffff:1.2.3.4'", "::ffff:1.2.3.4"})
		datesRow.cells = append(datesRow.cells, cell{"u", "'6ccd780c-baba-1026-9564-5b8c656024db'", "6ccd780c-baba-1026-9564-5b8c656024db"})
	}
	return []roundTripRow{maxRow, minRow, datesRow, zoned, nulls}
}

// mysqlWideInserts inserts the rows under ids base+1, base+2, …
func mysqlWideInserts(rows []roundTripRow, base int) []string {
	stmts := []string{"SET SESSION sql_mode = ''", "SET SESSION time_zone = '+00:00'"}
	quote := func(s string) string { return "`" + s + "`" }
	for i, r := range rows {
		if strings.HasPrefix(r.name, "a TIMESTAMP written in +02:00") {
			stmts = append(stmts, "SET SESSION time_zone = '+02:00'", r.insertSQL("wide", base+i+1, quote), "SET SESSION time_zone = '+00:00'")
			continue
		}
		stmts = append(stmts, r.insertSQL("wide", base+i+1, quote))
	}
	return stmts
}

func TestAcceptMariaDBWideRoundTrip(t *testing.T) { testMySQLWideRoundTrip(t, mariaDBServer(t)) }
func TestAcceptMySQLWideRoundTrip(t *testing.T)   { testMySQLWideRoundTrip(t, mySQLServer(t)) }

func testMySQLWideRoundTrip(t *testing.T, src mysqlServer) {
	db := src.newDB(t)
	extra := ""
	if src.mariadb {
		extra = mariaDBOnlyColumns
	}
	src.exec(t, db, strings.Replace(mysqlWideTable, "%s", extra, 1))
	rows := mysqlWideRows(src.mariadb)
	const streamBase = 100
	src.exec(t, db, mysqlWideInserts(rows, 0)...)

	// Doris keeps STRING values up to string_type_length_soft_limit_bytes (1 MB by
	// default); the 16 MiB BLOB needs the limit raised, as a user would.
	doris := startStandInWith(t, doris.Options{StringLimit: 64 << 20})
	logs := captureLogs(t)
	a := e2eArgs(src.sourceConf(db), doris.sinkConf(), t.TempDir(), "snapshot-parallelism", "2")
	if !src.mariadb {
		a.table = []string{"enable-decimal256=true"} // DECIMAL(65,30) as a Doris DECIMAL; MariaDB's run keeps it STRING
	}
	job := backgroundJob(t, config.MySQL, a, logs)
	job.waitFor("the snapshot rows", func() bool { return rowCount(doris.srv, "dst", "wide") == len(rows) })
	src.exec(t, db, mysqlWideInserts(rows, streamBase)...)
	job.waitFor("the streamed rows", func() bool { return rowCount(doris.srv, "dst", "wide") == 2*len(rows) })
	job.mustStop()
	runUntilCaughtUp(t, config.MySQL, a, logs)

	got := dumpByKey(t, doris.srv, "dst", "wide", "id")
	if len(got) != 2*len(rows) {
		t.Errorf("Doris holds %d rows, want %d", len(got), 2*len(rows))
	}
	cols := mysqlWideColumns(src.mariadb)
	for i, r := range rows {
		snap, stream := got[strconv.Itoa(i+1)], got[strconv.Itoa(streamBase+i+1)]
		checkRoundTrip(t, "snapshot", snap, i+1, r, cols)
		checkRoundTrip(t, "stream", stream, streamBase+i+1, r, cols)
		if snap != nil && stream != nil && withoutID(snap) != withoutID(stream) {
			t.Errorf("row %q: the snapshot and the stream wrote different values", r.name)
		}
	}
}
