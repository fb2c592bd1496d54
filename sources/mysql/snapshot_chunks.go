package mysql

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/doris-sync/doris-sync/schema"
)

// Chunk is one key range of a table: keys from Start (inclusive, nil = unbounded) to
// End (exclusive, nil = unbounded), in the plan's key order. It has the shape of
// state.Chunk, so a saved plan converts field by field.
type Chunk struct {
	Index      int
	Start, End json.RawMessage
}

// ChunkPlan cuts a table's key space into chunks: len(Cuts)+1 of them, chunk i from
// Cuts[i-1] to Cuts[i]. A bound is a JSON array with one value per key column: a
// number for integer columns, {"hex":"…"} for binary ones, the server's text for the
// rest. Any cuts in increasing order cover the key space exactly once, since the first
// and last chunks are unbounded; the caller saves the plan (state.PlanTable) so a
// resumed snapshot reads the same chunks.
type ChunkPlan struct {
	// Key is the chunk key; empty when the table has no usable key and is read in one
	// pass.
	Key      []string
	Cuts     []json.RawMessage
	Estimate int64 // rows, as the server estimates them
}

// Chunks lists the plan's chunks.
func (p ChunkPlan) Chunks() []Chunk {
	out := make([]Chunk, len(p.Cuts)+1)
	for i := range out {
		out[i].Index = i
		if i > 0 {
			out[i].Start = p.Cuts[i-1]
		}
		if i < len(p.Cuts) {
			out[i].End = p.Cuts[i]
		}
	}
	return out
}

// ChunkKey chooses the columns a table is chunked by: keyColumn when given (the
// scan.incremental.snapshot.chunk.key-column setting for this table), else the primary
// key, else the first unique index whose columns are all NOT NULL. None: the table is
// read in one pass (nil, nil).
func ChunkKey(t *schema.Table, keyColumn string) ([]string, error) {
	if keyColumn != "" {
		if t.ColumnIndex(keyColumn) < 0 {
			return nil, fmt.Errorf("chunk key column %q is not a column of %s", keyColumn, t.ID)
		}
		return []string{keyColumn}, nil
	}
	if len(t.PrimaryKey) > 0 {
		return t.PrimaryKey, nil
	}
	for _, ix := range t.UniqueIndexes {
		notNull := true
		for _, c := range ix.Columns {
			if i := t.ColumnIndex(c); i < 0 || t.Columns[i].Nullable {
				notNull = false
			}
		}
		if notNull {
			return ix.Columns, nil
		}
	}
	return nil, nil
}

// sparseFactor: an integer key whose range is this many times its row count is cut by
// walking the index instead of by equal steps, which would leave most chunks empty.
const sparseFactor = 64

// PlanChunks cuts a table into chunks of about chunkSize rows by its chunk key (see
// ChunkKey). A single integer column is cut into equal steps between its MIN and MAX;
// any other key, or a very sparse integer one, by walking the key index chunkSize rows
// at a time, which gives chunks of exactly chunkSize rows. Plans are read outside the
// snapshot view: the first and last chunks are unbounded, so rows written meanwhile
// still fall into exactly one chunk.
func (sn *Snapshot) PlanChunks(ctx context.Context, t *schema.Table, key []string, chunkSize int) (ChunkPlan, error) {
	plan := ChunkPlan{Key: key}
	if chunkSize <= 0 {
		return plan, errors.New("plan chunks: chunk size must be positive")
	}
	kcs, err := keyCodecs(t, key)
	if err != nil {
		return plan, err
	}
	conn, err := sn.pool.Conn(ctx)
	if err != nil {
		return plan, err
	}
	defer conn.Close()
	if plan.Estimate, err = estimateRows(ctx, conn, t, chunkSize); err != nil {
		return plan, fmt.Errorf("plan chunks of %s: %w", t.ID, err)
	}
	if len(key) == 0 || plan.Estimate <= int64(chunkSize) {
		return plan, nil
	}
	if len(kcs) == 1 && (kcs[0].kind == kindSigned || kcs[0].kind == kindUnsigned) {
		cuts, sparse, err := evenIntegerCuts(ctx, conn, t, key[0], plan.Estimate, chunkSize)
		if err != nil {
			return plan, fmt.Errorf("plan chunks of %s: %w", t.ID, err)
		}
		if !sparse {
			plan.Cuts = cuts
			return plan, nil
		}
	}
	plan.Cuts, err = walkCuts(ctx, conn, t, key, kcs, chunkSize)
	if err != nil {
		return plan, fmt.Errorf("plan chunks of %s: %w", t.ID, err)
	}
	return plan, nil
}

