package postgres

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/doris-sync/doris-sync/schema"
)

// Chunk is one piece of a table's snapshot. Chunks of a table cover every row exactly
// once and encode to JSON, so the state can record finished ones and a restarted
// snapshot reads only the rest.
//
// A key chunk holds the rows whose chunk key (the primary key, or a configured column)
// is ≥ Lower and < Upper, compared as a row in key order; a nil bound is unbounded.
// Bounds are the key values' text, cast back to the column type in the query. When the
// key columns may be NULL (a configured chunk column), range chunks leave NULL keys out
// and one Nulls chunk holds them. A page chunk (tables with neither) holds the rows
// stored in heap pages [FromPage, ToPage) by ctid; ToPage 0 is unbounded.
type Chunk struct {
	Table schema.TableID `json:"table"`
	Index int            `json:"index"`

	Key      []string `json:"key,omitempty"`
	Lower    []string `json:"lower,omitempty"`
	Upper    []string `json:"upper,omitempty"`
	Nullable bool     `json:"nullable,omitempty"`
	Nulls    bool     `json:"nulls,omitempty"`

	Pages    bool  `json:"pages,omitempty"`
	FromPage int64 `json:"from_page,omitempty"`
	ToPage   int64 `json:"to_page,omitempty"`
}

// defaultRowsPerPage guesses heap density for a table never analyzed.
const defaultRowsPerPage = 60

// PlanChunks splits a table into chunks of about chunkRows rows, by key (nil: the
// primary key), or by heap pages for a table with no key. It runs inside the reader's
// snapshot. A single integer key whose values are dense (per the planner's row
// estimate) is split arithmetically; other keys are walked in key order, one index
// probe per chunk, so chunk sizes hold whatever the key's distribution.
func (sr *SnapshotReader) PlanChunks(ctx context.Context, t *schema.Table, key []string, chunkRows int) ([]Chunk, error) {
	if chunkRows <= 0 {
		return nil, fmt.Errorf("plan chunks of %s: chunk size %d must be positive", t.ID, chunkRows)
	}
	p, err := sr.plan(ctx, t)
	if err != nil {
		return nil, err
	}
	if len(key) == 0 {
		key = t.PrimaryKey
	}
	if len(key) == 0 {
		return sr.planPages(ctx, t, p, chunkRows)
	}
	nullable := false
	for _, k := range key {
		i := t.ColumnIndex(k)
		if i < 0 {
			return nil, fmt.Errorf("plan chunks of %s: chunk key column %q is not a column of the table", t.ID, k)
		}
		nullable = nullable || t.Columns[i].Nullable
	}
	base := Chunk{Table: t.ID, Key: key, Nullable: nullable}
	var bounds [][]string
	dense := false
	if len(key) == 1 && p.intKey[key[0]] && p.relkind != "p" {
		if bounds, dense, err = sr.denseIntBounds(ctx, p, base, chunkRows); err != nil {
			return nil, err
		}
	}
	if !dense {
		if bounds, err = sr.walkBounds(ctx, p, base, chunkRows); err != nil {
			return nil, err
		}
	}
	var chunks []Chunk
	var lower []string
	for _, b := range append(bounds, nil) {
		c := base
		c.Index, c.Lower, c.Upper = len(chunks), lower, b
		chunks = append(chunks, c)
		lower = b
	}
	if nullable {
		c := base
		c.Index, c.Nulls = len(chunks), true
		chunks = append(chunks, c)
	}
	return chunks, nil
}

