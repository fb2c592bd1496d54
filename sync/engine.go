package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/doris-sync/doris-sync/ddl"
	"github.com/doris-sync/doris-sync/exitcode"
	"github.com/doris-sync/doris-sync/schema"
	"github.com/doris-sync/doris-sync/sink"
	"github.com/doris-sync/doris-sync/sink/fe"
	"github.com/doris-sync/doris-sync/state"
	"github.com/doris-sync/doris-sync/sync/metrics"
)

// The replication engine (Replicate): one run of a job.
//
//  1. Lock the job's state and check it belongs to this job (state.Open, Resume).
//  2. Discover the source tables (in the shapes the schema history holds at the saved
//     position), plan the Doris tables, create or complete them (the prepare steps of
//     --create-table-only), and route every source table to its Doris table by column
//     name (router.go). Check the source is set up for capture (Preflight).
//  3. Open the sink with the state as its journal (journal.go): batch labels recorded
//     before sending, same labels on replay.
//  4. Copy what is not copied yet (snapshot.go), then stream from the first snapshot's
//     position (stream.go), checkpointing transaction ends once Doris holds every change
//     before them (checkpoint.go). DDL is a barrier (stream_ddl.go).
//  5. Stop cleanly on a signal (ctx), --max-duration or --stop-when-caught-up: load what
//     is buffered, save the last checkpoint, record the run, print one summary line.
//
// After kill -9 the next run resumes from the saved state: finished chunks stay
// finished, the stream replays from the checkpoint with the same sequence numbers (so
// the same batches and labels), and Doris refuses what it already has.

// Startup modes (scan.startup.mode).
const (
	StartInitial  = "initial"       // copy, then stream
	StartLatest   = "latest-offset" // stream from the source's position at the first run, no copy
	StartSnapshot = "snapshot"      // copy only
)

// DDL error policies (what to do when Doris cannot apply a source DDL).
const (
	OnDDLErrorStop = "stop"
	OnDDLErrorSkip = "skip"
)

// Lost-position policies (what to do when the source no longer has the saved position).
const (
	OnPositionLostStop       = "stop"       // exit 3 with the remedy
	OnPositionLostResnapshot = "resnapshot" // copy every table again (resnapshot.go)
)

// Options configure one replication run.
type Options struct {
	JobName  string
	StateDir string
	// Identity names the job in its state file: a saved state of another job is refused.
	Identity state.Identity

	Source  Source
	Planner *ddl.Planner
	FE      *fe.Client // Doris DDL: create and alter tables
	Sink    sink.Config

	StartupMode         string // StartInitial (default), StartLatest or StartSnapshot
	SnapshotParallelism int    // chunks read at once (default 4)
	// ChunksAhead is how many chunks of a table are planned ahead of the readers
	// (default 4 × SnapshotParallelism, at least 16); a huge table's plan grows as the
	// copy goes, so the state file stays small.
	ChunksAhead int

	StopWhenCaughtUp bool
	MaxDuration      time.Duration // 0: no limit
	// ShutdownTimeout bounds the flush and checkpoint after a stop (default 30 s).
	ShutdownTimeout time.Duration
	// CheckpointInterval is how often loaded positions are saved (default 1 s).
	CheckpointInterval time.Duration

	OnDDLError         string // OnDDLErrorStop (default) or OnDDLErrorSkip
	OnPositionLost     string // OnPositionLostStop (default) or OnPositionLostResnapshot
	IgnoreIncompatible bool   // skip Doris tables that exist in a shape that cannot take the rows

	// Metrics receives the run's numbers for the operator's view (progress, /metrics);
	// nil: a registry of the run's own, which still makes the summary line.
	Metrics *metrics.Registry

	Log     *slog.Logger
	Summary io.Writer // the end-of-run summary line (default os.Stderr)
	// SummaryAsLog writes the summary as a record of Log instead of a line on Summary
	// (--log-format json, where stderr carries nothing but JSON records).
	SummaryAsLog bool
}

