package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/doris-sync/doris-sync/exitcode"
	"github.com/doris-sync/doris-sync/schema"
)

// publicationInfo is a row of pg_publication.
type publicationInfo struct {
	exists                           bool
	oid                              uint32
	allTables, viaRoot               bool
	insert, update, delete, truncate bool
	owner                            string
	owned                            bool // the role is (a member of) its owner
}

func (p publicationInfo) missingOps() []string {
	var out []string
	for _, op := range []struct {
		on   bool
		name string
	}{{p.insert, "insert"}, {p.update, "update"}, {p.delete, "delete"}, {p.truncate, "truncate"}} {
		if !op.on {
			out = append(out, op.name)
		}
	}
	return out
}

func readPublication(ctx context.Context, s *Source, name string) (publicationInfo, error) {
	viaRoot := "false"
	if s.versionNum >= 130000 {
		viaRoot = "p.pubviaroot"
	}
	truncate := "false"
	if s.versionNum >= 110000 {
		truncate = "p.pubtruncate"
	}
	p := publicationInfo{exists: true}
	err := s.conn.QueryRow(ctx, `SELECT p.oid, p.puballtables, `+viaRoot+`, p.pubinsert, p.pubupdate, p.pubdelete, `+truncate+`,
		pg_get_userbyid(p.pubowner)::text, pg_has_role(p.pubowner, 'USAGE')
		FROM pg_publication p WHERE p.pubname = $1`, name).
		Scan(&p.oid, &p.allTables, &p.viaRoot, &p.insert, &p.update, &p.delete, &p.truncate, &p.owner, &p.owned)
	if errors.Is(err, pgx.ErrNoRows) {
		return publicationInfo{}, nil
	}
	if err != nil {
		return p, s.queryError("read publication "+name, err)
	}
	return p, nil
}

// publishedTables is the set of table OIDs a publication names, directly or (PostgreSQL
// 15+) through FOR TABLES IN SCHEMA. Partitioned tables count as themselves.
func publishedTables(ctx context.Context, s *Source, p publicationInfo) (map[uint32]bool, error) {
	q := "SELECT prrelid FROM pg_publication_rel WHERE prpubid = $1"
	if s.versionNum >= 150000 {
		q += ` UNION SELECT c.oid FROM pg_publication_namespace pn JOIN pg_class c ON c.relnamespace = pn.pnnspid
			WHERE pn.pnpubid = $1 AND c.relkind IN ('r', 'p')`
	}
	rows, err := s.conn.Query(ctx, q, p.oid)
	if err != nil {
		return nil, s.queryError("read the publication's tables", err)
	}
	defer rows.Close()
	out := map[uint32]bool{}
	for rows.Next() {
		var oid uint32
		if err := rows.Scan(&oid); err != nil {
			return nil, s.queryError("read the publication's tables", err)
		}
		out[oid] = true
	}
	if err := rows.Err(); err != nil {
		return nil, s.queryError("read the publication's tables", err)
	}
	return out, nil
}

// tableIdentity is how a table is named in SQL; pfRelation and schema.TableID have one.
type tableIdentity interface{ quoted() string }

type tableID schema.TableID

func (t tableID) quoted() string { return quoteTable(t.Schema, t.Name) }

func createPublicationSQL[T tableIdentity](opts ReplicationOptions, tables []T, versionNum int) string {
	var b strings.Builder
	b.WriteString("CREATE PUBLICATION ")
	b.WriteString(quoteIdent(opts.Publication))
	switch {
	case opts.AllTables:
		b.WriteString(" FOR ALL TABLES")
	case len(tables) > 0:
		b.WriteString(" FOR TABLE ")
		for i, t := range tables {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(t.quoted())
		}
	}
	if versionNum >= 130000 {
		b.WriteString(" WITH (publish_via_partition_root = true)")
	}
	return b.String()
}

