package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/doris-sync/doris-sync/sink/streamload"
)

// Writer loads changes for every target table through Stream Load: one buffer per
// table, flushed by rows, bytes or age, at most sink.parallelism loads at once and never
// two of the same table (so a table's batches reach Doris in order), with all buffered
// and in-flight bodies bounded by sink.max-memory (Write blocks when it is reached).
type Writer struct {
	cfg     Config
	client  *streamload.Client
	journal Journal
	log     *slog.Logger
	epoch   string
	// runningWait bounds how long a label may stay RUNNING before the batch fails.
	runningWait time.Duration

	ctx    context.Context // workers' context; cancelled when Close gives up
	cancel context.CancelFunc
	wg     sync.WaitGroup
	stopTk chan struct{}

	orderMu sync.Mutex
	lastSeq uint64        // highest Seq given to Write or Advance (under orderMu)
	seen    atomic.Uint64 // highest Seq whose change is buffered, loaded or dropped
	failed  atomic.Bool
	closed  atomic.Bool

	mem      atomic.Int64 // bytes of bodies buffered, queued and in flight
	memPeak  atomic.Int64
	memWaits atomic.Int64 // Writes that had to wait for memory

	mu        sync.Mutex
	cond      *sync.Cond // workers wait here for ready tables
	tables    map[tableKey]*tableState
	ready     []*tableState
	progress  chan struct{} // closed and replaced whenever a load ends
	err       error         // first failure; the writer is unusable after it
	closing   bool
	recovered map[tableKey][]BatchRecord // journal records of tables not registered yet

	chunkPool sync.Pool
}

// chunkSize is the size of a body chunk: large enough that a load is a few hundred
// writes, small enough that a row that does not fit copies little.
const chunkSize = 1 << 20

type tableKey struct{ db, table string }

// pos is a change's place in a table's stream: its Seq and its ordinal among the
// table's changes with that Seq.
type pos struct {
	seq uint64
	ord uint32
}

func (a pos) less(b pos) bool { return a.seq < b.seq || a.seq == b.seq && a.ord < b.ord }

// batch is a body being filled, queued or loaded. The body is a list of chunks of
// about chunkSize bytes, so growing it never copies what is already encoded.
type batch struct {
	body        [][]byte
	size        int // bytes in body
	rows        int // lines in body
	changes     int
	first, last pos
	opened      time.Time
	label       string
	plan        *plan         // set when the batch re-forms a journaled one
	shape       *tableShape   // headers in force when the batch was sealed
	partial     *partialShape // set when the rows are partial-column updates
	wire        []byte        // compressed body, when compress_type=gz
}

// plan is a journaled batch of an earlier run whose changes are being replayed.
type plan struct {
	rec         BatchRecord
	first, last pos
	loaded      bool // Doris has it: drop the replayed changes
}

type tableState struct {
	w        *Writer
	db, name string
	key      tableKey
	stats    tableCounters

	mu        sync.Mutex
	shape     *tableShape
	open      *batch
	queue     []*batch
	inflight  *batch
	scheduled bool // in w.ready or being loaded
	plans     []*plan
	curSeq    uint64
	nextOrd   uint32
	started   bool
	warned    bool // the DUPLICATE-delete warning was logged
}

// LoadError is a batch Doris did not take: rejected, or still failing after
// sink.max-retries. The writer stops at the first one.
type LoadError struct {
	DB, Table, Label string
	Err              error
}

func (e *LoadError) Error() string {
	l := e.Label
	if l == "" {
		l = "(group commit)"
	}
	return "load " + e.DB + "." + e.Table + " label " + l + ": " + e.Err.Error()
}

func (e *LoadError) Unwrap() error { return e.Err }

// ErrClosed is returned by a Write after Close.
var ErrClosed = errors.New("sink: writer closed")

