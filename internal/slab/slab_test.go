package slab

import (
	"bytes"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestRowsTake(t *testing.T) {
	var r Rows
	// Rows across several blocks, some of them wider than a quarter block: each one nil,
	// of capacity its length, sharing no slot with another.
	var rows [][]any
	for i := 0; i < 5*RowBlock; i += len(rows[len(rows)-1]) {
		n := 1 + i%13
		if i%50 == 0 {
			n = RowBlock/4 + 1 + i%3
		}
		row := r.Take(n)
		if len(row) != n || cap(row) != n {
			t.Fatalf("Take(%d): len %d cap %d", n, len(row), cap(row))
		}
		for j, v := range row {
			if v != nil {
				t.Fatalf("Take(%d)[%d] = %v, want nil", n, j, v)
			}
			row[j] = fmt.Sprint(len(rows), "/", j)
		}
		rows = append(rows, row)
	}
	// An append reallocates the row rather than write into the next one.
	for i := range rows {
		rows[i] = append(rows[i], "grown")
	}
	for i, row := range rows {
		for j, v := range row[:len(row)-1] {
			if want := fmt.Sprint(i, "/", j); v != want {
				t.Fatalf("row %d slot %d = %v, want %v", i, j, v, want)
			}
		}
	}
	if big := r.Take(RowBlock + 1); len(big) != RowBlock+1 || cap(big) != RowBlock+1 {
		t.Errorf("a row wider than a block: len %d cap %d", len(big), cap(big))
	}
}

// TestBytes: copies equal their input and no longer depend on it, an empty value is empty
// and not NULL, no copy can write into another (capacity is length), and a later Copy
// or String never changes an earlier result, across blocks and large values, after the
// allocator is dropped and the collector has run.
func TestBytes(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(1))
	a := new(Bytes)
	if c := a.Copy(nil); c == nil || len(c) != 0 || cap(c) != 0 {
		t.Errorf("Copy(nil) = %#v (cap %d), want empty and non-nil", c, cap(c))
	}
	if c := a.Copy([]byte{}); c == nil || len(c) != 0 {
		t.Errorf("Copy([]byte{}) = %#v, want empty and non-nil", c)
	}
	if s := a.String(nil); s != "" {
		t.Errorf("String(nil) = %q", s)
	}
	in := make([]byte, 0, 2*BytesMaxValue)
	var copies [][]byte
	var strs, want []string
	for i := 0; i < 4*BytesBlock/20; i++ {
		in = fmt.Appendf(in[:0], "value %d €", i)
		if i%97 == 0 {
			in = append(in, strings.Repeat("x", BytesMaxValue-len(in)+i%3)...) // at and above the limit
		}
		want = append(want, string(in))
		c, s := a.Copy(in), a.String(in)
		if len(c) != cap(c) {
			t.Fatalf("Copy of %d bytes: cap %d", len(c), cap(c))
		}
		copies, strs = append(copies, c), append(strs, s)
		for j := range in[:cap(in)] { // the caller reuses its buffer
			in[:cap(in)][j] = 0xFF
		}
		// The caller owns its copy: changing it, and appending to it, changes nothing else.
		c[0] = 'V'
		copies[i] = append(c, '!')
	}
	a = nil
	runtime.GC()
	runtime.GC()
	litter()
	for i := range want {
		if strs[i] != want[i] {
			t.Fatalf("string %d = %.60q, want %.60q", i, strs[i], want[i])
		}
		if w := "V" + want[i][1:] + "!"; !bytes.Equal(copies[i], []byte(w)) {
			t.Fatalf("copy %d = %.60q, want %.60q", i, copies[i], w)
		}
	}
}

func TestAllocatesPerBlock(t *testing.T) {
	var r Rows
	var a Bytes
	var row []any
	var s string
	if avg := testing.AllocsPerRun(2000, func() { row = r.Take(12) }); avg >= 0.02 {
		t.Errorf("Rows: %.3f allocations per row", avg)
	}
	if avg := testing.AllocsPerRun(2000, func() { s = a.String([]byte("twelve bytes")) }); avg >= 0.01 {
		t.Errorf("Bytes: %.3f allocations per string", avg)
	}
	runtime.KeepAlive(row)
	runtime.KeepAlive(s)
}
