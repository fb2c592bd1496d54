package encode

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/schema"
)

func mustType(t testing.TB, s string) ColumnType {
	t.Helper()
	ct, err := ParseType(s)
	if err != nil {
		t.Fatalf("ParseType(%q): %v", s, err)
	}
	return ct
}

// encodeOne encodes a one-column row and returns the JSON value text of that column.
func encodeOne(t *testing.T, typ string, v any) string {
	t.Helper()
	e := NewJSON([]Column{{Name: "c", Type: mustType(t, typ)}}, false)
	out, err := e.AppendRow(nil, []any{v}, false)
	if err != nil {
		t.Fatalf("encode %T %v as %s: %v", v, v, typ, err)
	}
	s := string(out)
	if !strings.HasPrefix(s, `{"c":`) || !strings.HasSuffix(s, "}") {
		t.Fatalf("unexpected row %q", s)
	}
	if !json.Valid(out) {
		t.Fatalf("row is not valid JSON: %q", s)
	}
	return s[len(`{"c":`) : len(s)-1]
}

type decimalText string
type jsonText string

func TestParseType(t *testing.T) {
	cases := []struct {
		in    string
		kind  Kind
		scale int
	}{
		{"BOOLEAN", KindBool, 0}, {"tinyint", KindInt, 0}, {"BIGINT", KindInt, 0},
		{"LARGEINT", KindLargeInt, 0}, {"FLOAT", KindFloat, 0}, {"DOUBLE", KindDouble, 0},
		{"DECIMAL(10,2)", KindDecimal, 0}, {"DECIMALV3(38, 10)", KindDecimal, 0},
		{"DATE", KindDate, 0}, {"DATETIME", KindDateTime, 0}, {"DATETIME(3)", KindDateTime, 3},
		{"datetimev2(6)", KindDateTime, 6}, {"VARCHAR(765)", KindText, 0}, {"CHAR(1)", KindText, 0},
		{"STRING", KindText, 0}, {"JSON", KindJSON, 0}, {"JSONB", KindJSON, 0}, {"VARIANT", KindJSON, 0},
		{"ARRAY<INT>", KindText, 0}, {"MAP<STRING,INT>", KindText, 0}, {"IPV6", KindText, 0},
	}
	for _, c := range cases {
		ct, err := ParseType(c.in)
		if err != nil {
			t.Errorf("ParseType(%q): %v", c.in, err)
			continue
		}
		if ct.Kind != c.kind || ct.Scale != c.scale {
			t.Errorf("ParseType(%q) = %v scale %d, want %v scale %d", c.in, ct.Kind, ct.Scale, c.kind, c.scale)
		}
	}
	for _, bad := range []string{"TIME", "DATETIME(7)", "DATETIME(a)", "BLOB", "VARCHAR(10", "INT UNSIGNED", "ARRAY"} {
		if _, err := ParseType(bad); err == nil {
			t.Errorf("ParseType(%q) succeeded, want an error", bad)
		}
	}
}

func TestJSONStringEscaping(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain", `"plain"`},
		{`quote " and \ backslash`, `"quote \" and \\ backslash"`},
		{"nl\ncr\rtab\tbs\bff\f", `"nl\ncr\rtab\tbs\bff\f"`},
		{"nul\x00ctl\x01\x1f", `"nul\u0000ctl\u0001\u001f"`},
		{"del\x7f", "\"del\x7f\""},
		{"héllo 日本 😀", `"héllo 日本 😀"`},
		{"latin1 caf\xe9!", `"latin1 caf` + "\ufffd" + `!"`},
		{"\xff\xfe", `"` + "\ufffd\ufffd" + `"`},
		{"truncated \xe6\x97", `"truncated ` + "\ufffd\ufffd" + `"`},
		{"", `""`},
	}
	for _, c := range cases {
		got := encodeOne(t, "STRING", c.in)
		if got != c.want {
			t.Errorf("escape %q = %s, want %s", c.in, got, c.want)
		}
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil {
			t.Errorf("escape %q: output does not decode: %v", c.in, err)
		}
	}
	// Every byte value survives: valid text round-trips exactly through a JSON decoder.
	var all strings.Builder
	for b := 0; b < 0x80; b++ {
		all.WriteByte(byte(b))
	}
	all.WriteString("ÿ€𝄞")
	got := encodeOne(t, "STRING", all.String())
	var back string
	if err := json.Unmarshal([]byte(got), &back); err != nil || back != all.String() {
		t.Errorf("round trip of all ASCII bytes failed: %v, %q", err, back)
	}
}

