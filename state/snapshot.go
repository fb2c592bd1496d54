package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
)

// TableProgress is the snapshot progress of one source table.
//
// The table's key space is cut into Chunks chunks by a plan fixed when its snapshot
// starts (PlanTable): chunk i covers keys from its start bound (inclusive) to chunk
// i+1's start bound (exclusive); chunk 0 starts unbounded, the last ends unbounded.
// Bounds are opaque JSON the source writes and reads. Keeping the plan means a resumed
// snapshot reads exactly the chunks it did not finish, with the same bounds, so it cuts
// the same batches (and labels) as the interrupted run.
//
// Segments list the plan in key order: a finished run of chunks is one segment (its
// inner bounds are no longer needed), an unfinished chunk is a segment of its own. So a
// table's entry shrinks as its snapshot progresses, to one segment when it is done.
type TableProgress struct {
	SourceTable   string    `json:"source_table"`
	DorisTable    string    `json:"doris_table"`
	TotalEstimate int64     `json:"total_estimate"` // rows, as estimated by the source
	RowsCopied    int64     `json:"rows_copied"`    // rows of finished chunks
	Chunks        int       `json:"chunks"`         // chunks in the plan; 0 = not planned
	Segments      []Segment `json:"segments"`
	Done          bool      `json:"done"`
	// SeqBase is where the sync engine numbers this table's snapshot changes (chunk i
	// gets SeqBase+i+1), kept so a resumed snapshot numbers its chunks as before.
	SeqBase uint64 `json:"seq_base,omitempty"`
	// Position is the snapshot position (schema.MarshalPosition) every chunk of the
	// table was read at, when all were read in one consistent snapshot; nil when the
	// chunks were read in different ones (a resumed snapshot). Stream changes at or
	// before it are already in the copy.
	Position json.RawMessage `json:"position,omitempty"`
}

// Segment is chunks First..Last of a table's plan, all finished or (First == Last) one
// unfinished chunk. Start is the lower bound of chunk First, nil for chunk 0.
type Segment struct {
	First int             `json:"first"`
	Last  int             `json:"last"`
	Start json.RawMessage `json:"start,omitempty"`
	Done  bool            `json:"done,omitempty"`
}

// Chunk is one chunk of a table's plan: Index in key order, keys from Start (inclusive,
// nil = unbounded) to End (exclusive, nil = unbounded).
type Chunk struct {
	Index      int
	Start, End json.RawMessage
}

// PlanTable records the chunk plan of a source table whose snapshot begins: cuts are
// the inner bounds in key order (len(cuts)+1 chunks; none for a table read in one
// piece). A table that already has a plan keeps it (an error says so): a resumed
// snapshot must read the saved chunks, not a new cut of the key space.
//
// Every unfinished chunk is saved with its bounds on every checkpoint (finished ones
// collapse), so plan a table when its copy starts, not every table up front, and for a
// large table plan a bounded number of chunks ahead and ExtendPlan as reading goes.
func (s *State) PlanTable(source, doris string, estimate int64, cuts []json.RawMessage) (*TableProgress, error) {
	if t := s.Snapshot[source]; t != nil && t.Chunks > 0 {
		return nil, fmt.Errorf("plan snapshot of %s: it already has a plan of %d chunks (%d finished); resume it with Pending", source, t.Chunks, t.ChunksDone())
	}
	t := &TableProgress{SourceTable: source, DorisTable: doris, TotalEstimate: estimate, Chunks: 1}
	t.Segments = make([]Segment, 1, len(cuts)+1)
	if err := t.appendCuts(cuts); err != nil {
		return nil, fmt.Errorf("plan snapshot of %s: %w", source, err)
	}
	if s.Snapshot == nil {
		s.Snapshot = map[string]*TableProgress{}
	}
	s.Snapshot[source] = t
	return t, nil
}

// ExtendPlan cuts the last chunk of a table's plan (the unbounded rest of the key
// space) further: cuts continue the plan in key order after its last bound. The caller
// must not have handed the last chunk to a reader: its upper bound changes.
func (s *State) ExtendPlan(source string, cuts []json.RawMessage) error {
	t := s.Snapshot[source]
	if t == nil || t.Chunks == 0 {
		return fmt.Errorf("extend snapshot plan of %s: the table has no plan", source)
	}
	if t.Segments[len(t.Segments)-1].Done {
		return fmt.Errorf("extend snapshot plan of %s: its last chunk is finished already", source)
	}
	if err := t.appendCuts(cuts); err != nil {
		return fmt.Errorf("extend snapshot plan of %s: %w", source, err)
	}
	return nil
}

// appendCuts splits the last (unfinished) chunk at each cut in turn. It checks every
// cut before changing anything.
func (t *TableProgress) appendCuts(cuts []json.RawMessage) error {
	bounds := make([]json.RawMessage, len(cuts))
	prev := t.Segments[len(t.Segments)-1].Start
	for i, c := range cuts {
		b, err := compactJSON(c)
		if err != nil {
			return fmt.Errorf("bound %d: %w", i, err)
		}
		if b == nil {
			return fmt.Errorf("bound %d is null", i)
		}
		if bytes.Equal(prev, b) {
			return fmt.Errorf("bound %d equals the one before it (an empty chunk)", i)
		}
		bounds[i], prev = b, b
	}
	for _, b := range bounds {
		t.Segments = append(t.Segments, Segment{First: t.Chunks, Last: t.Chunks, Start: b})
		t.Chunks++
	}
	return nil
}

