package postgres

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/doris-sync/doris-sync/exitcode"
	"github.com/doris-sync/doris-sync/schema"
)

// PreflightError lists everything that keeps PostgreSQL from replicating the tables,
// one line per missing piece, each with its fix.
type PreflightError struct {
	Where    string // host:port/database
	Problems []string
}

func (e *PreflightError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "PostgreSQL %s is not ready for change capture (%d problem", e.Where, len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteByte('s')
	}
	b.WriteString("):")
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p)
	}
	return b.String()
}

// Preflight checks, before anything is created, that the server and the role can
// replicate tables: wal_level, the REPLICATION attribute, a free slot and WAL sender,
// the slot's plugin and database if it exists, the publication (or the rights to create
// or extend it), SELECT on every table and a replica identity on those without a
// primary key. Every missing piece is one line of a *PreflightError marked as a usage
// error (exit code 2).
func (r *Replicator) Preflight(ctx context.Context, tables []schema.TableID) error {
	s, err := r.openSession(ctx)
	if err != nil {
		return err
	}
	defer s.conn.Close(context.Background())
	c := preflight{r: r, s: s}
	for _, check := range []func(context.Context) error{
		c.version, c.walLevel, c.role, c.slot, c.walSenders,
	} {
		if err := check(ctx); err != nil {
			return err
		}
	}
	rels, err := c.relations(ctx, tables)
	if err != nil {
		return err
	}
	for _, check := range []func(context.Context, []pfRelation) error{c.publication, c.readable, c.replicaIdentity} {
		if err := check(ctx, rels); err != nil {
			return err
		}
	}
	if len(c.problems) > 0 {
		return exitcode.Usage(&PreflightError{Where: r.where(), Problems: c.problems})
	}
	return nil
}

type preflight struct {
	r        *Replicator
	s        *Source
	user     string
	super    bool
	problems []string
}

