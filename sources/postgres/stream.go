package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/doris-sync/doris-sync/exitcode"
	"github.com/doris-sync/doris-sync/schema"
	"github.com/doris-sync/doris-sync/sources"
)

// The change stream reads the slot through pgoutput: protocol 1, or protocol 2 with
// streaming of large in-progress transactions on PostgreSQL 14+.
//
// What it emits, in commit order:
//   - OpInsert, OpUpdate, OpDelete with After/Before rows in the table's column order.
//     Before is the old row of a table with REPLICA IDENTITY FULL; under the default
//     identity it is sent only for a delete or an update that changed the key, and then
//     holds the key columns with every other column nil.
//   - OpTruncate per truncated table.
//   - OpDDL with NewSchema when a Relation message shows a table's columns changed
//     (added, dropped, retyped) or a new table the Match option accepts. pgoutput has no
//     DDL: the Relation message, sent before the first row of the new shape, is the only
//     signal, so the change is emitted right then, before that row. DDL holds a
//     statement reconstructed from the difference, for logs.
//
// An update that leaves a TOASTed (large, out-of-line) value unchanged does not carry
// it: that column holds schema.Unchanged, never a placeholder that could overwrite the
// stored value, unless the table has REPLICA IDENTITY FULL, whose old row supplies it.
// The sink loads such a row as a partial-column update that leaves the column alone.
//
// Transactions and checkpoints: see Position. The last change of each transaction
// carries End; Ack only such an End (after it is checkpointed). Standby status updates
// report the last acknowledged LSN in all three fields (written, flushed, applied) and
// nothing the server sent beyond it, so the slot's confirmed_flush_lsn never passes
// what the engine has checkpointed. A transaction with nothing to emit, and keepalives
// while no transaction is open, are reported through StreamOptions.Progress, so an
// idle or filtered stream can still checkpoint and let the slot release WAL.

// StreamOptions tune a Streamer.
type StreamOptions struct {
	// Tables are the tables to follow, with their schemas as of the resume position (the
	// state's schema history): a Relation message that differs from them is a DDL
	// change.
	Tables []*schema.Table
	// Match says whether to follow a table not in Tables that appears in the stream (a
	// table created and published later); nil follows none. Its first change is an
	// OpDDL with its schema.
	Match func(schema.TableID) bool
	// Progress, when set, is called with a boundary position when the stream has nothing
	// pending before it: after a transaction that emitted nothing, and on keepalives
	// between transactions. Checkpointing it and passing it to Ack lets an idle or
	// filtered stream advance the slot. Called from Run's goroutine.
	Progress func(Position)
	// StatusInterval is how often a standby status update is sent even without a new
	// Ack (default 10 s; keep it below wal_sender_timeout).
	StatusInterval time.Duration
	// ReconnectTimeout is how long the stream keeps trying to reconnect after losing its
	// connection before Run gives up (default 5 min).
	ReconnectTimeout time.Duration
	// SpillDir holds streamed in-progress transactions until they commit (default the
	// system temp directory).
	SpillDir string
	// WALCheckInterval is how often the slot's retained WAL is checked against the
	// warning threshold (default 1 min).
	WALCheckInterval time.Duration
}

// StreamStats count what a Streamer has seen.
type StreamStats struct {
	Transactions         uint64 // committed transactions read (streamed ones included)
	StreamedTransactions uint64 // transactions PostgreSQL streamed before they committed
	AbortedStreams       uint64 // streamed transactions rolled back and dropped
	Reconnects           uint64
}

// Streamer reads the slot's changes. Run it once; Ack may be called from any
// goroutine.
type Streamer struct {
	r     *Replicator
	opts  StreamOptions
	acked atomic.Uint64
	run   atomic.Bool

	stats struct{ txns, streamed, aborted, reconnects atomic.Uint64 }

	// Kept across reconnects; used by Run's goroutine only.
	started bool // the resume point is set
	known   map[schema.TableID]*schema.Table
	rels    map[uint32]*relation
	last    Position // the last data change emitted
	lastEnd LSN      // the last boundary emitted or reported
}

