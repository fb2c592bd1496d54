package mysql

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/doris-sync/doris-sync/exitcode"
	"github.com/doris-sync/doris-sync/schema"
)

// StreamOptions configures Stream.
type StreamOptions struct {
	// From is where to start (a mysql Position): a snapshot's Position or a saved
	// checkpoint (a position Commit reported). GTID positions resume by GTID set,
	// others by binlog file and offset.
	From schema.Position
	// Until, when set (a mysql Position), makes Stream return nil once it has reported
	// a Commit at or after it (cron mode: CurrentPosition at start).
	Until schema.Position
	// Tables are the tracked tables' shapes at From, used for tables the History does
	// not hold (they are recorded in it, at From). Discover them after the snapshot
	// began, so that no DDL lies between their shape and From.
	Tables []*schema.Table
	// Filter selects the tables to stream (the job's database and table filters). A
	// table it accepts that appears later (CREATE TABLE, RENAME TABLE) is tracked too.
	// Nil tracks exactly Tables.
	Filter func(schema.TableID) bool
	// History keeps each table's shape over time; nil keeps it in memory for this run
	// only (a resumed run then starts from Tables).
	History SchemaHistory
	// ServerID is the replica id the stream registers with; 0 means
	// DefaultServerID(JobName). Two streams with the same id disconnect each other.
	ServerID uint32
	JobName  string
	// Heartbeat is how often an idle server sends a heartbeat; default 30 s.
	Heartbeat time.Duration
	// ReconnectFor is how long a broken connection is retried (with backoff) before
	// Stream gives up; default 5 minutes.
	ReconnectFor time.Duration
	// SkipUnparsedDDL logs a DDL statement on a tracked table that cannot be read, with
	// a warning, and goes on, instead of stopping with a *DDLError.
	SkipUnparsedDDL bool
	Logger          *slog.Logger

	// Emit receives the changes of tracked tables in binlog order: inserts, updates
	// (Before and After), deletes, DDL (one change per elementary step, NewSchema the
	// table's shape after it, nil after DROP TABLE; a rename has NewSchema.ID set to
	// the new name) and truncates.
	//
	// In GTID mode every change of a transaction carries the transaction's commit
	// position (the GTID set including it). In file mode the commit offset is known
	// only at the commit event, so changes carry the previous commit's position.
	// Either way, checkpoint only at positions passed to Commit.
	Emit func(schema.Change) error
	// Commit is called at the end of every transaction (tracked changes or not) with
	// the position after it: once Commit(p) returns, every change at or before p has
	// been emitted, and resuming from p continues with the next transaction. In file
	// mode an idle server's heartbeats advance it too.
	Commit func(pos Position) error
}

// AsPosition returns p as a MySQL position, or an error naming what it is instead.
func AsPosition(p schema.Position) (Position, error) {
	mp, ok := p.(Position)
	if !ok {
		return Position{}, fmt.Errorf("%T (%v) is not a MySQL position", p, p)
	}
	return mp, mp.validate()
}

// serverIDBase and serverIDSpan place default server ids in [2e9, 3e9): far above the
// small ids people give servers and replicas, and above the ranges other CDC tools
// pick (Flink CDC 5400-6400, canal 1001-2000), so a default id collides with neither,
// and two jobs' ids (hashes of their names) collide with probability 1e-9.
const (
	serverIDBase = 2_000_000_000
	serverIDSpan = 1_000_000_000
)

// DefaultServerID is the replica server id of a job that sets none: a hash of its name
// in [2000000000, 3000000000).
func DefaultServerID(jobName string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(jobName))
	return serverIDBase + h.Sum32()%serverIDSpan
}

// errCaughtUp ends a stream that reached StreamOptions.Until.
var errCaughtUp = errors.New("caught up")

