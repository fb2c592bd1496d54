package sink

import (
	"context"
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/schema"
	"github.com/doris-sync/doris-sync/testkit/doris"
)

// docsTable has a large column (body) a PostgreSQL update may leave unsent.
var docsTable = Table{DB: "d", Name: "docs", Model: Unique, KeyColumns: 1,
	Columns: []Column{{"id", "INT"}, {"title", "VARCHAR(20)"}, {"body", "STRING"}, {"n", "BIGINT"}}}

var unchanged = schema.Unchanged

// checkDocs compares the docs table with want (id → title, body, n); nil values are NULL.
func checkDocs(t *testing.T, d *standin, want map[string][3]any) {
	t.Helper()
	got := d.dump("d", "docs")
	if len(got) != len(want) {
		t.Errorf("docs has %d rows, want %d: %v", len(got), len(want), got)
	}
	for _, r := range got {
		w, ok := want[r["id"].(string)]
		if !ok {
			t.Errorf("unexpected row %v", r)
			continue
		}
		if r["title"] != w[0] || r["body"] != w[1] || r["n"] != w[2] {
			t.Errorf("row %v: title, body, n = %v, %v, %v; want %v, %v, %v", r["id"], r["title"], r["body"], r["n"], w[0], w[1], w[2])
		}
	}
}

// An update that leaves a column unchanged updates the other columns and keeps the
// stored value of that one, in JSON and in CSV.
func TestUnchangedColumnKeepsItsStoredValue(t *testing.T) {
	for _, format := range []string{"json", "csv"} {
		t.Run(format, func(t *testing.T) {
			d := startStandin(t, doris.Options{})
			d.addTable(docsTable)
			cfg := d.config()
			if format == "csv" {
				cfg.Properties = map[string]string{"format": "csv"}
			}
			w := openWriter(t, cfg, nil, nil)
			h := register(t, w, docsTable)
			write(t, w, h, Change{Seq: 1, Op: Insert, Row: []any{int64(1), "t1", "body one", int64(1)}})
			write(t, w, h, Change{Seq: 2, Op: Insert, Row: []any{int64(2), "t2", "body two", int64(2)}})
			flushAll(t, w)
			write(t, w, h, Change{Seq: 3, Op: Update, Row: []any{int64(1), "new", unchanged, int64(10)}})
			flushAll(t, w)
			checkDocs(t, d, map[string][3]any{"1": {"new", "body one", "10"}, "2": {"t2", "body two", "2"}})

			loads := d.s.Loads()
			if len(loads) != 2 {
				t.Fatalf("%d loads, want 2", len(loads))
			}
			hd := loads[1].Headers
			if hd["partial_columns"] != "true" || hd["columns"] != "`id`,`title`,`n`" || hd["hidden_columns"] != "" {
				t.Errorf("partial load headers %v: want partial_columns=true, the present columns and no delete sign", hd)
			}
			if loads[0].Headers["partial_columns"] != "" {
				t.Errorf("the full-row load is a partial update: %v", loads[0].Headers)
			}
			if s := w.Stats()[0]; s.Rows != 3 || s.PartialRows != 1 || w.FlushedThrough() != 3 {
				t.Errorf("rows %d, partial rows %d, flushed through %d; want 3, 1, 3", s.Rows, s.PartialRows, w.FlushedThrough())
			}
		})
	}
}