// Open starts a writer. Before it returns it resolves what the journal says an earlier
// run left behind: precommitted two-phase loads are committed, and the batches recorded
// for each table are re-formed with the same labels when their changes are replayed.
func Open(ctx context.Context, cfg Config, journal Journal, log *slog.Logger) (*Writer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if journal == nil {
		journal = NewMemJournal()
	}
	if log == nil {
		log = slog.Default()
	}
	epoch := journal.Epoch()
	if err := checkEpoch(epoch); err != nil {
		return nil, fmt.Errorf("sink: %w", err)
	}
	cc, err := cfg.clientConfig()
	if err != nil {
		return nil, err
	}
	client, err := streamload.New(cc)
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(context.Background())
	w := &Writer{
		cfg: cfg, client: client, journal: journal, log: log, epoch: epoch,
		runningWait: cfg.ReadTimeout + time.Minute,
		ctx:         wctx, cancel: cancel, stopTk: make(chan struct{}),
		tables: map[tableKey]*tableState{}, progress: make(chan struct{}),
		recovered: map[tableKey][]BatchRecord{},
	}
	w.cond = sync.NewCond(&w.mu)
	if err := w.recover(ctx); err != nil {
		cancel()
		client.Close()
		return nil, err
	}
	for i := 0; i < cfg.Parallelism; i++ {
		w.wg.Add(1)
		go w.worker()
	}
	w.wg.Add(1)
	go w.ticker()
	return w, nil
}

// Register adds a target table and returns the handle Write takes.
func (w *Writer) Register(t Table) (*TableHandle, error) {
	sh, err := compileTable(&w.cfg, t)
	if err != nil {
		return nil, fmt.Errorf("sink: %w", err)
	}
	key := tableKey{t.DB, t.Name}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.tables[key]; ok {
		return nil, fmt.Errorf("sink: table %s.%s is already registered", t.DB, t.Name)
	}
	ts := &tableState{w: w, db: t.DB, name: t.Name, key: key, shape: sh}
	for _, r := range w.recovered[key] {
		ts.plans = append(ts.plans, &plan{
			rec: r, first: pos{r.FirstSeq, r.FirstOrd}, last: pos{r.LastSeq, r.LastOrd},
			loaded: r.State == BatchLoaded,
		})
	}
	sort.Slice(ts.plans, func(i, j int) bool { return ts.plans[i].first.less(ts.plans[j].first) })
	delete(w.recovered, key)
	w.tables[key] = ts
	return &TableHandle{t: ts}, nil
}

// Alter is the schema-change barrier: it loads every buffered row of the table with the
// old shape, then switches the table to the new description (same database and name).
func (w *Writer) Alter(ctx context.Context, h *TableHandle, t Table) error {
	if t.DB != h.t.db || t.Name != h.t.name {
		return fmt.Errorf("sink: Alter of %s.%s got a description of %s.%s", h.t.db, h.t.name, t.DB, t.Name)
	}
	sh, err := compileTable(&w.cfg, t)
	if err != nil {
		return fmt.Errorf("sink: %w", err)
	}
	if err := w.Flush(ctx, h); err != nil {
		return err
	}
	h.t.mu.Lock()
	h.t.shape = sh
	h.t.mu.Unlock()
	return nil
}

// Write buffers one change. It blocks while sink.max-memory is in use (never dropping
// anything), and fails once the writer has failed. Calls are serialized: the order of
// Write calls is the order of the changes.
func (w *Writer) Write(ctx context.Context, h *TableHandle, ch Change) error {
	if err := w.waitMemory(ctx); err != nil {
		return err
	}
	w.orderMu.Lock()
	defer w.orderMu.Unlock()
	if w.closed.Load() {
		return ErrClosed
	}
	if w.failed.Load() {
		return w.Err()
	}
	if ch.Seq < w.lastSeq {
		return fmt.Errorf("sink: change for %s.%s has sequence %d after %d; sequences must not decrease", h.t.db, h.t.name, ch.Seq, w.lastSeq)
	}
	w.lastSeq = ch.Seq
	t := h.t
	t.mu.Lock()
	err := t.add(ch)
	t.mu.Unlock()
	if err != nil {
		return err
	}
	w.seen.Store(ch.Seq)
	return nil
}

// Advance tells the writer that every change with sequence ≤ seq has been written
// (a source position with no rows for these tables, a DDL event, a heartbeat), so
// FlushedThrough may reach it.
func (w *Writer) Advance(seq uint64) error {
	w.orderMu.Lock()
	defer w.orderMu.Unlock()
	if seq < w.lastSeq {
		return fmt.Errorf("sink: Advance to %d after %d; sequences must not decrease", seq, w.lastSeq)
	}
	w.lastSeq = seq
	w.seen.Store(seq)
	return nil
}

// FlushedThrough is the highest sequence N such that every change with sequence ≤ N is
// durably loaded in every table (or needed no load). Only this may drive checkpoints.
// Sequences start at 1; 0 means nothing yet.
func (w *Writer) FlushedThrough() uint64 {
	through := w.seen.Load() // read first: every change ≤ it is already in a table's state
	for _, t := range w.tableList() {
		t.mu.Lock()
		if b := t.firstPending(); b != nil {
			if b.first.seq == 0 {
				through = 0
			} else if b.first.seq-1 < through {
				through = b.first.seq - 1
			}
		}
		t.mu.Unlock()
	}
	return through
}

