package sync

import (
	"context"
	"fmt"

	"github.com/doris-sync/doris-sync/ddl"
	"github.com/doris-sync/doris-sync/state"
)

// resumeCopy prepares a copy interrupted by an earlier run, before the sink opens.
//
// The batches journaled by the interrupted copy are dropped: its unfinished chunks are
// read again in a new snapshot under new sequence numbers (see snapshot.go), so no
// replay will match them. Two-phase loads among them are thus never committed, and
// Doris aborts them after stream_load_default_precommit_timeout_second; their rows come
// again with the new read.
//
// A keyed (UNIQUE) table resumes chunk by chunk: upserts by key, and the stream's replay
// from the first snapshot, make rows loaded by the interrupted copy converge. A
// DUPLICATE table has no key: rows of the interrupted copy that reached Doris cannot be
// told apart from the same rows read again, so they would be doubled. Such a table is
// copied again from scratch: its Doris table is emptied (TRUNCATE) when anything of the
// interrupted copy may have reached it, the copies of every source table feeding it
// (multi-to-one) start over, and the new copy records its snapshot position, so the
// stream skips the changes the copy holds. This runs only while the job is still
// copying, before any stream change is applied, so the Doris table holds nothing but
// this job's copy.
func (e *engine) resumeCopy(ctx context.Context) error {
	var phase state.Phase
	e.l.read(func(st *state.State) { phase = st.Phase })
	if phase != state.PhaseSnapshot || e.opts.StartupMode == StartLatest {
		return nil
	}
	for _, t := range e.r.targets {
		if t.plan.Model == ddl.ModelUnique {
			continue
		}
		var interrupted, loaded bool
		e.l.read(func(st *state.State) {
			for _, rt := range t.routes {
				tp := st.Snapshot[rt.key]
				if tp == nil || tp.Chunks == 0 {
					continue
				}
				if !tp.Done {
					interrupted = true
				}
				if tp.RowsCopied > 0 || tp.ChunksDone() > 0 {
					loaded = true
				}
			}
			loaded = loaded || len(st.LoadsOf(t.plan.Database, t.plan.Table)) > 0
		})
		if !interrupted {
			continue
		}
		if loaded {
			e.log.Warn("the copy of a table without a key was interrupted: emptying its Doris table to copy it again from scratch (rows cannot be matched without a key)",
				"table", t.name(), "sources", sourceNames(t.plan))
			stmt := "TRUNCATE TABLE " + ddl.QuoteTable(t.plan.Database, t.plan.Table)
			if err := e.execDDL(ctx, stmt); err != nil {
				return fmt.Errorf("restart the copy of %s (no key): %w", t.name(), refused(err))
			}
		}
		err := e.l.update(func(st *state.State) error {
			for _, rt := range t.routes {
				if tp := st.Snapshot[rt.key]; tp != nil && (loaded || !tp.Done) {
					delete(st.Snapshot, rt.key)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return e.l.update(func(st *state.State) error {
		st.Loads = st.Loads[:0]
		return nil
	})
}
