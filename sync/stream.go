package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/doris-sync/doris-sync/exitcode"
	"github.com/doris-sync/doris-sync/schema"
	"github.com/doris-sync/doris-sync/sink"
	"github.com/doris-sync/doris-sync/state"
)

// Stream sequence numbers: a replay from a checkpoint must give every change the
// number it had the first time (the sink derives labels from them). So numbers count
// transactions from the checkpoint: the changes between two boundaries share one
// number, one more than the transaction before; boundaries without changes between them
// (heartbeats, transactions the source filtered out) take no number. This depends only
// on what the source delivers after the checkpoint, never on timing or on routing.

type streamItem struct {
	ev  Event
	err error
}

// stream applies the change stream from the checkpoint until the run stops: the
// context ends (signal, --max-duration), the stream passes the position read at start
// (--stop-when-caught-up), or an error.
func (e *engine) stream(ctx context.Context) (err error) {
	var raw json.RawMessage
	var seq uint64
	var progress map[string]json.RawMessage
	e.l.read(func(st *state.State) {
		raw, seq = st.Position, st.PositionSeq
		progress = map[string]json.RawMessage{}
		for k, tp := range st.Snapshot {
			if tp.Position != nil {
				progress[k] = tp.Position
			}
		}
	})
	if raw == nil {
		return errors.New("stream: the state has no position to start from")
	}
	from, err := schema.UnmarshalPosition(raw)
	if err != nil {
		return fmt.Errorf("stream: saved position: %w", err)
	}
	var shapes []*schema.Table
	for _, rt := range e.r.routes() {
		shapes = append(shapes, rt.shape)
	}
	for _, rt := range e.r.routes() {
		p, ok := progress[rt.key]
		if !ok {
			continue
		}
		pos, err := schema.UnmarshalPosition(p)
		if err != nil {
			return fmt.Errorf("snapshot position of %s: %w", rt.id, err)
		}
		if c, err := schema.ComparePositions(pos, from); err != nil {
			return fmt.Errorf("snapshot position of %s: %w", rt.id, err)
		} else if c > 0 {
			rt.skipThrough = pos
		}
	}
	e.ends.add(seq, from, time.Time{})
	if err := e.w.Advance(seq); err != nil {
		return err
	}
	if e.caughtUpAt != nil {
		if c, err := schema.ComparePositions(from, e.caughtUpAt); err != nil {
			return fmt.Errorf("--stop-when-caught-up: %w", err)
		} else if c >= 0 {
			e.stopReason = "caught up"
			return nil
		}
	}

	s, err := e.src.StartStream(ctx, from, shapes, stateHistory{l: e.l})
	if err != nil {
		return e.streamError(from, err)
	}
	defer s.Close()
	if a, ok := s.(Acker); ok {
		e.acker = a
		// On a clean stop, load and checkpoint while the stream is still open, so the
		// source can still confirm the last checkpoint (shutdown repeats it, harmlessly).
		defer func() {
			if err == nil || ctx.Err() != nil && isContextErr(err) {
				sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.opts.ShutdownTimeout)
				defer cancel()
				if e.w.FlushAll(sctx) == nil {
					_ = e.checkpoint(sctx)
				}
			}
		}()
	}
	e.log.Info("streaming", "from", from.String(), "seq", seq)

	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	items := make(chan streamItem, 256)
	// waitingSince is when the reader began waiting for the source's next event (unix
	// nanoseconds), 0 while it holds one: an idle source keeps it waiting.
	var waitingSince atomic.Int64
	go func() {
		for {
			waitingSince.Store(time.Now().UnixNano())
			ev, err := s.Next(rctx)
			waitingSince.Store(0)
			select {
			case items <- streamItem{ev: ev, err: err}:
			case <-rctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()

	tick := time.NewTicker(e.opts.CheckpointInterval)
	defer tick.Stop()
	inTxn := false
	var txnCommit time.Time // commit time of the transaction being read
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			if err := e.checkpoint(ctx); err != nil {
				return err
			}
			// Caught up and idle: the source has had nothing more for a whole interval,
			// no transaction is open, and every end it delivered is checkpointed, so
			// Doris holds everything the source has: no lag. (A source catching up
			// delivers without pause, so it never looks idle.)
			since := waitingSince.Load()
			idle := since != 0 && time.Since(time.Unix(0, since)) >= e.opts.CheckpointInterval &&
				!inTxn && len(items) == 0 && e.ends.pending() == 0
			if idle {
				e.inSyncAt = time.Now()
				e.reg.SetLag(0)
			} else {
				e.observeInSync(time.Time{}) // the lag grows while nothing newer is loaded
			}
		case it := <-items:
			if it.err != nil {
				if ctx.Err() != nil && isContextErr(it.err) {
					return ctx.Err()
				}
				return e.streamError(from, it.err)
			}
			ch := it.ev.Change
			if ch == nil {
				if it.ev.Position == nil {
					return errors.New("stream: the source sent a boundary without a position")
				}
				if err := e.w.Advance(seq); err != nil {
					return err
				}
				e.ends.add(seq, it.ev.Position, txnCommit)
				inTxn, txnCommit = false, time.Time{}
				if e.ddlPending {
					e.ddlPending = false
					if err := e.checkpoint(ctx); err != nil {
						return err
					}
				}
				if done, err := e.caughtUp(it.ev.Position); err != nil || done {
					return err
				}
				continue
			}
			if !inTxn {
				seq++
				inTxn = true
			}
			if ch.CommitTime.After(txnCommit) {
				txnCommit = ch.CommitTime
			}
			if err := e.apply(ctx, ch, seq); err != nil {
				return err
			}
		}
	}
}

