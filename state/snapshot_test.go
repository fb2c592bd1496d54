package state

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func cuts(bounds ...string) []json.RawMessage {
	out := make([]json.RawMessage, len(bounds))
	for i, b := range bounds {
		out[i] = raw(b)
	}
	return out
}

func segs(t *TableProgress) string {
	var b strings.Builder
	for _, s := range t.Segments {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		if s.Done {
			b.WriteString("done:")
		}
		b.WriteString(strconv.Itoa(s.First))
		if s.Last != s.First {
			b.WriteString("-" + strconv.Itoa(s.Last))
		}
	}
	return b.String()
}

func TestChunkPlanAndMerging(t *testing.T) {
	st, _ := newState("j")
	tp, err := st.PlanTable("shop.orders", "dw.orders", 5000, cuts(`[10]`, `[20]`, `[30]`, `[40]`, `[ 50 ]`))
	if err != nil {
		t.Fatal(err)
	}
	pending := tp.Pending()
	if len(pending) != 6 || pending[0].Start != nil || string(pending[0].End) != "[10]" ||
		string(pending[5].Start) != "[50]" || pending[5].End != nil {
		t.Fatalf("pending chunks of a new plan: %+v", pending)
	}
	steps := []struct {
		chunk int
		want  string
	}{
		{2, "0 1 done:2 3 4 5"},
		{0, "done:0 1 done:2 3 4 5"},
		{1, "done:0-2 3 4 5"},
		{5, "done:0-2 3 4 done:5"},
		{4, "done:0-2 3 done:4-5"},
		{4, "done:0-2 3 done:4-5"}, // again: no change, rows not counted twice
		{3, "done:0-5"},
	}
	for _, s := range steps {
		c := pending[s.chunk]
		if err := st.MarkChunkDone("shop.orders", c, 100); err != nil {
			t.Fatalf("mark chunk %d: %v", s.chunk, err)
		}
		if got := segs(tp); got != s.want {
			t.Errorf("after chunk %d: segments %q, want %q", s.chunk, got, s.want)
		}
		if !st.ChunkDone("shop.orders", c) {
			t.Errorf("chunk %d not done after marking it", s.chunk)
		}
		if err := tp.validate(); err != nil {
			t.Errorf("after chunk %d: %v", s.chunk, err)
		}
		if tp.Done != (s.want == "done:0-5") {
			t.Errorf("after chunk %d: table done = %v", s.chunk, tp.Done)
		}
	}
	if tp.RowsCopied != 600 || tp.ChunksDone() != 6 || len(tp.Pending()) != 0 {
		t.Errorf("rows %d, chunks done %d, pending %d", tp.RowsCopied, tp.ChunksDone(), len(tp.Pending()))
	}
}

func TestChunkDoneBeforeAndAfterMarking(t *testing.T) {
	st, _ := newState("j")
	tp, _ := st.PlanTable("t", "d.t", 0, cuts(`["m"]`))
	c0, c1 := tp.Pending()[0], tp.Pending()[1]
	if st.ChunkDone("t", c0) || st.ChunkDone("t", c1) || st.ChunkDone("unknown", c0) {
		t.Error("a chunk counts as done before it was marked")
	}
	if st.ChunkDone("t", Chunk{Index: 7}) {
		t.Error("a chunk outside the plan counts as done")
	}
	if err := st.MarkChunkDone("t", c1, 3); err != nil {
		t.Fatal(err)
	}
	if st.ChunkDone("t", c0) || !st.ChunkDone("t", c1) {
		t.Error("ChunkDone disagrees with what was marked")
	}
}

func TestChunkMarkingRefusesWhatIsNotInThePlan(t *testing.T) {
	st, _ := newState("j")
	if _, err := st.PlanTable("t", "d.t", 0, cuts(`[10]`, `[20]`)); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]Chunk{
		"wrong start": {Index: 1, Start: raw(`[11]`), End: raw(`[20]`)},
		"wrong end":   {Index: 1, Start: raw(`[10]`), End: raw(`[21]`)},
		"bounded end": {Index: 2, Start: raw(`[20]`), End: raw(`[30]`)},
		"index":       {Index: 3, Start: raw(`[20]`)},
	} {
		if err := st.MarkChunkDone("t", c, 1); err == nil {
			t.Errorf("%s: MarkChunkDone accepted %+v", name, c)
		}
	}
	if err := st.MarkChunkDone("nope", Chunk{}, 1); err == nil || !strings.Contains(err.Error(), "no snapshot plan") {
		t.Errorf("marking a chunk of an unplanned table: %v", err)
	}
	if st.Snapshot["t"].RowsCopied != 0 || st.Snapshot["t"].ChunksDone() != 0 {
		t.Error("refused marks changed the progress")
	}
	// Bounds that differ only in JSON spacing are the same bounds.
	if err := st.MarkChunkDone("t", Chunk{Index: 1, Start: raw(`[ 10 ]`), End: raw("[20]\n")}, 1); err != nil {
		t.Errorf("equal bounds with other spacing refused: %v", err)
	}
}