// keyCodecs returns the codecs of the key columns.
func keyCodecs(t *schema.Table, key []string) ([]columnCodec, error) {
	out := make([]columnCodec, len(key))
	for i, k := range key {
		ci := t.ColumnIndex(k)
		if ci < 0 {
			return nil, fmt.Errorf("chunk key column %q is not a column of %s", k, t.ID)
		}
		out[i] = codecForColumn(t.Columns[ci])
	}
	return out, nil
}

// estimateRows reads the server's row estimate. Estimates are often stale (MySQL
// caches them for a day, InnoDB samples), so a small one is replaced by an exact
// count, which is cheap exactly when the estimate is right: a table believed small
// must not become one huge chunk because its statistics lag.
func estimateRows(ctx context.Context, conn *sql.Conn, t *schema.Table, chunkSize int) (int64, error) {
	var n sql.NullInt64
	err := conn.QueryRowContext(ctx, "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
		t.ID.Database, t.ID.Name).Scan(&n)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("estimate rows: %w", err)
	}
	if n.Int64 >= 10*int64(chunkSize) {
		return n.Int64, nil
	}
	if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quoteTable(t.ID)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count rows: %w", err)
	}
	return n.Int64, nil
}

// evenIntegerCuts cuts [MIN, MAX] of an integer key into equal steps. It reports
// sparse when the key range is so much larger than the row count that equal steps
// would mostly be empty.
func evenIntegerCuts(ctx context.Context, conn *sql.Conn, t *schema.Table, col string, estimate int64, chunkSize int) ([]json.RawMessage, bool, error) {
	var lo, hi sql.NullString
	q := fmt.Sprintf("SELECT MIN(%s), MAX(%s) FROM %s", quoteIdent(col), quoteIdent(col), quoteTable(t.ID))
	if err := conn.QueryRowContext(ctx, q).Scan(&lo, &hi); err != nil {
		return nil, false, fmt.Errorf("read key range: %w", err)
	}
	if !lo.Valid || !hi.Valid {
		return nil, false, nil // empty table
	}
	min, ok1 := new(big.Int).SetString(lo.String, 10)
	max, ok2 := new(big.Int).SetString(hi.String, 10)
	if !ok1 || !ok2 {
		return nil, false, fmt.Errorf("key range %s..%s is not integer", lo.String, hi.String)
	}
	span := new(big.Int).Sub(max, min)
	span.Add(span, big.NewInt(1))
	if estimate <= 0 {
		estimate = 1
	}
	if new(big.Int).Div(span, big.NewInt(estimate)).Cmp(big.NewInt(sparseFactor)) > 0 {
		return nil, true, nil
	}
	chunks := (estimate + int64(chunkSize) - 1) / int64(chunkSize)
	if chunks <= 1 {
		return nil, false, nil
	}
	step := new(big.Int).Add(span, big.NewInt(chunks-1))
	step.Div(step, big.NewInt(chunks))
	if step.Sign() <= 0 {
		step.SetInt64(1)
	}
	var cuts []json.RawMessage
	for cut := new(big.Int).Add(min, step); cut.Cmp(max) <= 0; cut.Add(cut, step) {
		cuts = append(cuts, json.RawMessage("["+cut.String()+"]"))
	}
	return cuts, false, nil
}

// walkCuts walks the key index: each cut is the key chunkSize rows after the previous
// one. A non-unique key (a chunk key column) may repeat a value across chunkSize rows;
// the walk then moves to the next distinct value, so cuts strictly increase. Equality
// is the server's (a case-insensitive collation makes 'a' and 'A' one value).
func walkCuts(ctx context.Context, conn *sql.Conn, t *schema.Table, key []string, kcs []columnCodec, chunkSize int) ([]json.RawMessage, error) {
	cols := quoteIdents(key)
	order := strings.Join(cols, ", ")
	notNull := make([]string, len(cols))
	for i, c := range cols {
		notNull[i] = c + " IS NOT NULL"
	}
	from := fmt.Sprintf(" FROM %s WHERE %s", quoteTable(t.ID), strings.Join(notNull, " AND "))
	var cuts []json.RawMessage
	var prev []any
	for {
		var next []any
		var err error
		if prev == nil {
			next, _, err = scanKey(ctx, conn, "SELECT "+order+", 0"+from+" ORDER BY "+order+fmt.Sprintf(" LIMIT 1 OFFSET %d", chunkSize), nil, len(key))
		} else {
			eq, eqArgs := equalPredicate(cols, kcs, prev)
			pred, args := rangePredicate(cols, kcs, prev, ">=")
			q := "SELECT " + order + ", " + eq + from + " AND " + pred + " ORDER BY " + order + fmt.Sprintf(" LIMIT 1 OFFSET %d", chunkSize)
			var same bool
			next, same, err = scanKey(ctx, conn, q, append(eqArgs, args...), len(key))
			if err == nil && next != nil && same {
				pred, args = rangePredicate(cols, kcs, prev, ">")
				q = "SELECT " + order + ", 0" + from + " AND " + pred + " ORDER BY " + order + " LIMIT 1"
				next, _, err = scanKey(ctx, conn, q, args, len(key))
			}
		}
		if err != nil {
			return nil, err
		}
		if next == nil {
			return cuts, nil
		}
		b, err := encodeBound(kcs, next)
		if err != nil {
			return nil, err
		}
		cuts = append(cuts, b)
		// The next step compares with the bound exactly as ReadChunk will: text as a
		// string (in the column's collation), not as the bytes the driver returned,
		// which would compare in binary.
		if prev, err = decodeBound(b, len(key)); err != nil {
			return nil, err
		}
	}
}

