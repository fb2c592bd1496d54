package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"

	"github.com/doris-sync/doris-sync/schema"
)

// relation is a table as the stream's Relation messages describe it.
type relation struct {
	id     schema.TableID
	follow bool
	cols   []relColumn
	codecs []codec
}

type relColumn struct {
	name   string
	oid    uint32
	typmod int32
}

func relColumns(m *pglogrepl.RelationMessage) []relColumn {
	cols := make([]relColumn, len(m.Columns))
	for i, c := range m.Columns {
		cols[i] = relColumn{name: c.Name, oid: c.DataType, typmod: c.TypeModifier}
	}
	return cols
}

// onRelation takes in a Relation message. PostgreSQL sends one before the first change
// of a table on each connection and again after its definition changed, so the same
// columns are the common case. Different columns than the schema last emitted for the
// table (or a table not seen before that Match accepts) make an OpDDL change with the
// new schema, emitted now: before the first row of the new shape.
func (ss *session) onRelation(ctx context.Context, m *pglogrepl.RelationMessage) error {
	s := ss.s
	id := schema.TableID{Database: s.r.cfg.Database, Schema: m.Namespace, Name: m.RelationName}
	cols := relColumns(m)
	if prev := s.rels[m.RelationID]; prev != nil && prev.id == id && slices.Equal(prev.cols, cols) {
		return nil
	}
	known := s.known[id]
	rel := &relation{id: id, cols: cols, follow: known != nil || s.opts.Match != nil && s.opts.Match(id)}
	if known == nil && rel.follow {
		// PostgreSQL 13–15 send a partition's own Relation message after its root's
		// even when the publication sends its rows under the root (publish_via_partition_root,
		// which the preflight requires): a partition is never a table of its own.
		partition, err := ss.isPartition(ctx, m.RelationID)
		if err != nil {
			return err
		}
		rel.follow = !partition
	}
	s.rels[m.RelationID] = rel
	if !rel.follow {
		return nil
	}
	texts, err := ss.describeTypes(ctx, cols)
	if err != nil {
		return err
	}
	for _, c := range cols {
		rel.codecs = append(rel.codecs, typeCodec(ss.types.types, c.oid, c.typmod))
	}
	if known != nil && sameShape(known, cols, texts) {
		return nil
	}
	table, err := ss.buildTable(ctx, m.RelationID, id, cols, texts, known)
	if err != nil {
		return err
	}
	s.known[id] = table
	if err := ss.flushPending(); err != nil {
		return err
	}
	ch := schema.Change{
		Table:      id,
		Op:         schema.OpDDL,
		DDL:        reconstructDDL(known, table),
		NewSchema:  table,
		Position:   Position{Commit: ss.txCommit, Seq: 2*ss.txSeq + 1}, // before the next row
		CommitTime: ss.txTime,
	}
	return ss.emitChange(ch)
}

// isPartition reports whether the relation is a partition of another table (false when
// it no longer exists).
func (ss *session) isPartition(ctx context.Context, relID uint32) (bool, error) {
	var partition bool
	err := ss.catalog.conn.QueryRow(ctx, "SELECT relispartition FROM pg_class WHERE oid = $1", relID).Scan(&partition)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, ss.catalog.queryError("look up a relation", err)
	}
	return partition, nil
}

// describeTypes loads the columns' types into the session's resolver and returns their
// format_type text, the way discovery prints column types.
func (ss *session) describeTypes(ctx context.Context, cols []relColumn) ([]string, error) {
	oids := make([]uint32, len(cols))
	mods := make([]int32, len(cols))
	for i, c := range cols {
		oids[i], mods[i] = c.oid, c.typmod
		ss.types.need(c.oid, c.typmod)
	}
	if err := ss.types.load(ctx); err != nil {
		return nil, err
	}
	rows, err := ss.catalog.conn.Query(ctx, `SELECT format_type(x.o, x.m) FROM unnest($1::oid[], $2::int4[]) WITH ORDINALITY AS x(o, m, n) ORDER BY x.n`, oids, mods)
	if err != nil {
		return nil, ss.catalog.queryError("format column types", err)
	}
	defer rows.Close()
	texts := make([]string, 0, len(cols))
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, ss.catalog.queryError("format column types", err)
		}
		texts = append(texts, t)
	}
	if err := rows.Err(); err != nil {
		return nil, ss.catalog.queryError("format column types", err)
	}
	return texts, nil
}