// Full rows and partial updates of the same keys within one flush window end in the
// state of the last change: the table's batch is cut where the column set changes, and
// the batches load in order. With sink.ignore.update-before=false a partial update
// still deletes nothing (a delete would lose the values it leaves alone).
func TestInterleavedFullAndPartialChangesEndInTheLastState(t *testing.T) {
	for _, ignoreBefore := range []bool{true, false} {
		name := "ignore-update-before"
		if !ignoreBefore {
			name = "update-before-as-delete"
		}
		t.Run(name, func(t *testing.T) {
			d := startStandin(t, doris.Options{})
			d.addTable(docsTable)
			cfg := d.config()
			cfg.IgnoreUpdateBefore = ignoreBefore
			w := openWriter(t, cfg, nil, nil)
			h := register(t, w, docsTable)
			cur := map[int64][]any{}
			seq := uint64(0)
			put := func(op Op, row ...any) {
				seq++
				ch := Change{Seq: seq, Op: op, Row: row}
				if op == Update {
					ch.Before = cur[row[0].(int64)]
				}
				write(t, w, h, ch)
				cur[row[0].(int64)] = row
			}
			put(Insert, int64(1), "a", "A", int64(1))
			put(Insert, int64(2), "b", "B", int64(2))
			put(Update, int64(1), "a2", unchanged, int64(3)) // partial {id,title,n}
			put(Update, int64(2), "b2", unchanged, int64(4)) // same columns: same load
			put(Update, int64(1), "a3", "A3", int64(5))      // full
			put(Update, int64(1), unchanged, unchanged, int64(6))
			put(Update, int64(2), "b3", unchanged, int64(7))
			put(Insert, int64(3), "c", "C", int64(8))
			put(Delete, int64(3), unchanged, nil, nil) // a delete needs its key only
			flushAll(t, w)

			checkDocs(t, d, map[string][3]any{"1": {"a3", "A3", "6"}, "2": {"b3", "B", "7"}})
			var cols []string
			for _, l := range d.s.Loads() {
				if l.Status != "Success" {
					t.Errorf("load %s: %s %s", l.Label, l.Status, l.Message)
				}
				cols = append(cols, l.Headers["columns"])
			}
			want := []string{"", "`id`,`title`,`n`", "", "`id`,`n`", "`id`,`title`,`n`", ""}
			if strings.Join(cols, " | ") != strings.Join(want, " | ") {
				t.Errorf("loads by columns header:\n got %q\nwant %q", cols, want)
			}
			if ft := w.FlushedThrough(); ft != seq {
				t.Errorf("FlushedThrough = %d, want %d", ft, seq)
			}
		})
	}
}

// A crash after Doris took a partial batch but before the journal heard of it: the
// replay cuts the same partial batch, with the same label, and Doris refuses the copy.
func TestReplayedPartialBatchReusesItsLabel(t *testing.T) {
	d := startStandin(t, doris.Options{})
	d.addTable(docsTable)
	cfg := d.config()
	mem := NewMemJournalEpoch("e1")
	writeAll := func(w *Writer, h *TableHandle) {
		for i := int64(1); i <= 3; i++ {
			write(t, w, h, Change{Seq: uint64(i), Op: Insert, Row: []any{i, "t", "body", i}})
		}
		for i := int64(1); i <= 3; i++ {
			write(t, w, h, Change{Seq: uint64(3 + i), Op: Update, Row: []any{i, "retitled", unchanged, 10 + i}})
		}
		write(t, w, h, Change{Seq: 7, Op: Update, Row: []any{int64(1), "full", "new body", int64(100)}})
	}
	j := &faultyJournal{MemJournal: mem, crash: func(r BatchRecord) (bool, bool) {
		return r.FirstSeq == 4 && r.State == BatchLoaded, false // Doris has it; the journal never hears
	}}
	w1 := openWriter(t, cfg, j, nil)
	writeAll(w1, register(t, w1, docsTable))
	if err := w1.FlushAll(context.Background()); err == nil || !strings.Contains(err.Error(), "simulated crash") {
		t.Fatalf("first run FlushAll = %v, want the simulated crash", err)
	}
	if ft := w1.FlushedThrough(); ft != 3 {
		t.Fatalf("first run flushed through %d, want 3", ft)
	}
	_ = w1.Close(context.Background())

	w2 := openWriter(t, cfg, mem, nil)
	writeAll(w2, register(t, w2, docsTable))
	flushAll(t, w2)
	checkDocs(t, d, map[string][3]any{"1": {"full", "new body", "100"}, "2": {"retitled", "body", "12"}, "3": {"retitled", "body", "13"}})

	label := batchLabel("test", "d", "docs", "e1", 4, 0, 3)
	var statuses []string
	for _, l := range d.s.Loads() {
		if l.Label == label {
			statuses = append(statuses, l.Status)
			if l.Headers["partial_columns"] != "true" {
				t.Errorf("attempt of %s without partial_columns: %v", label, l.Headers)
			}
		}
	}
	if strings.Join(statuses, ",") != "Success,Label Already Exists" {
		t.Errorf("loads of the partial batch %s: %v, want Success then Label Already Exists", label, statuses)
	}
	if st := w2.Stats()[0]; st.ReplaySkipped != 3 {
		t.Errorf("replay skipped %d changes, want the 3 of the batch recorded as loaded", st.ReplaySkipped)
	}
}