// Checkpointed tells the writer a checkpoint at seq is saved: changes ≤ seq will never
// be replayed, so their journal records are dropped.
func (w *Writer) Checkpointed(seq uint64) error {
	if err := w.journal.Forget(seq); err != nil {
		return fmt.Errorf("sink: journal forget through %d: %w", seq, err)
	}
	w.mu.Lock()
	for k, recs := range w.recovered {
		kept := recs[:0]
		for _, r := range recs {
			if r.LastSeq > seq {
				kept = append(kept, r)
			}
		}
		if len(kept) == 0 {
			delete(w.recovered, k)
		} else {
			w.recovered[k] = kept
		}
	}
	w.mu.Unlock()
	return nil
}

// Flush loads everything buffered for one table and waits until it is in Doris.
func (w *Writer) Flush(ctx context.Context, h *TableHandle) error {
	t := h.t
	t.mu.Lock()
	err := t.sealForBarrier()
	t.mu.Unlock()
	if err != nil {
		return err
	}
	return w.waitUntil(ctx, func() bool {
		t.mu.Lock()
		defer t.mu.Unlock()
		return t.idle()
	})
}

// FlushAll loads everything buffered and waits until it is in Doris. Changes of a
// journaled batch that is only partly replayed stay back until the rest arrives (see
// docs/sink.md); FlushedThrough stays below them.
func (w *Writer) FlushAll(ctx context.Context) error {
	for _, t := range w.tableList() {
		t.mu.Lock()
		if t.open != nil && t.open.plan == nil {
			t.seal()
		}
		t.mu.Unlock()
	}
	return w.waitUntil(ctx, func() bool {
		for _, t := range w.tableList() {
			t.mu.Lock()
			idle := t.idle()
			t.mu.Unlock()
			if !idle {
				return false
			}
		}
		return true
	})
}

// Close flushes everything, stops the workers and returns the first failure. When ctx
// ends first, loads in flight are abandoned (their labels make a later replay safe).
func (w *Writer) Close(ctx context.Context) error {
	if w.closed.Swap(true) {
		return w.Err()
	}
	flushErr := w.FlushAll(ctx)
	w.mu.Lock()
	w.closing = true
	w.cond.Broadcast()
	w.mu.Unlock()
	close(w.stopTk)
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		w.cancel()
		<-done
	}
	w.cancel()
	w.client.Close()
	for _, s := range w.Stats() {
		if s.DeletesIgnored > 0 {
			w.log.Warn("deletes were not applied", "table", s.DB+"."+s.Table, "count", s.DeletesIgnored)
		}
	}
	if err := w.Err(); err != nil {
		return err
	}
	return flushErr
}

// Err returns the failure that stopped the writer, if any.
func (w *Writer) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Stats returns every registered table's counters, ordered by database and table.
func (w *Writer) Stats() []TableStats {
	ts := w.tableList()
	out := make([]TableStats, len(ts))
	for i, t := range ts {
		out[i] = t.snapshot()
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].DB != out[j].DB {
			return out[i].DB < out[j].DB
		}
		return out[i].Table < out[j].Table
	})
	return out
}

func (w *Writer) tableList() []*tableState {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]*tableState, 0, len(w.tables))
	for _, t := range w.tables {
		out = append(out, t)
	}
	return out
}

func (w *Writer) fail(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
		w.log.Error("sink stopped", "err", err)
	}
	w.failed.Store(true)
	w.cond.Broadcast()
	w.mu.Unlock()
	w.notify()
}

// notify wakes everyone waiting for a load to end.
func (w *Writer) notify() {
	w.mu.Lock()
	close(w.progress)
	w.progress = make(chan struct{})
	w.mu.Unlock()
}

