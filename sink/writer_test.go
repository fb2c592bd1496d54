package sink

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/testkit/doris"
)

// typesTable has one column of every kind the encoder distinguishes.
var typesTable = Table{
	DB: "d", Name: "types", Model: Unique, KeyColumns: 1,
	Columns: []Column{
		{"id", "BIGINT"}, {"b", "BOOLEAN"}, {"ti", "TINYINT"}, {"big", "LARGEINT"}, {"f", "FLOAT"}, {"d", "DOUBLE"},
		{"dec", "DECIMAL(38,10)"}, {"dt", "DATE"}, {"ts", "DATETIME(3)"}, {"ts6", "DATETIME(6)"},
		{"s", "VARCHAR(100)"}, {"txt", "STRING"}, {"j", "JSON"}, {"bin", "STRING"},
	},
}

type decimalText string

func TestTypesRoundTripThroughStandin(t *testing.T) {
	d := startStandin(t, doris.Options{})
	d.addTable(typesTable)
	w := openWriter(t, d.config(), nil, nil)
	h := register(t, w, typesTable)
	ts := time.Date(2024, 6, 4, 16, 3, 37, 456789000, time.UTC)
	rows := [][]any{
		{int64(1), true, int64(-128), uint64(math.MaxUint64), 0.1, math.Pi, "12345678901234567890.0123456789",
			ts, ts, ts, "quote\" backslash\\ tab\t nl\n nul\x00 é 😀", "latin1 caf\xe9", `{"a":[1,"x"],"b":null}`, []byte{0, 1, 2, 0xff}},
		{int64(2), false, int64(127), "-170141183460469231731687303715884105728", float64(float32(1.5)), -2.5e-7, decimalText("-0.0000000001"),
			"2000-02-29", time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), "", nil, "[]", nil},
		{int64(3), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
	}
	for i, r := range rows {
		write(t, w, h, Change{Seq: uint64(i + 1), Op: Insert, Row: r})
	}
	flushAll(t, w)
	got := d.dump("d", "types")
	want := []map[string]any{
		{"id": "1", "b": "1", "ti": "-128", "big": "18446744073709551615", "f": "0.1", "d": "3.141592653589793",
			"dec": "12345678901234567890.0123456789", "dt": "2024-06-04", "ts": "2024-06-04 16:03:37.456", "ts6": "2024-06-04 16:03:37.456789",
			"s": "quote\" backslash\\ tab\t nl\n nul\x00 é 😀", "txt": "latin1 caf\ufffd", "j": `{"a":[1,"x"],"b":null}`, "bin": "AAEC/w=="},
		{"id": "2", "b": "0", "ti": "127", "big": "-170141183460469231731687303715884105728", "f": "1.5", "d": "-2.5e-07",
			"dec": "-0.0000000001", "dt": "2000-02-29", "ts": "0001-01-01 00:00:00.000", "ts6": "9999-12-31 23:59:59.999999",
			"s": "", "txt": nil, "j": "[]", "bin": nil},
		{"id": "3", "b": nil, "ti": nil, "big": nil, "f": nil, "d": nil, "dec": nil, "dt": nil, "ts": nil, "ts6": nil,
			"s": nil, "txt": nil, "j": nil, "bin": nil},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		for k, v := range want[i] {
			if got[i][k] != v {
				t.Errorf("row %d column %s = %#v, want %#v", i+1, k, got[i][k], v)
			}
		}
	}
}

var usersTable = Table{DB: "d", Name: "users", Model: Unique, KeyColumns: 1,
	Columns: []Column{{"id", "INT"}, {"name", "VARCHAR(20)"}, {"n", "BIGINT"}}}

var eventsTable = Table{DB: "d", Name: "events", Model: Duplicate, KeyColumns: 1,
	Columns: []Column{{"id", "INT"}, {"msg", "STRING"}}}

