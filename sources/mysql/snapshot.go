package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Guarantee says how the snapshot's rows relate to its Position.
type Guarantee uint8

const (
	// OneView: every reader sees the same consistent view, which holds exactly the
	// transactions up to Position. Streaming from Position after loading the snapshot
	// is exact for every table, with or without a key.
	OneView Guarantee = iota + 1
	// ReplayFromBefore: Position was taken before any reader opened its view, and each
	// reader's view holds Position and possibly later transactions. Streaming from
	// Position replays changes the copy may already hold. Tables with a key converge
	// (a replayed insert or update rewrites the row by key, a replayed delete removes
	// it); tables without one may get duplicates of rows written during the copy.
	ReplayFromBefore
)

func (g Guarantee) String() string {
	switch g {
	case OneView:
		return "one consistent view"
	case ReplayFromBefore:
		return "position before the copy, replay after"
	}
	return fmt.Sprintf("guarantee(%d)", uint8(g))
}

// SnapshotOptions tunes BeginSnapshot.
type SnapshotOptions struct {
	// Readers is how many chunks can be read at once (--snapshot-parallelism);
	// default 4.
	Readers int
	// LockTimeout bounds the wait for FLUSH TABLES WITH READ LOCK, which queues behind
	// running statements and holds up writers meanwhile; default 10 s. Past it the
	// snapshot falls back to ReplayFromBefore.
	LockTimeout time.Duration
	// NoLock forbids FLUSH TABLES WITH READ LOCK even when the user may take it.
	NoLock bool
	Logger *slog.Logger
}

// Snapshot is a set of reader connections, each in a read-only transaction, that copy
// the tables chunk by chunk. How their views relate to Position is Guarantee:
//
//   - MariaDB: each reader runs START TRANSACTION WITH CONSISTENT SNAPSHOT, and the
//     server reports the binlog position of that snapshot (binlog_snapshot_file and
//     _position, turned into a GTID by BINLOG_GTID_POS). When every reader reports the
//     same position they share one view (OneView) without any lock; when writes
//     slipped in between, they are opened again (a few times), then under a brief
//     FLUSH TABLES WITH READ LOCK, else the earliest position is used
//     (ReplayFromBefore).
//   - MySQL: the readers open their snapshots while FLUSH TABLES WITH READ LOCK holds
//     commits back, and the position is read before UNLOCK TABLES (OneView). Without
//     the RELOAD privilege, or when the lock cannot be had within LockTimeout, the
//     position is read first and the readers open after it (ReplayFromBefore).
//     LOCK INSTANCE FOR BACKUP is not used: it blocks DDL, not commits, so it cannot
//     make several readers see the same transactions.
//
// The readers' transactions stay open until Close, like mysqldump --single-transaction:
// they hold the view (and InnoDB's undo for it) for the length of the copy.
type Snapshot struct {
	src       *Source
	si        serverInfo
	pool      *sql.DB // the lock, the position and chunk planning
	readers   chan *readerConn
	all       []*readerConn
	pos       Position
	guarantee Guarantee
	method    string
	log       *slog.Logger
}

// Position is where the stream must start after this snapshot.
func (sn *Snapshot) Position() Position { return sn.pos }

// Guarantee says what streaming from Position promises (see Guarantee).
func (sn *Snapshot) Guarantee() Guarantee { return sn.guarantee }

// Method names how the view was opened, for the log: "consistent snapshot",
// "FLUSH TABLES WITH READ LOCK" or "lock-free".
func (sn *Snapshot) Method() string { return sn.method }

