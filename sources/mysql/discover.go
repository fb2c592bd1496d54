package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"github.com/doris-sync/doris-sync/schema"
)

// systemDatabases hold the server's own tables, never user data.
var systemDatabases = map[string]bool{
	"information_schema": true, "performance_schema": true, "mysql": true, "sys": true,
}

// tableKey is a table's exact identity. Every lookup is by exact name in Go: no
// statement here matches names with LIKE, so `a_c` can never pull in `abc`.
type tableKey struct{ db, name string }

// Discover returns the base tables of every database whose name fully matches the
// database-name regex, ordered by database and table name. Views and sequences are left
// out.
func (s *Source) Discover(ctx context.Context) ([]*schema.Table, error) {
	dbs, err := s.databases(ctx)
	if err != nil {
		return nil, err
	}
	if len(dbs) == 0 {
		return nil, fmt.Errorf("mysql source %s: database-name %q matches no database that user %s can see", s.cfg.addr(), s.cfg.Databases.String(), s.cfg.User)
	}
	tables, byKey, err := s.tables(ctx, dbs)
	if err != nil {
		return nil, err
	}
	if err := s.columns(ctx, dbs, byKey); err != nil {
		return nil, err
	}
	if err := s.keys(ctx, dbs, byKey); err != nil {
		return nil, err
	}
	for _, t := range tables {
		if len(t.Columns) == 0 {
			return nil, fmt.Errorf("mysql source %s: table %s has no columns the user %s can see", s.cfg.addr(), t.ID, s.cfg.User)
		}
	}
	return tables, nil
}

// databases lists the matching databases, sorted.
func (s *Source) databases(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA")
	if err != nil {
		return nil, s.queryError("list databases", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, s.queryError("list databases", err)
		}
		if !systemDatabases[strings.ToLower(name)] && s.cfg.Databases.MatchString(name) {
			out = append(out, name)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.queryError("list databases", err)
	}
	sort.Strings(out)
	return out, nil
}

// inList returns "(?, ?, …)" and its arguments.
func inList(values []string) (string, []any) {
	args := make([]any, len(values))
	for i, v := range values {
		args[i] = v
	}
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", len(values)), ", ") + ")", args
}

// tables lists the base tables of dbs, ordered by database and name. MariaDB reports
// system-versioned tables as SYSTEM VERSIONED; they are base tables too.
func (s *Source) tables(ctx context.Context, dbs []string) ([]*schema.Table, map[tableKey]*schema.Table, error) {
	in, args := inList(dbs)
	rows, err := s.db.QueryContext(ctx, `SELECT TABLE_SCHEMA, TABLE_NAME, COALESCE(TABLE_COMMENT, '')
		FROM information_schema.TABLES
		WHERE TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') AND TABLE_SCHEMA IN `+in, args...)
	if err != nil {
		return nil, nil, s.queryError("list tables", err)
	}
	defer rows.Close()
	var tables []*schema.Table
	byKey := map[tableKey]*schema.Table{}
	for rows.Next() {
		var db, name, comment string
		if err := rows.Scan(&db, &name, &comment); err != nil {
			return nil, nil, s.queryError("list tables", err)
		}
		t := &schema.Table{ID: schema.TableID{Database: db, Name: name}, Comment: comment}
		tables = append(tables, t)
		byKey[tableKey{db, name}] = t
	}
	if err := rows.Err(); err != nil {
		return nil, nil, s.queryError("list tables", err)
	}
	sort.Slice(tables, func(i, j int) bool {
		a, b := tables[i].ID, tables[j].ID
		if a.Database != b.Database {
			return a.Database < b.Database
		}
		return a.Name < b.Name
	})
	return tables, byKey, nil
}

// columnRow is one row of information_schema.COLUMNS.
type columnRow struct {
	db, table, name   string
	ordinal           int64
	def               sql.NullString
	nullable          string
	dataType, colType string
	charset           sql.NullString
	charLen, octetLen sql.NullInt64
	extra, comment    string
	generationExpr    sql.NullString
}

// columns fills in every table's columns in ordinal order.
func (s *Source) columns(ctx context.Context, dbs []string, byKey map[tableKey]*schema.Table) error {
	in, args := inList(dbs)
	rows, err := s.db.QueryContext(ctx, `SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION,
		COLUMN_DEFAULT, IS_NULLABLE, DATA_TYPE, COLUMN_TYPE, CHARACTER_SET_NAME,
		CHARACTER_MAXIMUM_LENGTH, CHARACTER_OCTET_LENGTH, EXTRA, COLUMN_COMMENT, GENERATION_EXPRESSION
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA IN `+in, args...)
	if err != nil {
		return s.queryError("read columns", err)
	}
	defer rows.Close()
	type ordered struct {
		ordinal int64
		col     schema.Column
	}
	cols := map[*schema.Table][]ordered{}
	for rows.Next() {
		var r columnRow
		if err := rows.Scan(&r.db, &r.table, &r.name, &r.ordinal, &r.def, &r.nullable, &r.dataType, &r.colType,
			&r.charset, &r.charLen, &r.octetLen, &r.extra, &r.comment, &r.generationExpr); err != nil {
			return s.queryError("read columns", err)
		}
		t := byKey[tableKey{r.db, r.table}]
		if t == nil {
			continue // a view's columns
		}
		cols[t] = append(cols[t], ordered{r.ordinal, s.column(r)})
	}
	if err := rows.Err(); err != nil {
		return s.queryError("read columns", err)
	}
	for t, cs := range cols {
		sort.Slice(cs, func(i, j int) bool { return cs[i].ordinal < cs[j].ordinal })
		t.Columns = make([]schema.Column, len(cs))
		for i, c := range cs {
			t.Columns[i] = c.col
		}
	}
	return nil
}