func TestJSONValuesPerType(t *testing.T) {
	ts := time.Date(2024, 6, 4, 16, 3, 37, 456789123, time.UTC)
	cases := []struct {
		typ  string
		v    any
		want string
	}{
		{"INT", nil, `null`},
		{"BIGINT", int64(-9223372036854775808), `-9223372036854775808`},
		{"BIGINT", uint64(42), `42`},
		{"LARGEINT", uint64(18446744073709551615), `"18446744073709551615"`},
		{"LARGEINT", int64(-5), `"-5"`},
		{"LARGEINT", "170141183460469231731687303715884105727", `"170141183460469231731687303715884105727"`},
		{"DECIMAL(38,10)", "12345678901234567890.0123456789", `"12345678901234567890.0123456789"`},
		{"DECIMAL(38,10)", decimalText("-0.0000000001"), `"-0.0000000001"`},
		{"DECIMAL(10,2)", []byte("99.95"), `"99.95"`},
		{"DECIMAL(10,2)", int64(7), `"7"`},
		{"DECIMAL(20,10)", 1e-7, `"0.0000001"`},
		{"BOOLEAN", true, `true`},
		{"BOOLEAN", false, `false`},
		{"BOOLEAN", int64(1), `true`},
		{"BOOLEAN", uint64(0), `false`},
		{"TINYINT", true, `1`},
		{"DOUBLE", 0.1, `0.1`},
		{"DOUBLE", 1e21, `1e+21`},
		{"DOUBLE", 1e-7, `1e-7`},
		{"DOUBLE", math.Copysign(0, -1), `-0`},
		{"DOUBLE", 123456789.125, `123456789.125`},
		{"DOUBLE", float32(0.1), `0.1`},
		{"FLOAT", float64(float32(0.1)), `0.1`},
		{"DOUBLE", math.NaN(), `"nan"`},
		{"FLOAT", math.Inf(1), `"inf"`},
		{"DOUBLE", math.Inf(-1), `"-inf"`},
		{"DATE", ts, `"2024-06-04"`},
		{"DATE", "2024-06-04", `"2024-06-04"`},
		{"DATETIME", ts, `"2024-06-04 16:03:37"`},
		{"DATETIME(3)", ts, `"2024-06-04 16:03:37.456"`},
		{"DATETIME(6)", ts, `"2024-06-04 16:03:37.456789"`},
		{"DATETIME(6)", time.Date(1, 1, 1, 0, 0, 0, 5000, time.UTC), `"0001-01-01 00:00:00.000005"`},
		{"DATETIME(6)", time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 8*3600)), `"2024-01-01 19:04:05.000000"`}, // an instant: UTC
		{"DATE", time.Date(2024, 1, 2, 3, 0, 0, 0, time.FixedZone("x", 8*3600)), `"2024-01-01"`},
		{"DECIMAL(10,2)", schema.Decimal("-12.50"), `"-12.50"`},
		{"JSON", schema.JSON(`{"a":1}`), `"{\"a\":1}"`},
		{"STRING", ts, `"2024-06-04 16:03:37.456789123"`},
		{"STRING", time.Date(2024, 6, 4, 16, 3, 37, 500000000, time.UTC), `"2024-06-04 16:03:37.5"`},
		{"VARCHAR(10)", int64(12), `"12"`},
		{"VARCHAR(10)", true, `"1"`},
		{"VARCHAR(10)", 2.5, `"2.5"`},
		{"VARCHAR(20)", []byte{0x00, 0xff, 'a'}, `"AP9h"`},
		{"STRING", []byte("hi"), `"aGk="`},
		{"JSON", `{"a":[1,"x\"y"]}`, `"{\"a\":[1,\"x\\\"y\"]}"`},
		{"JSON", jsonText(`[1,2]`), `"[1,2]"`},
		{"JSON", []byte(`{"k":1}`), `"{\"k\":1}"`},
		{"INT", int32(-7), `-7`},
		{"INT", uint16(7), `7`},
		{"SMALLINT", int(300), `300`},
	}
	for _, c := range cases {
		if got := encodeOne(t, c.typ, c.v); got != c.want {
			t.Errorf("%s %T(%v) = %s, want %s", c.typ, c.v, c.v, got, c.want)
		}
	}
}