// BeginSnapshot opens the readers and takes the position the stream continues from.
func (s *Source) BeginSnapshot(ctx context.Context, opts SnapshotOptions) (*Snapshot, error) {
	if opts.Readers <= 0 {
		opts.Readers = 4
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	si, err := s.serverInfo(ctx)
	if err != nil {
		return nil, err
	}
	// One connection for the lock and position, one for chunk planning; the readers
	// are connections of their own (readerConn).
	pool, err := s.openPool(2)
	if err != nil {
		return nil, err
	}
	sn := &Snapshot{src: s, si: si, pool: pool, log: opts.Logger}
	if err := sn.open(ctx, opts); err != nil {
		sn.Close()
		return nil, fmt.Errorf("mysql source %s: begin snapshot: %w", s.cfg.addr(), err)
	}
	sn.readers = make(chan *readerConn, len(sn.all))
	for _, c := range sn.all {
		sn.readers <- c
	}
	sn.log.Info("snapshot view open", "readers", len(sn.all), "position", sn.pos.String(),
		"method", sn.method, "guarantee", sn.guarantee.String())
	return sn, nil
}

func (sn *Snapshot) open(ctx context.Context, opts SnapshotOptions) error {
	// Connected and set up first, so that the views open in quick succession (and a
	// lock is held only while they open).
	if err := sn.connectReaders(ctx, opts.Readers); err != nil {
		return err
	}
	if sn.si.flavor == FlavorMariaDB {
		const attempts = 3
		for i := 0; i < attempts; i++ {
			positions, err := sn.openReaders(ctx)
			if err != nil {
				return err
			}
			if allSame(positions) {
				sn.pos, sn.guarantee, sn.method = positions[0], OneView, "consistent snapshot"
				return sn.mariaDBGTID(ctx)
			}
			sn.log.Debug("snapshot readers saw different binlog positions; opening them again", "attempt", i+1)
			if err := sn.endReaders(ctx); err != nil {
				return err
			}
		}
	}
	if !opts.NoLock {
		ok, err := sn.openUnderLock(ctx, opts)
		if err != nil || ok {
			return err
		}
	}
	// Lock-free: the position first, then the views, which can only be later.
	lockFree, err := sn.pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer lockFree.Close()
	before, err := readPosition(ctx, lockFree, sn.si)
	if err != nil {
		return err
	}
	positions, err := sn.openReaders(ctx)
	if err != nil {
		return err
	}
	sn.pos, sn.guarantee, sn.method = before, ReplayFromBefore, "lock-free"
	if sn.si.flavor == FlavorMariaDB {
		// Each MariaDB reader knows its own position; the earliest is as good and
		// replays less.
		sn.pos = earliest(positions)
		return sn.mariaDBGTID(ctx)
	}
	return nil
}

// openUnderLock opens the readers while FLUSH TABLES WITH READ LOCK holds commits
// back. It reports false (and no error) when the lock is not available.
func (sn *Snapshot) openUnderLock(ctx context.Context, opts SnapshotOptions) (bool, error) {
	conn, err := sn.pool.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	secs := int(opts.LockTimeout.Round(time.Second) / time.Second)
	if secs < 1 {
		secs = 1
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("SET SESSION lock_wait_timeout = %d", secs)); err != nil {
		return false, err
	}
	if _, err := conn.ExecContext(ctx, "FLUSH TABLES WITH READ LOCK"); err != nil {
		if isAccessDenied(err) || mysqlErrorNumber(err) == 1205 { // no RELOAD, or lock wait timeout
			sn.log.Info("snapshot without a lock: FLUSH TABLES WITH READ LOCK not available", "reason", err.Error())
			return false, nil
		}
		return false, fmt.Errorf("FLUSH TABLES WITH READ LOCK: %w", err)
	}
	locked := true
	unlock := func() error {
		if !locked {
			return nil
		}
		locked = false
		// A fresh context: the lock must go even when ctx is cancelled.
		uctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := conn.ExecContext(uctx, "UNLOCK TABLES")
		return err
	}
	defer unlock()
	positions, err := sn.openReaders(ctx)
	if err != nil {
		return false, err
	}
	pos, err := readPosition(ctx, conn, sn.si)
	if err != nil {
		return false, err
	}
	if err := unlock(); err != nil {
		return false, fmt.Errorf("UNLOCK TABLES: %w", err)
	}
	sn.pos, sn.guarantee, sn.method = pos, OneView, "FLUSH TABLES WITH READ LOCK"
	if sn.si.flavor == FlavorMariaDB {
		sn.pos = positions[0]
		return true, sn.mariaDBGTID(ctx)
	}
	return true, nil
}

// connectReaders connects n readers and sets their sessions up.
func (sn *Snapshot) connectReaders(ctx context.Context, n int) error {
	tlsConf, err := sn.src.tlsForStream(ctx) // the TLS the discovery pool negotiated
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		rc, err := sn.src.dialReader(ctx, tlsConf)
		if err != nil {
			return err
		}
		sn.all = append(sn.all, rc)
		if err := rc.exec(ctx, sessionSetup(sn.si)...); err != nil {
			return err
		}
	}
	return nil
}

// openReaders starts every reader's transaction. On MariaDB it returns each one's
// snapshot binlog position (file and offset).
func (sn *Snapshot) openReaders(ctx context.Context) ([]Position, error) {
	for _, rc := range sn.all {
		if err := rc.exec(ctx, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"); err != nil {
			return nil, err
		}
	}
	if sn.si.flavor != FlavorMariaDB {
		return nil, nil
	}
	positions := make([]Position, len(sn.all))
	for i, rc := range sn.all {
		p, err := snapshotBinlogPosition(ctx, rc)
		if err != nil {
			return nil, err
		}
		positions[i] = p
	}
	return positions, nil
}