// column turns an information_schema row into a schema.Column.
func (s *Source) column(r columnRow) schema.Column {
	st, err := schema.ParseType(r.colType)
	if err != nil {
		// Not a stop: the mapping turns an unknown type into STRING with a warning.
		st = schema.SourceType{Name: strings.ToLower(r.dataType)}
	}
	if r.charset.Valid {
		st.Charset = r.charset.String
		// For a UTF-8 charset the source's bytes per character are UTF-8 bytes too
		// (utf8mb4: 4, utf8mb3: 3); for any other charset they are not (latin1 is 1
		// byte, but € is 3 in UTF-8), so the mapping decides by the charset's name.
		// Only CHAR and VARCHAR count their length in characters (TEXT in bytes).
		dt := strings.ToLower(r.dataType)
		if (dt == "char" || dt == "varchar") && strings.HasPrefix(strings.ToLower(r.charset.String), "utf8") &&
			r.charLen.Valid && r.charLen.Int64 > 0 && r.octetLen.Valid {
			if n := r.octetLen.Int64 / r.charLen.Int64; n >= 1 && n <= 4 {
				st.MaxBytesPerChar = int(n)
			}
		}
	}
	extra := strings.ToLower(r.extra)
	generated := strings.Contains(extra, "generated") && !strings.Contains(extra, "default_generated") ||
		r.generationExpr.Valid && r.generationExpr.String != ""
	c := schema.Column{
		Name:          r.name,
		TypeText:      r.colType,
		Type:          st,
		Nullable:      strings.EqualFold(r.nullable, "YES"),
		Comment:       r.comment,
		AutoIncrement: strings.Contains(extra, "auto_increment"),
	}
	if !generated {
		c.Default = parseDefault(r.def, extra, s.quotedDefaults)
	}
	return c
}

// keyPart is one row of information_schema.STATISTICS for a unique index.
type keyPart struct {
	index  string
	seq    int64
	column sql.NullString // NULL for a functional key part (MySQL 8)
}

// keys fills in primary keys (in key order) and unique indexes (by index name, columns
// in index order). An index with a functional key part cannot be a Doris key and is
// left out.
func (s *Source) keys(ctx context.Context, dbs []string, byKey map[tableKey]*schema.Table) error {
	in, args := inList(dbs)
	rows, err := s.db.QueryContext(ctx, `SELECT TABLE_SCHEMA, TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME
		FROM information_schema.STATISTICS WHERE NON_UNIQUE = 0 AND TABLE_SCHEMA IN `+in, args...)
	if err != nil {
		return s.queryError("read keys", err)
	}
	defer rows.Close()
	parts := map[*schema.Table][]keyPart{}
	for rows.Next() {
		var db, table string
		var p keyPart
		if err := rows.Scan(&db, &table, &p.index, &p.seq, &p.column); err != nil {
			return s.queryError("read keys", err)
		}
		if t := byKey[tableKey{db, table}]; t != nil {
			parts[t] = append(parts[t], p)
		}
	}
	if err := rows.Err(); err != nil {
		return s.queryError("read keys", err)
	}
	for t, ps := range parts {
		sort.Slice(ps, func(i, j int) bool {
			if ps[i].index != ps[j].index {
				return ps[i].index < ps[j].index
			}
			return ps[i].seq < ps[j].seq
		})
		for i := 0; i < len(ps); {
			j := i
			var cols []string
			usable := true
			for ; j < len(ps) && ps[j].index == ps[i].index; j++ {
				usable = usable && ps[j].column.Valid
				cols = append(cols, ps[j].column.String)
			}
			switch {
			case !usable:
			case ps[i].index == "PRIMARY":
				t.PrimaryKey = cols
			default:
				t.UniqueIndexes = append(t.UniqueIndexes, schema.Index{Name: ps[i].index, Columns: cols})
			}
			i = j
		}
	}
	return nil
}

func (s *Source) queryError(what string, err error) error {
	return fmt.Errorf("mysql source %s: %s: %w", s.cfg.addr(), what, err)
}