// waitUntil waits for done() or the writer's failure.
func (w *Writer) waitUntil(ctx context.Context, done func() bool) error {
	for {
		w.mu.Lock()
		ch, err := w.progress, w.err
		w.mu.Unlock()
		if done() {
			return nil
		}
		if err != nil {
			return err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// waitMemory blocks while the buffered bytes are at the cap, sealing the largest open
// buffers so loads free memory. If nothing is queued, loading or sealable (all memory is
// in a partly replayed journaled batch) the write goes through rather than wait for ever.
func (w *Writer) waitMemory(ctx context.Context) error {
	if w.mem.Load() >= w.cfg.MaxMemory {
		w.memWaits.Add(1)
	}
	for w.mem.Load() >= w.cfg.MaxMemory {
		w.mu.Lock()
		ch, err := w.progress, w.err
		w.mu.Unlock()
		if err != nil {
			return err
		}
		if !w.relieve() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// addMem accounts body bytes and keeps the peak.
func (w *Writer) addMem(n int64) {
	v := w.mem.Add(n)
	for {
		p := w.memPeak.Load()
		if v <= p || w.memPeak.CompareAndSwap(p, v) {
			return
		}
	}
}

// MemoryStats reports the body bytes held now, the most held at once, and how many
// Writes waited for memory (back-pressure).
func (w *Writer) MemoryStats() (inUse, peak, waits int64) {
	return w.mem.Load(), w.memPeak.Load(), w.memWaits.Load()
}

// relieve seals the largest open buffer when fewer than sink.parallelism batches are
// waiting, and reports whether any load is queued or running.
func (w *Writer) relieve() bool {
	var largest *tableState
	largestSize, queued, busy := 0, 0, false
	for _, t := range w.tableList() {
		t.mu.Lock()
		queued += len(t.queue)
		if len(t.queue) > 0 || t.inflight != nil {
			busy = true
		}
		if t.open != nil && t.open.plan == nil && t.open.size > largestSize {
			largest, largestSize = t, t.open.size
		}
		t.mu.Unlock()
	}
	if largest != nil && queued < w.cfg.Parallelism {
		largest.mu.Lock()
		if largest.open != nil && largest.open.plan == nil {
			largest.seal()
			busy = true
		}
		largest.mu.Unlock()
	}
	return busy
}

// schedule puts a table with queued batches on the ready list. Caller holds t.mu.
func (w *Writer) schedule(t *tableState) {
	w.mu.Lock()
	w.ready = append(w.ready, t)
	w.cond.Signal()
	w.mu.Unlock()
}

// ticker seals buffers older than sink.buffer-flush.interval. A table that already has
// a sealed batch waiting for a load slot keeps filling its open buffer instead: when
// Doris is slower than the interval, loads grow rather than pile up (fewer
// transactions and tablet versions exactly when Doris is busiest).
func (w *Writer) ticker() {
	defer w.wg.Done()
	every := w.cfg.FlushInterval / 4
	if every > time.Second {
		every = time.Second
	}
	if every < 5*time.Millisecond {
		every = 5 * time.Millisecond
	}
	tk := time.NewTicker(every)
	defer tk.Stop()
	for {
		select {
		case <-w.stopTk:
			return
		case now := <-tk.C:
			for _, t := range w.tableList() {
				t.mu.Lock()
				if b := t.open; b != nil && b.plan == nil && len(t.queue) == 0 && now.Sub(b.opened) >= w.cfg.FlushInterval {
					t.seal()
				}
				t.mu.Unlock()
			}
		}
	}
}

func (w *Writer) getChunk() []byte {
	if p, ok := w.chunkPool.Get().(*[]byte); ok {
		return (*p)[:0]
	}
	return make([]byte, 0, chunkSize+chunkSize/16)
}

// putChunks returns a body's chunks for reuse.
func (w *Writer) putChunks(body [][]byte) {
	for _, c := range body {
		if cap(c) >= chunkSize && cap(c) <= 2*chunkSize {
			c := c
			w.chunkPool.Put(&c)
		}
	}
}

// ---- per-table state; every method below runs with t.mu held ----

func (t *tableState) nextPos(seq uint64) pos {
	if !t.started || seq != t.curSeq {
		t.curSeq, t.nextOrd, t.started = seq, 0, true
	}
	p := pos{seq, t.nextOrd}
	t.nextOrd++
	return p
}

func (t *tableState) add(ch Change) error {
	ps, err := t.partialFor(ch)
	if err != nil {
		return err
	}
	p := t.nextPos(ch.Seq)
	for len(t.plans) > 0 {
		pl := t.plans[0]
		if p.less(pl.first) {
			break
		}
		if pl.last.less(p) {
			t.plans = t.plans[1:]
			if err := t.planPassed(pl); err != nil {
				return err
			}
			continue
		}
		return t.addPlanned(pl, p, ch, ps)
	}
	return t.addNormal(p, ch, ps)
}

// addNormal adds a change to the open batch. A change loaded with other columns than
// the open batch's rows (full rows, or another set of unchanged columns) starts a new
// batch: one load has one column list, and the table's batches load in order.
func (t *tableState) addNormal(p pos, ch Change, ps *partialShape) error {
	b := t.open
	if b != nil && b.partial != ps {
		t.seal()
		b = nil
	}
	fresh := b == nil
	if fresh {
		b = t.newBatch(p)
		b.partial = ps
	}
	rows, err := t.encode(b, ch)
	if err != nil {
		if fresh {
			t.w.putChunks(b.body)
		}
		return err
	}
	if fresh {
		if rows == 0 {
			// Nothing to load (an ignored delete): no batch starts here.
			t.w.putChunks(b.body)
			return nil
		}
		t.open = b
	}
	b.changes++
	b.last = p
	if b.rows >= t.w.cfg.FlushMaxRows || int64(b.size) >= t.w.cfg.FlushMaxBytes {
		t.seal()
	}
	return nil
}

func (t *tableState) addPlanned(pl *plan, p pos, ch Change, ps *partialShape) error {
	// A new batch never spans a journaled one: its own record must describe a range
	// the next replay can re-form.
	if t.open != nil && t.open.plan != pl {
		t.seal()
	}
	if pl.loaded {
		t.stats.replaySkipped.Add(1)
		if p == pl.last {
			t.plans = t.plans[1:]
		}
		return nil
	}
	b := t.open
	if b == nil {
		b = t.newBatch(p)
		b.plan, b.label, b.partial = pl, pl.rec.Label, ps
		t.open = b
	} else if b.partial != ps {
		// The replay loads this change with other columns than the batch's first ones,
		// so it cannot be the journaled batch: load what came so far under a new label.
		t.plans = t.plans[1:]
		if err := t.diverged(b); err != nil {
			return err
		}
		return t.addNormal(p, ch, ps)
	}
	if _, err := t.encode(b, ch); err != nil {
		return err
	}
	b.changes++
	b.last = p
	if p == pl.last {
		t.plans = t.plans[1:]
		if b.changes != pl.rec.Changes || b.first != pl.first {
			return t.diverged(b)
		}
		t.seal()
	}
	return nil
}

// planPassed handles a journaled batch whose range the replay went past.
func (t *tableState) planPassed(pl *plan) error {
	if pl.loaded {
		return nil
	}
	if t.open == nil || t.open.plan != pl {
		t.w.log.Warn("journaled batch was not replayed; its changes no longer reach this table",
			"table", t.db+"."+t.name, "label", pl.rec.Label)
		return nil
	}
	return t.diverged(t.open)
}

// diverged handles a journaled batch whose replay brought different changes. On a UNIQUE
// table a new label is harmless (upserts are idempotent); on a DUPLICATE table it could
// load rows twice, so the writer stops.
func (t *tableState) diverged(b *batch) error {
	pl := b.plan
	if t.shape.spec.Model == Duplicate {
		err := &LoadError{DB: t.db, Table: t.name, Label: pl.rec.Label, Err: fmt.Errorf(
			"the replayed changes differ from the journaled batch (%d changes from %d/%d recorded, %d from %d/%d replayed); "+
				"loading them under another label could load rows of this DUPLICATE table twice, so the job stops: "+
				"check that the source replays the same changes, or re-snapshot the table",
			pl.rec.Changes, pl.first.seq, pl.first.ord, b.changes, b.first.seq, b.first.ord)}
		t.w.fail(err)
		return err
	}
	t.w.log.Warn("replayed changes differ from the journaled batch; loading them under a new label (UNIQUE table, idempotent)",
		"table", t.db+"."+t.name, "label", pl.rec.Label, "recorded_changes", pl.rec.Changes, "replayed_changes", b.changes)
	b.plan, b.label = nil, ""
	t.seal()
	return nil
}

func (t *tableState) newBatch(p pos) *batch {
	return &batch{first: p, last: p, opened: time.Now()}
}

// encode appends the rows of one change and returns how many it wrote. All rows of a
// change go to one chunk, so a failed change is undone by truncating it.
func (t *tableState) encode(b *batch, ch Change) (int, error) {
	sh := t.shape
	if len(b.body) == 0 || len(b.body[len(b.body)-1]) >= chunkSize {
		b.body = append(b.body, t.w.getChunk())
	}
	last := len(b.body) - 1
	cur := b.body[last]
	n0, r0 := len(cur), b.rows
	delim := sh.enc.Delimiter() // once per change, not per row
	add := func(row []any, del bool) error {
		if del {
			var err error
			if row, err = t.deleteRow(row); err != nil {
				return err
			}
		}
		next := cur
		if b.rows > 0 {
			if len(delim) == 1 {
				next = append(next, delim[0])
			} else {
				next = append(next, delim...)
			}
		}
		next, err := sh.enc.AppendRow(next, row, del)
		if err != nil {
			return err
		}
		cur = next
		b.rows++
		return nil
	}
	var err error
	switch {
	case b.partial != nil:
		// An update of the columns present. Its key is unchanged (partialFor), so the
		// old row needs no delete, not even with sink.ignore.update-before=false: a
		// delete would drop the values the update leaves alone.
		ps := b.partial
		next := cur
		if b.rows > 0 {
			next = append(next, ps.enc.Delimiter()...)
		}
		next, err = ps.enc.AppendRow(next, ps.project(ch.Row), false)
		clear(ps.row)
		if err == nil {
			cur = next
			b.rows++
		}
	case ch.Op == Insert:
		err = add(ch.Row, false)
	case ch.Op == Update:
		if ch.Before != nil && (!t.w.cfg.IgnoreUpdateBefore || !sameKey(ch.Before, ch.Row, sh.spec.KeyColumns)) {
			if sh.deleteSign {
				err = add(ch.Before, true)
			} else if !t.w.cfg.IgnoreUpdateBefore || sh.spec.Model == Unique {
				t.ignoreDelete()
			}
		}
		if err == nil {
			err = add(ch.Row, false)
		}
	case ch.Op == Delete:
		if sh.deleteSign {
			err = add(ch.Row, true)
		} else {
			t.ignoreDelete()
		}
	default:
		err = errors.New("unknown change op " + strconv.Itoa(int(ch.Op)))
	}
	if err != nil {
		b.body[last], b.rows = cur[:n0], r0
		return 0, fmt.Errorf("sink: %s.%s change at sequence %d: %w", t.db, t.name, ch.Seq, err)
	}
	b.body[last] = cur
	b.size += len(cur) - n0
	t.w.addMem(int64(len(cur) - n0))
	return b.rows - r0, nil
}

func (t *tableState) ignoreDelete() {
	t.stats.deletesIgnored.Add(1)
	if !t.warned {
		t.warned = true
		why := "a DUPLICATE table cannot delete by key"
		if !t.w.cfg.EnableDelete {
			why = "sink.enable-delete is false"
		}
		t.w.log.Warn("deletes are counted and skipped", "table", t.db+"."+t.name, "reason", why)
	}
}

// seal moves the open batch to the load queue.
func (t *tableState) seal() {
	b := t.open
	if b == nil {
		return
	}
	t.open = nil
	if b.rows == 0 {
		t.w.mem.Add(-int64(b.size))
		t.w.putChunks(b.body)
		return
	}
	if b.label == "" && !t.w.cfg.groupCommit() {
		b.label = batchLabel(t.w.cfg.LabelPrefix, t.db, t.name, t.w.epoch, b.first.seq, b.first.ord, b.changes)
	}
	b.shape = t.shape
	t.queue = append(t.queue, b)
	if !t.scheduled {
		t.scheduled = true
		t.w.schedule(t)
	}
}

// sealForBarrier seals the open batch before a schema change or an explicit Flush. A
// partly replayed journaled batch cannot wait past a barrier: the changes after it were
// never in it, so the replay diverged.
func (t *tableState) sealForBarrier() error {
	if t.open != nil && t.open.plan != nil {
		t.plans = t.plans[1:]
		return t.diverged(t.open)
	}
	t.seal()
	return nil
}

// idle: nothing queued or loading, and nothing open except a partly replayed journaled batch.
func (t *tableState) idle() bool {
	return len(t.queue) == 0 && t.inflight == nil && (t.open == nil || t.open.plan != nil)
}

// firstPending is the oldest batch not yet durably loaded.
func (t *tableState) firstPending() *batch {
	if t.inflight != nil {
		return t.inflight
	}
	if len(t.queue) > 0 {
		return t.queue[0]
	}
	return t.open
}

func (t *tableState) pendingBatches() []*batch {
	var out []*batch
	if t.inflight != nil {
		out = append(out, t.inflight)
	}
	out = append(out, t.queue...)
	if t.open != nil {
		out = append(out, t.open)
	}
	return out
}
