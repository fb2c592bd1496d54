package sink

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/doris-sync/doris-sync/sink/encode"
)

// Model is a Doris table's data model, as far as loading cares.
type Model uint8

const (
	// Duplicate tables keep every row; they cannot delete by key.
	Duplicate Model = iota
	// Unique tables upsert by key and delete with __DORIS_DELETE_SIGN__.
	Unique
)

func (m Model) String() string {
	if m == Unique {
		return "UNIQUE"
	}
	return "DUPLICATE"
}

// Column is one column of a target table: its name and its Doris type as DDL text
// ("DATETIME(3)", "DECIMAL(10,2)", "VARCHAR(765)" …).
type Column struct {
	Name string
	Type string
}

// Table describes a target table. Rows handed to the writer list values in Columns order.
type Table struct {
	DB, Name string
	Columns  []Column
	Model    Model
	// KeyColumns is how many leading columns form the key (Doris keys are the first N
	// columns). On UNIQUE tables an update whose key changed also deletes the old key.
	KeyColumns int
	// SequenceColumn names the column mapped to function_column.sequence_col, if the
	// table orders its upserts by one.
	SequenceColumn string
	// MergeOnRead marks a UNIQUE table created with enable_unique_key_merge_on_write =
	// false (or before Doris 2.1 made merge-on-write the default). Doris updates some
	// columns of a row only in merge-on-write tables, so on such a table an update that
	// leaves a column unchanged (schema.Unchanged) is an error.
	MergeOnRead bool
}

// Op is the kind of a change. The zero Op is invalid, so a forgotten field is an error.
type Op uint8

const (
	Insert Op = iota + 1 // an insert or a snapshot row
	Update
	Delete
)

// Change is one row change for one table.
//
// An Update's Row may hold schema.Unchanged for columns the source did not send (a
// PostgreSQL TOASTed value the update did not touch). Such a row is loaded as a
// partial-column update of the columns present, which leaves the others as they are in
// Doris; it needs a merge-on-write UNIQUE table and an unchanged key (see docs/sink.md).
type Change struct {
	// Seq orders changes across all tables: it never decreases from one Write (or
	// Advance) to the next, and for exactly-once after a crash the same source change
	// must get the same Seq when it is replayed. Several changes may share a Seq (for
	// example the rows of one source transaction).
	Seq uint64
	Op  Op
	// Row is the new row (Insert, Update) or the deleted row (Delete; at least its key
	// columns), values in the table's column order.
	Row []any
	// Before is the row before an Update. It is used when the key changed (KeyColumns)
	// or sink.ignore.update-before is false; nil otherwise.
	Before []any
}

// TableHandle is a registered target table; Write takes it instead of looking the
// table up per row.
type TableHandle struct {
	t *tableState
}

// DB is the Doris database of the table.
func (h *TableHandle) DB() string { return h.t.db }

// Name is the Doris table name.
func (h *TableHandle) Name() string { return h.t.name }

// tableShape is what a table's spec compiles to: the encoder and the load headers.
type tableShape struct {
	spec       Table
	cols       []encode.Column
	csv        bool
	sep, delim string // CSV separators
	enc        encode.Encoder
	header     http.Header
	deleteSign bool
	twoPhase   bool
	// partials holds the shape of each set of columns rows left unchanged so far, keyed
	// by the unchanged columns' indexes (partialFor). Used under the table's lock.
	partials map[string]*partialShape
}