// endReaders ends every reader's transaction; the sessions stay.
func (sn *Snapshot) endReaders(ctx context.Context) error {
	for _, rc := range sn.all {
		if err := rc.exec(ctx, "COMMIT"); err != nil {
			return err
		}
	}
	return nil
}

// snapshotBinlogPosition reads MariaDB's binlog_snapshot_file/_position of the
// session's consistent snapshot.
func snapshotBinlogPosition(ctx context.Context, rc *readerConn) (Position, error) {
	rows, err := rc.queryStrings(ctx, "SHOW STATUS LIKE 'binlog_snapshot_%'")
	if err != nil {
		return Position{}, fmt.Errorf("read binlog_snapshot_file/_position: %w", err)
	}
	p := Position{Flavor: FlavorMariaDB}
	for _, row := range rows {
		if len(row) < 2 {
			return Position{}, fmt.Errorf("read binlog_snapshot_file/_position: %d columns", len(row))
		}
		name, value := row[0], row[1]
		switch name {
		case "Binlog_snapshot_file", "binlog_snapshot_file":
			p.File = value
		case "Binlog_snapshot_position", "binlog_snapshot_position":
			var n uint64
			if _, err := fmt.Sscan(value, &n); err != nil {
				return Position{}, fmt.Errorf("binlog_snapshot_position %q: %w", value, err)
			}
			p.Pos = uint32(n)
		}
	}
	if p.File == "" {
		return Position{}, errors.New("the server reports no binlog_snapshot_file: is the binary log on?")
	}
	return p, nil
}

// mariaDBGTID adds the GTID position matching sn.pos's binlog file and offset.
func (sn *Snapshot) mariaDBGTID(ctx context.Context) error {
	var gtid sql.NullString
	if err := sn.pool.QueryRowContext(ctx, "SELECT BINLOG_GTID_POS(?, ?)", sn.pos.File, sn.pos.Pos).Scan(&gtid); err != nil {
		return fmt.Errorf("BINLOG_GTID_POS(%s, %d): %w", sn.pos.File, sn.pos.Pos, err)
	}
	if !gtid.Valid {
		// NULL also comes when the server cannot read the file up to the offset: it
		// reads with the global max_allowed_packet, and a row event of a larger
		// transaction (a 16 MB BLOB under the 16 MB default) stops it. The file and
		// offset are an exact position on this server, so the stream starts from them.
		kept, err := binlogFileListed(ctx, sn.pool, sn.pos.File)
		if err != nil {
			return fmt.Errorf("BINLOG_GTID_POS(%s, %d) is NULL; list the binary logs: %w", sn.pos.File, sn.pos.Pos, err)
		}
		if !kept {
			return fmt.Errorf("BINLOG_GTID_POS(%s, %d) is NULL: the binlog file is gone", sn.pos.File, sn.pos.Pos)
		}
		sn.log.Warn("the server cannot turn the snapshot's binlog offset into a GTID position (BINLOG_GTID_POS is NULL, typically because an event before it is larger than max_allowed_packet): the position is kept as binlog file and offset, exact on this server but not across a failover",
			"file", sn.pos.File, "pos", sn.pos.Pos)
		return nil
	}
	sn.pos.GTIDMode, sn.pos.GTID = true, gtid.String
	return nil
}

// binlogFileListed reports whether SHOW BINARY LOGS lists the file.
func binlogFileListed(ctx context.Context, pool *sql.DB, file string) (bool, error) {
	rows, err := pool.QueryContext(ctx, "SHOW BINARY LOGS")
	if err != nil {
		return false, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return false, err
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	found := false
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return false, err
		}
		found = found || string(vals[0]) == file
	}
	return found, rows.Err()
}

func allSame(ps []Position) bool {
	for _, p := range ps[1:] {
		if p != ps[0] {
			return false
		}
	}
	return len(ps) > 0
}

func earliest(ps []Position) Position {
	min := ps[0]
	for _, p := range ps[1:] {
		if c, err := p.Compare(min); err == nil && c < 0 {
			min = p
		}
	}
	return min
}

// Close ends the reader transactions and closes the snapshot's connections. It must
// not be called while a ReadChunk runs.
func (sn *Snapshot) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, rc := range sn.all {
		if rc.broken == nil {
			// Read-only: ending it is a courtesy to the server before the session goes.
			_ = rc.exec(ctx, "COMMIT")
		}
		_ = rc.close()
	}
	sn.all = nil
	return sn.pool.Close()
}