// MarkChunkDone records that chunk c of a source table is durably loaded, adding rows to
// the table's count. Marking a finished chunk again changes nothing. A chunk whose
// bounds differ from the saved plan is refused.
func (s *State) MarkChunkDone(table string, c Chunk, rows int64) error {
	t := s.Snapshot[table]
	if t == nil {
		return fmt.Errorf("mark chunk %d of %s done: the table has no snapshot plan", c.Index, table)
	}
	return t.MarkDone(c, rows)
}

// ChunkDone reports whether chunk c of a source table is finished.
func (s *State) ChunkDone(table string, c Chunk) bool {
	t := s.Snapshot[table]
	return t != nil && t.IsDone(c)
}

// MarkDone: see State.MarkChunkDone.
func (t *TableProgress) MarkDone(c Chunk, rows int64) error {
	k := t.segmentOf(c.Index)
	if k < 0 {
		return fmt.Errorf("mark chunk %d of %s done: the plan has chunks 0..%d", c.Index, t.SourceTable, t.Chunks-1)
	}
	seg := &t.Segments[k]
	if seg.Done {
		return nil
	}
	if !sameBound(seg.Start, c.Start) || !sameBound(t.endOf(k), c.End) {
		return fmt.Errorf("mark chunk %d of %s done: its bounds [%s, %s) are not the saved plan's [%s, %s)",
			c.Index, t.SourceTable, boundText(c.Start), boundText(c.End), boundText(seg.Start), boundText(t.endOf(k)))
	}
	seg.Done = true
	t.RowsCopied += rows
	if k+1 < len(t.Segments) && t.Segments[k+1].Done {
		t.Segments[k].Last = t.Segments[k+1].Last
		t.Segments = slices.Delete(t.Segments, k+1, k+2)
	}
	if k > 0 && t.Segments[k-1].Done {
		t.Segments[k-1].Last = t.Segments[k].Last
		t.Segments = slices.Delete(t.Segments, k, k+1)
	}
	if len(t.Segments) == 1 && t.Segments[0].Done {
		t.Done = true
	}
	return nil
}

// IsDone reports whether chunk c is finished (by its index in the plan).
func (t *TableProgress) IsDone(c Chunk) bool {
	k := t.segmentOf(c.Index)
	return k >= 0 && t.Segments[k].Done
}

// Pending lists the unfinished chunks in key order.
func (t *TableProgress) Pending() []Chunk {
	var out []Chunk
	for k, seg := range t.Segments {
		if !seg.Done {
			out = append(out, Chunk{Index: seg.First, Start: seg.Start, End: t.endOf(k)})
		}
	}
	return out
}

// ChunksDone counts the finished chunks.
func (t *TableProgress) ChunksDone() int {
	n := 0
	for _, seg := range t.Segments {
		if seg.Done {
			n += seg.Last - seg.First + 1
		}
	}
	return n
}

// segmentOf returns the index of the segment holding chunk i, or -1.
func (t *TableProgress) segmentOf(i int) int {
	if i < 0 || i >= t.Chunks {
		return -1
	}
	k := sort.Search(len(t.Segments), func(k int) bool { return t.Segments[k].Last >= i })
	if k == len(t.Segments) || t.Segments[k].First > i {
		return -1
	}
	return k
}

// endOf is the upper bound of segment k: the next segment's start, nil for the last.
func (t *TableProgress) endOf(k int) json.RawMessage {
	if k+1 < len(t.Segments) {
		return t.Segments[k+1].Start
	}
	return nil
}

func (t *TableProgress) validate() error {
	if t.Chunks == 0 {
		if len(t.Segments) != 0 {
			return errors.New("segments without a plan (chunks is 0)")
		}
		return nil
	}
	next := 0
	allDone := true
	for _, seg := range t.Segments {
		if seg.First != next || seg.Last < seg.First {
			return fmt.Errorf("segments do not cover chunks 0..%d in order (segment %d..%d, expected it to start at %d)", t.Chunks-1, seg.First, seg.Last, next)
		}
		if !seg.Done && seg.First != seg.Last {
			return fmt.Errorf("unfinished segment %d..%d holds more than one chunk", seg.First, seg.Last)
		}
		if (seg.First == 0) != (seg.Start == nil) {
			return fmt.Errorf("segment %d..%d: only chunk 0 starts unbounded", seg.First, seg.Last)
		}
		allDone = allDone && seg.Done
		next = seg.Last + 1
	}
	if next != t.Chunks {
		return fmt.Errorf("segments cover chunks 0..%d of %d", next-1, t.Chunks)
	}
	if t.Done && !allDone {
		return errors.New("marked done with unfinished chunks")
	}
	return nil
}

// sameBound compares two bounds as JSON values, ignoring insignificant space.
func sameBound(saved, given json.RawMessage) bool {
	if bytes.Equal(saved, given) {
		return true
	}
	g, err := compactJSON(given)
	return err == nil && bytes.Equal(saved, g)
}

func boundText(b json.RawMessage) string {
	if b == nil {
		return "unbounded"
	}
	return string(b)
}