// EnsurePublication creates the publication for the tables (FOR ALL TABLES with the
// AllTables option), with publish_via_partition_root so partitions' rows arrive under
// their root; on an existing one it turns on any missing operation (and
// publish_via_partition_root when a table is partitioned), and adds the tables it
// lacks. Call it again with the full table list when tables are added: PostgreSQL
// sends a table's changes from the ALTER PUBLICATION's commit on. A refusal for lack
// of rights is a usage error naming the statement to run as the owner.
func (r *Replicator) EnsurePublication(ctx context.Context, tables []schema.TableID) error {
	s, err := r.openSession(ctx)
	if err != nil {
		return err
	}
	defer s.conn.Close(context.Background())
	pub, err := readPublication(ctx, s, r.opts.Publication)
	if err != nil {
		return err
	}
	ids := make([]tableID, len(tables))
	for i, t := range tables {
		ids[i] = tableID(t)
	}
	if !pub.exists {
		sql := createPublicationSQL(r.opts, ids, s.versionNum)
		if _, err := s.conn.Exec(ctx, sql); err != nil {
			return r.publicationError(s, sql, err)
		}
		markPublication(ctx, s, r.opts)
		slog.Info("created publication", "publication", r.opts.Publication, "tables", len(tables), "all_tables", r.opts.AllTables)
		return nil
	}
	name := quoteIdent(r.opts.Publication)
	found, err := lookUpTables(ctx, s, tables)
	if err != nil {
		return err
	}
	partitioned := false
	for _, f := range found {
		partitioned = partitioned || f.partitioned
	}
	var set []string
	if len(pub.missingOps()) > 0 {
		set = append(set, "publish = 'insert, update, delete, truncate'")
	}
	if partitioned && !pub.viaRoot && s.versionNum >= 130000 {
		set = append(set, "publish_via_partition_root = true")
	}
	if len(set) > 0 {
		sql := "ALTER PUBLICATION " + name + " SET (" + strings.Join(set, ", ") + ")"
		if _, err := s.conn.Exec(ctx, sql); err != nil {
			return r.publicationError(s, sql, err)
		}
		slog.Info("changed publication settings", "publication", r.opts.Publication, "set", strings.Join(set, ", "))
	}
	if pub.allTables || len(tables) == 0 {
		return nil
	}
	covered, err := publishedTables(ctx, s, pub)
	if err != nil {
		return err
	}
	var add []string
	for i, t := range tables {
		if oid := found[i].oid; oid != 0 && !covered[oid] {
			add = append(add, tableID(t).quoted())
		}
	}
	if len(add) == 0 {
		return nil
	}
	sql := "ALTER PUBLICATION " + name + " ADD TABLE " + strings.Join(add, ", ")
	if _, err := s.conn.Exec(ctx, sql); err != nil {
		return r.publicationError(s, sql, err)
	}
	slog.Info("added tables to the publication", "publication", r.opts.Publication, "tables", strings.Join(add, ", "))
	return nil
}

func (r *Replicator) publicationError(s *Source, sql string, err error) error {
	if pgCode(err) == insufficientPrivilege {
		return exitcode.Usage(fmt.Errorf("postgres source %s: role %s may not change publication %s (%s): run %s as the owner of the publication and the tables",
			r.where(), r.cfg.User, r.opts.Publication, oneLine(err.Error()), sql))
	}
	return s.queryError("publication "+r.opts.Publication, err)
}

// foundTable is a table looked up by name: oid 0 when it does not exist.
type foundTable struct {
	oid         uint32
	partitioned bool
}

// lookUpTables finds the tables by name, in one query.
func lookUpTables(ctx context.Context, s *Source, tables []schema.TableID) ([]foundTable, error) {
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = tableID(t).quoted()
	}
	rows, err := s.conn.Query(ctx, `SELECT COALESCE(c.oid, 0), COALESCE(c.relkind = 'p', false)
		FROM unnest($1::text[]) WITH ORDINALITY AS x(name, n) LEFT JOIN pg_class c ON c.oid = to_regclass(x.name)
		ORDER BY x.n`, names)
	if err != nil {
		return nil, s.queryError("look up the tables", err)
	}
	defer rows.Close()
	out := make([]foundTable, 0, len(tables))
	for rows.Next() {
		var f foundTable
		if err := rows.Scan(&f.oid, &f.partitioned); err != nil {
			return nil, s.queryError("look up the tables", err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, s.queryError("look up the tables", err)
	}
	return out, nil
}

// SlotStatus is a row of pg_replication_slots, with the WAL it holds back.
type SlotStatus struct {
	Exists         bool
	Plugin         string
	Database       string
	Active         bool
	ActivePID      int
	RestartLSN     LSN
	ConfirmedFlush LSN
	// RetainedBytes is pg_current_wal_lsn() - restart_lsn: the WAL PostgreSQL keeps on
	// disk for this slot.
	RetainedBytes int64
	// WALStatus is reserved, extended, unreserved or lost (PostgreSQL 13+; "" before).
	WALStatus string
	// Warning is set when RetainedBytes passes the threshold (ReplicationOptions.
	// WALWarnBytes) or the slot lost WAL; "" otherwise.
	Warning string
}

// SlotStatus reads the slot's row. A missing slot is Exists false, not an error.
func (r *Replicator) SlotStatus(ctx context.Context) (SlotStatus, error) {
	s, err := r.openSession(ctx)
	if err != nil {
		return SlotStatus{}, err
	}
	defer s.conn.Close(context.Background())
	return slotStatusOn(ctx, s, r.opts)
}

func slotStatusOn(ctx context.Context, s *Source, opts ReplicationOptions) (SlotStatus, error) {
	walStatus := "''"
	if s.versionNum >= 130000 {
		walStatus = "COALESCE(wal_status, '')"
	}
	st := SlotStatus{Exists: true}
	var pid *int32
	var restart, confirmed *string
	var retained *int64
	err := s.conn.QueryRow(ctx, `SELECT COALESCE(plugin, '')::text, COALESCE(database, '')::text, active, active_pid,
		restart_lsn::text, confirmed_flush_lsn::text,
		CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint END,
		`+walStatus+`::text
		FROM pg_replication_slots WHERE slot_name = $1`, opts.Slot).
		Scan(&st.Plugin, &st.Database, &st.Active, &pid, &restart, &confirmed, &retained, &st.WALStatus)
	if errors.Is(err, pgx.ErrNoRows) {
		return SlotStatus{}, nil
	}
	if err != nil {
		return SlotStatus{}, s.queryError("read replication slot "+opts.Slot, err)
	}
	if pid != nil {
		st.ActivePID = int(*pid)
	}
	for _, l := range []struct {
		text *string
		dst  *LSN
	}{{restart, &st.RestartLSN}, {confirmed, &st.ConfirmedFlush}} {
		if l.text != nil {
			if *l.dst, err = ParseLSN(*l.text); err != nil {
				return SlotStatus{}, err
			}
		}
	}
	if retained != nil {
		st.RetainedBytes = *retained
	}
	switch {
	case st.WALStatus == "lost":
		st.Warning = fmt.Sprintf("replication slot %s has lost WAL it needed (wal_status lost): its changes are gone and a new snapshot is needed", opts.Slot)
	case st.RetainedBytes > opts.WALWarnBytes:
		st.Warning = fmt.Sprintf("replication slot %s holds back %s of WAL (more than %s): the consumer is behind or not running; PostgreSQL's disk fills until it catches up or the slot is dropped (DropSlotAndPublication)",
			opts.Slot, byteSize(st.RetainedBytes), byteSize(opts.WALWarnBytes))
	}
	return st, nil
}

func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

// CurrentLSN is the server's current WAL write position: what a catch-up run (cron
// mode) must reach before it stops.
func (r *Replicator) CurrentLSN(ctx context.Context) (LSN, error) {
	s, err := r.openSession(ctx)
	if err != nil {
		return 0, err
	}
	defer s.conn.Close(context.Background())
	var text string
	if err := s.conn.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&text); err != nil {
		return 0, s.queryError("read the current WAL position", err)
	}
	return ParseLSN(text)
}