func (o *Options) defaults() {
	if o.StartupMode == "" {
		o.StartupMode = StartInitial
	}
	if o.SnapshotParallelism <= 0 {
		o.SnapshotParallelism = 4
	}
	if o.ChunksAhead <= 0 {
		o.ChunksAhead = max(16, 4*o.SnapshotParallelism)
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 30 * time.Second
	}
	if o.CheckpointInterval <= 0 {
		o.CheckpointInterval = time.Second
	}
	if o.OnDDLError == "" {
		o.OnDDLError = OnDDLErrorStop
	}
	if o.OnPositionLost == "" {
		o.OnPositionLost = OnPositionLostStop
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Summary == nil {
		o.Summary = os.Stderr
	}
}

// engine is one pass of a job: plan, prepare, copy, stream. A run is one pass, or two
// when a lost position is answered by a new snapshot (Replicate).
type engine struct {
	opts     Options
	log      *slog.Logger
	src      Source
	planner  *ddl.Planner
	fe       *fe.Client
	l        *ledger
	w        *sink.Writer
	r        *router
	reg      *metrics.Registry
	sinks    *sinkRuns
	deadline time.Time // --max-duration: when the run stops; zero: never

	ends       txnEnds
	acker      Acker
	caughtUpAt schema.Position // --stop-when-caught-up: the source's position at start
	// inSyncAt is the newest source time Doris is known to hold everything up to: the
	// commit time of the newest checkpointed transaction, or the moment an idle stream
	// was found fully checkpointed. The replication lag is now minus it.
	inSyncAt time.Time

	snapWritten []*chunkTask // chunks written, not yet marked done
	snapRows    int64
	ddlPending  bool // a DDL was applied in the current transaction: checkpoint its end at once
	warnedTrunc map[schema.TableID]bool
	stopReason  string
}

func newEngine(opts Options, l *ledger, reg *metrics.Registry, sinks *sinkRuns, deadline time.Time) *engine {
	return &engine{
		opts: opts, log: opts.Log, src: opts.Source, planner: opts.Planner, fe: opts.FE,
		l: l, reg: reg, sinks: sinks, deadline: deadline,
		warnedTrunc: map[schema.TableID]bool{},
	}
}

// Replicate runs a job: lock and resume its state, prepare Doris, copy what is not copied
// yet, stream changes, and checkpoint what is loaded. It returns nil when the job ends
// cleanly: caught up (StopWhenCaughtUp), MaxDuration reached, or ctx cancelled (a
// signal) — each after flushing and saving a checkpoint within ShutdownTimeout. When the
// source no longer has the saved position, it exits 3 (OnPositionLostStop) or copies
// every table again and streams from the new copy (OnPositionLostResnapshot).
func Replicate(ctx context.Context, opts Options) error {
	opts.defaults()
	if opts.Source == nil || opts.Planner == nil {
		return errors.New("sync: a run needs a source and a planner")
	}
	store, err := state.Open(opts.StateDir, opts.JobName)
	if err != nil {
		return err
	}
	defer store.Close()
	st, err := store.Resume(opts.Identity)
	if err != nil {
		return err
	}
	reg := opts.Metrics
	if reg == nil {
		reg = metrics.New(opts.JobName, nil)
	}
	sinks := &sinkRuns{}
	reg.AttachSink(sinks)
	l := &ledger{store: store, st: st, reg: reg}
	reg.SetPhase(st.Phase)
	started := time.Now()
	var deadline time.Time
	if opts.MaxDuration > 0 {
		deadline = started.Add(opts.MaxDuration)
	}
	if err := l.update(func(st *state.State) error { st.StartRun(started); return nil }); err != nil {
		return err
	}
	e := newEngine(opts, l, reg, sinks, deadline)
	runErr := e.run(ctx)
	if e.resnapshotWanted(ctx, runErr) {
		sinks.retire()
		if err := e.resnapshot(ctx, runErr); err != nil {
			runErr = err
		} else {
			e = newEngine(opts, l, reg, sinks, deadline)
			runErr = e.run(ctx)
		}
	}
	rows := map[string]int64{}
	for _, s := range sinks.Stats() {
		rows[s.DB+"."+s.Table] = s.Rows
	}
	if err := l.update(func(st *state.State) error {
		st.FinishRun(time.Now(), runErr, rows)
		return nil
	}); err != nil && runErr == nil {
		runErr = err
	}
	reg.Finish(runErr)
	e.summary(runErr)
	return runErr
}

// run is Replicate once the state is locked; its error is the run's outcome.
func (e *engine) run(ctx context.Context) (err error) {
	runCtx, cancel := ctx, context.CancelFunc(func() {})
	if !e.deadline.IsZero() {
		runCtx, cancel = context.WithDeadline(ctx, e.deadline)
	}
	defer cancel()

	tables, err := e.src.Discover(runCtx)
	if err != nil {
		return e.stopOr(runCtx, err)
	}
	if err := e.shapesAtCheckpoint(tables); err != nil {
		return err
	}
	plan, err := e.planner.Plan(tables)
	if err != nil {
		return exitcode.Usage(err)
	}
	plans, err := e.prepareDoris(runCtx, plan)
	if err != nil {
		return e.stopOr(runCtx, err)
	}
	if len(plans) == 0 {
		return exitcode.Usage(fmt.Errorf("no source table to replicate: %d discovered, none left to load by --including-tables/--excluding-tables and the Doris tables", len(tables)))
	}
	shapes := map[schema.TableID]*schema.Table{}
	for _, t := range tables {
		shapes[t.ID] = t
	}
	e.r = newRouter()
	for _, tp := range plans {
		if tp, err = e.asInDoris(runCtx, tp); err != nil {
			return e.stopOr(runCtx, err)
		}
		t, aerr := e.r.addTarget(tp, shapes)
		if aerr != nil {
			return aerr
		}
		e.track(t)
	}
	var routed []*schema.Table
	for _, rt := range e.r.routes() {
		routed = append(routed, rt.shape)
	}
	// Before the source is touched: a cleanup dropped the slot this state resumes from.
	if err := e.positionLostMark(); err != nil {
		return err
	}
	if err := e.src.Preflight(runCtx, routed); err != nil {
		return e.stopOr(runCtx, err)
	}
	if e.opts.StopWhenCaughtUp {
		pos, err := e.src.CurrentPosition(runCtx)
		if err != nil {
			return e.stopOr(runCtx, fmt.Errorf("read the source's current position: %w", err))
		}
		e.caughtUpAt = pos
		e.log.Info("will stop once caught up", "position", pos.String())
	}
	if err := e.resumeCopy(runCtx); err != nil {
		return e.stopOr(runCtx, err)
	}
	e.l.read(func(st *state.State) {
		for _, t := range e.r.targets {
			e.snapshotGauges(st, t, true)
		}
	})

	w, err := sink.Open(runCtx, e.opts.Sink, stateJournal{l: e.l}, e.log)
	if err != nil {
		return e.stopOr(runCtx, fmt.Errorf("open the Doris sink: %w", err))
	}
	e.w = w
	e.sinks.attach(w)
	for _, t := range e.r.targets {
		if t.handle, err = w.Register(t.spec()); err != nil {
			_ = w.Close(context.Background())
			return err
		}
	}

	runErr := e.phases(runCtx)
	stopped := runErr == nil || (runCtx.Err() != nil && isContextErr(runErr))
	if runCtx.Err() != nil && stopped && e.stopReason == "" {
		e.stopReason = "stopped"
		if ctx.Err() == nil {
			e.stopReason = "--max-duration reached"
		}
	}
	return e.shutdown(ctx, stopped, runErr)
}

// shapesAtCheckpoint replaces each discovered table by its shape at the saved
// position, from the schema history: the stream replays from there in that shape, and
// the DDL after it is applied as the stream reaches it (preparing Doris for today's
// shape instead would, for one, add a renamed column under its new name before the
// rename is replayed).
func (e *engine) shapesAtCheckpoint(tables []*schema.Table) error {
	var err error
	e.l.read(func(st *state.State) {
		if st.Position == nil || len(st.SchemaHistory) == 0 {
			return
		}
		var pos schema.Position
		if pos, err = schema.UnmarshalPosition(st.Position); err != nil {
			err = fmt.Errorf("saved position: %w", err)
			return
		}
		for i, t := range tables {
			v, ok, herr := st.SchemaAt(t.ID.String(), atOrBefore(pos))
			if herr != nil {
				err = herr
				return
			}
			if !ok || v.Table == nil {
				continue
			}
			var shape schema.Table
			if jerr := json.Unmarshal(v.Table, &shape); jerr != nil {
				err = fmt.Errorf("schema history of %s: %w", t.ID, jerr)
				return
			}
			tables[i] = &shape
		}
	})
	return err
}

// phases runs what the job's phase calls for, in order.
func (e *engine) phases(ctx context.Context) error {
	var phase state.Phase
	e.l.read(func(st *state.State) { phase = st.Phase })
	if phase == state.PhasePlanning || phase == state.PhaseSnapshot {
		if e.opts.StartupMode == StartLatest {
			if err := e.startAtLatest(ctx); err != nil {
				return err
			}
		} else {
			done, err := e.snapshot(ctx)
			if err != nil || !done {
				return err
			}
		}
		e.l.read(func(st *state.State) { phase = st.Phase })
	}
	switch phase {
	case state.PhaseStreaming:
		return e.stream(ctx)
	case state.PhaseDone:
		e.stopReason = "snapshot done (scan.startup.mode=snapshot)"
	}
	return nil
}

// startAtLatest begins a job without a copy at the source's current position.
func (e *engine) startAtLatest(ctx context.Context) error {
	var started bool
	e.l.read(func(st *state.State) { started = st.Position != nil })
	if started {
		return e.l.update(func(st *state.State) error { st.Phase = state.PhaseStreaming; return nil })
	}
	var pos schema.Position
	var err error
	if ls, ok := e.src.(LatestStarter); ok {
		var tables []*schema.Table
		for _, rt := range e.r.routes() {
			tables = append(tables, rt.shape)
		}
		pos, err = ls.StartAtLatest(ctx, tables)
	} else {
		pos, err = e.src.CurrentPosition(ctx)
	}
	if err != nil {
		return fmt.Errorf("read the source's current position: %w", err)
	}
	raw, err := schema.MarshalPosition(pos)
	if err != nil {
		return err
	}
	e.log.Info("scan.startup.mode=latest-offset: streaming from the current position without a copy", "position", pos.String())
	return e.l.update(func(st *state.State) error {
		if st.Position == nil {
			if err := st.SetPosition(raw); err != nil {
				return err
			}
			if err := e.recordShapes(st, raw); err != nil {
				return err
			}
		}
		if st.PositionSeq == 0 {
			st.PositionSeq = 1
		}
		st.Phase = state.PhaseStreaming
		return nil
	})
}

// shutdown ends a run: after a clean stop it loads everything buffered and saves a
// final checkpoint, within ShutdownTimeout; after a failure it still saves what is
// loaded. Then it closes the sink.
func (e *engine) shutdown(ctx context.Context, stopped bool, runErr error) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.opts.ShutdownTimeout)
	defer cancel()
	var errs []error
	if stopped {
		runErr = nil
		if err := e.w.FlushAll(sctx); err != nil {
			errs = append(errs, fmt.Errorf("flush before stopping: %w", err))
		}
	}
	if err := e.saveProgress(sctx); err != nil {
		errs = append(errs, err)
	}
	if err := e.w.Close(sctx); err != nil && stopped {
		errs = append(errs, fmt.Errorf("close the Doris sink: %w", err))
	}
	if runErr != nil {
		return runErr
	}
	return errors.Join(errs...)
}

