package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/doris-sync/doris-sync/ddl"
	"github.com/doris-sync/doris-sync/schema"
	"github.com/doris-sync/doris-sync/sink"
	"github.com/doris-sync/doris-sync/state"
)

// Snapshot sequence numbers. Each table's copy gets a range of seqSpan numbers
// (TableProgress.SeqBase, taken from State.PositionSeq, which during the copy is the
// next free number and afterwards the stream's first): chunk i of the table is numbered
// SeqBase+i+1 and its rows are that number's changes in key order. The stream numbers
// its changes above every range.
//
// A table whose copy resumes in a new snapshot gets a new range. Its unfinished chunks
// are read again at another moment, so the same places may hold other rows (a row
// deleted in between shifts the ones after it); matched against the batches journaled
// from the first read, rows never loaded would be taken for loaded ones. Under new
// numbers they simply load again: upserts on a keyed table, whose changes since the
// first snapshot the stream then replays; a table without a key starts over
// (resumeCopy).
const (
	seqSpan     = 1 << 32
	rowsPerSend = 256 // rows a reader hands to the writer at once
	// bytesPerSend cuts a send early for wide rows, so read-ahead is bounded in bytes
	// (about batchesAhead × bytesPerSend per chunk being read), not only in rows.
	bytesPerSend = 1 << 20
	// batchesAhead is how many sends a reader may run ahead of the writer. With 4 the
	// readers stalled on the writer and the copy used about one core (docs/performance.md);
	// 40 keeps them busy while bounding each reader to ~10k rows / ~40 MB in flight.
	batchesAhead = 40
)

// chunkTask is one chunk on its way from a reader to the writer.
type chunkTask struct {
	rt      *route
	chunk   state.Chunk
	seq     uint64
	batches chan [][]any
	err     error // set before batches is closed
	rows    int64
}

// abandonedStarter is a source that can take back what an earlier run of the same job
// created upstream for a snapshot start it never checkpointed (a PostgreSQL slot made by
// a run killed before its first save).
type abandonedStarter interface{ ReclaimAbandonedStart() }

// beginFirstSnapshot records, before the source is asked for a start position, that this
// job is starting its first snapshot; if an earlier run already had, and was stopped
// before saving any position, the source is told it may reclaim what that run made.
func (e *engine) beginFirstSnapshot() error {
	var earlier bool
	e.l.read(func(st *state.State) { earlier = st.SnapshotBegun })
	if earlier {
		if r, ok := e.src.(abandonedStarter); ok {
			r.ReclaimAbandonedStart()
		}
		return nil
	}
	return e.l.update(func(st *state.State) error {
		st.SnapshotBegun = true
		return nil
	})
}