// DropAbandonedSlot drops this job's slot when a run of the same job created it and
// was stopped before saving any position from it (the caller knows that from its state).
// The publication is left alone. A slot still held by a consumer gets a few seconds for
// the killed run's walsender to go away; one held longer belongs to someone else and is
// not touched.
func (r *Replicator) DropAbandonedSlot(ctx context.Context) error {
	s, err := r.openSession(ctx)
	if err != nil {
		return err
	}
	defer s.conn.Close(context.Background())
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := slotStatusOn(ctx, s, r.opts)
		if err != nil {
			return err
		}
		if !st.Exists {
			return nil
		}
		if !st.Active {
			break
		}
		if time.Now().After(deadline) {
			return exitcode.Usagef("postgres source %s: replication slot %s is in use by pid %d: stop the job that reads it, then drop it", r.where(), r.opts.Slot, st.ActivePID)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	if _, err := s.conn.Exec(ctx, "SELECT pg_drop_replication_slot($1)", r.opts.Slot); err != nil {
		return s.queryError("drop replication slot "+r.opts.Slot, err)
	}
	slog.Warn("dropped the replication slot an earlier run of this job created and stopped before its first checkpoint; a new one is created for the copy", "slot", r.opts.Slot)
	return nil
}

// DropSlotAndPublication is the cleanup path for a job that is given up: it drops the
// replication slot, so PostgreSQL stops keeping WAL for it, and the publication. Either
// may already be gone. A slot in use by a running consumer is not touched: stop the
// job first. The publication is dropped too even if other consumers share it, so only
// use this for a publication doris-sync created for this job (Cleanup is the careful
// path for users).
func (r *Replicator) DropSlotAndPublication(ctx context.Context) error {
	s, err := r.openSession(ctx)
	if err != nil {
		return err
	}
	defer s.conn.Close(context.Background())
	st, err := slotStatusOn(ctx, s, r.opts)
	if err != nil {
		return err
	}
	if st.Exists {
		if st.Active {
			return exitcode.Usagef("postgres source %s: replication slot %s is in use by pid %d: stop the job that reads it, then drop it", r.where(), r.opts.Slot, st.ActivePID)
		}
		if _, err := s.conn.Exec(ctx, "SELECT pg_drop_replication_slot($1)", r.opts.Slot); err != nil {
			return s.queryError("drop replication slot "+r.opts.Slot, err)
		}
		slog.Info("dropped replication slot", "slot", r.opts.Slot)
	}
	sql := "DROP PUBLICATION IF EXISTS " + quoteIdent(r.opts.Publication)
	if _, err := s.conn.Exec(ctx, sql); err != nil {
		return r.publicationError(s, sql, err)
	}
	slog.Info("dropped publication", "publication", r.opts.Publication)
	return nil
}