// A replay that brings a journaled batch's changes with other column sets than the
// batch started with cannot be that batch: what came is loaded under a new label, the
// rest after it, and the final state is right.
func TestReplayWithOtherColumnSetsLeavesTheJournaledLabel(t *testing.T) {
	d := startStandin(t, doris.Options{})
	d.addTable(docsTable)
	j := NewMemJournalEpoch("e1")
	if err := j.Record(BatchRecord{Label: "earlier_partial", DB: "d", Table: "docs", FirstSeq: 2, LastSeq: 3, Changes: 2}); err != nil {
		t.Fatal(err)
	}
	var logs logBuffer
	w := openWriter(t, d.config(), j, &logs)
	h := register(t, w, docsTable)
	write(t, w, h, Change{Seq: 1, Op: Insert, Row: []any{int64(1), "a", "A", int64(1)}})
	write(t, w, h, Change{Seq: 2, Op: Update, Row: []any{int64(1), "b", unchanged, int64(2)}})
	write(t, w, h, Change{Seq: 3, Op: Update, Row: []any{int64(1), "c", "C", int64(3)}})
	flushAll(t, w)
	checkDocs(t, d, map[string][3]any{"1": {"c", "C", "3"}})
	if n := labelsSent(d, "docs")["earlier_partial"]; n != 0 {
		t.Errorf("the journaled label was sent %d times for different batches", n)
	}
	if !strings.Contains(logs.String(), "replayed changes differ from the journaled batch") {
		t.Errorf("no warning about the diverged replay:\n%s", logs.String())
	}
	if n := len(d.s.Loads()); n != 3 {
		t.Errorf("%d loads, want 3 (full, partial, full)", n)
	}
}

// A row that leaves a value unchanged where no partial update can keep it is an error
// naming the table, the column and the remedy, and nothing of it is written.
func TestUnchangedValueWithoutPartialUpdateIsAnError(t *testing.T) {
	dup := docsTable
	dup.Name, dup.Model = "dupdocs", Duplicate
	mor := docsTable
	mor.Name, mor.MergeOnRead = "mordocs", true
	cases := []struct {
		name  string
		table Table
		ch    Change
		want  []string
	}{
		{"duplicate", dup, Change{Op: Update, Row: []any{int64(1), "x", unchanged, int64(1)}},
			[]string{"d.dupdocs", "column body", "DUPLICATE KEY", "REPLICA IDENTITY FULL"}},
		{"merge-on-read", mor, Change{Op: Update, Row: []any{int64(1), "x", unchanged, int64(1)}},
			[]string{"d.mordocs", "column body", "merge-on-read", "REPLICA IDENTITY FULL"}},
		{"unchanged key", docsTable, Change{Op: Update, Row: []any{unchanged, "x", "y", int64(1)}},
			[]string{"d.docs", "column id", "key column"}},
		{"changed key", docsTable, Change{Op: Update, Row: []any{int64(9), "x", unchanged, int64(1)},
			Before: []any{int64(1), nil, nil, nil}},
			[]string{"d.docs", "column body", "changed the row's key", "REPLICA IDENTITY FULL"}},
		{"insert", docsTable, Change{Op: Insert, Row: []any{int64(1), "x", unchanged, int64(1)}},
			[]string{"d.docs", "column body", "did not send this value"}},
		{"delete without its key", docsTable, Change{Op: Delete, Row: []any{unchanged, nil, nil, nil}},
			[]string{"d.docs", "key column id"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := startStandin(t, doris.Options{})
			d.addTable(c.table)
			w := openWriter(t, d.config(), nil, nil)
			h := register(t, w, c.table)
			c.ch.Seq = 1
			err := w.Write(context.Background(), h, c.ch)
			if err == nil {
				t.Fatal("the change was accepted")
			}
			for _, part := range c.want {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error does not mention %q:\n%v", part, err)
				}
			}
			flushAll(t, w)
			if n := len(d.s.Loads()); n != 0 {
				t.Errorf("%d loads after a refused change, want none", n)
			}
		})
	}
}