// snapshot copies every routed table that is not copied yet and hands over to the
// stream. It returns done=false when the run was stopped before the copy finished.
func (e *engine) snapshot(ctx context.Context) (bool, error) {
	var work []*route
	resume := false
	e.l.read(func(st *state.State) {
		work = e.copyOrder(st)
		resume = st.Position != nil
	})
	var shapes []*schema.Table
	for _, rt := range work {
		shapes = append(shapes, rt.shape)
	}
	if !resume {
		if err := e.beginFirstSnapshot(); err != nil {
			return false, err
		}
	}
	sess, err := e.src.BeginSnapshot(ctx, shapes, resume)
	if err != nil {
		return false, fmt.Errorf("begin the snapshot: %w", err)
	}
	defer sess.Close()
	pos := sess.Position()
	var raw json.RawMessage
	if pos != nil {
		if raw, err = schema.MarshalPosition(pos); err != nil {
			return false, err
		}
	} else if !resume {
		return false, errors.New("begin the snapshot: the source named no position to stream from")
	}
	if !sess.Exact() {
		for _, rt := range work {
			if rt.target.plan.Model != ddl.ModelUnique {
				e.log.Warn("the snapshot is not one consistent view, and this table has no key: rows written to it while it is copied may be loaded twice",
					"table", rt.id.String(), "doris", rt.target.name())
			}
		}
	}
	err = e.l.update(func(st *state.State) error {
		if st.Position == nil {
			// The stream starts where the first snapshot was taken, and stays there
			// when a resumed copy reads the rest in a later snapshot: chunks read in
			// the first one need every change after it.
			if err := st.SetPosition(raw); err != nil {
				return err
			}
			if err := e.recordShapes(st, raw); err != nil {
				return err
			}
		}
		if st.PositionSeq == 0 {
			st.PositionSeq = seqSpan
		}
		for _, rt := range work {
			if tp := st.Snapshot[rt.key]; tp != nil && tp.Chunks > 0 {
				// Read partly in an earlier snapshot: its chunks are of different
				// moments, so no stream change can be skipped for it, and the rest
				// is numbered afresh (see above). work keeps the old ranges' order.
				tp.Position = nil
				tp.SeqBase = st.PositionSeq
				st.PositionSeq += seqSpan
			}
		}
		st.Phase = state.PhaseSnapshot
		return nil
	})
	if err != nil {
		return false, err
	}
	e.log.Info("snapshot begins", "position", fmt.Sprint(pos), "exact", sess.Exact(), "tables", len(work))
	if err := e.copyTables(ctx, sess, raw, work); err != nil {
		return false, err
	}
	// Barrier per table: a journaled batch that the copy re-read only partly is sealed
	// (under a new label on UNIQUE tables) instead of waiting for changes that will not
	// come.
	for _, t := range e.r.targets {
		if err := e.w.Flush(ctx, t.handle); err != nil {
			return false, err
		}
	}
	if err := e.markChunks(); err != nil {
		return false, err
	}
	if len(e.snapWritten) > 0 {
		return false, fmt.Errorf("snapshot: %d chunks are written but not confirmed loaded", len(e.snapWritten))
	}
	var streamSeq uint64
	err = e.l.update(func(st *state.State) error {
		for _, rt := range e.r.routes() {
			if tp := st.Snapshot[rt.key]; tp == nil || !tp.Done {
				return fmt.Errorf("snapshot: table %s is not copied", rt.id)
			}
		}
		streamSeq = st.PositionSeq
		if e.opts.StartupMode == StartSnapshot {
			st.Phase = state.PhaseDone
		} else {
			st.Phase = state.PhaseStreaming
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	if err := e.w.Advance(streamSeq); err != nil {
		return false, err
	}
	if err := e.w.Checkpointed(streamSeq); err != nil {
		return false, err
	}
	e.log.Info("snapshot done", "rows", e.snapRows)
	return true, nil
}

// copyOrder lists the routes whose copy is not done: those planned in an earlier run
// first, in the order of their sequence ranges, then the others in route order.
func (e *engine) copyOrder(st *state.State) []*route {
	var planned, fresh []*route
	for _, rt := range e.r.routes() {
		tp := st.Snapshot[rt.key]
		switch {
		case tp == nil || tp.Chunks == 0:
			fresh = append(fresh, rt)
		case !tp.Done:
			planned = append(planned, rt)
		}
	}
	sort.SliceStable(planned, func(i, j int) bool {
		return st.Snapshot[planned[i].key].SeqBase < st.Snapshot[planned[j].key].SeqBase
	})
	return append(planned, fresh...)
}

// recordShapes notes in the schema history the shape of every routed table at pos, so
// a restart decodes the stream from a checkpoint with the shapes in force there.
func (e *engine) recordShapes(st *state.State, pos json.RawMessage) error {
	for _, rt := range e.r.routes() {
		if err := appendShape(st, rt.key, pos, rt.shape, ""); err != nil {
			return err
		}
	}
	return nil
}

func appendShape(st *state.State, key string, pos json.RawMessage, shape *schema.Table, ddlText string) error {
	// The source may have recorded this version already (a source that decodes with
	// the history records each DDL as it reads it).
	h := st.SchemaHistory[key]
	if n := len(h); n > 0 && string(h[n-1].Position) == string(pos) {
		return nil
	}
	data, err := json.Marshal(shape)
	if err != nil {
		return fmt.Errorf("schema history of %s: %w", key, err)
	}
	return st.AppendSchema(key, state.SchemaVersion{Position: pos, Table: data, DDL: ddlText})
}

// copyTables reads the chunks of the given tables with SnapshotParallelism readers and
// writes them in sequence order.
func (e *engine) copyTables(ctx context.Context, sess Snapshot, sessPos json.RawMessage, work []*route) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	par := e.opts.SnapshotParallelism
	ordered := make(chan *chunkTask, par)
	tasks := make(chan *chunkTask)
	var wg sync.WaitGroup
	var planErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(tasks)
		defer close(ordered)
		planErr = e.planChunks(ctx, sess, sessPos, work, func(t *chunkTask) bool {
			select {
			case ordered <- t:
			case <-ctx.Done():
				return false
			}
			select {
			case tasks <- t:
				return true
			case <-ctx.Done():
				t.err = ctx.Err()
				close(t.batches)
				return false
			}
		})
	}()
	for i := 0; i < par; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range tasks {
				readChunk(ctx, sess, t)
			}
		}()
	}
	werr := e.writeChunks(ctx, ordered)
	cancel()
	wg.Wait()
	if werr != nil {
		return werr
	}
	return planErr
}