// caughtUp reports whether --stop-when-caught-up is satisfied at a boundary.
func (e *engine) caughtUp(pos schema.Position) (bool, error) {
	if e.caughtUpAt == nil {
		return false, nil
	}
	c, err := schema.ComparePositions(pos, e.caughtUpAt)
	if err != nil {
		return false, fmt.Errorf("--stop-when-caught-up: %w", err)
	}
	if c >= 0 {
		e.stopReason = "caught up"
		e.log.Info("caught up with the source", "position", pos.String())
		return true, nil
	}
	return false, nil
}

// streamError words a stream failure; a position the source no longer has exits 3
// with the remedy.
func (e *engine) streamError(from schema.Position, err error) error {
	if errors.Is(err, ErrPositionLost) || exitcode.IsPositionLost(err) {
		return exitcode.PositionLost(fmt.Errorf("job %q cannot resume: %w. The saved position %s is gone upstream, so changes after it are lost to this job: run again with --on-position-lost=resnapshot to copy every table again (tables without a key are emptied first), or start over with another --job-name or by deleting %s",
			e.opts.JobName, err, from, e.l.store.Path()))
	}
	return fmt.Errorf("stream from %s: %w", from, err)
}

// apply routes one change.
func (e *engine) apply(ctx context.Context, ch *schema.Change, seq uint64) error {
	switch ch.Op {
	case schema.OpDDL:
		return e.applyDDL(ctx, ch)
	case schema.OpTruncate:
		if rt := e.r.byID[ch.Table]; rt != nil && !e.warnedTrunc[ch.Table] {
			e.warnedTrunc[ch.Table] = true
			e.log.Warn("TRUNCATE upstream is NOT applied: the Doris table keeps its rows (truncate it yourself if that is wanted)",
				"source", ch.Table.String(), "doris", rt.target.name())
		}
		return nil
	}
	rt := e.r.byID[ch.Table]
	if rt == nil {
		return nil
	}
	if rt.skipThrough != nil {
		if ch.Position == nil {
			return fmt.Errorf("stream: a change of %s has no position", ch.Table)
		}
		c, err := schema.ComparePositions(ch.Position, rt.skipThrough)
		if err != nil {
			return fmt.Errorf("stream: %w", err)
		}
		if c <= 0 {
			return nil // already in the table's copy
		}
		rt.skipThrough = nil
	}
	var out sink.Change
	var err error
	out.Seq = seq
	switch ch.Op {
	case schema.OpInsert:
		out.Op = sink.Insert
		out.Row, err = rt.project(ch.After, rt.row)
	case schema.OpUpdate:
		out.Op = sink.Update
		if out.Row, err = rt.project(ch.After, rt.row); err == nil {
			out.Before, err = rt.project(ch.Before, rt.before)
		}
	case schema.OpDelete:
		out.Op = sink.Delete
		out.Row, err = rt.project(ch.Before, rt.row)
	default:
		return fmt.Errorf("stream: change of %s has unknown kind %s", ch.Table, ch.Op)
	}
	if err != nil {
		return fmt.Errorf("stream: %w", err)
	}
	if out.Row == nil {
		return fmt.Errorf("stream: %s of %s carries no row", ch.Op, ch.Table)
	}
	if err := e.w.Write(ctx, rt.target.handle, out); err != nil {
		return err
	}
	e.tableStats(rt.target).Changes().Inc()
	return nil
}