// denseIntBounds splits [min, max] of an integer key into equal value ranges when the
// key is dense enough (at least one row per two values) for ranges to hold even row
// counts; ok is false otherwise.
func (sr *SnapshotReader) denseIntBounds(ctx context.Context, p *readPlan, c Chunk, chunkRows int) (bounds [][]string, ok bool, err error) {
	k := quoteIdent(c.Key[0])
	var min, max *int64
	var rows float64
	err = sr.s.conn.QueryRow(ctx, "SELECT min("+k+")::int8, max("+k+")::int8, (SELECT reltuples::float8 FROM pg_class WHERE oid = $1::regclass) FROM "+p.quoted, p.quoted).
		Scan(&min, &max, &rows)
	if err != nil {
		return nil, false, sr.s.queryError("plan chunks of "+c.Table.String(), err)
	}
	if min == nil {
		return nil, true, nil // empty: one unbounded chunk
	}
	span := float64(*max) - float64(*min) + 1
	if rows < 1 || span > 2*rows || span > 1<<62 {
		return nil, false, nil
	}
	step := int64(math.Ceil(float64(chunkRows) * span / rows))
	if step < 1 {
		step = 1
	}
	for b := *min + step; b <= *max && b > *min; b += step {
		bounds = append(bounds, []string{strconv.FormatInt(b, 10)})
	}
	return bounds, true, nil
}

// walkBounds finds each chunk's upper bound as the key of the row chunkRows past its
// lower bound. A value repeated more than chunkRows times (a non-unique chunk column)
// moves the bound to the next distinct value, so the walk always advances.
func (sr *SnapshotReader) walkBounds(ctx context.Context, p *readPlan, c Chunk, chunkRows int) ([][]string, error) {
	var bounds [][]string
	var lower []string
	for {
		probe := c
		probe.Lower = lower
		cond, err := probe.rangeCondition(p)
		if err != nil {
			return nil, err
		}
		next, err := sr.firstKey(ctx, p, c, cond, chunkRows)
		if err != nil {
			return nil, err
		}
		if next != nil && lower != nil && slices.Equal(next, lower) {
			cond, err := c.boundCondition(p, lower, ">")
			if err != nil {
				return nil, err
			}
			if next, err = sr.firstKey(ctx, p, c, cond, 0); err != nil {
				return nil, err
			}
		}
		if next == nil {
			return bounds, nil
		}
		bounds = append(bounds, next)
		lower = next
	}
}

// firstKey returns the key of the row offset rows into the rows matching cond in key
// order, as text, or nil when there is none.
func (sr *SnapshotReader) firstKey(ctx context.Context, p *readPlan, c Chunk, cond string, offset int) ([]string, error) {
	keys := quotedKey(c.Key)
	sql := "SELECT " + keys + " FROM " + p.quoted
	if cond != "" {
		sql += " WHERE " + cond
	}
	sql += " ORDER BY " + keys + " OFFSET " + strconv.Itoa(offset) + " LIMIT 1"
	res := sr.s.conn.PgConn().ExecParams(ctx, sql, nil, nil, nil, nil)
	var out []string
	for res.NextRow() {
		for _, v := range res.Values() {
			out = append(out, string(v))
		}
	}
	if _, err := res.Close(); err != nil {
		return nil, sr.s.queryError("plan chunks of "+c.Table.String(), err)
	}
	return out, nil
}

// planPages splits a table without a key by heap pages. ctid ranges are only fast
// with TID range scans (PostgreSQL 14+); older servers read such a table as one chunk.
// For a partitioned table the page ranges apply to every partition at once, so they
// run up to the largest partition.
func (sr *SnapshotReader) planPages(ctx context.Context, t *schema.Table, p *readPlan, chunkRows int) ([]Chunk, error) {
	one := []Chunk{{Table: t.ID, Pages: true}}
	if sr.s.versionNum < 140000 {
		return one, nil
	}
	var pages int64
	var tuples, relpages float64
	err := sr.s.conn.QueryRow(ctx, `SELECT COALESCE(max(pg_relation_size(c.oid)), 0) / current_setting('block_size')::int8,
		COALESCE(sum(GREATEST(c.reltuples, 0)), 0)::float8, COALESCE(sum(c.relpages), 0)::float8
		FROM pg_class c WHERE c.oid IN (
			SELECT relid FROM pg_partition_tree($1::regclass) WHERE isleaf UNION SELECT $1::regclass)
			AND c.relkind <> 'p'`, p.quoted).
		Scan(&pages, &tuples, &relpages)
	if err != nil {
		return nil, sr.s.queryError("plan chunks of "+t.ID.String(), err)
	}
	perPage := float64(defaultRowsPerPage)
	if tuples >= 1 && relpages >= 1 {
		perPage = tuples / relpages
	}
	step := int64(float64(chunkRows) / perPage)
	if step < 1 {
		step = 1
	}
	var chunks []Chunk
	for from := int64(0); ; from += step {
		c := Chunk{Table: t.ID, Index: len(chunks), Pages: true, FromPage: from}
		if from+step < pages {
			c.ToPage = from + step
		}
		chunks = append(chunks, c)
		if c.ToPage == 0 {
			return chunks, nil
		}
	}
}