func TestUniqueUpsertsDeletesAndKeyChanges(t *testing.T) {
	d := startStandin(t, doris.Options{})
	d.addTable(usersTable)
	cfg := d.config()
	cfg.FlushMaxRows = 3
	w := openWriter(t, cfg, nil, nil)
	h := register(t, w, usersTable)
	seq := uint64(0)
	put := func(op Op, row, before []any) {
		seq++
		write(t, w, h, Change{Seq: seq, Op: op, Row: row, Before: before})
	}
	for i := int64(1); i <= 5; i++ {
		put(Insert, []any{i, "u", i}, nil)
	}
	put(Update, []any{int64(2), "two", int64(20)}, []any{int64(2), "u", int64(2)})
	put(Delete, []any{int64(3), nil, nil}, nil)
	put(Update, []any{int64(40), "moved", int64(4)}, []any{int64(4), "u", int64(4)}) // key change: 4 → 40
	put(Insert, []any{int64(3), "again", int64(33)}, nil)                            // re-insert after delete
	put(Delete, []any{int64(5), "u", int64(5)}, nil)
	flushAll(t, w)
	got := d.dump("d", "users")
	want := [][3]any{{"1", "u", "1"}, {"2", "two", "20"}, {"3", "again", "33"}, {"40", "moved", "4"}}
	if len(got) != len(want) {
		t.Fatalf("rows = %v, want %v", got, want)
	}
	for i, r := range want {
		if got[i]["id"] != r[0] || got[i]["name"] != r[1] || got[i]["n"] != r[2] {
			t.Errorf("row %d = %v, want %v", i, got[i], r)
		}
	}
	if ft := w.FlushedThrough(); ft != seq {
		t.Errorf("FlushedThrough = %d, want %d", ft, seq)
	}
	s := w.Stats()[0]
	if s.Rows != 11 || s.Loads != 4 || s.DeletesIgnored != 0 {
		t.Errorf("stats rows=%d loads=%d deletesIgnored=%d, want 11 rows (incl. 3 delete rows) in 4 loads", s.Rows, s.Loads, s.DeletesIgnored)
	}
	for _, l := range d.s.Loads() {
		if l.Headers["hidden_columns"] != "__DORIS_DELETE_SIGN__" || l.Headers["format"] != "json" || l.Headers["read_json_by_line"] != "true" {
			t.Errorf("load %s headers %v: want json lines with the delete sign", l.Label, l.Headers)
		}
		if l.TwoPhaseCommit {
			t.Errorf("load %s into a UNIQUE table used 2PC; auto mode keeps it for DUPLICATE tables", l.Label)
		}
	}
}

func TestUpdateBeforeAsDeleteAndInsert(t *testing.T) {
	d := startStandin(t, doris.Options{})
	d.addTable(usersTable)
	cfg := d.config()
	cfg.IgnoreUpdateBefore = false
	w := openWriter(t, cfg, nil, nil)
	h := register(t, w, usersTable)
	write(t, w, h, Change{Seq: 1, Op: Insert, Row: []any{int64(1), "a", int64(1)}})
	write(t, w, h, Change{Seq: 2, Op: Update, Row: []any{int64(1), "b", int64(2)}, Before: []any{int64(1), "a", int64(1)}})
	flushAll(t, w)
	got := d.dump("d", "users")
	if len(got) != 1 || got[0]["name"] != "b" {
		t.Fatalf("rows = %v, want the updated row only", got)
	}
	if s := w.Stats()[0]; s.Rows != 3 {
		t.Errorf("rows loaded = %d, want 3 (insert, delete of the before image, insert)", s.Rows)
	}
}

func TestDuplicateTableDeletesAreCountedAndSkipped(t *testing.T) {
	d := startStandin(t, doris.Options{})
	d.addTable(eventsTable)
	var logs logBuffer
	w := openWriter(t, d.config(), nil, &logs)
	h := register(t, w, eventsTable)
	write(t, w, h, Change{Seq: 1, Op: Insert, Row: []any{int64(1), "a"}})
	write(t, w, h, Change{Seq: 2, Op: Delete, Row: []any{int64(1), "a"}})
	write(t, w, h, Change{Seq: 3, Op: Update, Row: []any{int64(1), "b"}, Before: []any{int64(1), "a"}})
	write(t, w, h, Change{Seq: 4, Op: Delete, Row: []any{int64(1), "b"}})
	flushAll(t, w)
	got := d.dump("d", "events")
	if len(got) != 2 || got[0]["msg"] != "a" || got[1]["msg"] != "b" {
		t.Fatalf("rows = %v, want the insert and the update appended", got)
	}
	s := w.Stats()[0]
	if s.DeletesIgnored != 2 {
		t.Errorf("DeletesIgnored = %d, want 2", s.DeletesIgnored)
	}
	if n := strings.Count(logs.String(), "deletes are counted and skipped"); n != 1 {
		t.Errorf("warning logged %d times, want once per table:\n%s", n, logs.String())
	}
	if w.FlushedThrough() != 4 {
		t.Errorf("FlushedThrough = %d, want 4", w.FlushedThrough())
	}
	for _, l := range d.s.Loads() {
		if _, ok := l.Headers["hidden_columns"]; ok {
			t.Errorf("DUPLICATE load carries hidden_columns: %v", l.Headers)
		}
	}
}

func TestEnableDeleteFalseKeepsRows(t *testing.T) {
	d := startStandin(t, doris.Options{})
	d.addTable(usersTable)
	cfg := d.config()
	cfg.EnableDelete = false
	w := openWriter(t, cfg, nil, nil)
	h := register(t, w, usersTable)
	write(t, w, h, Change{Seq: 1, Op: Insert, Row: []any{int64(1), "a", int64(1)}})
	write(t, w, h, Change{Seq: 2, Op: Delete, Row: []any{int64(1), "a", int64(1)}})
	flushAll(t, w)
	if got := d.dump("d", "users"); len(got) != 1 {
		t.Fatalf("rows = %v, want the deleted row kept", got)
	}
	if s := w.Stats()[0]; s.DeletesIgnored != 1 {
		t.Errorf("DeletesIgnored = %d, want 1", s.DeletesIgnored)
	}
}
