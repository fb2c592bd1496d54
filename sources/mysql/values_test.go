package mysql

import (
	"encoding/binary"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/schema"
)

func TestCanonicalJSON(t *testing.T) {
	cases := map[string]string{
		`{"b": [1, 2.5, "x"], "a": {"c": null}}`: `{"b":[1,2.5,"x"],"a":{"c":null}}`,
		`[1.0, 1.50, 1e21, 1.5e-7, -0.0, 100]`:   `[1.0,1.5,1e+21,1.5e-07,-0.0,100]`,
		`12345678901234567890123`:                `12345678901234567890123`,
		`"tab\tquote\"back\\slash\u0001é😀"`:      `"tab\tquote\"back\\slash\u0001é😀"`,
		`"\u00e9\ud83d\ude00"`:                   `"é😀"`,
		` true `:                                 `true`,
		`{}`:                                     `{}`,
		`[[],{}]`:                                `[[],{}]`,
	}
	for in, want := range cases {
		got, err := canonicalJSON([]byte(in))
		if err != nil || string(got) != want {
			t.Errorf("canonicalJSON(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	// MySQL's text and go-mysql's rendering of the same document agree once canonical.
	a, _ := canonicalJSON([]byte(`{"k": [1.5e-05, 2.0]}`))
	b, _ := canonicalJSON([]byte(`{"k":[1.5e-5,2.0]}`))
	if a != b {
		t.Errorf("%s != %s", a, b)
	}
	for _, bad := range []string{``, `{`, `{"a":}`} {
		if _, err := canonicalJSON([]byte(bad)); err == nil {
			t.Errorf("canonicalJSON(%q): want an error", bad)
		}
	}
}

// wkb builds a MySQL geometry value: SRID then little-endian WKB.
type wkb struct{ b []byte }

func newWKB(srid uint32) *wkb {
	w := &wkb{}
	w.b = binary.LittleEndian.AppendUint32(w.b, srid)
	return w
}
func (w *wkb) head(t uint32) *wkb {
	w.b = append(w.b, 1)
	w.b = binary.LittleEndian.AppendUint32(w.b, t)
	return w
}
func (w *wkb) n(n uint32) *wkb { w.b = binary.LittleEndian.AppendUint32(w.b, n); return w }
func (w *wkb) pt(x, y float64) *wkb {
	w.b = binary.LittleEndian.AppendUint64(w.b, math.Float64bits(x))
	w.b = binary.LittleEndian.AppendUint64(w.b, math.Float64bits(y))
	return w
}

func TestGeometryToWKT(t *testing.T) {
	bigEndianPoint := append(binary.LittleEndian.AppendUint32(nil, 4326), 0, 0, 0, 0, 1)
	bigEndianPoint = binary.BigEndian.AppendUint64(bigEndianPoint, math.Float64bits(-1.5))
	bigEndianPoint = binary.BigEndian.AppendUint64(bigEndianPoint, math.Float64bits(3))
	cases := []struct {
		in   []byte
		want string
	}{
		{newWKB(0).head(1).pt(1, 2).b, "POINT(1 2)"},
		{bigEndianPoint, "POINT(-1.5 3)"},
		{newWKB(0).head(2).n(2).pt(0, 0).pt(1e-7, 1e22).b, "LINESTRING(0 0,1e-07 1e+22)"},
		{newWKB(0).head(3).n(1).n(4).pt(0, 0).pt(1, 0).pt(1, 1).pt(0, 0).b, "POLYGON((0 0,1 0,1 1,0 0))"},
		{newWKB(0).head(4).n(2).head(1).pt(1, 1).head(1).pt(2, 2).b, "MULTIPOINT((1 1),(2 2))"},
		{newWKB(0).head(5).n(1).head(2).n(2).pt(0, 0).pt(1, 1).b, "MULTILINESTRING((0 0,1 1))"},
		{newWKB(0).head(6).n(1).head(3).n(1).n(3).pt(0, 0).pt(1, 0).pt(0, 0).b, "MULTIPOLYGON(((0 0,1 0,0 0)))"},
		{newWKB(0).head(7).n(2).head(1).pt(1, 1).head(7).n(0).b, "GEOMETRYCOLLECTION(POINT(1 1),GEOMETRYCOLLECTION EMPTY)"},
		{newWKB(0).head(7).n(0).b, "GEOMETRYCOLLECTION EMPTY"},
	}
	for _, c := range cases {
		got, err := geometryToWKT(c.in)
		if err != nil || got != c.want {
			t.Errorf("got %q, %v; want %q", got, err, c.want)
		}
	}
	bad := [][]byte{
		newWKB(0).b,                                   // nothing after the SRID
		newWKB(0).head(1).pt(1, 2).b[:20],             // cut short
		newWKB(0).head(9).pt(1, 2).b,                  // unknown type
		newWKB(0).head(2).n(1 << 30).b,                // a count larger than the data
		newWKB(0).head(4).n(1).head(2).n(0).b,         // a line string inside a MULTIPOINT
		append(newWKB(0).head(1).pt(1, 2).b, 0, 0, 0), // trailing bytes
	}
	for i, b := range bad {
		if _, err := geometryToWKT(b); err == nil {
			t.Errorf("bad geometry %d: want an error", i)
		}
	}
}

func TestParseTemporal(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	cases := map[string]any{
		"2024-02-29":                 utc(2024, 2, 29, 0, 0, 0, 0),
		"2024-02-29 23:59:58":        utc(2024, 2, 29, 23, 59, 58, 0),
		"2024-02-29 23:59:58.5":      utc(2024, 2, 29, 23, 59, 58, 500000000),
		"2024-02-29 23:59:58.000001": utc(2024, 2, 29, 23, 59, 58, 1000),
		"0000-01-01":                 utc(0, 1, 1, 0, 0, 0, 0),
		"0000-00-00":                 nil,
		"0000-00-00 00:00:00.000":    nil,
		"2024-00-10 00:00:00":        nil, // a zero month
		"2024-05-00":                 nil, // a zero day
	}
	for in, want := range cases {
		got, err := parseTemporal(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("parseTemporal(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "2024-1-1", "2024-01-01 1:2:3", "2024-01-01 01:02:03.1234567890", "yyyy-mm-dd"} {
		if _, err := parseTemporal(bad); err == nil {
			t.Errorf("parseTemporal(%q): want an error", bad)
		}
	}
}

func TestNormalizeTime(t *testing.T) {
	cases := []struct {
		in   string
		fsp  int
		want string
	}{
		{"12:34:56", 0, "12:34:56"},
		{"12:34:56", 3, "12:34:56.000"},
		{"-838:59:59.5", 6, "-838:59:59.500000"},
		{"1:2:3.123456", 2, "01:02:03.12"},
		{"-00:00:00.500000", 6, "-00:00:00.500000"},
	}
	for _, c := range cases {
		got, err := normalizeTime(c.in, c.fsp)
		if err != nil || got != c.want {
			t.Errorf("normalizeTime(%q, %d) = %v, %v; want %q", c.in, c.fsp, got, err, c.want)
		}
	}
}

func TestLatin1(t *testing.T) {
	// MySQL's latin1 is cp1252: 0x80 is €, 0x81 stays U+0081.
	got := latin1ToUTF8([]byte{'c', 'a', 'f', 0xE9, ' ', 0x80, 0x81, 0x9F, 0xBD})
	if want := "café €\u0081Ÿ½"; got != want {
		t.Errorf("got %q want %q", got, want)
	}
	if got := latin1ToUTF8([]byte("plain")); got != "plain" {
		t.Errorf("ascii: %q", got)
	}
	for name, in := range map[string][]byte{"latin2": {0xB1}, "cp1251": {0xC0}, "gbk": {0xC4, 0xE3}} {
		s, err := charsetByName(name).decode(in)
		if err != nil || s == string(in) || !strings.ContainsRune(s.(string), []rune(map[string]string{"latin2": "ą", "cp1251": "А", "gbk": "你"}[name])[0]) {
			t.Errorf("%s: %q %v", name, s, err)
		}
	}
}

// TestCodecsAgree feeds the values each path's driver produces for the same stored
// value into one codec: the results must match exactly.
func TestCodecsAgree(t *testing.T) {
	col := func(typeText, charset string) columnCodec {
		st, err := schema.ParseType(typeText)
		if err != nil {
			t.Fatal(err)
		}
		st.Charset = charset
		return codecForColumn(schema.Column{Name: "c", TypeText: typeText, Type: st})
	}
	cases := []struct {
		codec        columnCodec
		text, binlog any
		want         any
	}{
		{col("tinyint unsigned", ""), int64(255), int8(-1), uint64(255)},
		{col("mediumint unsigned", ""), int64(16777215), int32(-1), uint64(16777215)},
		{col("int unsigned", ""), int64(4294967295), int32(-1), uint64(4294967295)},
		{col("bigint unsigned", ""), uint64(math.MaxUint64), int64(-1), uint64(math.MaxUint64)},
		{col("bigint unsigned", ""), uint64(7), uint64(7), uint64(7)}, // with signedness metadata
		{col("smallint", ""), int64(-5), int16(-5), int64(-5)},
		{col("bit(1)", ""), []byte{1}, int64(1), true},
		{col("bit(64)", ""), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, int64(-1), uint64(math.MaxUint64)},
		{col("bit(10)", ""), []byte{0x02, 0x01}, int64(513), uint64(513)},
		{col("float", ""), float64(float32(0.1)), float32(0.1), float64(float32(0.1))},
		{col("double", ""), 0.1, 0.1, 0.1},
		{col("decimal(5,2)", ""), []byte("-1.50"), "-1.50", schema.Decimal("-1.50")},
		{col("year", ""), int64(2155), 2155, int64(2155)},
		{col("enum('a','b')", "utf8mb4"), []byte("b"), int64(2), "b"},
		{col("enum('a','b')", "utf8mb4"), []byte(""), int64(0), ""},
		{col("set('a','b','c')", "utf8mb4"), []byte("a,c"), int64(5), "a,c"},
		{col("char(5)", "latin1"), []byte("caf\xc3\xa9"), "caf\xe9  ", "café"},
		{col("varchar(5)", "latin1"), []byte("\xe2\x82\xac"), "\x80", "€"},
		{col("binary(4)", ""), []byte("ab\x00\x00"), "ab", []byte("ab\x00\x00")},
		{col("time(3)", ""), []byte("-01:00:00.000"), "-01:00:00", "-01:00:00.000"},
		{col("datetime(6)", ""), []byte("2020-01-02 03:04:05.000006"), "2020-01-02 03:04:05.000006", time.Date(2020, 1, 2, 3, 4, 5, 6000, time.UTC)},
		{col("timestamp", ""), []byte("0000-00-00 00:00:00"), "0000-00-00 00:00:00", nil},
		{col("json", ""), []byte(`{"a": 1.0}`), `{"a":1.0}`, schema.JSON(`{"a":1.0}`)},
	}
	for _, c := range cases {
		fromText, err1 := c.codec.fromText(c.text)
		fromBinlog, err2 := c.codec.fromBinlog(c.binlog)
		if err1 != nil || err2 != nil || !reflect.DeepEqual(fromText, c.want) || !reflect.DeepEqual(fromBinlog, c.want) {
			t.Errorf("%s: text %#v (%v), binlog %#v (%v); want %#v", c.codec.kind, fromText, err1, fromBinlog, err2, c.want)
		}
	}
}

// TestBinlogTemporalValues covers what go-mysql's row decoder yields with ParseTime:
// time.Time for DATETIME (built in UTC) and TIMESTAMP (the instant, in time.Local),
// text for DATEs, zero dates and DATETIMEs before 1970. All become the contract's form.
func TestBinlogTemporalValues(t *testing.T) {
	datetime, timestamp, date := testCodec(t, "c", "datetime(6)"), testCodec(t, "c", "timestamp(6)"), testCodec(t, "c", "date")
	tokyo := time.FixedZone("JST", 9*3600)
	cases := []struct {
		codec columnCodec
		in    any
		want  any
	}{
		{datetime, time.Date(2024, 2, 29, 12, 34, 56, 999999000, time.UTC), time.Date(2024, 2, 29, 12, 34, 56, 999999000, time.UTC)},
		{timestamp, time.Unix(2147483647, 999999000).In(tokyo), time.Date(2038, 1, 19, 3, 14, 7, 999999000, time.UTC)},
		{timestamp, time.Date(1970, 1, 1, 9, 0, 1, 1000, tokyo), time.Date(1970, 1, 1, 0, 0, 1, 1000, time.UTC)},
		{datetime, "1000-01-01 00:00:00.000001", time.Date(1000, 1, 1, 0, 0, 0, 1000, time.UTC)},
		{datetime, "0000-00-00 00:00:00.000", nil},
		{datetime, "2024-00-10 00:00:00", nil},
		{timestamp, "0000-00-00 00:00:00", nil},
		{date, "2024-02-29", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{date, "0000-00-00", nil},
	}
	for _, c := range cases {
		got, err := c.codec.fromBinlog(c.in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %v: got %#v, %v; want %#v", c.codec.kind, c.in, got, err, c.want)
		}
		if tm, ok := got.(time.Time); ok && tm.Location() != time.UTC {
			t.Errorf("%s %v: location %v, want UTC", c.codec.kind, c.in, tm.Location())
		}
	}
}