func compileTable(cfg *Config, t Table) (*tableShape, error) {
	if t.DB == "" || t.Name == "" {
		return nil, errors.New("table needs a database and a name")
	}
	if len(t.Columns) == 0 {
		return nil, fmt.Errorf("table %s.%s has no columns", t.DB, t.Name)
	}
	if t.KeyColumns < 0 || t.KeyColumns > len(t.Columns) {
		return nil, fmt.Errorf("table %s.%s: KeyColumns %d out of range", t.DB, t.Name, t.KeyColumns)
	}
	cols := make([]encode.Column, len(t.Columns))
	seen := map[string]bool{}
	for i, c := range t.Columns {
		ct, err := encode.ParseType(c.Type)
		if err != nil {
			return nil, fmt.Errorf("table %s.%s column %s: %w", t.DB, t.Name, c.Name, err)
		}
		l := strings.ToLower(c.Name)
		if c.Name == "" || seen[l] {
			return nil, fmt.Errorf("table %s.%s: empty or duplicate column name %q", t.DB, t.Name, c.Name)
		}
		seen[l] = true
		cols[i] = encode.Column{Name: c.Name, Type: ct}
	}
	if t.MergeOnRead && t.Model != Unique {
		return nil, fmt.Errorf("table %s.%s: MergeOnRead is a property of UNIQUE tables, and this one is %s", t.DB, t.Name, t.Model)
	}
	if t.SequenceColumn != "" && !seen[strings.ToLower(t.SequenceColumn)] {
		return nil, fmt.Errorf("table %s.%s: sequence column %s is not one of its columns", t.DB, t.Name, t.SequenceColumn)
	}
	sh := &tableShape{spec: t, cols: cols, header: http.Header{}, partials: map[string]*partialShape{}}
	sh.deleteSign = t.Model == Unique && cfg.EnableDelete
	h := sh.header
	for k, v := range cfg.Properties {
		h.Set(k, v)
	}
	if cfg.csv() {
		sep := decodeSeparator(cfg.Properties["column_separator"], "\x01")
		delim := decodeSeparator(cfg.Properties["line_delimiter"], "\x02")
		csv, err := encode.NewCSV(cols, sh.deleteSign, sep, delim)
		if err != nil {
			return nil, fmt.Errorf("table %s.%s: %w", t.DB, t.Name, err)
		}
		sh.csv, sh.sep, sh.delim = true, sep, delim
		h.Set("format", "csv")
		h.Set("column_separator", hexSeparator(sep))
		h.Set("line_delimiter", hexSeparator(delim))
		h.Set("columns", csv.Columns())
		sh.enc = csv
	} else {
		h.Set("format", "json")
		h.Set("read_json_by_line", "true")
		if sh.deleteSign {
			h.Set("hidden_columns", encode.DeleteSignColumn)
		}
		sh.enc = encode.NewJSON(cols, sh.deleteSign)
	}
	if t.SequenceColumn != "" {
		h.Set("function_column.sequence_col", t.SequenceColumn)
	}
	sh.twoPhase = cfg.twoPhase(t.Model)
	if sh.twoPhase {
		h.Set("two_phase_commit", "true")
	}
	if cfg.gzip() {
		h.Set("compress_type", "gz")
	}
	if h.Get("timeout") == "" {
		// Bound how long Doris lets a load of ours run, so a load we gave up waiting for
		// cannot keep its label RUNNING for Doris's default of three days.
		h.Set("timeout", strconv.Itoa(int((cfg.ReadTimeout+time.Second-1)/time.Second)))
	}
	return sh, nil
}

// decodeSeparator turns a separator as written in a Stream Load header ("\x01", "\t",
// "|") into its bytes.
func decodeSeparator(v, def string) string {
	if v == "" {
		return def
	}
	if strings.HasPrefix(v, `\x`) || strings.HasPrefix(v, `\X`) {
		var out []byte
		for s := v; len(s) >= 4 && (s[:2] == `\x` || s[:2] == `\X`); s = s[4:] {
			n, err := strconv.ParseUint(s[2:4], 16, 8)
			if err != nil {
				return v
			}
			out = append(out, byte(n))
			if len(s) == 4 {
				return string(out)
			}
		}
		return v
	}
	switch v {
	case `\t`:
		return "\t"
	case `\n`:
		return "\n"
	}
	return v
}

// hexSeparator writes separator bytes in Doris's \xHH header notation, which carries
// any byte (a raw tab or newline cannot travel in an HTTP header).
func hexSeparator(s string) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteString(`\x`)
		b.WriteByte(digits[s[i]>>4])
		b.WriteByte(digits[s[i]&0xF])
	}
	return b.String()
}

// sameKey reports whether two rows have equal key columns.
func sameKey(a, b []any, keys int) bool {
	if len(a) < keys || len(b) < keys {
		return false
	}
	for i := 0; i < keys; i++ {
		if !sameValue(a[i], b[i]) {
			return false
		}
	}
	return true
}

func sameValue(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case int64:
		y, ok := b.(int64)
		return ok && x == y
	case uint64:
		y, ok := b.(uint64)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	}
	return reflect.DeepEqual(a, b)
}
