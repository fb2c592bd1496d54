package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"testing"
)

// benchState builds a state of tables tables, each planned in 2×chunks chunks with
// composite bounds; done picks which chunks are finished.
func benchState(b *testing.B, tables, chunks int, done func(i int) bool) *State {
	b.Helper()
	st, err := newState("bench")
	if err != nil {
		b.Fatal(err)
	}
	id, _ := sampleIdentity().Seal()
	st.Job = &id
	st.Phase = PhaseStreaming
	_ = st.SetPosition(raw(`{"kind":"mysql","value":{"gtid":"0-1-123456789,1-2-987654"}}`))
	for t := range tables {
		name := fmt.Sprintf("shop.table_%04d", t)
		bounds := make([]json.RawMessage, 0, 2*chunks-1)
		for c := 1; c < 2*chunks; c++ {
			bounds = append(bounds, raw(`[`+strconv.Itoa(c*8096)+`,"k`+strconv.Itoa(c)+`"]`))
		}
		tp, err := st.PlanTable(name, "dw.ods_"+name, int64(2*chunks*8096), bounds)
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range tp.Pending() {
			if done(c.Index) {
				if err := tp.MarkDone(c, 8096); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	for i := range 8 {
		_ = st.AddLoad(LoadRecord{Label: "shop_t_ab12cd34_" + strconv.Itoa(i), DB: "dw", Table: "ods_t", FirstSeq: uint64(i), LastSeq: uint64(i + 1), Changes: 5000, State: LoadSending})
	}
	return st
}

// BenchmarkSave measures one checkpoint (encode, write, fsync, rename, fsync dir) of a
// state of 500 tables with 100 finished chunks each.
func BenchmarkSave(b *testing.B) {
	cases := []struct {
		name   string
		chunks int // the plan has 2×chunks chunks per table
		done   func(int) bool
	}{
		// Snapshot finished for every table: each table's chunks collapse into one segment.
		{"500tables/100chunks/all-done", 50, func(int) bool { return true }},
		// Half of every table copied in key order: one done segment plus 100 pending
		// chunks with their bounds — what planning all 500 tables up front would cost.
		{"500tables/100done+100pending", 100, func(i int) bool { return i < 100 }},
		// Worst case: every other chunk finished, nothing merges.
		{"500tables/100done+100pending/interleaved", 100, func(i int) bool { return i%2 == 0 }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			st := benchState(b, 500, c.chunks, c.done)
			dir := b.TempDir()
			s, err := Open(dir, "bench")
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := s.Save(st); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			fi, err := os.Stat(s.Path())
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(fi.Size()), "file-bytes")
		})
	}
}

// BenchmarkEncode isolates the JSON encoding of the all-done state from the disk.
func BenchmarkEncode(b *testing.B) {
	st := benchState(b, 500, 50, func(int) bool { return true })
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := json.NewEncoder(&buf).Encode(st); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes")
}
