package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/doris-sync/doris-sync/exitcode"
	"github.com/doris-sync/doris-sync/schema"
)

// The hand-off from snapshot to stream (design/ARCHITECTURE.md): CreateSlot makes the
// slot on a replication connection and exports the snapshot the slot starts from. That
// snapshot lives only while the replication connection stays idle, so the engine opens
// every reader first (OpenReader: BEGIN ISOLATION LEVEL REPEATABLE READ; SET
// TRANSACTION SNAPSHOT …), and only then may start the stream on the same connection
// (Streamer.RunFromSnapshot) from the slot's consistent point. Each reader keeps the
// imported snapshot for as long as its transaction lasts, so readers go on copying
// chunks while the stream runs: every row a reader sees is exactly the state at the
// consistent point, and every later change arrives through the stream.
//
// A snapshot interrupted by a restart cannot get that snapshot back. Its remaining
// chunks are then read with Replicator.OpenReader, under a fresh snapshot, while the
// stream replays from the consistent point: exact for tables with a primary key (the
// replayed changes re-apply by key on top of the newer rows), but a table without one
// would get rows twice and must be copied again from scratch under a new slot.

// ExportedSnapshot is a newly created slot whose snapshot is still exported.
type ExportedSnapshot struct {
	// Name is the exported snapshot's id for SET TRANSACTION SNAPSHOT.
	Name string
	// ConsistentPoint is the LSN the slot starts at: the stream from here and the
	// snapshot together miss and repeat nothing.
	ConsistentPoint LSN

	r    *Replicator
	mu   sync.Mutex
	conn *pgconn.PgConn // nil once the stream took it or Close ended it
}

// CreateSlot creates the pgoutput slot and exports its snapshot. It waits until every
// transaction running at that moment has ended (PostgreSQL needs that for a consistent
// start). An existing slot is an error: its exported snapshot is gone, so a fresh copy
// needs a fresh slot (DropSlotAndPublication, or another slot.name).
func (r *Replicator) CreateSlot(ctx context.Context) (*ExportedSnapshot, error) {
	st, err := r.SlotStatus(ctx)
	if err != nil {
		return nil, err
	}
	if st.Exists {
		return nil, exitcode.Usagef("postgres source %s: replication slot %s already exists, and a new snapshot needs a new slot: drop it (SELECT pg_drop_replication_slot('%s')) or choose another slot.name",
			r.where(), r.opts.Slot, r.opts.Slot)
	}
	conn, err := r.connectReplication(ctx)
	if err != nil {
		return nil, err
	}
	res, err := pglogrepl.CreateReplicationSlot(ctx, conn, r.opts.Slot, "pgoutput",
		pglogrepl.CreateReplicationSlotOptions{Mode: pglogrepl.LogicalReplication, SnapshotAction: "EXPORT_SNAPSHOT"})
	if err != nil {
		conn.Close(context.Background())
		if pgCode(err) == insufficientPrivilege {
			return nil, exitcode.Usage(fmt.Errorf("postgres source %s: role %s may not create replication slots: run ALTER ROLE %s REPLICATION as a superuser",
				r.where(), r.cfg.User, quoteIdent(r.cfg.User)))
		}
		return nil, fmt.Errorf("postgres source %s: create replication slot %s: %w", r.where(), r.opts.Slot, err)
	}
	cp, err := ParseLSN(res.ConsistentPoint)
	if err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("create replication slot %s: %w", r.opts.Slot, err)
	}
	slog.Info("created replication slot", "slot", r.opts.Slot, "consistent_point", cp.String(), "snapshot", res.SnapshotName)
	return &ExportedSnapshot{Name: res.SnapshotName, ConsistentPoint: cp, r: r, conn: conn}, nil
}

// Position is the position of every snapshot row: a boundary at the consistent point.
func (e *ExportedSnapshot) Position() Position { return BoundaryPosition(e.ConsistentPoint) }

// OpenReader opens a reader inside the exported snapshot. It fails once the stream
// started on the slot's connection or Close was called: the snapshot is gone then.
func (e *ExportedSnapshot) OpenReader(ctx context.Context) (*SnapshotReader, error) {
	e.mu.Lock()
	alive := e.conn != nil
	e.mu.Unlock()
	if !alive {
		return nil, errors.New("the exported snapshot ended when the stream started (or Close was called): open every snapshot reader before starting the stream")
	}
	return e.r.openReader(ctx, e.Name)
}

// take hands the replication connection over to the stream; the snapshot ends.
func (e *ExportedSnapshot) take() (*pgconn.PgConn, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.conn == nil {
		return nil, errors.New("the slot's replication connection was already used or closed")
	}
	c := e.conn
	e.conn = nil
	return c, nil
}

