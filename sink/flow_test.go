package sink

import (
	"context"
	"errors"
	"math/rand"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/testkit/doris"
)

// Changes to one key reach Doris in order across many flushes, with several tables
// loading in parallel.
func TestOrderPerKeyAcrossFlushesAndTables(t *testing.T) {
	d := startStandin(t, doris.Options{})
	var tables []Table
	for i := 0; i < 3; i++ {
		spec := usersTable
		spec.Name = "users" + strconv.Itoa(i)
		d.addTable(spec)
		tables = append(tables, spec)
	}
	cfg := d.config()
	cfg.FlushMaxRows = 7
	cfg.Parallelism = 4
	w := openWriter(t, cfg, nil, nil)
	var hs []*TableHandle
	for _, spec := range tables {
		hs = append(hs, register(t, w, spec))
	}
	// Slow some loads so batches of one table queue up behind each other.
	d.s.InjectFault(doris.Fault{Action: doris.FaultSlow, Count: 20, DelayMs: 15})
	rng := rand.New(rand.NewSource(1))
	last := map[[2]int]int64{}
	for seq := uint64(1); seq <= 2000; seq++ {
		ti, key := rng.Intn(3), int64(rng.Intn(40))
		write(t, w, hs[ti], Change{Seq: seq, Op: Update, Row: []any{key, "v", int64(seq)}})
		last[[2]int{ti, int(key)}] = int64(seq)
	}
	flushAll(t, w)
	for ti, spec := range tables {
		for _, r := range d.dump("d", spec.Name) {
			key, _ := strconv.Atoi(r["id"].(string))
			if want := strconv.FormatInt(last[[2]int{ti, key}], 10); r["n"] != want {
				t.Errorf("%s key %d = %v, want the last update %s", spec.Name, key, r["n"], want)
			}
		}
	}
	// Per table, successful loads happened in sequence order.
	firstSeq := func(label string) uint64 {
		parts := strings.Split(label, "_")
		n, _ := strconv.ParseUint(parts[len(parts)-3], 10, 64)
		return n
	}
	prev := map[string]uint64{}
	for _, l := range d.s.Loads() {
		if l.Status != "Success" {
			continue
		}
		s := firstSeq(l.Label)
		if s <= prev[l.Table] {
			t.Errorf("%s: batch starting at %d loaded after one starting at %d", l.Table, s, prev[l.Table])
		}
		prev[l.Table] = s
	}
	if ft := w.FlushedThrough(); ft != 2000 {
		t.Errorf("FlushedThrough = %d, want 2000", ft)
	}
}

func TestMemoryCapBlocksProducersAndLosesNothing(t *testing.T) {
	d := startStandin(t, doris.Options{})
	d.addTable(eventsTable)
	spec2 := eventsTable
	spec2.Name = "events2"
	d.addTable(spec2)
	cfg := d.config()
	cfg.TwoPhase = TwoPhaseOff
	cfg.MaxMemory = 4 << 10
	cfg.FlushMaxBytes = 4 << 10
	cfg.Parallelism = 2
	w := openWriter(t, cfg, nil, nil)
	h1, h2 := register(t, w, eventsTable), register(t, w, spec2)
	d.s.InjectFault(doris.Fault{Action: doris.FaultSlow, Count: 1000, DelayMs: 5})
	payload := strings.Repeat("p", 90)
	maxRow := 0
	for i := 1; i <= 400; i++ {
		h := h1
		if i%2 == 0 {
			h = h2
		}
		row := []any{int64(i), payload}
		write(t, w, h, Change{Seq: uint64(i), Op: Insert, Row: row})
		if n := len(`{"id":400,"msg":""}`) + len(payload) + 1; n > maxRow {
			maxRow = n
		}
	}
	flushAll(t, w)
	_, peak, waits := w.MemoryStats()
	if waits == 0 {
		t.Errorf("no Write waited for memory although 40 KB went through a 4 KB cap")
	}
	if peak >= cfg.MaxMemory+int64(maxRow) {
		t.Errorf("peak memory %d, want below the cap %d plus one row (%d)", peak, cfg.MaxMemory, maxRow)
	}
	var total int
	for _, name := range []string{"events", "events2"} {
		total += len(d.dump("d", name))
	}
	if total != 400 {
		t.Errorf("%d rows loaded, want 400", total)
	}
}

