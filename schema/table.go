package schema

import (
	"errors"
	"fmt"
	"strings"
)

// TableID names a source table. Schema is empty for sources without schemas (MySQL,
// MongoDB); Database is the source database (MySQL database, PostgreSQL/SQL Server/DB2
// database, Oracle service or PDB, MongoDB database).
type TableID struct {
	Database string
	Schema   string
	Name     string
}

// String joins the non-empty parts with dots ("shop.orders", "erp.dbo.items"), the
// identifier the anchor tool uses for routing and logs.
func (id TableID) String() string {
	parts := make([]string, 0, 3)
	for _, p := range []string{id.Database, id.Schema, id.Name} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ".")
}

// Table is a source table as discovered or as changed by a DDL event.
type Table struct {
	ID      TableID
	Comment string
	// Columns in ordinal order; Change rows follow this order.
	Columns []Column
	// PrimaryKey holds the primary key column names in key order (KEY_SEQ), not in
	// column order.
	PrimaryKey []string
	// UniqueIndexes lists unique indexes other than the primary key, in a deterministic
	// order chosen by the source (by index name).
	UniqueIndexes []Index
	// Notes are what the source wants the user to know about this model of the table,
	// such as a column it leaves out because its change stream never carries it. The
	// planner shows them as warnings; they do not change the table.
	Notes []Note `json:",omitempty"`
}

// Note is one remark of a source about a table, on one column or (Column empty) the
// whole table.
type Note struct {
	Column  string
	Message string
}

// Index is a named index and its columns in index order.
type Index struct {
	Name    string
	Columns []string
}

// Column is one source column.
type Column struct {
	Name string
	// TypeText is the type exactly as the source reports it ("bigint(20) unsigned",
	// "character varying(64)", "NUMBER(10,2)", "nvarchar(max)").
	TypeText string
	// Type is TypeText parsed, completed by the source with what the text does not say
	// (charset, enum labels, a domain's base type).
	Type          SourceType
	Nullable      bool
	Default       *Default // nil: no default
	Comment       string
	AutoIncrement bool
}

// Default is a column default as the source defines it.
type Default struct {
	// Value is the literal's value, unquoted and unescaped ("abc", "0", "2020-01-01"),
	// or, when Expression is set, the expression text as the source reports it
	// ("CURRENT_TIMESTAMP", "now()", "(getdate())", "nextval('s'::regclass)").
	Value      string
	Expression bool
}

// ColumnIndex returns the position of the named column (exact name), or -1.
func (t *Table) ColumnIndex(name string) int {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return i
		}
	}
	return -1
}

// Validate checks the table is usable: at least one column, no duplicate column names,
// and every key and index column present.
func (t *Table) Validate() error {
	if t.ID.Name == "" {
		return errors.New("table has no name")
	}
	if len(t.Columns) == 0 {
		return fmt.Errorf("table %s has no columns", t.ID)
	}
	seen := make(map[string]bool, len(t.Columns))
	for _, c := range t.Columns {
		if c.Name == "" {
			return fmt.Errorf("table %s has a column without a name", t.ID)
		}
		if seen[c.Name] {
			return fmt.Errorf("table %s has column %q twice", t.ID, c.Name)
		}
		seen[c.Name] = true
	}
	for _, k := range t.PrimaryKey {
		if !seen[k] {
			return fmt.Errorf("table %s: primary key column %q is not a column of the table", t.ID, k)
		}
	}
	for _, ix := range t.UniqueIndexes {
		if len(ix.Columns) == 0 {
			return fmt.Errorf("table %s: unique index %q has no columns", t.ID, ix.Name)
		}
		for _, c := range ix.Columns {
			if !seen[c] {
				return fmt.Errorf("table %s: unique index %q names column %q, which is not a column of the table", t.ID, ix.Name, c)
			}
		}
	}
	return nil
}