func (c *preflight) add(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

func (c *preflight) query(ctx context.Context, what, sql string, args []any, dest ...any) error {
	if err := c.s.conn.QueryRow(ctx, sql, args...).Scan(dest...); err != nil {
		return c.s.queryError("pre-flight: "+what, err)
	}
	return nil
}

func (c *preflight) version(context.Context) error {
	if c.s.versionNum < 100000 {
		c.add("PostgreSQL %d.%d has no publications or pgoutput: upgrade to PostgreSQL 10 or later (13 or later for partitioned tables)",
			c.s.versionNum/10000, c.s.versionNum/100%100)
	}
	return nil
}

func (c *preflight) walLevel(ctx context.Context) error {
	var level string
	if err := c.query(ctx, "read wal_level", "SELECT current_setting('wal_level')", nil, &level); err != nil {
		return err
	}
	if level != "logical" {
		c.add("wal_level is %s, logical decoding needs logical: run ALTER SYSTEM SET wal_level = logical as a superuser and restart PostgreSQL", level)
	}
	return nil
}

func (c *preflight) role(ctx context.Context) error {
	var replication bool
	// rds_replication is how Amazon RDS and Aurora grant replication to non-superusers.
	err := c.query(ctx, "read the role", `SELECT current_user::text, r.rolsuper,
		r.rolreplication OR EXISTS (SELECT 1 FROM pg_roles g WHERE g.rolname = 'rds_replication' AND pg_has_role(r.oid, g.oid, 'MEMBER'))
		FROM pg_roles r WHERE r.rolname = current_user`, nil, &c.user, &c.super, &replication)
	if err != nil {
		return err
	}
	if !c.super && !replication {
		c.add("role %s lacks the REPLICATION attribute: run ALTER ROLE %s REPLICATION as a superuser", c.user, quoteIdent(c.user))
	}
	return nil
}

func (c *preflight) slot(ctx context.Context) error {
	st, err := slotStatusOn(ctx, c.s, c.r.opts)
	if err != nil {
		return err
	}
	name := c.r.opts.Slot
	drop := fmt.Sprintf("SELECT pg_drop_replication_slot('%s')", name)
	if st.Exists {
		switch {
		case st.Plugin != "pgoutput":
			c.add("replication slot %s uses the %s plugin, doris-sync reads pgoutput: choose another slot.name or drop it (%s)", name, st.Plugin, drop)
		case st.Database != c.r.cfg.Database:
			c.add("replication slot %s belongs to database %s, not %s: choose another slot.name", name, st.Database, c.r.cfg.Database)
		case st.Active:
			c.add("replication slot %s is in use by another connection (pid %d): stop that consumer or choose another slot.name", name, st.ActivePID)
		case st.WALStatus == "lost":
			c.add("replication slot %s has lost WAL it needed (wal_status lost): drop it (%s) and start over with a snapshot", name, drop)
		}
		return nil
	}
	var used, max int
	var inactive []string
	err = c.query(ctx, "count replication slots", `SELECT count(*)::int, current_setting('max_replication_slots')::int,
		ARRAY(SELECT slot_name::text FROM pg_replication_slots WHERE NOT active ORDER BY slot_name)
		FROM pg_replication_slots`, nil, &used, &max, &inactive)
	if err != nil {
		return err
	}
	if used >= max {
		hint := "raise max_replication_slots and restart PostgreSQL"
		if len(inactive) > 0 {
			hint = fmt.Sprintf("drop an unused one (inactive: %s) with SELECT pg_drop_replication_slot('name'), or %s", strings.Join(inactive, ", "), hint)
		}
		c.add("all %d replication slots are taken (max_replication_slots = %d): %s", used, max, hint)
	}
	return nil
}

func (c *preflight) walSenders(ctx context.Context) error {
	var used, max int
	err := c.query(ctx, "count WAL senders", `SELECT (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'walsender'),
		current_setting('max_wal_senders')::int`, nil, &used, &max)
	if err != nil {
		return err
	}
	if used >= max {
		c.add("all %d WAL senders are busy (max_wal_senders = %d): raise max_wal_senders and restart PostgreSQL, or stop an idle replication client", used, max)
	}
	return nil
}

// pfRelation is a synced table as the catalog sees it.
type pfRelation struct {
	oid         uint32
	schema      string
	name        string
	partitioned bool
	owned       bool // the role is (a member of) the owner, so it may publish the table
	schemaUsage bool
	selectable  bool
}

func (p pfRelation) quoted() string { return quoteTable(p.schema, p.name) }

// relations looks the synced tables up; tables that no longer exist are left out.
func (c *preflight) relations(ctx context.Context, tables []schema.TableID) ([]pfRelation, error) {
	schemas := make([]string, len(tables))
	names := make([]string, len(tables))
	for i, t := range tables {
		schemas[i], names[i] = t.Schema, t.Name
	}
	rows, err := c.s.conn.Query(ctx, `SELECT c.oid, n.nspname::text, c.relname::text, c.relkind = 'p',
		pg_has_role(c.relowner, 'USAGE'), has_schema_privilege(n.oid, 'USAGE'), has_table_privilege(c.oid, 'SELECT')
		FROM unnest($1::text[], $2::text[]) AS x(s, t)
		JOIN pg_namespace n ON n.nspname = x.s JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = x.t
		ORDER BY 2, 3`, schemas, names)
	if err != nil {
		return nil, c.s.queryError("pre-flight: look up the tables", err)
	}
	defer rows.Close()
	var out []pfRelation
	for rows.Next() {
		var p pfRelation
		if err := rows.Scan(&p.oid, &p.schema, &p.name, &p.partitioned, &p.owned, &p.schemaUsage, &p.selectable); err != nil {
			return nil, c.s.queryError("pre-flight: look up the tables", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, c.s.queryError("pre-flight: look up the tables", err)
	}
	return out, nil
}

func quotedList(rels []pfRelation) string {
	q := make([]string, len(rels))
	for i, p := range rels {
		q[i] = p.quoted()
	}
	return strings.Join(q, ", ")
}

// publication checks that the publication exists and covers every table with every
// operation, or that the role can make it so (EnsurePublication then does).
func (c *preflight) publication(ctx context.Context, rels []pfRelation) error {
	pub, err := readPublication(ctx, c.s, c.r.opts.Publication)
	if err != nil {
		return err
	}
	name := quoteIdent(c.r.opts.Publication)
	partitioned := false
	for _, p := range rels {
		partitioned = partitioned || p.partitioned
	}
	if partitioned && c.s.versionNum < 130000 {
		c.add("PostgreSQL %d cannot publish partitioned tables through their root (publish_via_partition_root needs 13 or later): upgrade, or exclude the partitioned tables",
			c.s.versionNum/10000)
	}
	if !pub.exists {
		if c.r.opts.AllTables {
			if !c.super {
				c.add("publication %s does not exist and only a superuser can create it FOR ALL TABLES: run %s as a superuser", name, createPublicationSQL(c.r.opts, []pfRelation(nil), c.s.versionNum))
			}
			return nil
		}
		var canCreate bool
		if err := c.query(ctx, "check CREATE on the database", "SELECT has_database_privilege(current_database(), 'CREATE')", nil, &canCreate); err != nil {
			return err
		}
		var notOwned []pfRelation
		for _, p := range rels {
			if !p.owned && !c.super {
				notOwned = append(notOwned, p)
			}
		}
		sql := createPublicationSQL(c.r.opts, rels, c.s.versionNum)
		switch {
		case len(notOwned) > 0:
			c.add("publication %s does not exist and role %s cannot create it because it does not own %s: run %s as their owner", name, c.user, quotedList(notOwned), sql)
		case !canCreate && !c.super:
			c.add("publication %s does not exist and role %s may not create publications in database %s: run GRANT CREATE ON DATABASE %s TO %s, or run %s as the tables' owner",
				name, c.user, c.r.cfg.Database, quoteIdent(c.r.cfg.Database), quoteIdent(c.user), sql)
		}
		return nil
	}
	fixable := pub.owned || c.super
	if missing := pub.missingOps(); len(missing) > 0 && !fixable {
		c.add("publication %s does not publish %s, so those changes would be lost: run ALTER PUBLICATION %s SET (publish = 'insert, update, delete, truncate') as its owner (%s)",
			name, strings.Join(missing, " and "), name, pub.owner)
	}
	if partitioned && !pub.viaRoot && c.s.versionNum >= 130000 && !fixable {
		c.add("publication %s sends partitions under their own names: run ALTER PUBLICATION %s SET (publish_via_partition_root = true) as its owner (%s)", name, name, pub.owner)
	}
	if pub.allTables {
		return nil
	}
	covered, err := publishedTables(ctx, c.s, pub)
	if err != nil {
		return err
	}
	var missing, blocked []pfRelation
	for _, p := range rels {
		if covered[p.oid] {
			continue
		}
		missing = append(missing, p)
		if !fixable || (!p.owned && !c.super) {
			blocked = append(blocked, p)
		}
	}
	if len(blocked) > 0 {
		c.add("publication %s does not include %s and role %s cannot add them (it must own the publication and the tables): run ALTER PUBLICATION %s ADD TABLE %s as their owner",
			name, quotedList(blocked), c.user, name, quotedList(missing))
	}
	return nil
}

func (c *preflight) readable(_ context.Context, rels []pfRelation) error {
	var schemas []string
	var tables []pfRelation
	seen := map[string]bool{}
	for _, p := range rels {
		if !p.schemaUsage && !seen[p.schema] {
			seen[p.schema] = true
			schemas = append(schemas, quoteIdent(p.schema))
		}
		if !p.selectable {
			tables = append(tables, p)
		}
	}
	if len(schemas) > 0 {
		c.add("role %s may not use schema %s: run GRANT USAGE ON SCHEMA %s TO %s", c.user, strings.Join(schemas, ", "), strings.Join(schemas, ", "), quoteIdent(c.user))
	}
	if len(tables) > 0 {
		c.add("role %s may not read %s: run GRANT SELECT ON %s TO %s", c.user, quotedList(tables), quotedList(tables), quoteIdent(c.user))
	}
	return nil
}

// replicaIdentity finds published tables (for a partitioned table: its leaf partitions,
// whose identity PostgreSQL checks) that have no replica identity. Once published,
// PostgreSQL refuses their UPDATE and DELETE outright, so this is never a warning.
func (c *preflight) replicaIdentity(ctx context.Context, rels []pfRelation) error {
	if len(rels) == 0 {
		return nil
	}
	oids := make([]uint32, len(rels))
	for i, p := range rels {
		oids[i] = p.oid
	}
	leaves := "SELECT unnest($1::oid[])"
	if c.s.versionNum >= 120000 {
		leaves += " UNION SELECT t.relid FROM unnest($1::oid[]) AS r(oid), pg_partition_tree(r.oid) AS t WHERE t.isleaf"
	}
	rows, err := c.s.conn.Query(ctx, `SELECT n.nspname::text, c.relname::text, c.relreplident::text,
		EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary),
		EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.oid IN (`+leaves+`) AND c.relkind <> 'p' ORDER BY 1, 2`, oids)
	if err != nil {
		return c.s.queryError("pre-flight: read replica identities", err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var nsp, rel, ident string
		var hasPK, hasIdentIndex bool
		if err := rows.Scan(&nsp, &rel, &ident, &hasPK, &hasIdentIndex); err != nil {
			return c.s.queryError("pre-flight: read replica identities", err)
		}
		q := quoteTable(nsp, rel)
		switch {
		case ident == "n":
			lines = append(lines, fmt.Sprintf("table %s has REPLICA IDENTITY NOTHING, so PostgreSQL would refuse its UPDATE and DELETE once published: run ALTER TABLE %s REPLICA IDENTITY %s",
				q, q, map[bool]string{true: "DEFAULT", false: "FULL"}[hasPK]))
		case ident == "d" && !hasPK:
			lines = append(lines, fmt.Sprintf("table %s has no primary key, so PostgreSQL would refuse its UPDATE and DELETE once published: run ALTER TABLE %s REPLICA IDENTITY FULL (or add a primary key)", q, q))
		case ident == "i" && !hasIdentIndex:
			lines = append(lines, fmt.Sprintf("table %s has lost its replica identity index: run ALTER TABLE %s REPLICA IDENTITY FULL (or USING INDEX another unique index)", q, q))
		}
	}
	if err := rows.Err(); err != nil {
		return c.s.queryError("pre-flight: read replica identities", err)
	}
	sort.Strings(lines)
	c.problems = append(c.problems, lines...)
	return nil
}
