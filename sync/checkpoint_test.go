package sync

import "testing"

func TestTxnEndsCoverOnlyLoadedTransactions(t *testing.T) {
	var e txnEnds
	e.add(5, fakePos{N: 1})
	e.add(5, fakePos{N: 2}) // a heartbeat after the same changes: newest position wins
	e.add(6, fakePos{N: 3})
	e.add(8, fakePos{N: 4})
	if _, ok := e.covered(4); ok {
		t.Fatal("nothing is covered before the first end's changes are loaded")
	}
	end, ok := e.covered(7)
	if !ok || end.seq != 6 || end.pos.(fakePos).N != 3 {
		t.Fatalf("covered(7) = %+v %v, want the end of seq 6 at position 3", end, ok)
	}
	if _, ok := e.covered(7); ok {
		t.Fatal("an end is taken once")
	}
	if end, ok := e.covered(100); !ok || end.seq != 8 {
		t.Fatalf("covered(100) = %+v %v", end, ok)
	}
	if len(e.ends) != 0 {
		t.Fatalf("ends left: %v", e.ends)
	}
}
