package postgres

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/doris-sync/doris-sync/exitcode"
	"github.com/doris-sync/doris-sync/sources"
)

// ReplicationOptions are the change-capture settings of a PostgreSQL source.
type ReplicationOptions struct {
	// Slot is the logical replication slot (slot.name): 1 to 63 of [a-z0-9_], because
	// the replication protocol takes slot names unquoted.
	Slot string
	// Publication is the publication read through pgoutput (publication.name); any
	// name, quoted wherever it is used.
	Publication string
	// AllTables creates the publication FOR ALL TABLES instead of for the synced tables
	// (needs a superuser); new tables are then published without an ALTER PUBLICATION.
	AllTables bool
	// WALWarnBytes is how much WAL the slot may hold back (pg_current_wal_lsn() -
	// restart_lsn) before SlotStatus and the stream warn; 0 means DefaultWALWarnBytes.
	WALWarnBytes int64
}

// DefaultWALWarnBytes is the retained-WAL warning threshold when none is set: 1 GiB.
const DefaultWALWarnBytes = 1 << 30

var slotNamePattern = regexp.MustCompile(`^[a-z0-9_]{1,63}$`)

// Replicator owns a source's publication and slot, and opens the snapshot readers and
// the change stream. It holds no connection of its own: each call opens what it needs.
type Replicator struct {
	cfg  Config
	opts ReplicationOptions
}

// NewReplicator checks the options; a bad slot or publication name is a usage error.
func NewReplicator(cfg Config, opts ReplicationOptions) (*Replicator, error) {
	if !slotNamePattern.MatchString(opts.Slot) {
		return nil, exitcode.Usagef("slot.name %q: a slot name has 1 to 63 lower-case letters, digits or underscores", opts.Slot)
	}
	if opts.Publication == "" {
		return nil, exitcode.Usagef("publication.name must not be empty")
	}
	if opts.WALWarnBytes <= 0 {
		opts.WALWarnBytes = DefaultWALWarnBytes
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 30 * time.Second
	}
	return &Replicator{cfg: cfg, opts: opts}, nil
}

// sessionSettings fix the text every value is printed in, on ordinary and replication
// connections alike (pgoutput prints with the walsender's settings), so one decoder
// reads both (values.go).
var sessionSettings = map[string]string{
	"DateStyle":          "ISO, YMD",
	"IntervalStyle":      "postgres",
	"TimeZone":           "UTC",
	"extra_float_digits": "3",
	"bytea_output":       "hex",
	"lc_monetary":        "C",
	"client_encoding":    "UTF8",
}

func (r *Replicator) where() string { return r.cfg.addr() + "/" + r.cfg.Database }

// connConfig parses the connection settings. The error never shows them: they hold
// the password.
func (r *Replicator) connConfig() (*pgconn.Config, error) {
	dsn, err := r.cfg.connString()
	if err != nil {
		return nil, exitcode.Usage(fmt.Errorf("postgres source %s: %w", r.cfg.addr(), err))
	}
	pc, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return nil, exitcode.Usage(fmt.Errorf("postgres source %s: invalid connection settings", r.cfg.addr()))
	}
	for k, v := range sessionSettings {
		pc.RuntimeParams[k] = v
	}
	return pc, nil
}

// connect opens an ordinary connection with the session settings.
func (r *Replicator) connect(ctx context.Context) (*pgx.Conn, error) {
	dsn, err := r.cfg.connString()
	if err != nil {
		return nil, exitcode.Usage(fmt.Errorf("postgres source %s: %w", r.cfg.addr(), err))
	}
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, exitcode.Usage(fmt.Errorf("postgres source %s: invalid connection settings", r.cfg.addr()))
	}
	for k, v := range sessionSettings {
		cc.RuntimeParams[k] = v
	}
	var conn *pgx.Conn
	err = r.retryConnect(ctx, func() (err error) {
		conn, err = pgx.ConnectConfig(ctx, cc)
		return err
	})
	return conn, err
}

// connectReplication opens a logical replication connection (replication=database),
// with a read buffer sized for streaming.
func (r *Replicator) connectReplication(ctx context.Context) (*pgconn.PgConn, error) {
	pc, err := r.connConfig()
	if err != nil {
		return nil, err
	}
	pc.RuntimeParams["replication"] = "database"
	pc.BuildFrontend = func(rd io.Reader, w io.Writer) *pgproto3.Frontend {
		return pgproto3.NewFrontend(bufio.NewReaderSize(rd, streamReadBuffer), w)
	}
	var conn *pgconn.PgConn
	err = r.retryConnect(ctx, func() (err error) {
		conn, err = pgconn.ConnectConfig(ctx, pc)
		return err
	})
	return conn, err
}

// streamReadBuffer is the read buffer of a replication connection. pgproto3 reads at
// most 8 KiB per system call on its own; a stream that moves ~25 MB/s spends less CPU
// in the kernel with fewer, larger reads (and the receiver's low-water mark lets that
// much gather). Every replication connection streams: the one that creates the slot
// streams right after the snapshot (RunFromSnapshot), later ones after a reconnect.
const streamReadBuffer = 256 << 10

// retryConnect retries network failures connect.max-retries times with a doubling
// pause; a refused login is final. Failures are one-line *sources.ConnectError.
func (r *Replicator) retryConnect(ctx context.Context, dial func() error) error {
	delay := 500 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := dial()
		if err == nil {
			return nil
		}
		cerr := (&Source{cfg: r.cfg}).connectError(err)
		if _, network := sources.NetworkReason(err); !network || attempt >= r.cfg.ConnectRetries || ctx.Err() != nil {
			return cerr
		}
		select {
		case <-ctx.Done():
			return cerr
		case <-time.After(delay):
		}
		delay *= 2
	}
}

// openSession opens an ordinary connection as a *Source, so discovery's catalog code
// (type resolution, columns, keys) runs on it.
func (r *Replicator) openSession(ctx context.Context) (*Source, error) {
	conn, err := r.connect(ctx)
	if err != nil {
		return nil, err
	}
	s, err := sessionOn(ctx, r.cfg, conn)
	if err != nil {
		conn.Close(ctx)
		return nil, err
	}
	return s, nil
}

// sessionOn wraps an open connection as a *Source.
func sessionOn(ctx context.Context, cfg Config, conn *pgx.Conn) (*Source, error) {
	s := &Source{cfg: cfg, conn: conn}
	err := conn.QueryRow(ctx, "SELECT current_setting('server_version_num')::int, current_setting('server_encoding')").
		Scan(&s.versionNum, &s.encoding)
	if err != nil {
		return nil, s.queryError("read the server version", err)
	}
	return s, nil
}

// quoteIdent quotes one identifier ("My Table" → "\"My Table\"").
func quoteIdent(name string) string { return pgx.Identifier{name}.Sanitize() }

// quoteTable quotes a schema-qualified table name.
func quoteTable(schemaName, name string) string { return pgx.Identifier{schemaName, name}.Sanitize() }

// quoteLiteral makes s a string literal whatever standard_conforming_strings says.
func quoteLiteral(s string) string {
	s = strings.ReplaceAll(s, "'", "''")
	if strings.Contains(s, `\`) {
		return "E'" + strings.ReplaceAll(s, `\`, `\\`) + "'"
	}
	return "'" + s + "'"
}

// pgCode is the SQLSTATE of a server error, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// insufficientPrivilege is SQLSTATE 42501.
const insufficientPrivilege = "42501"
