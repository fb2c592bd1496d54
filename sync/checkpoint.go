package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/doris-sync/doris-sync/schema"
	"github.com/doris-sync/doris-sync/state"
	"github.com/doris-sync/doris-sync/sync/metrics"
)

// ledger guards the job's state. The engine loop, the snapshot planner and the sink's
// journal (called from load workers) all change it, and a Save must not run while it
// changes.
type ledger struct {
	mu    sync.Mutex
	store *state.Store
	st    *state.State
	reg   *metrics.Registry // told the phase after every saved change
}

func (l *ledger) saveLocked() error { return l.store.Save(l.st) }

// update changes the state and saves it.
func (l *ledger) update(f func(st *state.State) error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := f(l.st); err != nil {
		return err
	}
	if err := l.saveLocked(); err != nil {
		return err
	}
	l.reg.SetPhase(l.st.Phase)
	return nil
}

// read looks at the state without saving.
func (l *ledger) read(f func(st *state.State)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f(l.st)
}

// txnEnd is a place the stream can resume from, the sequence number of the last
// change before it, and the commit time of the newest transaction it ends (zero when
// the source gave none).
type txnEnd struct {
	seq    uint64
	pos    schema.Position
	commit time.Time
}

// txnEnds are the transaction ends seen but not checkpointed yet, in stream order.
type txnEnds struct {
	ends []txnEnd
}

// add records a resumable position after every change numbered ≤ seq, ending a
// transaction committed at commit. Ends without changes between them (heartbeats) share
// a number; the newest position and commit time win.
func (t *txnEnds) add(seq uint64, pos schema.Position, commit time.Time) {
	if n := len(t.ends); n > 0 && t.ends[n-1].seq == seq {
		t.ends[n-1].pos = pos
		if commit.After(t.ends[n-1].commit) {
			t.ends[n-1].commit = commit
		}
		return
	}
	t.ends = append(t.ends, txnEnd{seq: seq, pos: pos, commit: commit})
}

// covered takes the newest end whose changes are all loaded (seq ≤ flushed), dropping
// it and every older one; its commit time is the newest among them.
func (t *txnEnds) covered(flushed uint64) (txnEnd, bool) {
	i := -1
	for i+1 < len(t.ends) && t.ends[i+1].seq <= flushed {
		i++
	}
	if i < 0 {
		return txnEnd{}, false
	}
	end := t.ends[i]
	for _, older := range t.ends[:i] {
		if older.commit.After(end.commit) {
			end.commit = older.commit
		}
	}
	t.ends = append(t.ends[:0], t.ends[i+1:]...)
	return end, true
}

// pending is the number of ends not checkpointed yet.
func (t *txnEnds) pending() int { return len(t.ends) }

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
		// For `status`: how far behind the source this checkpoint was.
		if end.commit.After(st.SourceTime) {
			st.SourceTime = end.commit
		}
		st.CheckpointTime = time.Now()
		return st.PruneSchemaHistory(atOrBefore(end.pos))
	})
	if err != nil {
		return fmt.Errorf("checkpoint at %s: %w", end.pos, err)
	}
	e.reg.Checkpointed()
	e.observeInSync(end.commit)
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

// observeInSync notes that Doris holds everything the source committed up to t (zero:
// unknown) and sets the lag from the newest such time.
func (e *engine) observeInSync(t time.Time) {
	if t.After(e.inSyncAt) {
		e.inSyncAt = t
	}
	if !e.inSyncAt.IsZero() {
		e.reg.ObserveLoaded(e.inSyncAt)
	}
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