func TestFlushedThroughWaitsForEveryTable(t *testing.T) {
	d := startStandin(t, doris.Options{})
	d.addTable(eventsTable)
	d.addTable(usersTable)
	cfg := d.config()
	w := openWriter(t, cfg, nil, nil)
	he, hu := register(t, w, eventsTable), register(t, w, usersTable)
	if ft := w.FlushedThrough(); ft != 0 {
		t.Errorf("FlushedThrough before anything = %d", ft)
	}
	write(t, w, he, Change{Seq: 1, Op: Insert, Row: []any{int64(1), "a"}})
	write(t, w, hu, Change{Seq: 2, Op: Insert, Row: []any{int64(1), "a", int64(1)}})
	write(t, w, he, Change{Seq: 3, Op: Insert, Row: []any{int64(2), "b"}})
	if ft := w.FlushedThrough(); ft != 0 {
		t.Errorf("FlushedThrough with everything buffered = %d, want 0", ft)
	}
	if err := w.Flush(context.Background(), hu); err != nil {
		t.Fatal(err)
	}
	if ft := w.FlushedThrough(); ft != 0 {
		t.Errorf("FlushedThrough with events seq 1 still buffered = %d, want 0", ft)
	}
	if err := w.Flush(context.Background(), he); err != nil {
		t.Fatal(err)
	}
	if ft := w.FlushedThrough(); ft != 3 {
		t.Errorf("FlushedThrough after both flushes = %d, want 3", ft)
	}
	if err := w.Advance(10); err != nil {
		t.Fatal(err)
	}
	if ft := w.FlushedThrough(); ft != 10 {
		t.Errorf("FlushedThrough after Advance(10) = %d", ft)
	}
	if err := w.Write(context.Background(), he, Change{Seq: 9, Op: Insert, Row: []any{int64(3), "c"}}); err == nil || !strings.Contains(err.Error(), "must not decrease") {
		t.Errorf("a decreasing sequence was accepted: %v", err)
	}
}

