package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/schema"
)

// TestStreamStopsCleanlyWhileBusy stops streams while much more is on its way than the
// receiver's buffers hold (the receiver is blocked handing over a batch): through an
// emit error and through ctx ending inside emit. Run returns the cause, and no
// goroutine of the stream is left. (The long StatusInterval keeps a leaked receiver
// from ending on its own by writing a status update to the closed connection.)
func TestStreamStopsCleanlyWhileBusy(t *testing.T) {
	e := newReplEnv(t, "CREATE TABLE busy (id integer PRIMARY KEY, pad text)")
	tables := e.tables("busy")
	e.publish(tables)
	snap := e.createSlot()
	start := snap.ConsistentPoint
	// ~5 MB of messages, several times what walBatches buffers hold.
	e.exec("INSERT INTO busy SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g")

	refused := errors.New("refused by the test")
	n := 0
	err := e.repl.NewStreamer(StreamOptions{Tables: tables, StatusInterval: time.Hour}).RunFromSnapshot(context.Background(), snap, func(c schema.Change) error {
		if n++; n == 100 {
			return refused
		}
		return nil
	})
	if !errors.Is(err, refused) || n != 100 {
		t.Errorf("after %d changes: got %v, want the emit error at change 100", n, err)
	}
	checkNoStreamGoroutines(t)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n = 0
	err = e.repl.NewStreamer(StreamOptions{Tables: tables, StatusInterval: time.Hour}).Run(ctx, start, func(c schema.Change) error {
		if c.After[0] != int64(n+1) {
			t.Errorf("change %d is row %v", n, c.After[0])
		}
		if n++; n == 100 {
			cancel()
			return ctx.Err()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || n != 100 {
		t.Errorf("after %d changes: got %v, want context.Canceled at change 100", n, err)
	}
	checkNoStreamGoroutines(t)
}
