package postgres

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/doris-sync/doris-sync/schema"
)

// Discover returns the ordinary and partitioned tables of every schema whose name fully
// matches the schema-name pattern, ordered by schema and table name. Partitions are left
// out (their rows are the root's), and so are views, materialized views and foreign
// tables.
func (s *Source) Discover(ctx context.Context) ([]*schema.Table, error) {
	schemas, err := s.schemas(ctx)
	if err != nil {
		return nil, err
	}
	if len(schemas) == 0 {
		return nil, fmt.Errorf("postgres source %s/%s: schema-name %q matches no schema", s.cfg.addr(), s.cfg.Database, s.cfg.Schemas.String())
	}
	tables, byOID, err := s.tables(ctx, schemas)
	if err != nil {
		return nil, err
	}
	if len(tables) == 0 {
		return nil, nil
	}
	if err := s.columns(ctx, byOID); err != nil {
		return nil, err
	}
	if err := s.keys(ctx, byOID); err != nil {
		return nil, err
	}
	return tables, nil
}

// schemas lists the matching user schemas. Names starting with pg_ are reserved for
// the system (pg_catalog, pg_toast, pg_temp_N).
func (s *Source) schemas(ctx context.Context) ([]string, error) {
	rows, err := s.conn.Query(ctx, "SELECT nspname::text FROM pg_namespace")
	if err != nil {
		return nil, s.queryError("list schemas", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, s.queryError("list schemas", err)
		}
		if strings.HasPrefix(name, "pg_") || name == "information_schema" {
			continue
		}
		if s.cfg.Schemas.MatchString(name) {
			out = append(out, name)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.queryError("list schemas", err)
	}
	sort.Strings(out)
	return out, nil
}

// tables lists the root tables of the schemas, ordered by schema and name.
func (s *Source) tables(ctx context.Context, schemas []string) ([]*schema.Table, map[uint32]*schema.Table, error) {
	rows, err := s.conn.Query(ctx, `SELECT c.oid, n.nspname::text, c.relname::text, COALESCE(obj_description(c.oid, 'pg_class'), '')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY($1::text[])`, schemas)
	if err != nil {
		return nil, nil, s.queryError("list tables", err)
	}
	defer rows.Close()
	var tables []*schema.Table
	byOID := map[uint32]*schema.Table{}
	for rows.Next() {
		var oid uint32
		t := &schema.Table{ID: schema.TableID{Database: s.cfg.Database}}
		if err := rows.Scan(&oid, &t.ID.Schema, &t.ID.Name, &t.Comment); err != nil {
			return nil, nil, s.queryError("list tables", err)
		}
		tables = append(tables, t)
		byOID[oid] = t
	}
	if err := rows.Err(); err != nil {
		return nil, nil, s.queryError("list tables", err)
	}
	sort.Slice(tables, func(i, j int) bool {
		a, b := tables[i].ID, tables[j].ID
		if a.Schema != b.Schema {
			return a.Schema < b.Schema
		}
		return a.Name < b.Name
	})
	return tables, byOID, nil
}

func oids(byOID map[uint32]*schema.Table) []uint32 {
	out := make([]uint32, 0, len(byOID))
	for oid := range byOID {
		out = append(out, oid)
	}
	return out
}

// columnRow is one attribute of a table.
type columnRow struct {
	rel                 uint32
	num                 int16
	name, typeText      string
	typeOID             uint32
	typmod              int32
	notNull             bool
	def                 *string
	identity, generated string
	comment             string
}

// columns fills in every table's columns in attribute order, with their types resolved
// through pg_type. Generated columns are left out, with a note: pgoutput never sends
// them (PostgreSQL ≤ 17 cannot, and 18 only to publications that ask, which ours do
// not), so a model holding them would not match the stream's rows, and the first
// Relation message would look like a DROP COLUMN.
func (s *Source) columns(ctx context.Context, byOID map[uint32]*schema.Table) error {
	generated := "''"
	if s.versionNum >= 120000 {
		generated = "a.attgenerated::text"
	}
	rows, err := s.conn.Query(ctx, `SELECT a.attrelid, a.attnum, a.attname::text, format_type(a.atttypid, a.atttypmod),
		a.atttypid, a.atttypmod, a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, `+generated+`,
		COALESCE(col_description(a.attrelid, a.attnum), '')
		FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attrelid, a.attnum`, oids(byOID))
	if err != nil {
		return s.queryError("read columns", err)
	}
	var cols []columnRow
	for rows.Next() {
		var r columnRow
		if err := rows.Scan(&r.rel, &r.num, &r.name, &r.typeText, &r.typeOID, &r.typmod, &r.notNull, &r.def,
			&r.identity, &r.generated, &r.comment); err != nil {
			rows.Close()
			return s.queryError("read columns", err)
		}
		cols = append(cols, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return s.queryError("read columns", err)
	}

	types := newTypeResolver(s)
	for _, c := range cols {
		types.need(c.typeOID, c.typmod)
	}
	if err := types.load(ctx); err != nil {
		return err
	}
	for _, r := range cols {
		t := byOID[r.rel]
		if r.generated != "" {
			kind := "STORED"
			if r.generated == "v" {
				kind = "VIRTUAL"
			}
			t.Notes = append(t.Notes, schema.Note{Column: r.name, Message: "generated column (GENERATED ALWAYS AS … " + kind +
				") left out: PostgreSQL logical replication does not send generated columns, so it is not replicated; " +
				"compute it in Doris if you need it"})
			continue
		}
		st, domainNotNull := types.resolve(r.typeOID, r.typmod)
		c := schema.Column{
			Name:          r.name,
			TypeText:      r.typeText,
			Type:          st,
			Nullable:      !r.notNull && !domainNotNull,
			Comment:       r.comment,
			AutoIncrement: r.identity != "" || r.def != nil && strings.HasPrefix(*r.def, "nextval("),
		}
		if r.def != nil && r.generated == "" {
			c.Default = parseDefault(*r.def)
		}
		t.Columns = append(t.Columns, c)
	}
	return nil
}

var (
	quotedLiteral = regexp.MustCompile(`^'((?:[^']|'')*)'(?:::[^']+)?$`)
	numberDefault = regexp.MustCompile(`^\(?([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\)?(?:::[a-z][a-z0-9 _,()]*)?$`)
	nullDefault   = regexp.MustCompile(`^(?i)NULL(?:::[^']+)?$`)
)

// parseDefault reads a column default as pg_get_expr prints it: 'abc'::character
// varying and 42 and (-1) and true are values; NULL::text is no default; everything
// else (now(), nextval('s'::regclass), CURRENT_TIMESTAMP) is an expression.
func parseDefault(expr string) *schema.Default {
	switch {
	case nullDefault.MatchString(expr):
		return nil
	case quotedLiteral.MatchString(expr):
		m := quotedLiteral.FindStringSubmatch(expr)
		return &schema.Default{Value: strings.ReplaceAll(m[1], "''", "'")}
	case numberDefault.MatchString(expr):
		return &schema.Default{Value: numberDefault.FindStringSubmatch(expr)[1]}
	case expr == "true" || expr == "false":
		return &schema.Default{Value: expr}
	}
	return &schema.Default{Value: expr, Expression: true}
}

// keys fills in primary keys (pg_index.indkey order) and unique indexes (by index
// name). Partial and expression indexes do not make rows unique by columns and are left
// out, as are invalid ones; INCLUDE columns are not key columns.
func (s *Source) keys(ctx context.Context, byOID map[uint32]*schema.Table) error {
	keyAtts := "i.indnatts"
	if s.versionNum >= 110000 {
		keyAtts = "i.indnkeyatts"
	}
	rows, err := s.conn.Query(ctx, `SELECT i.indrelid, ic.relname::text, i.indisprimary,
		ARRAY(SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
			JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
			WHERE k.ord <= `+keyAtts+` ORDER BY k.ord),
		`+keyAtts+`::int
		FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
		WHERE i.indrelid = ANY($1::oid[]) AND (i.indisprimary OR i.indisunique) AND i.indisvalid
			AND i.indexprs IS NULL AND i.indpred IS NULL`, oids(byOID))
	if err != nil {
		return s.queryError("read keys", err)
	}
	defer rows.Close()
	for rows.Next() {
		var rel uint32
		var name string
		var primary bool
		var cols []string
		var nkeys int
		if err := rows.Scan(&rel, &name, &primary, &cols, &nkeys); err != nil {
			return s.queryError("read keys", err)
		}
		t := byOID[rel]
		if t == nil || len(cols) != nkeys || nkeys == 0 {
			continue // a system column or an expression in the key
		}
		if missing := absentColumn(t, cols); missing != "" {
			// A generated column in the key: the model does not have it, so neither
			// can its key.
			what := "unique index " + name
			if primary {
				what = "primary key"
			}
			t.Notes = append(t.Notes, schema.Note{Column: missing, Message: what +
				" left out: it includes this generated column, which is not replicated"})
			continue
		}
		if primary {
			t.PrimaryKey = cols
		} else {
			t.UniqueIndexes = append(t.UniqueIndexes, schema.Index{Name: name, Columns: cols})
		}
	}
	if err := rows.Err(); err != nil {
		return s.queryError("read keys", err)
	}
	for _, t := range byOID {
		sort.Slice(t.UniqueIndexes, func(i, j int) bool { return t.UniqueIndexes[i].Name < t.UniqueIndexes[j].Name })
	}
	return nil
}

// absentColumn returns the first of names that is not a column of t, or "".
func absentColumn(t *schema.Table, names []string) string {
	for _, n := range names {
		if t.ColumnIndex(n) < 0 {
			return n
		}
	}
	return ""
}