// scanKey reads one key and a trailing 0/1 column.
func scanKey(ctx context.Context, conn *sql.Conn, q string, args []any, n int) ([]any, bool, error) {
	vals := make([]any, n)
	ptrs := make([]any, n+1)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var flag sql.NullInt64
	ptrs[n] = &flag
	err := conn.QueryRowContext(ctx, q, args...).Scan(ptrs...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("walk the key: %w", err)
	}
	return vals, flag.Int64 == 1, nil
}

// equalPredicate is (k1 = v1 AND k2 = v2), as a select-list item.
func equalPredicate(cols []string, kcs []columnCodec, vals []any) (string, []any) {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c + " = " + placeholder(kcs[i])
	}
	return "(" + strings.Join(parts, " AND ") + ")", vals
}

// encodeBound turns key values read from the server into a bound.
func encodeBound(kcs []columnCodec, vals []any) (json.RawMessage, error) {
	parts := make([]any, len(vals))
	for i, v := range vals {
		switch x := v.(type) {
		case int64, uint64:
			parts[i] = x
		case []byte:
			switch kcs[i].kind {
			case kindBinary, kindFixedBinary, kindBits, kindBool, kindGeometry:
				parts[i] = map[string]string{"hex": hex.EncodeToString(x)}
			case kindSigned, kindUnsigned, kindYear:
				parts[i] = json.Number(x)
			default:
				parts[i] = string(x)
			}
		case float64, float32:
			parts[i] = x
		case nil:
			return nil, errors.New("a chunk bound cannot be NULL")
		default:
			return nil, fmt.Errorf("chunk bound value of type %T", v)
		}
	}
	return json.Marshal(parts)
}

// decodeBound turns a bound back into query arguments.
func decodeBound(b json.RawMessage, n int) ([]any, error) {
	var parts []json.RawMessage
	if err := json.Unmarshal(b, &parts); err != nil {
		return nil, fmt.Errorf("chunk bound %s: %w", b, err)
	}
	if len(parts) != n {
		return nil, fmt.Errorf("chunk bound %s has %d values, the key %d columns", b, len(parts), n)
	}
	out := make([]any, n)
	for i, p := range parts {
		switch {
		case len(p) > 0 && p[0] == '"':
			var s string
			if err := json.Unmarshal(p, &s); err != nil {
				return nil, fmt.Errorf("chunk bound %s: %w", b, err)
			}
			out[i] = s
		case len(p) > 0 && p[0] == '{':
			var h struct{ Hex string }
			if err := json.Unmarshal(p, &h); err != nil {
				return nil, fmt.Errorf("chunk bound %s: %w", b, err)
			}
			raw, err := hex.DecodeString(h.Hex)
			if err != nil {
				return nil, fmt.Errorf("chunk bound %s: %w", b, err)
			}
			out[i] = raw
		default:
			// Numbers go as numbers: a string compared with an integer column is
			// compared as a double, which is not exact above 2^53.
			var num json.Number
			if err := json.Unmarshal(p, &num); err != nil {
				return nil, fmt.Errorf("chunk bound %s: %w", b, err)
			}
			if n, err := strconv.ParseInt(string(num), 10, 64); err == nil {
				out[i] = n
			} else if u, err := strconv.ParseUint(string(num), 10, 64); err == nil {
				out[i] = u
			} else if f, err := num.Float64(); err == nil {
				out[i] = f
			} else {
				return nil, fmt.Errorf("chunk bound %s: %q is not a number", b, num)
			}
		}
	}
	return out, nil
}

