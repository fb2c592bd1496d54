package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/doris-sync/doris-sync/schema"
	"github.com/doris-sync/doris-sync/state"
)

// ledger guards the job's state. The engine loop, the snapshot planner and the sink's
// journal (called from load workers) all change it, and a Save must not run while it
// changes.
type ledger struct {
	mu    sync.Mutex
	store *state.Store
	st    *state.State
}

func (l *ledger) saveLocked() error { return l.store.Save(l.st) }

// update changes the state and saves it.
func (l *ledger) update(f func(st *state.State) error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := f(l.st); err != nil {
		return err
	}
	return l.saveLocked()
}

// read looks at the state without saving.
func (l *ledger) read(f func(st *state.State)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f(l.st)
}

// txnEnd is a place the stream can resume from, and the sequence number of the last
// change before it.
type txnEnd struct {
	seq uint64
	pos schema.Position
}

// txnEnds are the transaction ends seen but not checkpointed yet, in stream order.
type txnEnds struct {
	ends []txnEnd
}

// add records a resumable position after every change numbered ≤ seq. Ends without
// changes between them (heartbeats) share a number; the newest position wins.
func (t *txnEnds) add(seq uint64, pos schema.Position) {
	if n := len(t.ends); n > 0 && t.ends[n-1].seq == seq {
		t.ends[n-1].pos = pos
		return
	}
	t.ends = append(t.ends, txnEnd{seq: seq, pos: pos})
}

// covered takes the newest end whose changes are all loaded (seq ≤ flushed), dropping
// it and every older one.
func (t *txnEnds) covered(flushed uint64) (txnEnd, bool) {
	i := -1
	for i+1 < len(t.ends) && t.ends[i+1].seq <= flushed {
		i++
	}
	if i < 0 {
		return txnEnd{}, false
	}
	end := t.ends[i]
	t.ends = append(t.ends[:0], t.ends[i+1:]...)
	return end, true
}

// checkpoint saves the newest transaction end whose changes Doris holds: the position
// and its sequence number go to the state file, then the sink may forget the batches
// before it and the source (PostgreSQL) may release the WAL before it. Nothing else
// moves the saved position, so it never passes data that is not loaded.
func (e *engine) checkpoint(ctx context.Context) error {
	end, ok := e.ends.covered(e.w.FlushedThrough())
	if !ok {
		return nil
	}
	raw, err := schema.MarshalPosition(end.pos)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	err = e.l.update(func(st *state.State) error {
		if bytes.Equal(st.Position, raw) && st.PositionSeq == end.seq {
			return nil
		}
		if err := st.SetPosition(raw); err != nil {
			return err
		}
		st.PositionSeq = end.seq
		return st.PruneSchemaHistory(atOrBefore(end.pos))
	})
	if err != nil {
		return fmt.Errorf("checkpoint at %s: %w", end.pos, err)
	}
	e.checkpoints++
	if err := e.w.Checkpointed(end.seq); err != nil {
		return err
	}
	if e.acker != nil {
		if err := e.acker.Ack(ctx, end.pos); err != nil {
			return fmt.Errorf("confirm checkpoint %s to the source: %w", end.pos, err)
		}
	}
	e.log.Debug("checkpoint", "position", end.pos.String(), "seq", end.seq)
	return nil
}

// atOrBefore compares stored positions with ref, for the state's schema history.
func atOrBefore(ref schema.Position) state.AtOrBefore {
	return func(raw json.RawMessage) (bool, error) {
		p, err := schema.UnmarshalPosition(raw)
		if err != nil {
			return false, err
		}
		c, err := schema.ComparePositions(p, ref)
		return c <= 0, err
	}
}
