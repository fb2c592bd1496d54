package mysql

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/doris-sync/doris-sync/schema"
)

// streamer is one Stream call's state.
type streamer struct {
	src    *Source
	opts   StreamOptions
	until  *Position
	si     serverInfo
	tls    *tls.Config
	log    *slog.Logger
	libLog *slog.Logger
	models *modelSet

	// Position tracking. committed is the position after the last finished
	// transaction, where a reconnect resumes.
	committed Position
	gset      gomysql.GTIDSet // GTID mode: the set at committed
	file      string          // the binlog file being read
	inTxn     bool            // between BEGIN (or a GTID event) and its commit
	sawBegin  bool            // a BEGIN query opened the transaction (so a later query is not a DDL)
	txnPos    Position        // the position changes of the current transaction carry
	txnNext   gomysql.GTIDSet // GTID mode: the set after the current transaction
	emitted   int             // changes emitted in the current transaction
	eventTime time.Time       // header time of the last event read (whole seconds), for CommitTime
	skip      int             // changes of the current transaction already emitted before a reconnect
	skipTxn   Position        // GTID mode: the transaction skip applies to

	maps map[uint64]*mappedTable // by binlog table id, for this connection
}

func (s *Source) newStreamer(ctx context.Context, opts StreamOptions, from Position, until *Position) (*streamer, error) {
	si, err := s.serverInfo(ctx)
	if err != nil {
		return nil, err
	}
	if from.Flavor != si.flavor {
		return nil, fmt.Errorf("mysql stream: the start position %s is a %s position but the server is %s", from, from.Flavor, si.flavor)
	}
	if from.GTIDMode && !si.gtidOn {
		return nil, fmt.Errorf("mysql stream: the start position %s is a GTID set but gtid_mode is not ON", from)
	}
	tlsConf, err := s.tlsForStream(ctx)
	if err != nil {
		return nil, err
	}
	st := &streamer{
		src:       s,
		opts:      opts,
		si:        si,
		tls:       tlsConf,
		log:       opts.Logger.With("source", s.cfg.addr()),
		until:     until,
		committed: from,
		file:      from.File,
	}
	st.libLog = slog.New(quietHandler{opts.Logger.Handler()}).With("component", "binlog-client")
	if from.GTIDMode {
		if st.gset, err = gomysql.ParseGTIDSet(si.flavor, from.GTID); err != nil {
			return nil, fmt.Errorf("mysql stream: start position: %w", err)
		}
	}
	if st.models, err = newModelSet(ctx, s, si, opts, from, st.log); err != nil {
		return nil, err
	}
	return st, nil
}

// resetConnection forgets what belonged to the broken connection: table maps, and the
// transaction in progress, whose changes emitted so far are skipped when it is read
// again.
func (st *streamer) resetConnection() {
	st.maps = map[uint64]*mappedTable{}
	if st.inTxn {
		st.skip, st.skipTxn = st.emitted, st.txnPos
	}
	st.inTxn, st.sawBegin, st.emitted = false, false, 0
	st.file = st.committed.File
}

func (st *streamer) handle(ctx context.Context, ev *replication.BinlogEvent) error {
	h := ev.Header
	if _, beat := ev.Event.(*replication.HeartbeatEvent); !beat && h != nil && h.Timestamp != 0 {
		st.eventTime = time.Unix(int64(h.Timestamp), 0)
	}
	switch e := ev.Event.(type) {
	case *replication.RotateEvent:
		st.file = string(e.NextLogName)
		if !st.committed.GTIDMode && !st.inTxn {
			// A rotation ends a file: the next event is the start of the new one.
			p := Position{Flavor: st.si.flavor, File: st.file, Pos: uint32(e.Position)}
			if c, err := p.Compare(st.committed); err == nil && c > 0 {
				st.committed = p
			}
		}
		return nil
	case *replication.GTIDEvent:
		return st.beginGTID(mysqlGTIDText(e), false)
	case *replication.GtidTaggedLogEvent:
		return st.beginGTID(mysqlGTIDText(&e.GTIDEvent), false)
	case *replication.MariadbGTIDEvent:
		// MariaDB writes no BEGIN: its GTID event opens the transaction, unless it is
		// marked standalone (a DDL, which is its own transaction).
		return st.beginGTID(e.GTID.String(), !e.IsStandalone())
	case *replication.QueryEvent:
		return st.query(ctx, e, h)
	case *replication.XIDEvent:
		return st.commit(h.LogPos)
	case *replication.GenericEvent:
		if h.EventType == replication.XA_PREPARE_LOG_EVENT {
			// An XA transaction's rows end at its XA PREPARE (MySQL gives it its own
			// GTID; its XA COMMIT comes later as a statement of its own).
			return st.commit(h.LogPos)
		}
	case *replication.TableMapEvent:
		return st.tableMap(ctx, e)
	case *replication.RowsEvent:
		return st.rows(ctx, e)
	case *replication.TransactionPayloadEvent:
		for _, inner := range e.Events {
			switch inner.Event.(type) {
			case *replication.XIDEvent, *replication.QueryEvent:
				// A commit inside the payload ends at the payload's end in the binlog.
				inner.Header.LogPos = h.LogPos
			}
			if err := st.handle(ctx, inner); err != nil {
				return err
			}
		}
		return nil
	case *replication.HeartbeatEvent:
		return st.heartbeat(e, h)
	}
	return nil
}