// NewStreamer prepares a change stream of the slot.
func (r *Replicator) NewStreamer(opts StreamOptions) *Streamer {
	if opts.StatusInterval <= 0 {
		opts.StatusInterval = 10 * time.Second
	}
	if opts.ReconnectTimeout <= 0 {
		opts.ReconnectTimeout = 5 * time.Minute
	}
	if opts.SpillDir == "" {
		opts.SpillDir = os.TempDir()
	}
	if opts.WALCheckInterval <= 0 {
		opts.WALCheckInterval = time.Minute
	}
	s := &Streamer{r: r, opts: opts, known: map[schema.TableID]*schema.Table{}, rels: map[uint32]*relation{}}
	for _, t := range opts.Tables {
		s.known[t.ID] = t
	}
	return s
}

// Ack confirms that everything up to lsn is checkpointed: the next standby status
// update tells the slot so, and PostgreSQL may recycle WAL before it. lsn must be a
// boundary (Position.Boundary, or a Progress position). Smaller values than an earlier
// Ack are ignored.
func (s *Streamer) Ack(lsn LSN) {
	for {
		cur := s.acked.Load()
		if uint64(lsn) <= cur || s.acked.CompareAndSwap(cur, uint64(lsn)) {
			return
		}
	}
}

// Stats returns the counters so far.
func (s *Streamer) Stats() StreamStats {
	return StreamStats{
		Transactions:         s.stats.txns.Load(),
		StreamedTransactions: s.stats.streamed.Load(),
		AbortedStreams:       s.stats.aborted.Load(),
		Reconnects:           s.stats.reconnects.Load(),
	}
}

// Run streams changes from the boundary from (a checkpointed End; 0 means the slot's
// confirmed_flush_lsn) and calls emit with each, until ctx ends (it then returns
// ctx.Err()) or an error stops it. A lost connection is re-established with backoff
// and the stream resumes from the last Ack without repeating a change already
// emitted. A dropped slot, or one whose confirmed position passed from, is a
// PositionLost error (exit code 3): the changes in between are gone.
func (s *Streamer) Run(ctx context.Context, from LSN, emit func(schema.Change) error) error {
	return s.runOn(ctx, nil, from, emit)
}

// RunFromSnapshot starts the stream on the slot's own replication connection, at its
// consistent point. The exported snapshot ends: open every snapshot reader first.
func (s *Streamer) RunFromSnapshot(ctx context.Context, snap *ExportedSnapshot, emit func(schema.Change) error) error {
	conn, err := snap.take()
	if err != nil {
		return err
	}
	return s.runOn(ctx, conn, snap.ConsistentPoint, emit)
}

