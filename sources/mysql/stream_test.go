package mysql

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"reflect"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/schema"
	"github.com/doris-sync/doris-sync/testkit"
	"github.com/doris-sync/doris-sync/testkit/mariadb"
	mysqlkit "github.com/doris-sync/doris-sync/testkit/mysql"
)

// cdcServer is a test server as the data-path tests use it.
type cdcServer struct {
	name     string
	flavor   string
	host     string
	port     int
	user     string // the least-privileged CDC user the launcher made
	password string
	fullMeta bool // binlog_row_metadata=FULL
	newDB    func(t testing.TB) string
	exec     func(t testing.TB, db string, stmts ...string)
	open     func(t testing.TB, db string) *sql.DB
	tls      TLSConfig
}

func fromMariaDB(name string, s *mariadb.Server, fullMeta bool) cdcServer {
	return cdcServer{name: name, flavor: FlavorMariaDB, host: s.Host, port: s.Port, user: s.ReplUser, password: s.ReplPassword,
		fullMeta: fullMeta, newDB: s.DB, exec: s.Exec, open: s.Open, tls: TLSConfig{Mode: TLSPreferred}}
}

func mariaDBFull(t testing.TB) cdcServer { return fromMariaDB("mariadb", mariadb.Shared(t), true) }

// mariaDBMinimal is a second MariaDB whose binlog carries no column names
// (binlog_row_metadata=MINIMAL): rows decode through the schema history.
func mariaDBMinimal(t testing.TB) cdcServer {
	t.Helper()
	minimal.once.Do(func() {
		if err := testkit.RegisterStop(func() {
			if minimal.srv != nil {
				minimal.srv.Close()
			}
		}); err != nil {
			minimal.err = err
			return
		}
		minimal.srv, minimal.err = mariadb.Start(mariadb.Options{Args: []string{"--binlog-row-metadata=MINIMAL"}})
	})
	if minimal.err != nil {
		t.Fatalf("MariaDB without full row metadata: %v", minimal.err)
	}
	return fromMariaDB("mariadb-minimal", minimal.srv, false)
}

var minimal struct {
	once sync.Once
	srv  *mariadb.Server
	err  error
}

func mysql9(t testing.TB) cdcServer {
	s := mysqlkit.Shared(t) // skips unless DORIS_SYNC_TEST_MYSQL=1
	return cdcServer{name: "mysql", flavor: FlavorMySQL, host: s.Host, port: s.Port, user: s.ReplUser, password: s.ReplPassword,
		fullMeta: true, newDB: s.DB, exec: s.Exec, open: s.Open, tls: TLSConfig{Mode: TLSRequired}}
}

// source opens the CDC user's Source on databases matching db.
func (s cdcServer) source(t testing.TB, db string) *Source {
	t.Helper()
	src, err := Open(context.Background(), Config{Host: s.host, Port: s.port, User: s.user, Password: s.password,
		Databases: regexp.MustCompile("^" + regexp.QuoteMeta(db) + "$"), TLS: s.tls})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// collector gathers what a stream emits.
type collector struct {
	mu      sync.Mutex
	changes []schema.Change
	commits []Position
	// at[i] is the number of commits before changes[i] was emitted.
	at []int
}

func (c *collector) emit(ch schema.Change) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.changes = append(c.changes, ch)
	c.at = append(c.at, len(c.commits))
	return nil
}

func (c *collector) commit(p Position) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.commits = append(c.commits, p)
	return nil
}