// A table the sink was told is merge-on-write but Doris says is not: Doris refuses the
// partial update, and the error says what the load was and what to do; no retry.
func TestPartialUpdateRefusedByDorisExplainsItself(t *testing.T) {
	d := startStandin(t, doris.Options{})
	d.addTable(docsTable)
	d.s.Catalog.Mu.Lock()
	d.s.Catalog.Table("d", "docs").MergeOnWrite = false
	d.s.Catalog.Mu.Unlock()
	w := openWriter(t, d.config(), nil, nil)
	h := register(t, w, docsTable)
	write(t, w, h, Change{Seq: 1, Op: Update, Row: []any{int64(1), "x", unchanged, int64(1)}})
	err := w.FlushAll(context.Background())
	if err == nil {
		t.Fatal("the partial update was loaded into a merge-on-read table")
	}
	for _, part := range []string{"d.docs", "only supported in unique table MoW", "partial-column update", "REPLICA IDENTITY FULL"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error does not mention %q:\n%v", part, err)
		}
	}
	if n := len(d.s.Loads()); n != 1 {
		t.Errorf("sent %d times, want once (Doris's refusal is final)", n)
	}
}

// The sequence column header stays when the partial update carries the sequence
// column, and goes when the update leaves it unchanged (Doris then keeps the stored
// sequence value; naming an absent column would fail the load).
func TestPartialShapeSequenceColumnHeader(t *testing.T) {
	spec := docsTable
	spec.SequenceColumn = "n"
	cfg := DefaultConfig()
	sh, err := compileTable(&cfg, spec)
	if err != nil {
		t.Fatal(err)
	}
	ts := &tableState{db: spec.DB, name: spec.Name, shape: sh}
	withSeq, err := ts.partialFor(Change{Op: Update, Row: []any{int64(1), "x", unchanged, int64(1)}})
	if err != nil {
		t.Fatal(err)
	}
	if got := withSeq.header.Get("function_column.sequence_col"); got != "n" {
		t.Errorf("sequence header %q with the sequence column present, want n", got)
	}
	noSeq, err := ts.partialFor(Change{Op: Update, Row: []any{int64(1), "x", "y", unchanged}})
	if err != nil {
		t.Fatal(err)
	}
	if got := noSeq.header.Get("function_column.sequence_col"); got != "" || noSeq.header.Get("columns") != "`id`,`title`,`body`" {
		t.Errorf("sequence column unchanged: headers %v", noSeq.header)
	}
	again, _ := ts.partialFor(Change{Op: Update, Row: []any{int64(2), "z", unchanged, int64(5)}})
	if again != withSeq {
		t.Error("rows that leave the same columns unchanged got different shapes (they could not share a load)")
	}
	if full, _ := ts.partialFor(Change{Op: Update, Row: []any{int64(2), "z", "b", int64(5)}}); full != nil {
		t.Error("a full row got a partial shape")
	}
}