// readChunk reads one chunk, handing rows to the writer in small slices.
func readChunk(ctx context.Context, sess Snapshot, t *chunkTask) {
	buf := make([][]any, 0, rowsPerSend)
	size := 0
	send := func() error {
		select {
		case t.batches <- buf:
			buf, size = make([][]any, 0, rowsPerSend), 0
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	err := sess.ReadChunk(ctx, t.rt.shape, t.chunk.Start, t.chunk.End, func(row []any) error {
		buf = append(buf, row)
		size += approxRowBytes(row)
		if len(buf) == rowsPerSend || size >= bytesPerSend {
			return send()
		}
		return nil
	})
	if err == nil && len(buf) > 0 {
		err = send()
	}
	t.err = err
	close(t.batches)
}

// approxRowBytes is a cheap estimate of a row's memory: the length of its text and
// binary values plus a word for everything else.
func approxRowBytes(row []any) int {
	n := 0
	for _, v := range row {
		switch x := v.(type) {
		case string:
			n += len(x)
		case []byte:
			n += len(x)
		case schema.Decimal:
			n += len(x)
		case schema.JSON:
			n += len(x)
		default:
			n += 8
		}
	}
	return n
}

// planChunks hands out the chunks of each table in order, planning a table when its
// copy starts and extending the plan of a large table as its chunks are handed out.
func (e *engine) planChunks(ctx context.Context, sess Snapshot, sessPos json.RawMessage, work []*route, emit func(*chunkTask) bool) error {
	ahead := e.opts.ChunksAhead
	for _, rt := range work {
		var planned bool
		e.l.read(func(st *state.State) {
			tp := st.Snapshot[rt.key]
			planned = tp != nil && tp.Chunks > 0
		})
		last := false
		if !planned {
			est, err := sess.EstimateRows(ctx, rt.shape)
			if err != nil {
				return fmt.Errorf("snapshot of %s: estimate rows: %w", rt.id, err)
			}
			bounds, isLast, err := sess.PlanChunks(ctx, rt.shape, nil, ahead)
			if err != nil {
				return fmt.Errorf("snapshot of %s: plan chunks: %w", rt.id, err)
			}
			last = isLast
			err = e.l.update(func(st *state.State) error {
				base := st.PositionSeq
				tp, err := st.PlanTable(rt.key, rt.target.name(), est, bounds)
				if err != nil {
					return err
				}
				tp.SeqBase = base
				tp.Position = sessPos
				st.PositionSeq = base + seqSpan
				e.snapshotGauges(st, rt.target, false)
				return nil
			})
			if err != nil {
				return err
			}
			e.log.Info("copying table", "table", rt.id.String(), "to", rt.target.name(), "estimated_rows", est, "chunks_planned", len(bounds)+1)
		}
		next := 0
		for {
			var pending []state.Chunk
			var base uint64
			e.l.read(func(st *state.State) {
				tp := st.Snapshot[rt.key]
				base = tp.SeqBase
				for _, c := range tp.Pending() {
					if c.Index >= next {
						pending = append(pending, c)
					}
				}
			})
			var tail *state.Chunk
			for i := range pending {
				c := pending[i]
				if c.End == nil && !last {
					tail = &pending[i]
					break
				}
				t := &chunkTask{rt: rt, chunk: c, seq: base + uint64(c.Index) + 1, batches: make(chan [][]any, batchesAhead)}
				if !emit(t) {
					return ctx.Err()
				}
				next = c.Index + 1
			}
			if tail == nil {
				break
			}
			// The last chunk is the open-ended rest of the key space: cut it further
			// before a reader gets it.
			bounds, isLast, err := sess.PlanChunks(ctx, rt.shape, tail.Start, ahead)
			if err != nil {
				return fmt.Errorf("snapshot of %s: plan chunks after %s: %w", rt.id, boundText(tail.Start), err)
			}
			last = isLast
			if len(bounds) > 0 {
				err := e.l.update(func(st *state.State) error {
					if err := st.ExtendPlan(rt.key, bounds); err != nil {
						return err
					}
					e.snapshotGauges(st, rt.target, false)
					return nil
				})
				if err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func boundText(b json.RawMessage) string {
	if b == nil {
		return "the start"
	}
	return string(b)
}

// writeChunks writes the chunks in the order they were handed out (their sequence
// order) and marks them done as Doris confirms them.
func (e *engine) writeChunks(ctx context.Context, ordered <-chan *chunkTask) error {
	tick := time.NewTicker(e.opts.CheckpointInterval)
	defer tick.Stop()
	for {
		select {
		case t, ok := <-ordered:
			if !ok {
				return nil
			}
			if err := e.writeChunk(ctx, t, tick.C); err != nil {
				return err
			}
		case <-tick.C:
			if err := e.markChunks(); err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (e *engine) writeChunk(ctx context.Context, t *chunkTask, tick <-chan time.Time) error {
	rt := t.rt
	h := rt.target.handle
	for {
		select {
		case rows, ok := <-t.batches:
			if !ok {
				if t.err != nil {
					return fmt.Errorf("snapshot of %s, chunk %d: %w", rt.id, t.chunk.Index, t.err)
				}
				if err := e.w.Advance(t.seq); err != nil {
					return err
				}
				e.snapWritten = append(e.snapWritten, t)
				return nil
			}
			for _, row := range rows {
				r, err := rt.project(row, rt.row)
				if err != nil {
					return fmt.Errorf("snapshot: %w", err)
				}
				if err := e.w.Write(ctx, h, sink.Change{Seq: t.seq, Op: sink.Insert, Row: r}); err != nil {
					return err
				}
			}
			t.rows += int64(len(rows))
			e.snapRows += int64(len(rows))
			e.tableStats(rt.target).RowsCopied().Add(int64(len(rows)))
		case <-tick:
			if err := e.markChunks(); err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// markChunks records as done every written chunk Doris holds completely, then lets
// the sink forget their batches.
func (e *engine) markChunks() error {
	if len(e.snapWritten) == 0 {
		return nil
	}
	flushed := e.w.FlushedThrough()
	n := 0
	for n < len(e.snapWritten) && e.snapWritten[n].seq <= flushed {
		n++
	}
	if n == 0 {
		return nil
	}
	done := e.snapWritten[:n]
	var finished []string
	err := e.l.update(func(st *state.State) error {
		for _, t := range done {
			if err := st.MarkChunkDone(t.rt.key, t.chunk, t.rows); err != nil {
				return err
			}
			if tp := st.Snapshot[t.rt.key]; tp.Done {
				finished = append(finished, fmt.Sprintf("%s (%d rows)", t.rt.id, tp.RowsCopied))
			}
		}
		for _, t := range done {
			e.snapshotGauges(st, t.rt.target, false)
		}
		return nil
	})
	if err != nil {
		return err
	}
	last := done[n-1].seq
	e.snapWritten = append(e.snapWritten[:0], e.snapWritten[n:]...)
	for _, f := range finished {
		e.log.Info("table copied", "table", f)
	}
	return e.w.Checkpointed(last)
}