func TestFloatShortestRoundTrip(t *testing.T) {
	for _, f := range []float64{0.1, 1.0 / 3, math.Pi, 5e-324, math.MaxFloat64, 123456.789e-12, -2.5e300, 1e20, 9007199254740993} {
		got := encodeOne(t, "DOUBLE", f)
		back, err := strconv.ParseFloat(got, 64)
		if err != nil || back != f {
			t.Errorf("DOUBLE %v encoded %s, parsed back %v (%v)", f, got, back, err)
		}
	}
	for _, f := range []float32{0.1, 1.0 / 3, 3.4e38, 1e-45} {
		got := encodeOne(t, "FLOAT", float64(f))
		back, err := strconv.ParseFloat(got, 32)
		if err != nil || float32(back) != f {
			t.Errorf("FLOAT %v encoded %s, parsed back %v (%v)", f, got, back, err)
		}
	}
}

func TestJSONRefusals(t *testing.T) {
	cases := []struct {
		typ    string
		v      any
		reason string
	}{
		{"BOOLEAN", int64(2), "only 0 and 1"},
		{"BOOLEAN", 0.5, "only 0 and 1"},
		{"DATE", int64(1), "not a date"},
		{"DATETIME", true, "not a date"},
		{"INT", time.Now(), "fits only"},
		{"DECIMAL(10,2)", math.NaN(), "NaN"},
		{"DATE", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), "year"},
		{"INT", struct{}{}, "unsupported"},
		{"INT", []int{1}, "unsupported"},
		{"STRING", schema.Unchanged, "did not send this value"},
	}
	for _, c := range cases {
		e := NewJSON([]Column{{Name: "k", Type: mustType(t, "INT")}, {Name: "c", Type: mustType(t, c.typ)}}, false)
		dst := []byte("prefix")
		out, err := e.AppendRow(dst, []any{int64(1), c.v}, false)
		var ve *ValueError
		if !errors.As(err, &ve) || ve.Column != "c" || !strings.Contains(ve.Reason, c.reason) {
			t.Errorf("%s %T: err = %v, want a ValueError for column c mentioning %q", c.typ, c.v, err, c.reason)
		}
		if string(out) != "prefix" {
			t.Errorf("%s %T: failed row left %q in the buffer", c.typ, c.v, out)
		}
	}
	e := NewJSON([]Column{{Name: "a", Type: mustType(t, "INT")}}, false)
	if _, err := e.AppendRow(nil, []any{int64(1), int64(2)}, false); err == nil {
		t.Error("a row with too many values was accepted")
	}
}