// rangePredicate compares the key tuple with vals: (k1, k2) op (v1, v2), spelled out
// as k1 > v1 OR (k1 = v1 AND k2 op v2), which every server's range optimiser uses.
func rangePredicate(cols []string, kcs []columnCodec, vals []any, op string) (string, []any) {
	strict := strings.TrimSuffix(op, "=")
	var ors []string
	var args []any
	for i := range cols {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, cols[j]+" = "+placeholder(kcs[j]))
			args = append(args, vals[j])
		}
		o := strict
		if i == len(cols)-1 {
			o = op
		}
		ands = append(ands, cols[i]+" "+o+" "+placeholder(kcs[i]))
		args = append(args, vals[i])
		ors = append(ors, strings.Join(ands, " AND "))
	}
	if len(ors) == 1 {
		return ors[0], args
	}
	return "(" + strings.Join(ors, " OR ") + ")", args
}

// placeholder is the parameter marker for a key column's bound. Bounds of DECIMAL
// columns are cast to the column's type: a string compared with a DECIMAL is compared
// as a double, which is not exact.
func placeholder(c columnCodec) string {
	if c.kind == kindDecimal && c.decimalType != "" {
		return "CAST(? AS " + c.decimalType + ")"
	}
	return "?"
}

// chunkPredicate is the WHERE clause of a chunk (empty for the whole table).
func chunkPredicate(t *schema.Table, key []string, kcs []columnCodec, c Chunk) (string, []any, error) {
	if len(key) == 0 {
		if c.Start != nil || c.End != nil {
			return "", nil, fmt.Errorf("table %s has no chunk key but the chunk has bounds", t.ID)
		}
		return "", nil, nil
	}
	cols := quoteIdents(key)
	var conds []string
	var args []any
	if c.Start != nil {
		vals, err := decodeBound(c.Start, len(key))
		if err != nil {
			return "", nil, err
		}
		p, a := rangePredicate(cols, kcs, vals, ">=")
		conds, args = append(conds, p), append(args, a...)
	}
	if c.End != nil {
		vals, err := decodeBound(c.End, len(key))
		if err != nil {
			return "", nil, err
		}
		p, a := rangePredicate(cols, kcs, vals, "<")
		conds, args = append(conds, p), append(args, a...)
	}
	if ci := t.ColumnIndex(key[0]); c.Start == nil && len(conds) > 0 && ci >= 0 && t.Columns[ci].Nullable {
		// NULLs sort first and compare with nothing: a nullable chunk key column (only
		// a chosen key-column can be one) keeps its NULL rows in the first chunk.
		conds[0] = "(" + cols[0] + " IS NULL OR " + conds[0] + ")"
	}
	return strings.Join(conds, " AND "), args, nil
}

// ReadChunk reads one chunk in key order inside the snapshot view and hands each row,
// decoded to the schema value contract in the table's column order, to emit. It
// returns the number of rows read. Up to Readers chunks can be read at once.
func (sn *Snapshot) ReadChunk(ctx context.Context, t *schema.Table, key []string, c Chunk, emit func(row []any) error) (int64, error) {
	kcs, err := keyCodecs(t, key)
	if err != nil {
		return 0, err
	}
	where, args, err := chunkPredicate(t, key, kcs, c)
	if err != nil {
		return 0, err
	}
	rc := make(rowCodec, len(t.Columns))
	proj := make([]string, len(t.Columns))
	for i, col := range t.Columns {
		rc[i] = codecForColumn(col)
		proj[i] = projection(rc[i], col.Name)
	}
	q := "SELECT " + strings.Join(proj, ", ") + " FROM " + quoteTable(t.ID)
	if where != "" {
		q += " WHERE " + where
	}
	if len(key) > 0 {
		q += " ORDER BY " + strings.Join(quoteIdents(key), ", ")
	}

	var reader *readerConn
	select {
	case reader = <-sn.readers:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	defer func() { sn.readers <- reader }()

	var dec *chunkDecoder
	var n int64
	var emitErr error
	err = reader.selectRows(ctx, q, args, func(cols []wireColumn) error {
		var err error
		dec, err = newChunkDecoder(rc, cols)
		return err
	}, func(packet []byte) error {
		row, err := dec.decodeRow(packet)
		if err != nil {
			return err
		}
		if emitErr = emit(row); emitErr != nil {
			return emitErr
		}
		n++
		return nil
	})
	if err != nil {
		if emitErr != nil {
			return n, emitErr
		}
		return n, fmt.Errorf("read chunk %d of %s: %w", c.Index, t.ID, err)
	}
	return n, nil
}

// projection is the select-list item of a column. FLOAT columns are selected as DOUBLE:
// the text protocol prints FLOAT with only 6 significant digits; over the binary
// protocol, which the readers use now, both give the exact single-precision value.
func projection(c columnCodec, name string) string {
	if c.kind == kindFloat {
		return "CAST(" + quoteIdent(name) + " AS DOUBLE)"
	}
	return quoteIdent(name)
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

func quoteIdents(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = quoteIdent(n)
	}
	return out
}

func quoteTable(id schema.TableID) string { return quoteIdent(id.Database) + "." + quoteIdent(id.Name) }