func TestPlanTableRules(t *testing.T) {
	st, _ := newState("j")
	if _, err := st.PlanTable("t", "d.t", 0, cuts(`[1]`, `[1]`)); err == nil || !strings.Contains(err.Error(), "equal") {
		t.Errorf("a plan with an empty chunk: %v", err)
	}
	if _, err := st.PlanTable("t", "d.t", 0, cuts(`[1`)); err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Errorf("a plan with a broken bound: %v", err)
	}
	if _, err := st.PlanTable("t", "d.t", 0, cuts(`null`)); err == nil || !strings.Contains(err.Error(), "null") {
		t.Errorf("a plan with a null bound: %v", err)
	}
	whole, err := st.PlanTable("t", "d.t", 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := whole.Pending(); len(p) != 1 || p[0].Start != nil || p[0].End != nil {
		t.Errorf("a table read in one piece: %+v", p)
	}
	if _, err := st.PlanTable("t", "d.t", 10, cuts(`[5]`)); err == nil || !strings.Contains(err.Error(), "already has a plan") {
		t.Errorf("re-planning a planned table: %v", err)
	}
}

func TestChunkProgressSurvivesSaveAndLoad(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, "j")
	st := loadT(t, s)
	tp, _ := st.PlanTable("shop.items", "dw.items", 100, cuts(`[1,"a"]`, `[2,"b"]`, `[3,"c"]`))
	p := tp.Pending()
	for _, i := range []int{0, 1, 3} {
		if err := st.MarkChunkDone("shop.items", p[i], 10); err != nil {
			t.Fatal(err)
		}
	}
	saveT(t, s, st)
	got := loadT(t, s).Snapshot["shop.items"]
	if !reflect.DeepEqual(got, tp) {
		t.Errorf("progress after reload %+v, want %+v", got, tp)
	}
	if rest := got.Pending(); len(rest) != 1 || !reflect.DeepEqual(rest[0], p[2]) {
		t.Errorf("pending after reload %+v, want chunk %+v", rest, p[2])
	}
}

func TestHandEditedPlansAreChecked(t *testing.T) {
	for name, tp := range map[string]TableProgress{
		"gap":               {Chunks: 3, Segments: []Segment{{First: 0, Last: 0}, {First: 2, Last: 2, Start: raw(`1`)}}},
		"short":             {Chunks: 3, Segments: []Segment{{First: 0, Last: 1, Done: true}}},
		"wide pending":      {Chunks: 2, Segments: []Segment{{First: 0, Last: 1}}},
		"bounded chunk 0":   {Chunks: 1, Segments: []Segment{{First: 0, Last: 0, Start: raw(`1`)}}},
		"unbounded chunk 1": {Chunks: 2, Segments: []Segment{{First: 0, Last: 0}, {First: 1, Last: 1}}},
		"done too early":    {Chunks: 1, Segments: []Segment{{First: 0, Last: 0}}, Done: true},
		"no plan":           {Chunks: 0, Segments: []Segment{{First: 0, Last: 0}}},
	} {
		if err := tp.validate(); err == nil {
			t.Errorf("%s: validate accepted %+v", name, tp)
		}
	}
}

func TestExtendPlan(t *testing.T) {
	st, _ := newState("j")
	tp, err := st.PlanTable("big", "d.big", 1e9, cuts(`[100]`))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.MarkChunkDone("big", tp.Pending()[0], 100); err != nil {
		t.Fatal(err)
	}
	if err := st.ExtendPlan("big", cuts(`[200]`, `[300]`)); err != nil {
		t.Fatal(err)
	}
	want := []Chunk{
		{Index: 1, Start: raw(`[100]`), End: raw(`[200]`)},
		{Index: 2, Start: raw(`[200]`), End: raw(`[300]`)},
		{Index: 3, Start: raw(`[300]`)},
	}
	if got := tp.Pending(); !reflect.DeepEqual(got, want) || tp.Chunks != 4 {
		t.Errorf("after extending: %d chunks, pending %+v, want %+v", tp.Chunks, got, want)
	}
	if err := st.ExtendPlan("big", cuts(`[400]`, `[400]`)); err == nil || tp.Chunks != 4 {
		t.Errorf("an extension with an empty chunk: %v, chunks now %d", err, tp.Chunks)
	}
	if err := st.ExtendPlan("big", cuts(`[300]`)); err == nil {
		t.Error("an extension repeating the last bound was accepted")
	}
	for _, c := range tp.Pending() {
		if err := st.MarkChunkDone("big", c, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.ExtendPlan("big", cuts(`[500]`)); err == nil || !tp.Done {
		t.Errorf("extending a finished table: %v (done %v)", err, tp.Done)
	}
	if err := st.ExtendPlan("none", cuts(`[1]`)); err == nil {
		t.Error("extending an unplanned table was accepted")
	}
	if err := tp.validate(); err != nil {
		t.Error(err)
	}
}