// Stream reads the binlog from opts.From and hands the changes of the tracked tables to
// opts.Emit, with a Commit after each transaction. It runs until ctx ends (returning
// ctx.Err()), Until is reached (nil), or an error that retrying cannot fix: a purged
// position (exit code 3), a DDL it cannot apply (*DDLError), a value it cannot decode,
// or an Emit/Commit error. Broken connections are retried from the last Commit, with
// backoff, for up to ReconnectFor; changes of the interrupted transaction that were
// already emitted are not emitted again.
func (s *Source) Stream(ctx context.Context, opts StreamOptions) error {
	if opts.Emit == nil || opts.Commit == nil {
		return errors.New("mysql stream: Emit and Commit are required")
	}
	from, err := AsPosition(opts.From)
	if err != nil {
		return fmt.Errorf("mysql stream: start position: %w", err)
	}
	var until *Position
	if opts.Until != nil {
		u, err := AsPosition(opts.Until)
		if err != nil {
			return fmt.Errorf("mysql stream: end position: %w", err)
		}
		until = &u
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = 30 * time.Second
	}
	if opts.ReconnectFor <= 0 {
		opts.ReconnectFor = 5 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.ServerID == 0 {
		opts.ServerID = DefaultServerID(opts.JobName)
	}
	if opts.History == nil {
		opts.History = &MemoryHistory{}
	}
	if until != nil {
		if c, err := from.Compare(*until); err == nil && c >= 0 {
			return nil
		}
	}
	st, err := s.newStreamer(ctx, opts, from, until)
	if err != nil {
		return err
	}
	return st.run(ctx)
}

func (st *streamer) run(ctx context.Context) error {
	delay := 500 * time.Millisecond
	var brokenSince time.Time
	for {
		before := st.committed
		err := st.runOnce(ctx)
		switch {
		case errors.Is(err, errCaughtUp):
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		}
		var he *handlerError
		if errors.As(err, &he) {
			return he.err
		}
		var ee *replication.EventError
		if errors.As(err, &ee) {
			return fmt.Errorf("mysql stream: cannot decode a binlog event (%s) after %s: %s", ee.Header.EventType, st.committed, ee.Err)
		}
		if perr := classifyServerError(err, st.committed); perr != nil {
			return perr
		}
		// Only progress (a new commit) resets the retry budget: a failure that recurs at
		// the same place must end.
		if st.committed != before || brokenSince.IsZero() {
			brokenSince, delay = time.Now(), 500*time.Millisecond
		}
		if time.Since(brokenSince) > st.opts.ReconnectFor {
			return fmt.Errorf("mysql stream from %s: connection lost for over %s: %w", st.src.cfg.addr(), st.opts.ReconnectFor, err)
		}
		st.log.Warn("binlog connection lost; reconnecting", "from", st.committed.String(), "in", delay, "error", err.Error())
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, 30*time.Second)
	}
}

// handlerError is an error of our own event handling (decode, DDL, Emit, Commit): it is
// never retried.
type handlerError struct{ err error }

func (e *handlerError) Error() string { return e.err.Error() }
func (e *handlerError) Unwrap() error { return e.err }

// classifyServerError turns the server's refusals into final errors; nil means the
// error may be transient (network) and is retried.
func classifyServerError(err error, at Position) error {
	var me *gomysql.MyError
	if !errors.As(err, &me) {
		return nil
	}
	switch me.Code {
	case gomysql.ER_MASTER_FATAL_ERROR_READING_BINLOG: // 1236: purged, or not found
		return exitcode.PositionLost(fmt.Errorf("the binlog position %s is no longer available on the server (%s): take a new snapshot (remove the job's state, or start with scan.startup.mode=initial), and keep binlogs longer than the gap between runs (binlog_expire_logs_seconds)", at, me.Message))
	case 1045, 1044, 1227, 1142:
		return fmt.Errorf("the server refused the binlog stream: %s (is REPLICATION SLAVE granted?)", me.Message)
	case 1062, 1593: // duplicate slave server id, fatal replica error
		return fmt.Errorf("the server refused the binlog stream: %s (another replica uses server-id; set a different server-id)", me.Message)
	}
	return nil
}