// sameShape: the same column names and types, in the same order.
func sameShape(t *schema.Table, cols []relColumn, texts []string) bool {
	if len(t.Columns) != len(cols) {
		return false
	}
	for i, c := range t.Columns {
		if c.Name != cols[i].name || c.TypeText != texts[i] {
			return false
		}
	}
	return true
}

// buildTable makes the table's new schema. The columns, their order and types are the
// Relation message's: they describe the rows that follow. What the message lacks
// (nullability, defaults, comments, keys) comes from the catalog for columns that are
// still the same there, else from the schema known before; a new column the catalog
// no longer knows as such is nullable.
func (ss *session) buildTable(ctx context.Context, relID uint32, id schema.TableID, cols []relColumn, texts []string, known *schema.Table) (*schema.Table, error) {
	catalog := &schema.Table{ID: id}
	byOID := map[uint32]*schema.Table{relID: catalog}
	if err := ss.catalog.columns(ctx, byOID); err != nil {
		return nil, err
	}
	if err := ss.catalog.keys(ctx, byOID); err != nil {
		return nil, err
	}
	t := &schema.Table{ID: id}
	if known != nil {
		t.Comment = known.Comment
	}
	lookup := func(in *schema.Table, name, typeText string) *schema.Column {
		if in == nil {
			return nil
		}
		if i := in.ColumnIndex(name); i >= 0 && in.Columns[i].TypeText == typeText {
			return &in.Columns[i]
		}
		return nil
	}
	for i, c := range cols {
		switch col := lookup(catalog, c.name, texts[i]); {
		case col != nil:
			t.Columns = append(t.Columns, *col)
		case lookup(known, c.name, texts[i]) != nil:
			t.Columns = append(t.Columns, *lookup(known, c.name, texts[i]))
		default:
			st, _ := ss.types.resolve(c.oid, c.typmod)
			t.Columns = append(t.Columns, schema.Column{Name: c.name, TypeText: texts[i], Type: st, Nullable: true})
		}
	}
	has := func(names []string) bool {
		for _, n := range names {
			if t.ColumnIndex(n) < 0 {
				return false
			}
		}
		return len(names) > 0
	}
	switch {
	case has(catalog.PrimaryKey):
		t.PrimaryKey = catalog.PrimaryKey
	case known != nil && has(known.PrimaryKey):
		t.PrimaryKey = known.PrimaryKey
	}
	for _, ix := range catalog.UniqueIndexes {
		if has(ix.Columns) {
			t.UniqueIndexes = append(t.UniqueIndexes, ix)
		}
	}
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("postgres stream: schema of %s from its Relation message: %w", id, err)
	}
	return t, nil
}

// reconstructDDL describes a schema change as SQL, for logs: pgoutput does not carry
// the statement.
func reconstructDDL(before, after *schema.Table) string {
	name := quoteTable(after.ID.Schema, after.ID.Name)
	if before == nil {
		cols := make([]string, len(after.Columns))
		for i, c := range after.Columns {
			cols[i] = quoteIdent(c.Name) + " " + c.TypeText
		}
		return "CREATE TABLE " + name + " (" + strings.Join(cols, ", ") + ")"
	}
	var parts []string
	for _, c := range after.Columns {
		switch i := before.ColumnIndex(c.Name); {
		case i < 0:
			parts = append(parts, "ADD COLUMN "+quoteIdent(c.Name)+" "+c.TypeText)
		case before.Columns[i].TypeText != c.TypeText:
			parts = append(parts, "ALTER COLUMN "+quoteIdent(c.Name)+" TYPE "+c.TypeText)
		}
	}
	for _, c := range before.Columns {
		if after.ColumnIndex(c.Name) < 0 {
			parts = append(parts, "DROP COLUMN "+quoteIdent(c.Name))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "-- column order changed")
	}
	return "ALTER TABLE " + name + " " + strings.Join(parts, ", ")
}