// mysqlGTIDText is a MySQL GTID event's "uuid:[tag:]gno", or "" for an anonymous one.
func mysqlGTIDText(e *replication.GTIDEvent) string {
	if len(e.SID) != 16 || e.GNO == 0 {
		return ""
	}
	const hexdigits = "0123456789abcdef"
	u := make([]byte, 0, 36)
	for i, b := range e.SID {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			u = append(u, '-')
		}
		u = append(u, hexdigits[b>>4], hexdigits[b&0xF])
	}
	if tag := e.Tag.String(); tag != "" {
		u = append(append(append(u, ':'), tag...), ':')
	} else {
		u = append(u, ':')
	}
	return string(strconv.AppendInt(u, e.GNO, 10))
}

// beginGTID starts a transaction; in GTID mode its changes carry the set including it.
// begun says the GTID event also stands for BEGIN.
func (st *streamer) beginGTID(gtid string, begun bool) error {
	st.inTxn, st.sawBegin, st.emitted = true, begun, 0
	st.txnPos, st.txnNext = st.committed, nil
	if !st.committed.GTIDMode {
		return nil
	}
	if gtid == "" {
		return fmt.Errorf("mysql stream: an anonymous transaction in a GTID stream at %s (was gtid_mode turned off?)", st.committed)
	}
	next := st.gset.Clone()
	if err := next.Update(gtid); err != nil {
		return fmt.Errorf("mysql stream: GTID %s: %w", gtid, err)
	}
	st.txnNext = next
	st.txnPos = Position{Flavor: st.si.flavor, GTIDMode: true, GTID: next.String()}
	if st.skip > 0 && st.txnPos != st.skipTxn {
		return fmt.Errorf("mysql stream: after reconnecting, the first transaction is %s, not the interrupted %s", st.txnPos, st.skipTxn)
	}
	return nil
}

// commit ends the current transaction at binlog offset logPos.
func (st *streamer) commit(logPos uint32) error {
	var p Position
	if st.committed.GTIDMode {
		if st.txnNext == nil {
			// A commit without a GTID event: only after a reconnect mid-way, which
			// restarts at a transaction boundary, so this is a server oddity.
			return fmt.Errorf("mysql stream: a commit without a GTID at %s", st.committed)
		}
		st.gset = st.txnNext
		p = st.txnPos
	} else {
		p = Position{Flavor: st.si.flavor, File: st.file, Pos: logPos}
	}
	st.committed = p
	st.inTxn, st.sawBegin, st.emitted, st.skip, st.txnNext = false, false, 0, 0, nil
	if err := st.opts.Commit(p); err != nil {
		return err
	}
	if u := st.until; u != nil {
		if c, err := p.Compare(*u); err == nil && c >= 0 {
			return errCaughtUp
		}
	}
	return nil
}

// heartbeat advances a file-mode position on an idle server (GTID positions only move
// with transactions).
func (st *streamer) heartbeat(e *replication.HeartbeatEvent, h *replication.EventHeader) error {
	if st.committed.GTIDMode || st.inTxn {
		return nil
	}
	off := uint64(h.LogPos)
	if e.Offset > 0 {
		off = e.Offset
	}
	file := e.Filename
	if file == "" {
		file = st.file
	}
	p := Position{Flavor: st.si.flavor, File: file, Pos: uint32(off)}
	if c, err := p.Compare(st.committed); err != nil || c <= 0 {
		return nil
	}
	st.committed = p
	if err := st.opts.Commit(p); err != nil {
		return err
	}
	if u := st.until; u != nil {
		if c, err := p.Compare(*u); err == nil && c >= 0 {
			return errCaughtUp
		}
	}
	return nil
}

// emit hands a change on, unless it was emitted before a reconnect.
func (st *streamer) emit(c schema.Change) error {
	st.emitted++
	if st.skip > 0 {
		st.skip--
		return nil
	}
	if c.CommitTime.IsZero() {
		c.CommitTime = st.eventTime
	}
	return st.opts.Emit(c)
}

