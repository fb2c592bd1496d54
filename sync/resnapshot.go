package sync

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/doris-sync/doris-sync/ddl"
	"github.com/doris-sync/doris-sync/exitcode"
	"github.com/doris-sync/doris-sync/state"
)

// --on-position-lost=resnapshot: when the source no longer has the saved position
// (purged binlog, lost slot), the changes after it are gone for this job, and only a new
// copy makes Doris equal to the source again. The run then:
//
//  1. empties (TRUNCATE) the Doris tables without a key: a new copy would append every
//     row a second time, since rows cannot be matched without a key. Keyed (UNIQUE)
//     tables are left as they are: the copy upserts every current row, so they converge
//     on the source's rows, except rows deleted upstream while the changes were lost,
//     which no copy can name;
//  2. resets the state to a job that has not copied anything, keeping its identity: no
//     stream position, no snapshot progress, no schema history, no loads in flight, and
//     a new epoch, so the new labels cannot collide with labels of the previous epoch
//     that Doris still remembers;
//  3. runs the normal initial snapshot and stream.
//
// The truncation comes before the state is reset: a crash in between finds the old
// state, loses the position again, and truncates again before resetting. A crash after
// the reset is an ordinary interrupted first copy (resumeCopy).

// resnapshotWanted reports whether the pass ended with a lost position the job is told
// to answer with a new snapshot, and the run may go on (no signal, --max-duration not
// reached: emptying tables only to stop would leave them empty until the next run).
func (e *engine) resnapshotWanted(ctx context.Context, err error) bool {
	lost := exitcode.IsPositionLost(err) || errors.Is(err, ErrPositionLost)
	goOn := ctx.Err() == nil && (e.deadline.IsZero() || time.Now().Before(e.deadline))
	return lost && e.opts.OnPositionLost == OnPositionLostResnapshot && goOn && e.r != nil
}

// resnapshot prepares a new copy after the position was lost (see above); the sink of
// the pass that lost it is closed.
func (e *engine) resnapshot(ctx context.Context, lost error) error {
	e.log.Error("POSITION LOST: the source no longer has the saved position; the changes since the last checkpoint are gone. --on-position-lost=resnapshot: copying every table again",
		"err", lost.Error(), "state", e.l.store.Path())
	for _, t := range e.r.targets {
		if t.plan.Model == ddl.ModelUnique {
			e.log.Warn("re-snapshot: keyed table kept; the new copy upserts every current row (rows deleted upstream while the position was lost stay in Doris)",
				"table", t.name(), "sources", sourceNames(t.plan))
			continue
		}
		e.log.Warn("re-snapshot: emptying a table without a key before copying it again (TRUNCATE TABLE), since its rows cannot be matched",
			"table", t.name(), "sources", sourceNames(t.plan))
		stmt := "TRUNCATE TABLE " + ddl.QuoteTable(t.plan.Database, t.plan.Table)
		if err := e.execDDL(ctx, stmt); err != nil {
			return fmt.Errorf("re-snapshot after a lost position: empty %s (no key): %w", t.name(), refused(err))
		}
	}
	epoch, err := newEpoch()
	if err != nil {
		return err
	}
	err = e.l.update(func(st *state.State) error {
		st.Epoch = epoch
		st.Phase = state.PhasePlanning
		st.Position, st.PositionSeq = nil, 0
		st.Snapshot = map[string]*state.TableProgress{}
		st.Loads = []state.LoadRecord{}
		st.SchemaHistory = nil
		st.PositionLost = ""
		st.SourceTime, st.CheckpointTime = time.Time{}, time.Time{}
		return nil
	})
	if err != nil {
		return fmt.Errorf("re-snapshot after a lost position: reset the state: %w", err)
	}
	e.log.Warn("re-snapshot: the saved position and snapshot progress are discarded; a new copy begins", "epoch", epoch)
	return nil
}

// newEpoch is a fresh label epoch (as a new state gets one).
func newEpoch() (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("re-snapshot: new label epoch: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}