// Close ends the exported snapshot without streaming (readers already opened keep
// theirs). The slot stays.
func (e *ExportedSnapshot) Close() error {
	c, err := e.take()
	if err != nil {
		return nil
	}
	return c.Close(context.Background())
}

// SnapshotReader is one connection in a REPEATABLE READ, READ ONLY transaction, inside
// the exported snapshot or a fresh one. It is not safe for concurrent use: parallel
// reading uses one reader per goroutine.
type SnapshotReader struct {
	s      *Source
	tables map[schema.TableID]*readPlan
}

// OpenReader opens a reader under a fresh snapshot, for chunks of an interrupted
// snapshot and for tables added while streaming (see the package notes on exactness).
func (r *Replicator) OpenReader(ctx context.Context) (*SnapshotReader, error) {
	return r.openReader(ctx, "")
}

func (r *Replicator) openReader(ctx context.Context, snapshot string) (*SnapshotReader, error) {
	conn, err := r.connect(ctx)
	if err != nil {
		return nil, err
	}
	fail := func(what string, err error) (*SnapshotReader, error) {
		conn.Close(context.Background())
		return nil, fmt.Errorf("postgres source %s: snapshot reader: %s: %w", r.where(), what, err)
	}
	if _, err := conn.Exec(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); err != nil {
		return fail("begin", err)
	}
	if snapshot != "" {
		if _, err := conn.Exec(ctx, "SET TRANSACTION SNAPSHOT "+quoteLiteral(snapshot)); err != nil {
			return fail("import snapshot "+snapshot, err)
		}
	}
	s, err := sessionOn(ctx, r.cfg, conn)
	if err != nil {
		return fail("read the server version", err)
	}
	return &SnapshotReader{s: s, tables: map[schema.TableID]*readPlan{}}, nil
}

// Close ends the reader's transaction and connection.
func (sr *SnapshotReader) Close() error {
	return sr.s.conn.Close(context.Background())
}

// readPlan is what reading a table needs: its quoted name and, per column, the quoted
// name, the type for casts of chunk bounds and the value codec.
type readPlan struct {
	quoted   string
	names    []string // the table's column names
	columns  []string // quoted, in table order
	codecs   []codec
	castType map[string]string // column name → format_type without typmod
	intKey   map[string]bool   // column name → an integer type
	relkind  string
}

// plan reads the table's column types inside the reader's snapshot, once per table
// and column list.
func (sr *SnapshotReader) plan(ctx context.Context, t *schema.Table) (*readPlan, error) {
	if p := sr.tables[t.ID]; p != nil && p.same(t) {
		return p, nil
	}
	p := &readPlan{quoted: quoteTable(t.ID.Schema, t.ID.Name), castType: map[string]string{}, intKey: map[string]bool{}}
	if err := sr.s.conn.QueryRow(ctx, "SELECT relkind::text FROM pg_class WHERE oid = $1::regclass", p.quoted).Scan(&p.relkind); err != nil {
		return nil, sr.s.queryError("look up table "+t.ID.String(), err)
	}
	rows, err := sr.s.conn.Query(ctx, `SELECT attname::text, atttypid, atttypmod, format_type(atttypid, NULL)
		FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`, p.quoted)
	if err != nil {
		return nil, sr.s.queryError("read the columns of "+t.ID.String(), err)
	}
	type att struct {
		oid    uint32
		typmod int32
	}
	atts := map[string]att{}
	for rows.Next() {
		var name, cast string
		var a att
		if err := rows.Scan(&name, &a.oid, &a.typmod, &cast); err != nil {
			rows.Close()
			return nil, sr.s.queryError("read the columns of "+t.ID.String(), err)
		}
		atts[name] = a
		p.castType[name] = cast
		p.intKey[name] = a.oid == oidInt2 || a.oid == oidInt4 || a.oid == oidInt8
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, sr.s.queryError("read the columns of "+t.ID.String(), err)
	}
	types := newTypeResolver(sr.s)
	for _, c := range t.Columns {
		a, ok := atts[c.Name]
		if !ok {
			return nil, fmt.Errorf("postgres source %s: table %s has no column %q any more", sr.s.cfg.addr(), t.ID, c.Name)
		}
		types.need(a.oid, a.typmod)
	}
	if err := types.load(ctx); err != nil {
		return nil, err
	}
	for _, c := range t.Columns {
		a := atts[c.Name]
		p.names = append(p.names, c.Name)
		p.columns = append(p.columns, quoteIdent(c.Name))
		p.codecs = append(p.codecs, typeCodec(types.types, a.oid, a.typmod))
	}
	sr.tables[t.ID] = p
	return p, nil
}

// same reports whether the plan was made for t's columns.
func (p *readPlan) same(t *schema.Table) bool {
	if len(p.names) != len(t.Columns) {
		return false
	}
	for i, c := range t.Columns {
		if p.names[i] != c.Name {
			return false
		}
	}
	return true
}
