package ddl

import (
	"fmt"
	"strings"

	"github.com/doris-sync/doris-sync/schema"
)

// Model is a Doris data model.
type Model uint8

// The models doris-sync creates, and AGGREGATE, which it only meets in an existing
// Doris table.
const (
	ModelUnknown Model = iota
	ModelDuplicate
	ModelUnique
	ModelAggregate
)

func (m Model) String() string {
	switch m {
	case ModelDuplicate:
		return "DUPLICATE"
	case ModelUnique:
		return "UNIQUE"
	case ModelAggregate:
		return "AGGREGATE"
	}
	return "UNKNOWN"
}

// Column is a planned Doris column.
type Column struct {
	Name     string
	Type     Type
	Nullable bool
	Default  *Default // nil: no DEFAULT clause
	Comment  string
	Key      bool
	// SourceIndex is the column's position in the source table (and in Change rows);
	// -1 when the column has no source column.
	SourceIndex int
}

// Default is a DEFAULT clause Doris accepts for the column's type.
type Default struct {
	Literal          string // the value, quoted when rendered
	CurrentTimestamp bool   // DEFAULT CURRENT_TIMESTAMP (DATETIME only)
}

// SQL renders the default value: CURRENT_TIMESTAMP bare, anything else as a quoted
// literal (Doris's fallback parser only accepts quoted defaults).
func (d Default) SQL() string {
	if d.CurrentTimestamp {
		return "CURRENT_TIMESTAMP"
	}
	return QuoteString(d.Literal)
}

// Warning is something the user should know about a plan that does not stop it.
type Warning struct {
	Table   schema.TableID
	Column  string // empty for table-level warnings
	Message string
}

