package doris

import (
	"cmp"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// KeysType is a Doris data model.
type KeysType int

// The three Doris data models.
const (
	DupKeys KeysType = iota
	UniqueKeys
	AggKeys
)

func (k KeysType) String() string {
	switch k {
	case UniqueKeys:
		return "UNIQUE"
	case AggKeys:
		return "AGGREGATE"
	}
	return "DUPLICATE"
}

// Hidden columns of UNIQUE KEY tables (reference/doris-behaviour.md §5.1).
const (
	DeleteSignColumn   = "__DORIS_DELETE_SIGN__"
	SequenceColumn     = "__DORIS_SEQUENCE_COL__"
	VersionColumn      = "__DORIS_VERSION_COL__"
	hiddenColumnPrefix = "__DORIS_"
)

// Column is one column of a stand-in table.
type Column struct {
	Name        string
	Type        Type
	Nullable    bool
	HasDefault  bool
	DefaultNull bool   // DEFAULT NULL
	Default     string // literal default text (unquoted), or an expression such as CURRENT_TIMESTAMP
	DefaultExpr bool   // Default is an expression (CURRENT_TIMESTAMP, CURRENT_DATE …)
	Comment     string
	IsKey       bool
	AutoInc     bool
	AggType     string // AGGREGATE tables only: SUM, REPLACE, …
}

// Table is a stand-in table: its definition and its rows.
type Table struct {
	DB, Name     string
	Columns      []Column
	Keys         KeysType
	KeyCount     int // the first KeyCount columns are the key
	DistCols     []string
	DistRandom   bool
	Buckets      int // 0 = BUCKETS AUTO
	Comment      string
	PartitionSQL string      // partition clause kept verbatim for SHOW CREATE TABLE
	Properties   [][2]string // in the order given
	MergeOnWrite bool
	LightSchema  bool
	SequenceCol  string // function_column.sequence_col
	SequenceType *Type  // function_column.sequence_type (hidden sequence column)

	// AlterJobs lists schema change jobs (SHOW ALTER TABLE COLUMN); a job that is not
	// FINISHED/CANCELLED keeps the table out of NORMAL state for further ALTERs.
	AlterJobs []AlterJob

	store rowStore
}

// AlterJob is a schema change job as SHOW ALTER TABLE COLUMN lists it.
type AlterJob struct {
	JobID      int64
	CreateTime string
	FinishTime string
	State      string // PENDING, RUNNING, FINISHED, CANCELLED
	Msg        string
}

// ColumnIndex returns the index of a column by name (case-insensitive, as Doris
// compares column names), or -1.
func (t *Table) ColumnIndex(name string) int {
	for i := range t.Columns {
		if strings.EqualFold(t.Columns[i].Name, name) {
			return i
		}
	}
	return -1
}

// HasSequence reports whether the table has a sequence column.
func (t *Table) HasSequence() bool { return t.SequenceCol != "" || t.SequenceType != nil }

// SequenceValueType is the type of the sequence value (the mapped column's type, or the
// hidden column's declared type).
func (t *Table) SequenceValueType() Type {
	if t.SequenceType != nil {
		return *t.SequenceType
	}
	if i := t.ColumnIndex(t.SequenceCol); i >= 0 {
		return t.Columns[i].Type
	}
	return Type{Kind: KindBigInt}
}

// Value is a stored cell: canonical text as Doris prints it, or NULL.
type Value struct {
	Null bool
	S    string
}

// Row is one stored row. Seq is the sequence value (tables with a sequence column);
// Deleted marks a tombstone kept so a later row with a smaller sequence stays hidden.
type Row struct {
	Vals    []Value
	Seq     Value
	Deleted bool
}

// rowStore holds rows: by encoded key for UNIQUE tables, in load order otherwise.
type rowStore struct {
	byKey map[string]*Row
	list  []*Row
}

func (t *Table) keyString(vals []Value) string {
	var b strings.Builder
	for i := 0; i < t.KeyCount; i++ {
		if vals[i].Null {
			b.WriteString("\x00N")
		} else {
			b.WriteString("\x00V")
			b.WriteString(vals[i].S)
		}
	}
	return b.String()
}

// Apply stores rows with Doris semantics: UNIQUE tables upsert by key (the larger
// sequence value wins when the table has one; a delete takes effect only when its
// sequence is ≥ the stored one), DUPLICATE tables append. del[i] marks row i as a
// delete (delete sign 1). Rows must already be converted and checked.
func (t *Table) Apply(rows []Row, del []bool) {
	if t.Keys != UniqueKeys {
		for i := range rows {
			r := rows[i]
			t.store.list = append(t.store.list, &r)
		}
		return
	}
	if t.store.byKey == nil {
		t.store.byKey = make(map[string]*Row)
	}
	seqType := t.SequenceValueType()
	for i := range rows {
		r := rows[i]
		r.Deleted = del != nil && del[i]
		k := t.keyString(r.Vals)
		old, ok := t.store.byKey[k]
		if ok && t.HasSequence() && !old.Seq.Null {
			if !r.Seq.Null || r.Deleted {
				if CompareValues(seqType, r.Seq, old.Seq) < 0 {
					continue // an older change never overwrites a newer one
				}
			}
		}
		if r.Deleted && !t.HasSequence() {
			delete(t.store.byKey, k)
			continue
		}
		t.store.byKey[k] = &r
	}
}

// MergeColumns is Apply for a partial column update: only the columns listed in cols
// (indexes) come from the new row; existing rows keep their other values, new keys take
// the column defaults given in fill.
func (t *Table) MergeColumns(rows []Row, cols []int, fill func(col int) Value) {
	if t.store.byKey == nil {
		t.store.byKey = make(map[string]*Row)
	}
	for i := range rows {
		k := t.keyString(rows[i].Vals)
		old, ok := t.store.byKey[k]
		if !ok || old.Deleted {
			n := &Row{Vals: make([]Value, len(t.Columns)), Seq: rows[i].Seq}
			for c := range n.Vals {
				n.Vals[c] = fill(c)
			}
			for _, c := range cols {
				n.Vals[c] = rows[i].Vals[c]
			}
			t.store.byKey[k] = n
			continue
		}
		for _, c := range cols {
			old.Vals[c] = rows[i].Vals[c]
		}
	}
}

// Lookup returns the visible row with the given key values, if any (UNIQUE tables).
func (t *Table) Lookup(keyVals []Value) (Row, bool) {
	if t.store.byKey == nil {
		return Row{}, false
	}
	r, ok := t.store.byKey[t.keyString(keyVals)]
	if !ok || r.Deleted {
		return Row{}, false
	}
	return *r, true
}

// Truncate removes every row.
func (t *Table) Truncate() { t.store = rowStore{} }

// RowCount is the number of visible rows.
func (t *Table) RowCount() int {
	if t.Keys != UniqueKeys {
		return len(t.store.list)
	}
	n := 0
	for _, r := range t.store.byKey {
		if !r.Deleted {
			n++
		}
	}
	return n
}

// VisibleRows returns the visible rows ordered by the key columns (typed comparison);
// DUPLICATE rows with equal keys keep load order.
func (t *Table) VisibleRows() []Row {
	var out []Row
	if t.Keys != UniqueKeys {
		for _, r := range t.store.list {
			out = append(out, *r)
		}
	} else {
		for _, r := range t.store.byKey {
			if !r.Deleted {
				out = append(out, *r)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		for c := 0; c < t.KeyCount; c++ {
			if d := CompareValues(t.Columns[c].Type, out[i].Vals[c], out[j].Vals[c]); d != 0 {
				return d < 0
			}
		}
		return false
	})
	return out
}

// RewriteRows applies f to every stored row (tombstones included); ALTER TABLE uses it
// to add, drop or convert a column.
func (t *Table) RewriteRows(f func(vals []Value) []Value) {
	for _, r := range t.store.list {
		r.Vals = f(r.Vals)
	}
	if t.store.byKey == nil {
		return
	}
	rekeyed := make(map[string]*Row, len(t.store.byKey))
	for _, r := range t.store.byKey {
		r.Vals = f(r.Vals)
		rekeyed[t.keyString(r.Vals)] = r
	}
	t.store.byKey = rekeyed
}

// CompareValues orders two stored values of one type; NULL sorts first, as in Doris.
func CompareValues(t Type, a, b Value) int {
	if a.Null || b.Null {
		switch {
		case a.Null && b.Null:
			return 0
		case a.Null:
			return -1
		}
		return 1
	}
	switch {
	case t.IsInteger() || t.Kind == KindBoolean:
		// Most values fit 64 bits; only LARGEINT extremes need big.Int (sorting a
		// large table for a dump compares millions of times).
		if x, err1 := strconv.ParseInt(a.S, 10, 64); err1 == nil {
			if y, err2 := strconv.ParseInt(b.S, 10, 64); err2 == nil {
				return cmp.Compare(x, y)
			}
		}
		x, ok1 := new(big.Int).SetString(a.S, 10)
		y, ok2 := new(big.Int).SetString(b.S, 10)
		if ok1 && ok2 {
			return x.Cmp(y)
		}
	case t.Kind == KindDecimal || t.Kind == KindFloat || t.Kind == KindDouble:
		x, ok1 := new(big.Float).SetPrec(300).SetString(a.S)
		y, ok2 := new(big.Float).SetPrec(300).SetString(b.S)
		if ok1 && ok2 {
			return x.Cmp(y)
		}
	}
	// Dates and datetimes in canonical form sort as text; so do strings (byte order).
	return strings.Compare(a.S, b.S)
}

// Database is a stand-in database.
type Database struct {
	Name   string
	Tables map[string]*Table // by name as created (table names are case-sensitive)
}

// Catalog is the stand-in's metadata and data. Mu guards everything reachable from it;
// both the HTTP and the MySQL side take it for each operation.
type Catalog struct {
	Mu  sync.Mutex
	DBs map[string]*Database
}

// NewCatalog returns an empty catalog.
func NewCatalog() *Catalog { return &Catalog{DBs: map[string]*Database{}} }

// Table returns db.table or nil. Caller holds Mu.
func (c *Catalog) Table(db, table string) *Table {
	d := c.DBs[db]
	if d == nil {
		return nil
	}
	return d.Tables[table]
}

// Identifier rules (FeNameFormat, reference/doris-behaviour.md §6.2–6.3).
var (
	dbNameRE     = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9\-_]{0,63}$`)
	tableNameRE  = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9\-_]*$`)
	columnNameRE = regexp.MustCompile(`^[_a-zA-Z@0-9\s/][.a-zA-Z0-9_+\-/?@#$%^&*"\s,:]{0,255}$`)
	labelRE      = regexp.MustCompile(`^[-_A-Za-z0-9:]{1,128}$`)
)

// MaxTableNameLen is table_name_length_limit's default.
const MaxTableNameLen = 64

// LabelPattern is the label regex as Doris quotes it in errors.
const LabelPattern = `^[-_A-Za-z0-9:]{1,128}$`

// ValidDBName, ValidTableName, ValidColumnName and ValidLabel apply Doris's identifier rules.
func ValidDBName(s string) bool    { return dbNameRE.MatchString(s) }
func ValidTableName(s string) bool { return len(s) <= MaxTableNameLen && tableNameRE.MatchString(s) }
func ValidColumnName(s string) bool {
	if !columnNameRE.MatchString(s) {
		return false
	}
	l := strings.ToLower(s)
	return !strings.HasPrefix(l, "__doris_shadow_") && !strings.HasPrefix(l, "mv_") && !strings.HasPrefix(l, "mva_")
}
func ValidLabel(s string) bool { return labelRE.MatchString(s) }

// IsHiddenColumn reports whether a name is one of Doris's hidden columns.
func IsHiddenColumn(name string) bool {
	return strings.HasPrefix(strings.ToUpper(name), hiddenColumnPrefix)
}