// runOnce connects from the last commit and processes events until an error.
func (st *streamer) runOnce(ctx context.Context) error {
	syncer := replication.NewBinlogSyncer(st.syncerConfig())
	defer syncer.Close()
	st.resetConnection()
	var streamer *replication.BinlogStreamer
	var err error
	from := st.committed
	if from.GTIDMode {
		var set gomysql.GTIDSet
		if set, err = gomysql.ParseGTIDSet(from.Flavor, from.GTID); err != nil {
			return &handlerError{fmt.Errorf("mysql stream: GTID set %q: %w", from.GTID, err)}
		}
		streamer, err = syncer.StartSyncGTID(set)
	} else {
		streamer, err = syncer.StartSync(gomysql.Position{Name: from.File, Pos: from.Pos})
	}
	if err != nil {
		return fmt.Errorf("start binlog stream at %s: %w", from, err)
	}
	st.log.Info("binlog stream started", "from", from.String(), "server_id", st.opts.ServerID)
	for {
		ev, err := streamer.GetEvent(ctx)
		if err != nil {
			return err
		}
		if err := st.handle(ctx, ev); err != nil {
			if errors.Is(err, errCaughtUp) {
				return err
			}
			return &handlerError{err}
		}
	}
}

func (st *streamer) syncerConfig() replication.BinlogSyncerConfig {
	cfg := st.src.cfg
	// ParseTime: DATETIME and TIMESTAMP values come as time.Time instead of text
	// formatted with fmt.Sprintf and parsed back (10 % of the CPU of a CDC run). Zero
	// dates, dates with a zero month or day, DATETIMEs before 1970 and every DATE
	// still come as text; fromBinlog takes both.
	return replication.BinlogSyncerConfig{
		ServerID:                st.opts.ServerID,
		Flavor:                  st.si.flavor,
		Host:                    cfg.Host,
		Port:                    uint16(cfg.Port),
		User:                    cfg.User,
		Password:                cfg.Password,
		TLSConfig:               st.tls,
		ParseTime:               true,
		UseDecimal:              false,
		TimestampStringLocation: time.UTC, // for the text ParseTime leaves (zero TIMESTAMPs only)
		RenderJSONAsMySQLText:   true,
		HeartbeatPeriod:         st.opts.Heartbeat,
		ReadTimeout:             3*st.opts.Heartbeat + 10*time.Second,
		DisableRetrySync:        true, // we reconnect ourselves, from a transaction boundary
		FillZeroLogPos:          st.si.flavor == FlavorMariaDB,
		EventCacheCount:         64, // bounded read-ahead: memory must not grow with lag
		Logger:                  st.libLog,
	}
}

// tlsForStream decides the binlog connection's TLS from ssl.mode: the discovery
// connection already negotiated it, so "preferred" uses TLS exactly when that
// connection got it.
func (s *Source) tlsForStream(ctx context.Context) (*tls.Config, error) {
	conf, fallback, err := s.cfg.TLS.build(s.cfg.Host)
	if err != nil || conf == nil {
		return nil, err
	}
	if !fallback {
		return conf, nil
	}
	var name, cipher string
	if err := s.db.QueryRowContext(ctx, "SHOW SESSION STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher); err != nil {
		return nil, s.queryError("check TLS", err)
	}
	if cipher == "" {
		return nil, nil
	}
	return conf, nil
}

// quietHandler passes go-mysql's log records on one level lower (its INFO lines are
// connection chatter), tagged as the binlog client's.
type quietHandler struct{ slog.Handler }

func (h quietHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.Handler.Enabled(ctx, l-4)
}

func (h quietHandler) Handle(ctx context.Context, r slog.Record) error {
	r.Level -= 4
	return h.Handler.Handle(ctx, r)
}

func (h quietHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return quietHandler{h.Handler.WithAttrs(a)}
}

func (h quietHandler) WithGroup(n string) slog.Handler { return quietHandler{h.Handler.WithGroup(n)} }