func (w Warning) String() string {
	var b strings.Builder
	if w.Table.Name != "" {
		b.WriteString(w.Table.String())
	}
	if w.Column != "" {
		b.WriteString(".")
		b.WriteString(w.Column)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(w.Message)
	return b.String()
}

// TablePlan is the Doris table planned for one source table (or, for a sharding merge,
// for several source tables with the same schema).
type TablePlan struct {
	Sources  []schema.TableID
	Database string
	Table    string
	Model    Model
	// Columns in Doris order: key columns first, in key order, then the others in
	// source order.
	Columns       []Column
	Keys          []string
	DistributedBy []string
	Buckets       int // 0: BUCKETS AUTO
	Partition     *PartitionRule
	Comment       string
	Properties    []Property
	Warnings      []Warning
}

// Column returns the planned column with the given name (Doris compares column names
// case-insensitively).
func (p *TablePlan) Column(name string) (Column, bool) {
	for _, c := range p.Columns {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return Column{}, false
}

// NeedsDecimal256 reports whether the table has a DECIMAL wider than 38 digits; the
// FE session must then run SET enable_decimal256 = true before CREATE TABLE.
func (p *TablePlan) NeedsDecimal256() bool {
	for _, c := range p.Columns {
		if c.Type.Kind == KindDecimal && c.Type.Precision > MaxDecimalDigits {
			return true
		}
	}
	return false
}

// Options configure a Planner.
type Options struct {
	Source    Source
	Naming    NamingRules
	TableConf TableConf
	// IgnoreDefaultValue drops every source DEFAULT (--ignore-default-value).
	IgnoreDefaultValue bool
	// TinyInt1AsTinyInt: see MapOptions.
	TinyInt1AsTinyInt bool
}

// Planner turns source tables into Doris table plans.
type Planner struct {
	opts  Options
	namer *Namer
}

// NewPlanner checks the options.
func NewPlanner(opts Options) (*Planner, error) {
	switch opts.Source {
	case SourceMySQL, SourcePostgres, SourceSQLServer, SourceOracle, SourceDB2, SourceMongoDB:
	default:
		return nil, fmt.Errorf("plan: unknown source %q", opts.Source)
	}
	n, err := NewNamer(opts.Naming)
	if err != nil {
		return nil, err
	}
	return &Planner{opts: opts, namer: n}, nil
}

// Namer returns the planner's naming rules, for discovery filters and routing.
func (p *Planner) Namer() *Namer { return p.namer }

// Plan is the set of Doris tables for a set of source tables.
type Plan struct {
	Tables   []*TablePlan
	Excluded []schema.TableID // source tables the include/exclude rules leave out
	Warnings []Warning        // plan-level warnings; each table has its own too
	bySource map[schema.TableID]*TablePlan
}

// Route returns the Doris table a source table's changes go to.
func (p *Plan) Route(id schema.TableID) (*TablePlan, bool) {
	tp, ok := p.bySource[id]
	return tp, ok
}

// Plan plans every included table. Two source tables that map to one Doris table are
// merged when their planned schemas are identical (the sharding merge) and are an error
// otherwise.
func (p *Planner) Plan(tables []*schema.Table) (*Plan, error) {
	plan := &Plan{bySource: make(map[schema.TableID]*TablePlan)}
	byTarget := make(map[[2]string]*TablePlan)
	for _, t := range tables {
		if !p.namer.Includes(t.ID.Name) {
			plan.Excluded = append(plan.Excluded, t.ID)
			continue
		}
		if _, dup := plan.bySource[t.ID]; dup {
			return nil, fmt.Errorf("plan: source table %s given twice", t.ID)
		}
		tp, err := p.PlanTable(t)
		if err != nil {
			return nil, err
		}
		target := [2]string{tp.Database, tp.Table}
		if prev := byTarget[target]; prev != nil {
			if diff := schemaDifference(prev, tp); diff != "" {
				return nil, fmt.Errorf("source tables %s and %s both map to Doris table %s.%s, but their schemas differ: %s; give them different Doris names (--table-prefix/--table-suffix, --multi-to-one-*) or exclude one",
					prev.Sources[0], t.ID, tp.Database, tp.Table, diff)
			}
			prev.Sources = append(prev.Sources, t.ID)
			prev.Warnings = append(prev.Warnings, tp.Warnings...)
			plan.bySource[t.ID] = prev
			continue
		}
		byTarget[target] = tp
		plan.Tables = append(plan.Tables, tp)
		plan.bySource[t.ID] = tp
	}
	for _, r := range p.opts.TableConf.Partitions {
		if !partitionUsed(plan, r) {
			plan.Warnings = append(plan.Warnings, Warning{Message: fmt.Sprintf(
				"table-partitions rule %s:%s:%s matches no synced table (give the Doris or the source table name)", r.Table, r.Column, r.Interval)})
		}
	}
	return plan, nil
}

func partitionUsed(plan *Plan, r PartitionRule) bool {
	for _, tp := range plan.Tables {
		if tp.Partition != nil && tp.Partition.Table == r.Table {
			return true
		}
	}
	return false
}

// schemaDifference describes the first difference between two plans for one Doris
// table, or returns "" when a merge is safe.
func schemaDifference(a, b *TablePlan) string {
	if a.Model != b.Model {
		return fmt.Sprintf("%s has a %s KEY, %s a %s KEY", a.Sources[0], a.Model, b.Sources[0], b.Model)
	}
	if strings.Join(a.Keys, "\x00") != strings.Join(b.Keys, "\x00") {
		return fmt.Sprintf("keys (%s) in %s, (%s) in %s", strings.Join(a.Keys, ", "), a.Sources[0], strings.Join(b.Keys, ", "), b.Sources[0])
	}
	if len(a.Columns) != len(b.Columns) {
		return fmt.Sprintf("%d columns in %s, %d in %s", len(a.Columns), a.Sources[0], len(b.Columns), b.Sources[0])
	}
	for i := range a.Columns {
		ca, cb := a.Columns[i], b.Columns[i]
		switch {
		case !strings.EqualFold(ca.Name, cb.Name):
			return fmt.Sprintf("column %d is %q in %s and %q in %s", i+1, ca.Name, a.Sources[0], cb.Name, b.Sources[0])
		case !ca.Type.Equal(cb.Type):
			return fmt.Sprintf("column %q is %s in %s and %s in %s", ca.Name, ca.Type, a.Sources[0], cb.Type, b.Sources[0])
		case ca.Nullable != cb.Nullable:
			return fmt.Sprintf("column %q is %s in %s and %s in %s", ca.Name, nullText(ca.Nullable), a.Sources[0], nullText(cb.Nullable), b.Sources[0])
		case ca.SourceIndex != cb.SourceIndex:
			return fmt.Sprintf("column %q is at position %d in %s and %d in %s", ca.Name, ca.SourceIndex+1, a.Sources[0], cb.SourceIndex+1, b.Sources[0])
		}
	}
	return ""
}

func nullText(nullable bool) string {
	if nullable {
		return "NULL"
	}
	return "NOT NULL"
}

// PlanTable plans the Doris table for one source table.
func (p *Planner) PlanTable(t *schema.Table) (*TablePlan, error) {
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	db, name, err := p.namer.Target(t.ID)
	if err != nil {
		return nil, err
	}
	conf := &p.opts.TableConf
	tp := &TablePlan{
		Sources:    []schema.TableID{t.ID},
		Database:   db,
		Table:      name,
		Comment:    t.Comment,
		Buckets:    conf.BucketsFor(name),
		Properties: conf.tableProperties(),
	}
	warn := func(col, msg string) {
		tp.Warnings = append(tp.Warnings, Warning{Table: t.ID, Column: col, Message: msg})
	}
	// What discovery noticed about the source table (e.g. columns it left out) is the
	// user's to see in the plan.
	for _, n := range t.Notes {
		warn(n.Column, n.Message)
	}

	cols, err := p.mapColumns(t, warn)
	if err != nil {
		return nil, err
	}
	find := func(name string) int {
		for i := range cols {
			if cols[i].Name == name {
				return i
			}
		}
		for i := range cols {
			if strings.EqualFold(cols[i].Name, name) {
				return i
			}
		}
		return -1
	}

	keys, model := p.uniqueKey(t, warn)
	distribution := append([]string(nil), keys...)

	if r, ok := conf.PartitionFor(name, t.ID.Name); ok {
		i := find(r.Column)
		if i < 0 {
			return nil, fmt.Errorf("table-partitions %s:%s:%s: source table %s has no column %q", r.Table, r.Column, r.Interval, t.ID, r.Column)
		}
		if k := cols[i].Type.Kind; k != KindDate && k != KindDateTime {
			return nil, fmt.Errorf("table-partitions %s:%s:%s: column %q of %s maps to %s; auto partitioning needs a DATE or DATETIME column", r.Table, r.Column, r.Interval, cols[i].Name, t.ID, cols[i].Type)
		}
		r.Column = cols[i].Name
		tp.Partition = &r
		cols[i].Nullable = false // Doris partition columns are NOT NULL
		if model == ModelUnique && !contains(keys, r.Column) {
			// Doris requires partition columns in the UNIQUE KEY.
			keys = append(keys, r.Column)
		}
	}

	var order []int // indexes into cols, in Doris order
	if model == ModelUnique {
		for _, k := range keys {
			i := find(k)
			cols[i].Key = true
			if !cols[i].Type.KeyCapable() {
				from := cols[i].Type
				cols[i].Type = keyType(from)
				if from.Kind == KindFloat || from.Kind == KindDouble {
					warn(cols[i].Name, fmt.Sprintf("%s cannot be a Doris key; the key column is %s holding the number's shortest exact decimal text", from, cols[i].Type))
				}
			}
			order = append(order, i)
		}
		for i := range cols {
			if !cols[i].Key {
				order = append(order, i)
			}
		}
	} else {
		order = p.duplicateKey(cols, warn)
		for _, i := range order {
			if cols[i].Key {
				keys = append(keys, cols[i].Name)
			}
		}
		distribution = keys
	}

	if !p.opts.IgnoreDefaultValue {
		for i := range cols {
			cols[i].Default = dorisDefault(t.Columns[cols[i].SourceIndex].Default, cols[i].Type)
		}
	}
	tp.Model = model
	tp.Keys = keys
	tp.DistributedBy = distribution
	tp.Columns = make([]Column, 0, len(cols))
	for _, i := range order {
		tp.Columns = append(tp.Columns, cols[i])
	}
	return tp, nil
}

// mapColumns maps every source column, checking Doris's column-name rules.
func (p *Planner) mapColumns(t *schema.Table, warn func(col, msg string)) ([]Column, error) {
	mapOpts := MapOptions{Decimal256: p.opts.TableConf.Decimal256, TinyInt1AsTinyInt: p.opts.TinyInt1AsTinyInt}
	seen := make(map[string]string, len(t.Columns))
	cols := make([]Column, len(t.Columns))
	for i, sc := range t.Columns {
		if err := ValidateColumnName(sc.Name); err != nil {
			return nil, fmt.Errorf("source table %s, column %q: %w", t.ID, sc.Name, err)
		}
		lower := strings.ToLower(sc.Name)
		if prev, dup := seen[lower]; dup {
			return nil, fmt.Errorf("source table %s: columns %q and %q differ only in letter case, and Doris column names are case-insensitive", t.ID, prev, sc.Name)
		}
		seen[lower] = sc.Name
		m := MapType(p.opts.Source, sc.Type, mapOpts)
		if m.Warning != "" {
			warn(sc.Name, fmt.Sprintf("%s (source type %q)", m.Warning, sc.TypeText))
		}
		cols[i] = Column{
			Name:        sc.Name,
			Type:        m.Type,
			Nullable:    sc.Nullable || m.ForceNullable,
			Comment:     sc.Comment,
			SourceIndex: i,
		}
	}
	return cols, nil
}

// uniqueKey picks the UNIQUE KEY: the primary key, or with convert-uniq-to-pk the first
// unique index whose columns are all NOT NULL. A unique index allows any number of rows
// whose key has a NULL, and Doris would merge them into one, so such an index is never
// used. No key: DUPLICATE.
func (p *Planner) uniqueKey(t *schema.Table, warn func(col, msg string)) ([]string, Model) {
	if len(t.PrimaryKey) > 0 {
		return append([]string(nil), t.PrimaryKey...), ModelUnique
	}
	if !p.opts.TableConf.ConvertUniqToPK || len(t.UniqueIndexes) == 0 {
		return nil, ModelDuplicate
	}
	var skipped []string
	for _, ix := range t.UniqueIndexes {
		nullable := ""
		for _, c := range ix.Columns {
			if t.Columns[t.ColumnIndex(c)].Nullable {
				nullable = c
				break
			}
		}
		if nullable == "" {
			return append([]string(nil), ix.Columns...), ModelUnique
		}
		skipped = append(skipped, fmt.Sprintf("%q (column %q is nullable)", ix.Name, nullable))
	}
	warn("", fmt.Sprintf("convert-uniq-to-pk: no unique index has only NOT NULL columns (%s); Doris would merge rows whose key is NULL, so the table is DUPLICATE KEY", strings.Join(skipped, ", ")))
	return nil, ModelDuplicate
}

// duplicateKey marks the sort key of a DUPLICATE table, chosen the way Doris chooses a
// default one (up to 3 leading columns within 36 bytes, ending at the first VARCHAR), but
// written out explicitly. When the first column cannot be a key, the first column that
// can is moved to the front; when none can, the first column's type is changed. Returns
// the column order.
func (p *Planner) duplicateKey(cols []Column, warn func(col, msg string)) []int {
	order := make([]int, 0, len(cols))
	first := -1
	for i := range cols {
		if cols[i].Type.KeyCapable() {
			first = i
			break
		}
	}
	if first < 0 {
		from := cols[0].Type
		cols[0].Type = keyType(from)
		warn(cols[0].Name, fmt.Sprintf("no column can be a Doris key; the first column becomes the DUPLICATE KEY as %s instead of %s", cols[0].Type, from))
		first = 0
	}
	order = append(order, first)
	for i := range cols {
		if i != first {
			order = append(order, i)
		}
	}
	size := 0
	nkeys := 0
	for _, i := range order {
		t := cols[i].Type
		size += t.indexSize()
		if nkeys >= 3 || size > 36 {
			if nkeys == 0 && (t.Kind == KindChar || t.Kind == KindVarchar) {
				cols[i].Key = true
			}
			break
		}
		if !t.KeyCapable() {
			break
		}
		cols[i].Key = true
		nkeys++
		if t.Kind == KindVarchar {
			break
		}
	}
	return order
}

// keyType is the key-capable type used for a key column whose type Doris forbids in
// keys: text for STRING/JSON/ARRAY (every source caps key values far below 65533
// bytes), and the shortest exact decimal text for FLOAT/DOUBLE, which keeps distinct
// numbers distinct where a DECIMAL would round them.
func keyType(t Type) Type {
	if t.Kind == KindFloat || t.Kind == KindDouble {
		return Varchar(32)
	}
	return Varchar(MaxVarcharBytes)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