func (st *streamer) query(ctx context.Context, e *replication.QueryEvent, h *replication.EventHeader) error {
	q := strings.TrimSpace(string(e.Query))
	upper := strings.ToUpper(q)
	switch {
	case upper == "BEGIN" || upper == "START TRANSACTION" ||
		strings.HasPrefix(upper, "XA START") || strings.HasPrefix(upper, "XA BEGIN"):
		// (An XA transaction's rows follow, up to its XA PREPARE.)
		if !st.inTxn {
			st.inTxn, st.emitted, st.txnPos, st.txnNext = true, 0, st.committed, nil
		}
		st.sawBegin = true
		return nil
	case upper == "COMMIT",
		// A transaction that touched a non-transactional table and rolled back: its
		// rows (if any) did happen on that table.
		upper == "ROLLBACK",
		// Their own transactions; an XA transaction's rows came at its XA PREPARE.
		strings.HasPrefix(upper, "XA COMMIT"), strings.HasPrefix(upper, "XA ROLLBACK"):
		return st.commit(h.LogPos)
	}
	if st.sawBegin {
		if create, ok := createInTransaction(q); ok {
			// CREATE TABLE … SELECT under binlog_format ROW is one transaction: BEGIN
			// (MariaDB: a GTID event that is not standalone), the CREATE TABLE with the
			// result's columns (MySQL 8.0.21+ appends START TRANSACTION), the rows, the
			// commit. The table exists from here on, for the rows that follow.
			ddlPos := st.txnPos
			if !st.committed.GTIDMode {
				ddlPos = Position{Flavor: st.si.flavor, File: st.file, Pos: h.LogPos}
			}
			return st.ddl(ctx, create, string(e.Schema), ddlPos)
		}
		// A statement inside a transaction (SAVEPOINT, or statement-based DML).
		return st.statementDML(q, string(e.Schema))
	}
	if !st.inTxn {
		// A statement without its own GTID event (file mode).
		st.inTxn, st.emitted, st.txnPos = true, 0, st.committed
	}
	ddlPos := st.txnPos
	if !st.committed.GTIDMode {
		ddlPos = Position{Flavor: st.si.flavor, File: st.file, Pos: h.LogPos}
	}
	if err := st.ddl(ctx, q, string(e.Schema), ddlPos); err != nil {
		return err
	}
	return st.commit(h.LogPos)
}

// createInTransaction recognises the CREATE TABLE of a CREATE TABLE … SELECT logged in
// row format, and returns it without MySQL's trailing START TRANSACTION.
func createInTransaction(q string) (string, bool) {
	if class, _, _ := classifyDDL(q, ""); class != ddlCreateTable {
		return "", false
	}
	const suffix = "START TRANSACTION"
	if n := len(q) - len(suffix); n > 0 && strings.EqualFold(q[n:], suffix) && strings.ContainsAny(q[n-1:n], " \t\r\n)") {
		q = strings.TrimSpace(q[:n])
	}
	return q, true
}

// statementDML stops on a DML statement logged as text (binlog_format STATEMENT or
// MIXED in some session) when it writes a tracked table: its rows are not in the
// binlog, so they cannot be replicated.
func (st *streamer) statementDML(q, db string) error {
	toks := tokenize(q, 8)
	if len(toks) == 0 {
		return nil
	}
	k := 1
	switch toks[0].text {
	case "INSERT", "REPLACE":
		for k < len(toks) && (toks[k].text == "INTO" || toks[k].text == "IGNORE" || toks[k].text == "LOW_PRIORITY" || toks[k].text == "DELAYED" || toks[k].text == "HIGH_PRIORITY") {
			k++
		}
	case "UPDATE":
		for k < len(toks) && (toks[k].text == "LOW_PRIORITY" || toks[k].text == "IGNORE") {
			k++
		}
	case "DELETE":
		for k < len(toks) && toks[k].text != "FROM" {
			k++
		}
		k++
	default:
		return nil
	}
	if k >= len(toks) || !toks[k].ident {
		return nil
	}
	id := schema.TableID{Database: db, Name: identText(q, toks[k])}
	if k+2 < len(toks) && toks[k+1].text == "." && toks[k+2].ident {
		id = schema.TableID{Database: identText(q, toks[k]), Name: identText(q, toks[k+2])}
	}
	if !st.models.wants(id) {
		return nil
	}
	return fmt.Errorf("mysql stream: a statement-based write to %s at %s (binlog_format was not ROW for that session): its rows are not in the binlog; set binlog_format=ROW globally and re-snapshot %s; statement: %s", id, st.committed, id, oneLine(q))
}

// ddl applies a DDL statement at position pos (the position after it).
func (st *streamer) ddl(ctx context.Context, q, db string, pos Position) error {
	class, ids, complete := classifyDDL(q, db)
	if class == ddlNone {
		return nil
	}
	relevant := !complete
	for _, id := range ids {
		if class == ddlDropDatabase {
			relevant = relevant || len(st.models.tablesOf(id.Database)) > 0
			continue
		}
		if st.models.tracked(id) || st.models.wants(id) {
			relevant = true
		}
	}
	if !relevant {
		return nil
	}
	stmts, orReplace, err := parseDDL(q)
	var steps []ddlStep
	if err == nil {
		steps, err = applyDDL(st.models.env(ctx, db, st.committed), stmts, orReplace, q)
	}
	if err != nil {
		derr := &DDLError{Tables: ids, Statement: q, Position: pos, Err: err}
		if st.opts.SkipUnparsedDDL {
			st.log.Warn("SKIPPING a DDL statement on a tracked table that cannot be applied; rows after it may not match the Doris table", "error", derr.Error())
			return nil
		}
		return derr
	}
	for _, step := range steps {
		c := step.change
		c.Position = st.txnPos
		if err := st.emit(c); err != nil {
			return err
		}
	}
	return st.models.apply(steps, pos)
}