// streamUntil streams from `from` until the server's current position, with tables
// being the tracked ones.
func streamUntil(t testing.TB, src *Source, from Position, tables []*schema.Table, opts StreamOptions) *collector {
	t.Helper()
	until, err := src.CurrentPosition(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{}
	opts.From, opts.Until, opts.Emit, opts.Commit = from, until, c.emit, c.commit
	if opts.Tables == nil {
		opts.Tables = tables
	}
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	if opts.Heartbeat == 0 {
		opts.Heartbeat = time.Second
	}
	if opts.JobName == "" {
		opts.JobName = t.Name()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := src.Stream(ctx, opts); err != nil {
		t.Fatalf("stream from %s to %s: %v", from, until, err)
	}
	return c
}

func discoverTables(t testing.TB, src *Source) map[string]*schema.Table {
	t.Helper()
	tables, err := src.Discover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*schema.Table{}
	for _, tb := range tables {
		out[tb.ID.Name] = tb
	}
	return out
}

func currentPosition(t testing.TB, src *Source) Position {
	t.Helper()
	p, err := src.CurrentPosition(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// snapshotRows reads a whole table through a snapshot, in chunks of chunkSize.
func snapshotRows(t testing.TB, src *Source, tb *schema.Table, chunkSize int) [][]any {
	t.Helper()
	ctx := context.Background()
	sn, err := src.BeginSnapshot(ctx, SnapshotOptions{Readers: 2, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer sn.Close()
	key, err := ChunkKey(tb, "")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := sn.PlanChunks(ctx, tb, key, chunkSize)
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]any
	for _, c := range plan.Chunks() {
		if _, err := sn.ReadChunk(ctx, tb, key, c, func(row []any) error { rows = append(rows, row); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	return rows
}

// ---- the wide table ----

func wideTable(flavor string) string {
	jsonType := "JSON"
	if flavor == FlavorMariaDB {
		jsonType = "JSON" // an alias of LONGTEXT there: the value arrives as text
	}
	return "CREATE TABLE wide (id INT PRIMARY KEY, " +
		"ti TINYINT, ti_u TINYINT UNSIGNED, si SMALLINT, si_u SMALLINT UNSIGNED, mi MEDIUMINT, mi_u MEDIUMINT UNSIGNED, " +
		"i INT, i_u INT UNSIGNED, bi BIGINT, bi_u BIGINT UNSIGNED, flag TINYINT(1), " +
		"dec65 DECIMAL(65,30), dec10 DECIMAL(10,2), f FLOAT, d DOUBLE, " +
		"dt DATE, dtm DATETIME(6), dtm0 DATETIME, ts TIMESTAMP(6) NULL, tm TIME(6), tm0 TIME, yr YEAR, " +
		"b1 BIT(1), b64 BIT(64), e ENUM('new','paid','it''s'), st SET('a','bb','ccc'), j " + jsonType + ", " +
		"c_utf CHAR(10) CHARACTER SET utf8mb4, vc_utf VARCHAR(255) CHARACTER SET utf8mb4, " +
		"c_latin CHAR(10) CHARACTER SET latin1, vc_latin VARCHAR(100) CHARACTER SET latin1, tx TEXT, tx_latin TEXT CHARACTER SET latin1, " +
		"bn BINARY(4), vb VARBINARY(255), bl LONGBLOB, " +
		"g GEOMETRY, pt POINT, ls LINESTRING, pg POLYGON, mpt MULTIPOINT, mls MULTILINESTRING, mpg MULTIPOLYGON, gc GEOMETRYCOLLECTION)"
}

var wideInserts = []string{
	"SET time_zone = '+00:00'",
	"SET sql_mode = ''",
	"INSERT INTO wide VALUES (1, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, " +
		"9223372036854775807, 18446744073709551615, 1, " +
		"'99999999999999999999999999999999999.999999999999999999999999999999', 99999999.99, 1.23456789, 1.7976931348623157e308, " +
		"'9999-12-31', '9999-12-31 23:59:59.999999', '2024-02-29 12:34:56', '2038-01-19 03:14:07.999999', '838:59:59.000000', '-838:59:59', 2155, " +
		"b'1', b'1111111111111111111111111111111111111111111111111111111111111111', 'it''s', 'a,ccc', " +
		`'{"b": [1, 2.5, "x"], "a": {"c": null}, "long key": true, "n": 12345678901234567890, "u": "é😀\\"q"}', ` +
		"'héllo 😀', 'emoji 😀 ✓ 中文', 'café', 'é€ƒ…Œ', 'plain text', '€uro ½', " +
		"'ab', x'00ff10', NULL, " +
		"ST_GeomFromText('POINT(1 2)'), ST_GeomFromText('POINT(1.5 -2.25)'), ST_GeomFromText('LINESTRING(0 0,1 1,2 0)'), " +
		"ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 10,0 0),(2 2,3 2,3 3,2 2))'), ST_GeomFromText('MULTIPOINT(1 1,2 2)'), " +
		"ST_GeomFromText('MULTILINESTRING((0 0,1 1),(2 2,3 3))'), ST_GeomFromText('MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5)))'), " +
		"ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 1),LINESTRING(0 0,1 1))'))",
	"INSERT INTO wide VALUES (2, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0, 0, " +
		"'-99999999999999999999999999999999999.999999999999999999999999999999', -0.01, -0.5, 5e-324, " +
		"'1000-01-01', '0000-00-00 00:00:00', '2024-00-10 00:00:00', '1970-01-01 00:00:01.000001', '-00:00:00.500000', '00:00:00', 1901, " +
		"b'0', b'0', 'new', '', '[1, \"two\", 3.0, {\"k\": \"é\"}, -0.0, 1.5e-7]', " +
		"'', '', '', '', '', '', '', '', NULL, " +
		"ST_GeomFromText('POINT(-0.000001 1e25)'), NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
	"INSERT INTO wide (id, dt, yr, j) VALUES (3, '0000-00-00', 0, '3.5')",
}

// wideExpected is what both paths must produce for the wide table's rows, in column
// order. bl is checked separately (the 16 MB blob).
func wideExpected(flavor string) map[int64][]any {
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	j1 := any(schema.JSON(`{"a":{"c":null},"b":[1,2.5,"x"],"n":12345678901234567890,"u":"é😀\"q","long key":true}`))
	j2 := any(schema.JSON(`[1,"two",3.0,{"k":"é"},-0.0,1.5e-07]`))
	j3 := any(schema.JSON(`3.5`))
	if flavor == FlavorMariaDB { // JSON is LONGTEXT: the text as inserted
		j1 = `{"b": [1, 2.5, "x"], "a": {"c": null}, "long key": true, "n": 12345678901234567890, "u": "é😀\"q"}`
		j2 = `[1, "two", 3.0, {"k": "é"}, -0.0, 1.5e-7]`
		j3 = "3.5"
	}
	return map[int64][]any{
		1: {int64(1), int64(127), uint64(255), int64(32767), uint64(65535), int64(8388607), uint64(16777215), int64(2147483647), uint64(4294967295),
			int64(math.MaxInt64), uint64(math.MaxUint64), int64(1),
			schema.Decimal("99999999999999999999999999999999999.999999999999999999999999999999"), schema.Decimal("99999999.99"),
			float64(float32(1.23456789)), 1.7976931348623157e308,
			utc(9999, 12, 31, 0, 0, 0, 0), utc(9999, 12, 31, 23, 59, 59, 999999000), utc(2024, 2, 29, 12, 34, 56, 0), utc(2038, 1, 19, 3, 14, 7, 999999000),
			"838:59:59.000000", "-838:59:59", int64(2155),
			true, uint64(math.MaxUint64), "it's", "a,ccc", j1,
			"héllo 😀", "emoji 😀 ✓ 中文", "café", "é€ƒ…Œ", "plain text", "€uro ½",
			[]byte("ab\x00\x00"), []byte{0, 0xff, 0x10}, nil,
			"POINT(1 2)", "POINT(1.5 -2.25)", "LINESTRING(0 0,1 1,2 0)", "POLYGON((0 0,10 0,10 10,0 10,0 0),(2 2,3 2,3 3,2 2))",
			"MULTIPOINT((1 1),(2 2))", "MULTILINESTRING((0 0,1 1),(2 2,3 3))", "MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5)))",
			"GEOMETRYCOLLECTION(POINT(1 1),LINESTRING(0 0,1 1))"},
		2: {int64(2), int64(-128), uint64(0), int64(-32768), uint64(0), int64(-8388608), uint64(0), int64(math.MinInt32), uint64(0),
			int64(math.MinInt64), uint64(0), int64(0),
			schema.Decimal("-99999999999999999999999999999999999.999999999999999999999999999999"), schema.Decimal("-0.01"),
			-0.5, 5e-324,
			utc(1000, 1, 1, 0, 0, 0, 0), nil, nil, utc(1970, 1, 1, 0, 0, 1, 1000),
			"-00:00:00.500000", "00:00:00", int64(1901),
			false, uint64(0), "new", "", j2,
			"", "", "", "", "", "",
			[]byte{0, 0, 0, 0}, []byte{}, nil,
			"POINT(-0.000001 1e+25)", nil, nil, nil, nil, nil, nil, nil},
		3: {int64(3), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil,
			nil, nil, nil, nil,
			nil, nil, nil, nil, nil, nil, int64(0),
			nil, nil, nil, nil, j3,
			nil, nil, nil, nil, nil, nil,
			nil, nil, nil,
			nil, nil, nil, nil, nil, nil, nil, nil},
	}
}

const blobSize = 16 << 20

func TestWideTableMariaDB(t *testing.T)        { testWideTable(t, mariaDBFull(t)) }
func TestWideTableMariaDBMinimal(t *testing.T) { testWideTable(t, mariaDBMinimal(t)) }
func TestWideTableMySQL(t *testing.T)          { testWideTable(t, mysql9(t)) }

// testWideTable writes every type's edge values, then reads them through the snapshot
// and through the stream: both must give exactly the expected values.
func testWideTable(t *testing.T, srv cdcServer) {
	db := srv.newDB(t)
	srv.exec(t, "", "SET GLOBAL max_allowed_packet = 67108864")
	srv.exec(t, db, wideTable(srv.flavor))
	src := srv.source(t, db)
	tables := discoverTables(t, src)
	from := currentPosition(t, src)

	srv.exec(t, db, wideInserts...)
	blob := make([]byte, blobSize)
	if _, err := rand.Read(blob); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.open(t, db).Exec("UPDATE wide SET bl = ? WHERE id = 1", blob); err != nil {
		t.Fatal(err)
	}

	want := wideExpected(srv.flavor)
	blCol := tables["wide"].ColumnIndex("bl")
	drop := func(row []any) []any { return append(append([]any(nil), row[:blCol]...), row[blCol+1:]...) }
	check := func(path string, rows map[int64][]any) {
		t.Helper()
		if len(rows) != len(want) {
			t.Fatalf("%s: %d rows, want %d", path, len(rows), len(want))
		}
		for id, w := range want {
			got := rows[id]
			if len(got) != len(w) {
				t.Fatalf("%s: row %d has %d values, want %d", path, id, len(got), len(w))
			}
			if bl := got[blCol]; id == 1 {
				if b, ok := bl.([]byte); !ok || !bytes.Equal(b, blob) {
					t.Errorf("%s: row 1 blob: got %T (%d bytes), want the %d bytes written", path, bl, len(b), len(blob))
				}
			} else if bl != nil {
				t.Errorf("%s: row %d blob %v, want NULL", path, id, bl)
			}
			got, w := drop(got), drop(w)
			names := drop(make([]any, len(tables["wide"].Columns)))
			for k, c := range tables["wide"].Columns {
				if k != blCol {
					names[k-boolToInt(k > blCol)] = c.Name
				}
			}
			for k := range w {
				if !reflect.DeepEqual(got[k], w[k]) {
					t.Errorf("%s: row %d column %s: got %#v (%T), want %#v (%T)", path, id, names[k], got[k], got[k], w[k], w[k])
				}
			}
		}
	}

	// One chunk covering the table (a statement without arguments) and small chunks
	// with bounds as arguments: both are prepared and read over the binary protocol,
	// and must decode to what the binlog carries.
	for _, chunkSize := range []int{1000, 1} {
		snap := map[int64][]any{}
		for _, row := range snapshotRows(t, src, tables["wide"], chunkSize) {
			snap[row[0].(int64)] = row
		}
		check(fmt.Sprintf("snapshot in chunks of %d", chunkSize), snap)
	}

	c := streamUntil(t, src, from, []*schema.Table{tables["wide"]}, StreamOptions{})
	streamed := map[int64][]any{}
	for _, ch := range c.changes {
		switch ch.Op {
		case schema.OpInsert:
			streamed[ch.After[0].(int64)] = ch.After
		case schema.OpUpdate:
			streamed[ch.After[0].(int64)] = ch.After
		default:
			t.Errorf("unexpected %s change", ch.Op)
		}
	}
	check("stream", streamed)
}

// errorsAs is errors.As for tests that want the target back.
func errorsAs[T error](err error) (T, bool) {
	var target T
	ok := errors.As(err, &target)
	return target, ok
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestMariaDBTypes covers MariaDB's own types, which the binlog holds as binary and the
// snapshot reads as text: both must give the server's text.
func TestMariaDBTypes(t *testing.T) {
	srv := mariaDBFull(t)
	db := srv.newDB(t)
	srv.exec(t, db, "CREATE TABLE m (id INT PRIMARY KEY, u UUID, a4 INET4, a6 INET6)")
	src := srv.source(t, db)
	tables := discoverTables(t, src)
	from := currentPosition(t, src)
	srv.exec(t, db,
		"INSERT INTO m VALUES (1, '6ccd780c-baba-1026-9564-5b8c656024db', '10.0.0.255', '2001:db8::ff00:42:8329')",
		"INSERT INTO m VALUES (2, 'a1b2c3d4-e5f6-4789-8abc-def012345678', '0.0.0.0', '::ffff:192.0.2.1')",
		"INSERT INTO m VALUES (3, '00000000-0000-0000-0000-000000000000', '255.255.255.255', '::1')",
		"INSERT INTO m VALUES (4, 'ffffffff-ffff-ffff-ffff-ffffffffffff', NULL, '::')")
	want := map[int64][]any{
		1: {int64(1), "6ccd780c-baba-1026-9564-5b8c656024db", "10.0.0.255", "2001:db8::ff00:42:8329"},
		2: {int64(2), "a1b2c3d4-e5f6-4789-8abc-def012345678", "0.0.0.0", "::ffff:192.0.2.1"},
		3: {int64(3), "00000000-0000-0000-0000-000000000000", "255.255.255.255", "::1"},
		4: {int64(4), "ffffffff-ffff-ffff-ffff-ffffffffffff", nil, "::"},
	}
	snap := map[int64][]any{}
	for _, row := range snapshotRows(t, src, tables["m"], 10) {
		snap[row[0].(int64)] = row
	}
	if !reflect.DeepEqual(snap, want) {
		t.Errorf("snapshot:\n got %v\nwant %v", snap, want)
	}
	streamed := map[int64][]any{}
	for _, ch := range streamUntil(t, src, from, []*schema.Table{tables["m"]}, StreamOptions{}).changes {
		streamed[ch.After[0].(int64)] = ch.After
	}
	if !reflect.DeepEqual(streamed, want) {
		t.Errorf("stream:\n got %v\nwant %v", streamed, want)
	}
}