func TestJSONRowShapeAndDeleteSign(t *testing.T) {
	cols := []Column{{Name: "id", Type: mustType(t, "BIGINT")}, {Name: `we"ird`, Type: mustType(t, "VARCHAR(10)")}}
	e := NewJSON(cols, true)
	out, err := e.AppendRow(nil, []any{int64(1), "x"}, false)
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, e.Delimiter()...)
	out, err = e.AppendRow(out, []any{int64(2), nil}, true)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":1,"we\"ird":"x","__DORIS_DELETE_SIGN__":0}` + "\n" + `{"id":2,"we\"ird":null,"__DORIS_DELETE_SIGN__":1}`
	if string(out) != want {
		t.Errorf("body = %s\nwant   %s", out, want)
	}
	plain := NewJSON(cols, false)
	out, _ = plain.AppendRow(nil, []any{int64(3), "y"}, true)
	if string(out) != `{"id":3,"we\"ird":"y"}` {
		t.Errorf("without delete sign: %s", out)
	}
}

func TestCSV(t *testing.T) {
	cols := []Column{
		{Name: "id", Type: mustType(t, "BIGINT")}, {Name: "name", Type: mustType(t, "VARCHAR(20)")},
		{Name: "at", Type: mustType(t, "DATETIME(3)")}, {Name: "ok", Type: mustType(t, "BOOLEAN")},
		{Name: "amount", Type: mustType(t, "DECIMAL(10,2)")}, {Name: "bin", Type: mustType(t, "STRING")},
		{Name: "f", Type: mustType(t, "DOUBLE")},
	}
	e, err := NewCSV(cols, true, "\x01", "\x02")
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Columns(); got != "id,name,at,ok,amount,bin,f,__DORIS_DELETE_SIGN__" {
		t.Errorf("Columns() = %q", got)
	}
	ts := time.Date(2024, 6, 4, 16, 3, 37, 456789000, time.UTC)
	out, err := e.AppendRow(nil, []any{int64(1), "tab\tnl\n", ts, true, "1.50", []byte("hi"), math.NaN()}, false)
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, e.Delimiter()...)
	out, err = e.AppendRow(out, []any{int64(2), "caf\xe9", nil, false, nil, nil, 0.25}, true)
	if err != nil {
		t.Fatal(err)
	}
	want := "1\x01tab\tnl\n\x012024-06-04 16:03:37.456\x011\x011.50\x01aGk=\x01nan\x010\x02" +
		"2\x01caf\ufffd\x01\\N\x010\x01\\N\x01\\N\x010.25\x011"
	if string(out) != want {
		t.Errorf("csv body = %q\nwant       %q", out, want)
	}
	for _, bad := range []string{"a\x01b", "a\x02", `\N`} {
		if _, err := e.AppendRow(nil, []any{int64(1), bad, nil, nil, nil, nil, nil}, false); err == nil {
			t.Errorf("csv accepted text %q that cannot be read back", bad)
		}
	}
	if _, err := NewCSV(cols, false, ",", ","); err == nil {
		t.Error("NewCSV accepted equal separators")
	}
}

// mixedRow is a 12-column row of the kinds a replicated table typically has.
func mixedRow() ([]Column, []any) {
	cols := []Column{
		{"id", ColumnType{Kind: KindInt, Text: "BIGINT"}},
		{"tenant", ColumnType{Kind: KindInt, Text: "INT"}},
		{"name", ColumnType{Kind: KindText, Text: "VARCHAR(765)"}},
		{"email", ColumnType{Kind: KindText, Text: "VARCHAR(765)"}},
		{"amount", ColumnType{Kind: KindDecimal, Text: "DECIMAL(10,2)"}},
		{"ratio", ColumnType{Kind: KindDouble, Text: "DOUBLE"}},
		{"active", ColumnType{Kind: KindBool, Text: "BOOLEAN"}},
		{"created", ColumnType{Kind: KindDateTime, Scale: 6, Text: "DATETIME(6)"}},
		{"birthday", ColumnType{Kind: KindDate, Text: "DATE"}},
		{"note", ColumnType{Kind: KindText, Text: "STRING"}},
		{"attrs", ColumnType{Kind: KindJSON, Text: "JSON"}},
		{"big", ColumnType{Kind: KindLargeInt, Text: "LARGEINT"}},
	}
	ts := time.Date(2024, 6, 4, 16, 3, 37, 456789000, time.UTC)
	row := []any{int64(1234567), int64(42), "Ada Lovelace", "ada@example.com", "12345.67", 0.125, true,
		ts, ts, "a note with \"quotes\"\nand a newline", `{"k":"v","n":1}`, uint64(18446744073709551615)}
	return cols, row
}

func TestEncodeAllocatesNothingPerRow(t *testing.T) {
	cols, row := mixedRow()
	e := NewJSON(cols, true)
	buf := make([]byte, 0, 1<<16)
	allocs := testing.AllocsPerRun(1000, func() {
		var err error
		buf, err = e.AppendRow(buf[:0], row, false)
		if err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("AppendRow allocates %.1f times per row, want 0", allocs)
	}
	var m map[string]any
	if err := json.Unmarshal(buf, &m); err != nil || len(m) != 13 {
		t.Errorf("mixed row is not a 13-key JSON object: %v %s", err, buf)
	}
}

func BenchmarkEncode12Cols(b *testing.B) {
	cols, row := mixedRow()
	e := NewJSON(cols, true)
	buf := make([]byte, 0, 4<<20)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if len(buf) > 4<<20-1024 {
			buf = buf[:0]
		}
		var err error
		if buf, err = e.AppendRow(buf, row, false); err != nil {
			b.Fatal(err)
		}
		buf = append(buf, '\n')
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkEncode12ColsCSV(b *testing.B) {
	cols, row := mixedRow()
	row[9] = "a note without separators"
	e, err := NewCSV(cols, true, "\x01", "\x02")
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 4<<20)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if len(buf) > 4<<20-1024 {
			buf = buf[:0]
		}
		if buf, err = e.AppendRow(buf, row, false); err != nil {
			b.Fatal(err)
		}
		buf = append(buf, '\x02')
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func TestWallClockMatchesTimePackage(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("plus8", 8*3600), time.FixedZone("minus5", -5*3600-1800)}
	check := func(tm time.Time) {
		y, mo, d, h, mi, s := wallClock(tm)
		wy, wmo, wd := tm.UTC().Date()
		wh, wmi, ws := tm.UTC().Clock()
		if y != wy || mo != int(wmo) || d != wd || h != wh || mi != wmi || s != ws {
			t.Fatalf("wallClock(%v) = %d-%d-%d %d:%d:%d", tm, y, mo, d, h, mi, s)
		}
	}
	for _, loc := range zones {
		// Every day boundary from year 0 to 9999 in steps that hit leap days and centuries.
		for unix := int64(-62167219200); unix < 253402300800; unix += 86400*97 + 3601 {
			check(time.Unix(unix, 0).In(loc))
			check(time.Unix(unix-1, 0).In(loc))
		}
		for _, tm := range []time.Time{
			time.Date(0, 1, 1, 0, 0, 0, 0, loc), time.Date(9999, 12, 31, 23, 59, 59, 999999999, loc),
			time.Date(2000, 2, 29, 12, 0, 0, 0, loc), time.Date(1900, 3, 1, 0, 0, 0, 0, loc),
			time.Date(1969, 12, 31, 23, 59, 59, 0, loc), time.Date(1600, 2, 29, 1, 2, 3, 0, loc),
		} {
			check(tm)
		}
	}
}

// BenchmarkEncode12ColsStdlib is the reference point: encoding/json on the same row as a
// map, as a generic encoder would do it.
func BenchmarkEncode12ColsStdlib(b *testing.B) {
	cols, row := mixedRow()
	m := make(map[string]any, len(cols))
	for i, c := range cols {
		m[c.Name] = row[i]
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf.Reset()
		if err := enc.Encode(m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// CSV refuses the unchanged marker too: no text may stand for a value the source did
// not send.
func TestCSVRefusesTheUnchangedMarker(t *testing.T) {
	e, err := NewCSV([]Column{{Name: "k", Type: mustType(t, "INT")}, {Name: "c", Type: mustType(t, "STRING")}}, false, "\x01", "\x02")
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.AppendRow([]byte("prefix"), []any{int64(1), schema.Unchanged}, false)
	var ve *ValueError
	if !errors.As(err, &ve) || ve.Column != "c" || !strings.Contains(ve.Reason, "did not send this value") || string(out) != "prefix" {
		t.Errorf("err = %v, buffer %q: want a ValueError for column c and the buffer untouched", err, out)
	}
}
