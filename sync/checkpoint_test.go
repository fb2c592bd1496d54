package sync

import (
	"testing"
	"time"
)

func TestTxnEndsCoverOnlyLoadedTransactions(t *testing.T) {
	var e txnEnds
	t0 := time.Date(2026, 5, 4, 2, 0, 0, 0, time.UTC)
	e.add(5, fakePos{N: 1}, t0)
	e.add(5, fakePos{N: 2}, time.Time{}) // a heartbeat after the same changes: newest position wins, the commit time stays
	e.add(6, fakePos{N: 3}, t0.Add(2*time.Second))
	e.add(8, fakePos{N: 4}, t0.Add(time.Second)) // committed earlier by another clock: the newest time still wins
	if _, ok := e.covered(4); ok {
		t.Fatal("nothing is covered before the first end's changes are loaded")
	}
	end, ok := e.covered(5)
	if !ok || end.seq != 5 || end.pos.(fakePos).N != 2 || !end.commit.Equal(t0) {
		t.Fatalf("covered(5) = %+v %v, want the end of seq 5 at position 2 committed at %s", end, ok, t0)
	}
	if e.pending() != 2 {
		t.Fatalf("pending = %d, want 2", e.pending())
	}
	end, ok = e.covered(100)
	if !ok || end.seq != 8 || !end.commit.Equal(t0.Add(2*time.Second)) {
		t.Fatalf("covered(100) = %+v %v, want seq 8 with the newest commit time of the ends it covers", end, ok)
	}
	if _, ok := e.covered(100); ok {
		t.Fatal("an end is taken once")
	}
	if e.pending() != 0 {
		t.Fatalf("ends left: %v", e.ends)
	}
}
