package fe

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/doris-sync/doris-sync/ddl"
)

// ExistingTable reads an existing Doris table: its columns from DESC (name, type as
// this Doris version spells it, nullability, key flag) and its key model from SHOW
// CREATE TABLE, which is the only place Doris states it.
func (c *Client) ExistingTable(ctx context.Context, db, table string) (ddl.ExistingTable, error) {
	var et ddl.ExistingTable
	cols, err := c.describe(ctx, db, table)
	if err != nil {
		return et, err
	}
	et.Columns = cols
	stmt := "SHOW CREATE TABLE " + ddl.QuoteTable(db, table)
	var name, create string
	if err := c.db.QueryRowContext(ctx, stmt).Scan(&name, &create); err != nil {
		return et, c.statementError(stmt, err)
	}
	et.Model = KeyModel(create)
	return et, nil
}

func (c *Client) describe(ctx context.Context, db, table string) ([]ddl.ExistingColumn, error) {
	stmt := "DESC " + ddl.QuoteTable(db, table)
	rows, err := c.db.QueryContext(ctx, stmt)
	if err != nil {
		return nil, c.statementError(stmt, err)
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, c.transportError(err)
	}
	// Find the columns by name: versions differ in what follows them.
	idx := map[string]int{}
	for i, n := range names {
		idx[strings.ToLower(n)] = i
	}
	for _, want := range []string{"field", "type", "null", "key"} {
		if _, ok := idx[want]; !ok {
			return nil, fmt.Errorf("Doris FE %s: %s returned no %q column (columns %v)", c.addr, stmt, want, names)
		}
	}
	var out []ddl.ExistingColumn
	for rows.Next() {
		vals := make([]sql.NullString, len(names))
		ptrs := make([]any, len(names))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, c.transportError(err)
		}
		out = append(out, ddl.ExistingColumn{
			Name:     vals[idx["field"]].String,
			Type:     vals[idx["type"]].String,
			Nullable: strings.EqualFold(vals[idx["null"]].String, "yes"),
			Key:      strings.EqualFold(vals[idx["key"]].String, "true"),
		})
	}
	if err := rows.Err(); err != nil {
		return nil, c.transportError(err)
	}
	return out, nil
}

// KeyModel reads the key model from SHOW CREATE TABLE output: the line after the
// column list that starts with UNIQUE KEY(, DUPLICATE KEY( or AGGREGATE KEY(. Column
// lines are indented, so a comment holding such text cannot be mistaken for it.
func KeyModel(createTable string) ddl.Model {
	for _, line := range strings.Split(createTable, "\n") {
		switch {
		case strings.HasPrefix(line, "UNIQUE KEY("):
			return ddl.ModelUnique
		case strings.HasPrefix(line, "DUPLICATE KEY("):
			return ddl.ModelDuplicate
		case strings.HasPrefix(line, "AGGREGATE KEY("):
			return ddl.ModelAggregate
		}
	}
	return ddl.ModelUnknown
}