func TestIntervalFlush(t *testing.T) {
	d := startStandin(t, doris.Options{})
	d.addTable(eventsTable)
	cfg := d.config()
	cfg.FlushInterval = 20 * time.Millisecond
	w := openWriter(t, cfg, nil, nil)
	h := register(t, w, eventsTable)
	write(t, w, h, Change{Seq: 1, Op: Insert, Row: []any{int64(1), "a"}})
	// No explicit flush: the interval alone must load the row.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for w.FlushedThrough() != 1 {
		if ctx.Err() != nil {
			t.Fatal("the row was never flushed by the interval")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := len(d.dump("d", "events")); n != 1 {
		t.Errorf("%d rows, want 1", n)
	}
}

// While a table's load is slow, the interval does not cut a new batch every tick: the
// open buffer keeps filling while one sealed batch waits, so a busy Doris gets fewer,
// larger loads instead of a queue of tiny ones.
func TestIntervalFlushGrowsBatchesWhileDorisIsSlow(t *testing.T) {
	d := startStandin(t, doris.Options{})
	d.addTable(eventsTable)
	d.s.InjectFault(doris.Fault{Match: doris.FaultMatch{Table: "events"}, Action: doris.FaultSlow, Count: 1, DelayMs: 800})
	cfg := d.config()
	cfg.FlushInterval = 20 * time.Millisecond
	w := openWriter(t, cfg, nil, nil)
	h := register(t, w, eventsTable)
	const rows = 8
	for i := 1; i <= rows; i++ {
		write(t, w, h, Change{Seq: uint64(i), Op: Insert, Row: []any{int64(i), "a"}})
		time.Sleep(60 * time.Millisecond) // three ticks: each row alone would be old enough to seal
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for w.FlushedThrough() != rows {
		if ctx.Err() != nil {
			t.Fatalf("flushed through %d, want %d", w.FlushedThrough(), rows)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := len(d.dump("d", "events")); n != rows {
		t.Errorf("%d rows, want %d", n, rows)
	}
	// Row 1 loads slowly (800 ms) while rows 2..8 arrive; row 2's batch waits for it and
	// everything after joins the open buffer: 3 loads. One batch per tick would be 8.
	var loads int
	for _, l := range d.s.Loads() {
		if l.Table == "events" {
			loads++
		}
	}
	if loads > 3 {
		t.Errorf("%d loads for %d rows while the first load was slow, want at most 3", loads, rows)
	}
}

func TestAlterFlushesOldShapeFirst(t *testing.T) {
	d := startStandin(t, doris.Options{})
	d.addTable(usersTable)
	w := openWriter(t, d.config(), nil, nil)
	h := register(t, w, usersTable)
	write(t, w, h, Change{Seq: 1, Op: Insert, Row: []any{int64(1), "a", int64(1)}})
	// The stand-in's table gains a column only after the old rows are in.
	wider := usersTable
	wider.Columns = append(append([]Column{}, usersTable.Columns...), Column{"extra", "VARCHAR(5)"})
	if err := w.Alter(context.Background(), h, wider); err != nil {
		t.Fatal(err)
	}
	if n := len(d.dump("d", "users")); n != 1 {
		t.Fatalf("Alter returned before the old rows were loaded (%d rows)", n)
	}
	d.addTable(wider) // the ALTER (the stand-in table is replaced, as DDL would do)
	write(t, w, h, Change{Seq: 2, Op: Insert, Row: []any{int64(2), "b", int64(2), "x"}})
	flushAll(t, w)
	rows := d.dump("d", "users")
	if len(rows) != 1 || rows[0]["extra"] != "x" {
		t.Errorf("rows after alter = %v", rows)
	}
}

func TestGzipCSVAndGroupCommit(t *testing.T) {
	cases := []struct {
		name  string
		props map[string]string
		check func(t *testing.T, l doris.LoadRecord)
	}{
		{"json-gzip", map[string]string{"compress_type": "gz"}, func(t *testing.T, l doris.LoadRecord) {
			if l.Headers["compress_type"] != "gz" {
				t.Errorf("headers %v", l.Headers)
			}
		}},
		{"csv", map[string]string{"format": "csv"}, func(t *testing.T, l doris.LoadRecord) {
			if l.Headers["format"] != "csv" || l.Headers["column_separator"] != `\x01` || l.Headers["line_delimiter"] != `\x02` ||
				l.Headers["columns"] != "id,name,n,__DORIS_DELETE_SIGN__" {
				t.Errorf("headers %v", l.Headers)
			}
		}},
		{"csv-gzip-custom-separator", map[string]string{"format": "csv", "compress_type": "gz", "column_separator": "|"}, func(t *testing.T, l doris.LoadRecord) {
			if l.Headers["column_separator"] != `\x7c` {
				t.Errorf("headers %v", l.Headers)
			}
		}},
		{"group-commit", map[string]string{"group_commit": "sync_mode"}, func(t *testing.T, l doris.LoadRecord) {
			if !strings.HasPrefix(l.Label, "group_commit_") {
				t.Errorf("group commit load has label %q", l.Label)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := startStandin(t, doris.Options{})
			d.addTable(usersTable)
			cfg := d.config()
			for k, v := range c.props {
				cfg.Properties[k] = v
			}
			w := openWriter(t, cfg, nil, nil)
			h := register(t, w, usersTable)
			write(t, w, h, Change{Seq: 1, Op: Insert, Row: []any{int64(1), "tab\there", int64(1)}})
			write(t, w, h, Change{Seq: 2, Op: Insert, Row: []any{int64(2), nil, int64(2)}})
			write(t, w, h, Change{Seq: 3, Op: Insert, Row: []any{int64(3), "gone", int64(3)}})
			write(t, w, h, Change{Seq: 4, Op: Delete, Row: []any{int64(3), "gone", int64(3)}})
			flushAll(t, w)
			rows := d.dump("d", "users")
			if len(rows) != 2 || rows[0]["name"] != "tab\there" || rows[1]["name"] != nil || rows[1]["n"] != "2" {
				t.Errorf("rows = %v", rows)
			}
			loads := d.s.Loads()
			if len(loads) != 1 {
				t.Fatalf("loads = %v", loads)
			}
			c.check(t, loads[0])
		})
	}
}

func TestRegisterRefusesBadTables(t *testing.T) {
	d := startStandin(t, doris.Options{})
	w := openWriter(t, d.config(), nil, nil)
	bad := []Table{
		{DB: "d", Name: "t"},
		{DB: "d", Name: "t", Columns: []Column{{"a", "BLOB"}}},
		{DB: "d", Name: "t", Columns: []Column{{"a", "INT"}, {"A", "INT"}}},
		{DB: "d", Name: "t", Columns: []Column{{"a", "INT"}}, SequenceColumn: "b"},
		{DB: "d", Name: "t", Columns: []Column{{"a", "INT"}}, KeyColumns: 2},
	}
	for _, spec := range bad {
		if _, err := w.Register(spec); err == nil {
			t.Errorf("Register(%+v) succeeded", spec)
		}
	}
	register(t, w, usersTable)
	if _, err := w.Register(usersTable); err == nil {
		t.Error("a table was registered twice")
	}
}

func TestWriteAfterCloseAndEncodeErrors(t *testing.T) {
	d := startStandin(t, doris.Options{})
	d.addTable(usersTable)
	w := openWriter(t, d.config(), nil, nil)
	h := register(t, w, usersTable)
	err := w.Write(context.Background(), h, Change{Seq: 1, Op: Insert, Row: []any{int64(1), "a", struct{}{}}})
	if err == nil || !strings.Contains(err.Error(), "column n") || !strings.Contains(err.Error(), "d.users") {
		t.Errorf("encode error = %v, want it to name the table and column", err)
	}
	write(t, w, h, Change{Seq: 2, Op: Insert, Row: []any{int64(2), "b", int64(2)}})
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rows := d.dump("d", "users"); len(rows) != 1 {
		t.Errorf("Close did not flush: %v", rows)
	}
	if err := w.Write(context.Background(), h, Change{Seq: 3, Op: Insert, Row: []any{int64(3), "c", int64(3)}}); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close = %v", err)
	}
}

func TestCheckpointedForgetsJournal(t *testing.T) {
	d := startStandin(t, doris.Options{})
	d.addTable(eventsTable)
	j := NewMemJournalEpoch("e1")
	cfg := d.config()
	cfg.FlushMaxRows = 5
	w := openWriter(t, cfg, j, nil)
	h := register(t, w, eventsTable)
	writeEvents(t, w, h, 1, 12)
	flushAll(t, w)
	recs, _ := j.Records()
	if len(recs) != 3 {
		t.Fatalf("journal has %d records, want 3", len(recs))
	}
	for _, r := range recs {
		if r.State != BatchLoaded {
			t.Errorf("record %s is %v after a flush", r.Label, r.State)
		}
	}
	if err := w.Checkpointed(10); err != nil {
		t.Fatal(err)
	}
	recs, _ = j.Records()
	if len(recs) != 1 || recs[0].FirstSeq != 11 {
		t.Errorf("after Checkpointed(10) the journal keeps %v, want only the batch from 11", recs)
	}
	labels := []string{}
	for l := range labelsSent(d, "events") {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	if len(labels) != 3 {
		t.Errorf("labels %v", labels)
	}
}

func TestBENodesLoadWithoutRedirect(t *testing.T) {
	d := startStandin(t, doris.Options{})
	d.addTable(usersTable)
	cfg := d.config()
	cfg.FENodes = nil
	cfg.BENodes = []string{d.s.BEAddr()}
	w := openWriter(t, cfg, nil, nil)
	h := register(t, w, usersTable)
	write(t, w, h, Change{Seq: 1, Op: Insert, Row: []any{int64(1), "a", int64(1)}})
	flushAll(t, w)
	if rows := d.dump("d", "users"); len(rows) != 1 {
		t.Errorf("rows = %v", rows)
	}
}

func TestZeroOpIsRefused(t *testing.T) {
	d := startStandin(t, doris.Options{})
	d.addTable(usersTable)
	w := openWriter(t, d.config(), nil, nil)
	h := register(t, w, usersTable)
	err := w.Write(context.Background(), h, Change{Seq: 1, Row: []any{int64(1), "a", int64(1)}})
	if err == nil || !strings.Contains(err.Error(), "unknown change op 0") {
		t.Errorf("Write without Op = %v", err)
	}
}

// With auto-redirect=false and no benodes the sink asks the FE for its BEs
// (GET /api/backends) and loads straight into them: no 307 is involved.
func TestNoAutoRedirectLoadsIntoTheBEsTheFEList(t *testing.T) {
	d := startStandin(t, doris.Options{})
	d.addTable(usersTable)
	cfg := d.config()
	cfg.AutoRedirect = false
	w := openWriter(t, cfg, nil, nil)
	h := register(t, w, usersTable)
	write(t, w, h, Change{Seq: 1, Op: Insert, Row: []any{int64(1), "a", int64(1)}})
	flushAll(t, w)
	if rows := d.dump("d", "users"); len(rows) != 1 {
		t.Errorf("rows = %v", rows)
	}
}