func quotedKey(key []string) string {
	q := make([]string, len(key))
	for i, k := range key {
		q[i] = quoteIdent(k)
	}
	return strings.Join(q, ", ")
}

// boundCondition compares the key, as a row, with a bound: "(a, b) >= ('1'::int4, 'x'::text)".
func (c Chunk) boundCondition(p *readPlan, bound []string, op string) (string, error) {
	if len(bound) != len(c.Key) {
		return "", fmt.Errorf("chunk %d of %s: bound has %d values for a key of %d columns", c.Index, c.Table, len(bound), len(c.Key))
	}
	vals := make([]string, len(bound))
	for i, v := range bound {
		cast, ok := p.castType[c.Key[i]]
		if !ok {
			return "", fmt.Errorf("chunk %d of %s: key column %q is not a column of the table", c.Index, c.Table, c.Key[i])
		}
		vals[i] = quoteLiteral(v) + "::" + cast
	}
	if len(vals) == 1 {
		return quoteIdent(c.Key[0]) + " " + op + " " + vals[0], nil
	}
	return "(" + quotedKey(c.Key) + ") " + op + " (" + strings.Join(vals, ", ") + ")", nil
}

// rangeCondition is the WHERE condition of a key or page chunk; "" for all rows.
func (c Chunk) rangeCondition(p *readPlan) (string, error) {
	var conds []string
	switch {
	case c.Pages:
		if c.FromPage > 0 {
			conds = append(conds, "ctid >= '("+strconv.FormatInt(c.FromPage, 10)+",0)'::tid")
		}
		if c.ToPage > 0 {
			conds = append(conds, "ctid < '("+strconv.FormatInt(c.ToPage, 10)+",0)'::tid")
		}
	case c.Nulls:
		nulls := make([]string, len(c.Key))
		for i, k := range c.Key {
			nulls[i] = quoteIdent(k) + " IS NULL"
		}
		conds = append(conds, "("+strings.Join(nulls, " OR ")+")")
	default:
		if c.Nullable {
			for _, k := range c.Key {
				conds = append(conds, quoteIdent(k)+" IS NOT NULL")
			}
		}
		for _, b := range []struct {
			bound []string
			op    string
		}{{c.Lower, ">="}, {c.Upper, "<"}} {
			if b.bound == nil {
				continue
			}
			cond, err := c.boundCondition(p, b.bound, b.op)
			if err != nil {
				return "", err
			}
			conds = append(conds, cond)
		}
	}
	return strings.Join(conds, " AND "), nil
}

// selectSQL is the query of a chunk, in key order for key chunks.
func (c Chunk) selectSQL(p *readPlan) (string, error) {
	cond, err := c.rangeCondition(p)
	if err != nil {
		return "", err
	}
	sql := "SELECT " + strings.Join(p.columns, ", ") + " FROM " + p.quoted
	if cond != "" {
		sql += " WHERE " + cond
	}
	if len(c.Key) > 0 && !c.Nulls {
		sql += " ORDER BY " + quotedKey(c.Key)
	}
	return sql, nil
}