func (s *Streamer) runOn(ctx context.Context, conn *pgconn.PgConn, from LSN, emit func(schema.Change) error) error {
	if !s.run.CompareAndSwap(false, true) {
		if conn != nil {
			conn.Close(context.Background())
		}
		return errors.New("postgres stream: Run called twice on one Streamer")
	}
	lagCtx, stopLag := context.WithCancel(ctx)
	lagDone := make(chan struct{})
	go func() {
		defer close(lagDone)
		s.watchLag(lagCtx)
	}()
	defer func() { stopLag(); <-lagDone }() // Run leaves no goroutine behind

	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval, bo.MaxInterval = 250*time.Millisecond, 30*time.Second
	var failingSince time.Time
	for {
		progressed, err := s.attempt(ctx, conn, from, emit)
		conn = nil
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !retryable(err) {
			return err
		}
		now := time.Now()
		if progressed || failingSince.IsZero() {
			bo.Reset()
			failingSince = now
		}
		if now.Sub(failingSince) > s.opts.ReconnectTimeout {
			return fmt.Errorf("postgres source %s: replication stream lost and not regained within %s: %w", s.r.where(), s.opts.ReconnectTimeout, err)
		}
		wait := bo.NextBackOff()
		s.stats.reconnects.Add(1)
		slog.Warn("PostgreSQL replication stream interrupted; reconnecting", "slot", s.r.opts.Slot, "in", wait, "error", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// attempt is one connection's worth of streaming; progressed says a transaction went
// through, so a later failure starts a fresh backoff.
func (s *Streamer) attempt(ctx context.Context, conn *pgconn.PgConn, from LSN, emit func(schema.Change) error) (progressed bool, err error) {
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	catalog, err := s.r.openSession(ctx)
	if err != nil {
		return false, err
	}
	defer catalog.conn.Close(context.Background())
	if err := s.checkSlot(ctx, catalog, from); err != nil {
		return false, err
	}
	if conn == nil {
		if conn, err = s.r.connectReplication(ctx); err != nil {
			return false, err
		}
	}
	ss := &session{s: s, conn: conn, catalog: catalog, types: newTypeResolver(catalog), emit: emit, spills: map[uint32]*spillFile{}}
	defer ss.discardSpills()
	err = ss.run(ctx)
	return ss.progressed, err
}

// checkSlot makes sure the slot can resume at the checkpoint: it exists, is ours, has
// its WAL, and has not confirmed past the checkpoint (PostgreSQL would silently skip
// the changes in between). The first time it sets the acknowledged LSN to from.
func (s *Streamer) checkSlot(ctx context.Context, catalog *Source, from LSN) error {
	st, err := slotStatusOn(ctx, catalog, s.r.opts)
	if err != nil {
		return err
	}
	name, where := s.r.opts.Slot, s.r.where()
	switch {
	case !st.Exists:
		return exitcode.PositionLost(fmt.Errorf("postgres source %s: replication slot %s does not exist (dropped?): the changes since the last checkpoint are gone; start over with a new snapshot", where, name))
	case st.Plugin != "pgoutput" || st.Database != s.r.cfg.Database:
		return exitcode.Usagef("postgres source %s: replication slot %s is a %s slot of database %s, not a pgoutput slot of %s: choose another slot.name", where, name, st.Plugin, st.Database, s.r.cfg.Database)
	case st.WALStatus == "lost":
		return exitcode.PositionLost(fmt.Errorf("postgres source %s: %s", where, st.Warning))
	}
	if !s.started {
		if from == 0 {
			from = st.ConfirmedFlush
		}
		s.Ack(from)
		s.lastEnd = from
		s.started = true
	}
	if acked := LSN(s.acked.Load()); st.ConfirmedFlush > acked {
		return exitcode.PositionLost(fmt.Errorf("postgres source %s: replication slot %s has confirmed %s, past the checkpoint %s, so PostgreSQL would skip the changes in between: another consumer used the slot; start over with a new snapshot",
			where, name, st.ConfirmedFlush, acked))
	}
	return nil
}

// watchLag warns while the slot holds back more WAL than the threshold.
func (s *Streamer) watchLag(ctx context.Context) {
	t := time.NewTicker(s.opts.WALCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st, err := s.r.SlotStatus(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			slog.Debug("could not check the replication slot's retained WAL", "slot", s.r.opts.Slot, "error", err)
		case err == nil && st.Warning != "":
			slog.Warn(st.Warning, "slot", s.r.opts.Slot, "retained_bytes", st.RetainedBytes)
		}
	}
}

// permanentError stops Run instead of reconnecting: a refused change, an undecodable
// message, a protocol surprise.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// retryable says whether a failed attempt is a lost or refused connection worth a
// reconnect: network errors, a server shutting down or starting, too many
// connections, the slot still held by the walsender of the connection just lost.
func retryable(err error) bool {
	var pe *permanentError
	if err == nil || errors.As(err, &pe) || exitcode.IsUsage(err) || exitcode.IsPositionLost(err) {
		return false
	}
	if code := pgCode(err); code != "" {
		switch {
		case strings.HasPrefix(code, "08"), code == "57P01", code == "57P02", code == "57P03", code == "53300", code == "55006":
			return true
		}
		return false
	}
	var ce *sources.ConnectError
	if errors.As(err, &ce) {
		_, network := sources.NetworkReason(ce.Err)
		return network
	}
	return true // an I/O error on an established connection
}

// serverError classifies an error the server sent on the replication connection.
func (s *Streamer) serverError(err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	where := s.r.where()
	switch {
	case pe.Code == "42704" && strings.Contains(pe.Message, "publication"):
		return exitcode.Usage(fmt.Errorf("postgres source %s: %s: create it (EnsurePublication) or fix publication.name", where, pe.Message))
	case pe.Code == "42704":
		return exitcode.PositionLost(fmt.Errorf("postgres source %s: %s: the changes since the last checkpoint are gone; start over with a new snapshot", where, pe.Message))
	case pe.Code == insufficientPrivilege:
		return exitcode.Usage(fmt.Errorf("postgres source %s: %s: the role needs the REPLICATION attribute (ALTER ROLE %s REPLICATION)", where, pe.Message, quoteIdent(s.r.cfg.User)))
	case pe.Code == "55000" && strings.Contains(pe.Message, "replication slot"):
		return exitcode.PositionLost(fmt.Errorf("postgres source %s: %s", where, pe.Message))
	}
	return err
}

// serverMajor reads the major version the server announced (server_version "15.18 …").
func serverMajor(conn *pgconn.PgConn) int {
	v := conn.ParameterStatus("server_version")
	end := strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' })
	if end >= 0 {
		v = v[:end]
	}
	n, _ := strconv.Atoi(v)
	return n
}

// replLiteral quotes a string for a replication command, whose scanner only knows
// doubled single quotes, not the E-prefixed strings quoteLiteral may write.
func replLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// session is one replication connection's stream (see stream_receive.go for its two
// goroutines).
type session struct {
	s       *Streamer
	conn    *pgconn.PgConn
	catalog *Source
	types   *typeResolver
	emit    func(schema.Change) error

	// Used by the decoding goroutine only.
	progressed bool
	rows       rowDecoder

	// The open transaction (between Begin and Commit, or a streamed one on replay).
	inTxn      bool
	txCommit   LSN
	txTime     time.Time // the transaction's commit timestamp, for CommitTime
	txSeq      uint64
	hasPending bool
	pending    schema.Change // the latest change, held until the next one or the commit

	// Streamed transactions being received.
	inStream  bool
	streamXid uint32
	spills    map[uint32]*spillFile

	// Standby status, used by the receiving goroutine only (after run starts it).
	lastSent   LSN
	lastSentAt time.Time
	nextStatus time.Time
}

func (ss *session) run(ctx context.Context) error {
	s := ss.s
	args := []string{"proto_version '1'", "publication_names " + replLiteral(quoteIdent(s.r.opts.Publication))}
	if serverMajor(ss.conn) >= 14 {
		args[0] = "proto_version '2'"
		args = append(args, "streaming 'on'")
	}
	start := LSN(s.acked.Load())
	err := pglogrepl.StartReplication(ctx, ss.conn, s.r.opts.Slot, pglogrepl.LSN(start),
		pglogrepl.StartReplicationOptions{Mode: pglogrepl.LogicalReplication, PluginArgs: args})
	if err != nil {
		return s.serverError(err)
	}
	slog.Debug("PostgreSQL replication stream started", "slot", s.r.opts.Slot, "from", start.String())
	ss.lastSent, ss.lastSentAt = start, time.Now()
	ss.nextStatus = ss.lastSentAt.Add(s.opts.StatusInterval)

	batches := make(chan *walBatch, 1)
	free := make(chan *walBatch, walBatches)
	for range walBatches {
		free <- &walBatch{}
	}
	recvCtx, stopReceiving := context.WithCancel(ctx)
	received := make(chan error, 1)
	go func() {
		received <- ss.receive(recvCtx, batches, free)
		close(batches)
	}()
	// However decoding ends, the receiver ends first: the connection is closed after
	// run returns, and only the receiver may use it.
	defer func() {
		stopReceiving()
		for range batches {
		}
	}()
	for b := range batches {
		for _, m := range b.msgs {
			if m.keepalive {
				err = ss.progress(m.walEnd)
			} else {
				err = ss.wal(ctx, b.payload(m))
			}
			if err != nil {
				return err
			}
		}
		b.reset()
		free <- b
	}
	return <-received
}

// emitChange hands a change to the engine; its error stops the stream.
func (ss *session) emitChange(ch schema.Change) error {
	if err := ss.emit(ch); err != nil {
		return permanent(err)
	}
	return nil
}

// sendStatus reports the acknowledged LSN as written, flushed and applied: when asked
// (force), every StatusInterval, and soon after an Ack. Only the receiver calls it.
func (ss *session) sendStatus(now time.Time, force bool) error {
	acked := LSN(ss.s.acked.Load())
	periodic := now.After(ss.nextStatus)
	if !force && !periodic && (acked == ss.lastSent || now.Sub(ss.lastSentAt) < 200*time.Millisecond) {
		return nil
	}
	if acked == 0 {
		return nil
	}
	err := pglogrepl.SendStandbyStatusUpdate(context.Background(), ss.conn, pglogrepl.StandbyStatusUpdate{
		WALWritePosition: pglogrepl.LSN(acked),
		WALFlushPosition: pglogrepl.LSN(acked),
		WALApplyPosition: pglogrepl.LSN(acked),
		ClientTime:       now,
		// A periodic update asks for a keepalive back, which reports Progress.
		ReplyRequested: periodic && ss.s.opts.Progress != nil,
	})
	if err != nil {
		return fmt.Errorf("send standby status: %w", err)
	}
	ss.lastSent, ss.lastSentAt = acked, now
	ss.nextStatus = now.Add(ss.s.opts.StatusInterval)
	return nil
}

// progress reports a boundary with nothing pending (see StreamOptions.Progress).
func (ss *session) progress(lsn LSN) error {
	s := ss.s
	if s.opts.Progress == nil || ss.inTxn || ss.hasPending || lsn <= s.lastEnd {
		return nil
	}
	s.lastEnd = lsn
	s.opts.Progress(BoundaryPosition(lsn))
	return nil
}

// wal handles one pgoutput message.
func (ss *session) wal(ctx context.Context, data []byte) error {
	if len(data) == 0 {
		return permanent(errors.New("empty pgoutput message"))
	}
	switch pglogrepl.MessageType(data[0]) {
	case pglogrepl.MessageTypeStreamStart:
		msg, err := pglogrepl.ParseV2(data, false)
		if err != nil {
			return permanent(fmt.Errorf("pgoutput stream start: %w", err))
		}
		m := msg.(*pglogrepl.StreamStartMessageV2)
		if ss.spills[m.Xid] == nil {
			if m.FirstSegment == 0 {
				return permanent(fmt.Errorf("pgoutput: streamed transaction %d continues but its start was never received", m.Xid))
			}
			sp, err := newSpillFile(ss.s.opts.SpillDir)
			if err != nil {
				return permanent(err)
			}
			ss.spills[m.Xid] = sp
		}
		ss.inStream, ss.streamXid = true, m.Xid
		return nil
	case pglogrepl.MessageTypeStreamStop:
		ss.inStream = false
		return nil
	case pglogrepl.MessageTypeStreamCommit:
		msg, err := pglogrepl.ParseV2(data, false)
		if err != nil {
			return permanent(fmt.Errorf("pgoutput stream commit: %w", err))
		}
		return ss.streamCommit(ctx, msg.(*pglogrepl.StreamCommitMessageV2))
	case pglogrepl.MessageTypeStreamAbort:
		msg, err := pglogrepl.ParseV2(data, false)
		if err != nil {
			return permanent(fmt.Errorf("pgoutput stream abort: %w", err))
		}
		m := msg.(*pglogrepl.StreamAbortMessageV2)
		if sp := ss.spills[m.Xid]; sp != nil {
			if m.SubXid == m.Xid || m.SubXid == 0 {
				sp.close()
				delete(ss.spills, m.Xid)
				ss.s.stats.aborted.Add(1)
			} else {
				sp.aborted[m.SubXid] = true
			}
		}
		return nil
	}
	if ss.inStream {
		if err := ss.spills[ss.streamXid].append(data); err != nil {
			return permanent(err)
		}
		return nil
	}
	if isRowMessage(data[0]) {
		return ss.rowChange(data, false, nil)
	}
	msg, err := pglogrepl.ParseV2(data, false)
	if err != nil {
		return permanent(fmt.Errorf("pgoutput message %q: %w", data[0], err))
	}
	switch m := msg.(type) {
	case *pglogrepl.BeginMessage:
		ss.begin(LSN(m.FinalLSN))
		ss.txTime = m.CommitTime
		return nil
	case *pglogrepl.CommitMessage:
		if !ss.inTxn || LSN(m.CommitLSN) != ss.txCommit {
			return permanent(fmt.Errorf("pgoutput: commit %s does not match the open transaction", LSN(m.CommitLSN)))
		}
		return ss.commit(LSN(m.TransactionEndLSN))
	}
	return ss.data(ctx, msg, nil)
}

func (ss *session) begin(commit LSN) {
	ss.inTxn, ss.txCommit, ss.txSeq, ss.txTime = true, commit, 0, time.Time{}
	ss.hasPending, ss.pending = false, schema.Change{}
}

// commit emits the held last change with the transaction's end, or reports the end as
// progress when the transaction emitted nothing.
func (ss *session) commit(end LSN) error {
	ss.inTxn = false
	ss.s.stats.txns.Add(1)
	ss.progressed = true
	if !ss.hasPending {
		return ss.progress(end)
	}
	ch := ss.pending
	ss.hasPending, ss.pending = false, schema.Change{}
	p := ch.Position.(Position)
	p.End = end
	ch.Position = p
	if err := ss.emitChange(ch); err != nil {
		return err
	}
	ss.s.last, ss.s.lastEnd = p, end
	return nil
}

// streamCommit replays a streamed transaction as one transaction, skipping the data
// of rolled-back subtransactions.
func (ss *session) streamCommit(ctx context.Context, m *pglogrepl.StreamCommitMessageV2) error {
	sp := ss.spills[m.Xid]
	if sp == nil {
		return permanent(fmt.Errorf("pgoutput: commit of streamed transaction %d that was never streamed", m.Xid))
	}
	delete(ss.spills, m.Xid)
	defer sp.close()
	ss.s.stats.streamed.Add(1)
	ss.begin(LSN(m.CommitLSN))
	ss.txTime = m.CommitTime
	err := sp.replay(func(rec []byte) error {
		if isRowMessage(rec[0]) {
			return ss.rowChange(rec, true, sp.aborted)
		}
		msg, err := pglogrepl.ParseV2(rec, true)
		if err != nil {
			return permanent(fmt.Errorf("pgoutput streamed message %q: %w", rec[0], err))
		}
		return ss.data(ctx, msg, sp.aborted)
	})
	if err != nil {
		ss.inTxn = false
		return permanent(err)
	}
	return ss.commit(LSN(m.TransactionEndLSN))
}

func (ss *session) discardSpills() {
	for xid, sp := range ss.spills {
		sp.close()
		delete(ss.spills, xid)
	}
}

// data handles a message inside a transaction other than a row change (rowChange).
// Data messages of the subtransactions in aborted (rolled back inside a streamed
// transaction) are skipped without counting, as PostgreSQL sends none of them when it
// does not stream, so positions stay the same.
func (ss *session) data(ctx context.Context, msg pglogrepl.Message, aborted map[uint32]bool) error {
	skip := func(xid uint32) bool { return aborted[xid] }
	switch m := msg.(type) {
	case *pglogrepl.RelationMessageV2:
		return ss.onRelation(ctx, &m.RelationMessage)
	case *pglogrepl.TruncateMessageV2:
		if skip(m.Xid) {
			return nil
		}
		for _, id := range m.RelationIDs {
			rel, err := ss.rowTarget(id)
			if err != nil {
				return err
			}
			if rel == nil {
				continue
			}
			if err := ss.push(schema.Change{Table: rel.id, Op: schema.OpTruncate}); err != nil {
				return err
			}
		}
		return nil
	case *pglogrepl.TypeMessageV2, *pglogrepl.OriginMessage, *pglogrepl.LogicalDecodingMessageV2:
		return nil
	}
	return permanent(fmt.Errorf("pgoutput: unexpected %T", msg))
}

func isRowMessage(t byte) bool { return t == 'I' || t == 'U' || t == 'D' }

// rowChange handles an Insert, Update or Delete message (see data for aborted).
func (ss *session) rowChange(data []byte, inStream bool, aborted map[uint32]bool) error {
	m, err := parseRowMessage(data, inStream)
	if err != nil {
		if inStream {
			return permanent(fmt.Errorf("pgoutput streamed message %q: %w", data[0], err))
		}
		return permanent(fmt.Errorf("pgoutput message %q: %w", data[0], err))
	}
	if aborted[m.xid] {
		return nil
	}
	rel, err := ss.rowTarget(m.relID)
	if rel == nil || err != nil {
		return err
	}
	ch := schema.Change{Table: rel.id, Op: m.op}
	var before []any
	if m.old != nil {
		if before, err = ss.rows.row(rel, m.old, nil); err != nil {
			return permanent(err)
		}
		ch.Before = before
	}
	if m.new != nil {
		full := before
		if m.oldType != 'O' {
			full = nil // a key tuple has only the key: its other columns are not values
		}
		if ch.After, err = ss.rows.row(rel, m.new, full); err != nil {
			return permanent(err)
		}
	}
	return ss.push(ch)
}

// rowTarget counts a data change in the transaction and returns its relation, or nil
// when the table is not followed.
func (ss *session) rowTarget(relID uint32) (*relation, error) {
	if !ss.inTxn {
		return nil, permanent(errors.New("pgoutput: a change outside a transaction"))
	}
	ss.txSeq++
	rel := ss.s.rels[relID]
	if rel == nil {
		return nil, permanent(fmt.Errorf("pgoutput: a change of relation %d before its Relation message", relID))
	}
	if !rel.follow {
		return nil, nil
	}
	return rel, nil
}

// push holds a change as the transaction's latest and emits the one held before. A
// change at or before the last one emitted is a replay after a reconnect and is
// dropped: positions are the same on every replay of a transaction.
func (ss *session) push(ch schema.Change) error {
	pos := Position{Commit: ss.txCommit, Seq: 2 * ss.txSeq}
	if last := ss.s.last; pos.Commit < last.Commit || pos.Commit == last.Commit && pos.Seq <= last.Seq {
		return nil
	}
	if err := ss.flushPending(); err != nil {
		return err
	}
	ch.Position = ss.rows.position(pos)
	ch.CommitTime = ss.txTime
	ss.hasPending, ss.pending = true, ch
	return nil
}

// flushPending emits the held change, which is not the transaction's last.
func (ss *session) flushPending() error {
	if !ss.hasPending {
		return nil
	}
	ch := ss.pending
	ss.hasPending, ss.pending = false, schema.Change{}
	if err := ss.emitChange(ch); err != nil {
		return err
	}
	ss.s.last = ch.Position.(Position)
	return nil
}