// saveProgress records what is loaded: finished chunks during a copy, the newest
// loaded transaction end while streaming.
func (e *engine) saveProgress(ctx context.Context) error {
	if err := e.markChunks(); err != nil {
		return err
	}
	return e.checkpoint(ctx)
}

// stopOr returns nil for an error caused by the run being stopped (signal, max
// duration), else err.
func (e *engine) stopOr(ctx context.Context, err error) error {
	if ctx.Err() != nil && isContextErr(err) {
		e.stopReason = "stopped before the copy began"
		return nil
	}
	return err
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// summary writes the end-of-run line: the registry's totals (the sink's loads, the
// copy, the stream, DDL, checkpoints, lag, errors) under the run's outcome.
func (e *engine) summary(runErr error) {
	outcome := "finished"
	switch {
	case runErr != nil:
		outcome = fmt.Sprintf("FAILED (exit %d)", exitcode.Of(runErr))
	case e.stopReason != "":
		outcome = e.stopReason
	}
	if e.opts.SummaryAsLog {
		level := slog.LevelInfo
		if runErr != nil {
			level = slog.LevelError
		}
		e.log.Log(context.Background(), level, e.reg.SummaryLine(outcome), "summary", true, "outcome", outcome)
		return
	}
	if err := e.reg.WriteSummary(e.opts.Summary, outcome); err != nil {
		e.log.Warn("cannot write the summary line", "err", err.Error())
	}
}
