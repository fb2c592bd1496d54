package doris

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"
)

// source is one input column of a load: a CSV position or a JSON key (or jsonpath
// position), mapped to a table column, a hidden column, or neither (a temporary
// column, usable in the delete predicate).
type source struct {
	name   string
	col    int    // table column index, or -1
	hidden string // DeleteSignColumn or SequenceColumn when it feeds a hidden column
}

// loadPlan is what the FE's streamLoadPut decides, computed from a snapshot of the
// table definition so rows can be converted without holding Catalog.Mu.
type loadPlan struct {
	db, table   string
	cols        []Column
	keys        KeysType
	keyCount    int
	sources     []source
	colSrc      []int // per table column: index into sources, or -1
	deleteSrc   int   // source feeding __DORIS_DELETE_SIGN__, or -1
	seqSrc      int   // source feeding the sequence value, or -1
	seqCol      int   // table column whose value is the sequence value, or -1
	seqType     Type
	merge       string
	delPred     *deletePred
	partial     bool
	partialCols []int
	newKeyError bool
	jsonPaths   [][]pathStep
	jsonRoot    []pathStep
	strict      bool
	now         time.Time
}

// plan is the FE's streamLoadPut: column mapping, NOT NULL coverage, merge type,
// sequence column and partial update rules.
func (l *loadRun) plan() (*loadPlan, *loadError) {
	s, h := l.s, &l.h
	s.Catalog.Mu.Lock()
	defer s.Catalog.Mu.Unlock()
	tbl := s.Catalog.Table(l.db, l.table)
	if tbl == nil {
		return nil, unknownTableError(l.table)
	}
	if tbl.Keys == AggKeys {
		return nil, notModeled("loads into AGGREGATE KEY tables")
	}
	p := &loadPlan{
		db: l.db, table: l.table, cols: append([]Column(nil), tbl.Columns...), keys: tbl.Keys, keyCount: tbl.KeyCount,
		deleteSrc: -1, seqSrc: -1, seqCol: -1, merge: h.mergeType, partial: h.partial, newKeyError: h.newKeyError,
		strict: h.strict, now: s.now(),
	}
	hasHidden := func(name string) bool {
		switch {
		case strings.EqualFold(name, DeleteSignColumn):
			return tbl.Keys == UniqueKeys
		case strings.EqualFold(name, SequenceColumn):
			return tbl.HasSequence()
		}
		return false
	}
	addSource := func(name string) {
		src := source{name: name, col: tbl.ColumnIndex(name)}
		if src.col < 0 && hasHidden(name) {
			src.hidden = strings.ToUpper(name)
		}
		p.sources = append(p.sources, src)
	}
	if h.columns != nil {
		for _, name := range h.columns {
			addSource(name)
		}
	} else {
		for _, c := range tbl.Columns {
			addSource(c.Name)
		}
		// hidden_columns only count without a columns header; hidden columns the table
		// lacks (a delete sign on a DUPLICATE table) are ignored, as the FE does.
		for _, name := range h.hiddenColumns {
			if hasHidden(name) && tbl.ColumnIndex(name) < 0 {
				addSource(name)
			}
		}
	}
	p.colSrc = make([]int, len(p.cols))
	for i := range p.colSrc {
		p.colSrc[i] = -1
	}
	for i, src := range p.sources {
		switch {
		case src.col >= 0:
			p.colSrc[src.col] = i
		case src.hidden == DeleteSignColumn:
			p.deleteSrc = i
		case src.hidden == SequenceColumn:
			p.seqSrc = i
		}
	}
	if p.merge != "APPEND" && tbl.Keys != UniqueKeys {
		return nil, feError("load by MERGE or DELETE is only supported in unique tables.")
	}
	if p.partial {
		if tbl.Keys != UniqueKeys || !tbl.MergeOnWrite {
			return nil, feError("load by PARTIAL_COLUMNS is only supported in unique table MoW")
		}
		for c := 0; c < tbl.KeyCount; c++ {
			if p.colSrc[c] < 0 {
				return nil, feError("Partial update should include all key columns, missing: %s", tbl.Columns[c].Name)
			}
		}
		for c := range p.cols {
			if p.colSrc[c] >= 0 {
				p.partialCols = append(p.partialCols, c)
			}
		}
	} else {
		for c, col := range p.cols {
			if p.colSrc[c] < 0 && !col.Nullable && !col.HasDefault && !col.AutoInc {
				return nil, feError("Column has no default value. column: %s", col.Name)
			}
		}
	}
	if lerr := p.planSequence(tbl, h.seqCol); lerr != nil {
		return nil, lerr
	}
	if p.merge == "MERGE" {
		pred, lerr := p.parseDeletePredicate(h.deleteCond)
		if lerr != nil {
			return nil, lerr
		}
		p.delPred = pred
	}
	if h.format == "json" {
		if lerr := p.planJSONPaths(h); lerr != nil {
			return nil, lerr
		}
	}
	return p, nil
}

// planSequence resolves where each row's sequence value comes from.
func (p *loadPlan) planSequence(tbl *Table, header string) *loadError {
	if !tbl.HasSequence() {
		if header != "" {
			return feError("There is no sequence column in the table %s", tbl.Name)
		}
		return nil
	}
	p.seqType = tbl.SequenceValueType()
	if header != "" {
		for i, src := range p.sources {
			if strings.EqualFold(src.name, header) {
				p.seqSrc = i
				return nil
			}
		}
		return notModeled("function_column.sequence_col %q naming no column of the load", header)
	}
	if p.seqSrc >= 0 {
		return nil // __DORIS_SEQUENCE_COL__ given through columns/hidden_columns
	}
	if tbl.SequenceCol != "" {
		p.seqCol = tbl.ColumnIndex(tbl.SequenceCol)
		return nil
	}
	if p.partial {
		return nil // a partial update keeps the stored sequence
	}
	return feError("Table %s has sequence column, need to specify the sequence column", tbl.Name)
}

func (p *loadPlan) planJSONPaths(h *loadHeaders) *loadError {
	if h.jsonRoot != "" {
		steps, err := parseJSONPath(h.jsonRoot)
		if err != nil {
			return notModeled("json_root %q: %v", h.jsonRoot, err)
		}
		p.jsonRoot = steps
	}
	if h.jsonPaths == "" {
		return nil
	}
	var paths []string
	if err := jsonUnmarshalStrict(h.jsonPaths, &paths); err != nil {
		return invalidArg("Invalid json path: %s", h.jsonPaths)
	}
	for _, path := range paths {
		steps, err := parseJSONPath(path)
		if err != nil {
			return notModeled("jsonpath %q: %v", path, err)
		}
		p.jsonPaths = append(p.jsonPaths, steps)
	}
	return nil
}

// deletePred is a delete condition of the form col=value (MERGE loads).
type deletePred struct {
	src     int // source index, or -1
	col     int // table column index when the name is not a source
	literal string
}

var deletePredRE = regexp.MustCompile("^\\s*`?([^`=\\s]+)`?\\s*=\\s*(.+?)\\s*$")

func (p *loadPlan) parseDeletePredicate(cond string) (*deletePred, *loadError) {
	m := deletePredRE.FindStringSubmatch(cond)
	if m == nil {
		return nil, notModeled("delete conditions other than col=value (%s)", cond)
	}
	lit := m[2]
	if len(lit) >= 2 && (lit[0] == '\'' || lit[0] == '"') && lit[len(lit)-1] == lit[0] {
		lit = lit[1 : len(lit)-1]
	} else if strings.ContainsAny(lit, " ()<>!'\"") {
		return nil, notModeled("delete conditions other than col=value (%s)", cond)
	}
	pred := &deletePred{src: -1, col: -1, literal: lit}
	for i, src := range p.sources {
		if strings.EqualFold(src.name, m[1]) {
			pred.src = i
			return pred, nil
		}
	}
	for i := range p.cols {
		if strings.EqualFold(p.cols[i].Name, m[1]) {
			pred.col = i
			return pred, nil
		}
	}
	return nil, feError("Unknown column '%s' in 'delete on clause'", m[1])
}

// matches evaluates the predicate on a row's source fields / converted values.
func (d *deletePred) matches(fields []SourceField, vals []Value, cols []Column) bool {
	if d.src >= 0 {
		f := fields[d.src]
		if f.Null || f.Missing {
			return false
		}
		return looselyEqual(f.Text, d.literal)
	}
	v := vals[d.col]
	if v.Null {
		return false
	}
	lit, cerr := ConvertText(cols[d.col].Type, d.literal)
	return cerr == nil && CompareValues(cols[d.col].Type, v, Value{S: lit}) == 0
}

// looselyEqual compares source text with a literal numerically when both are numbers.
func looselyEqual(a, b string) bool {
	x, ok1 := new(big.Float).SetString(strings.TrimSpace(a))
	y, ok2 := new(big.Float).SetString(strings.TrimSpace(b))
	if ok1 && ok2 {
		return x.Cmp(y) == 0
	}
	return a == b
}

// deleteSignTarget is the hidden delete-sign column as a load target (TINYINT NOT NULL DEFAULT 0).
var deleteSignTarget = Column{Name: DeleteSignColumn, Type: Type{Kind: KindTinyInt}, HasDefault: true, Default: "0"}

// convertRow builds one table row from a record's fields. It returns the row, whether
// it is a delete, or a non-empty filter reason, or an error for values the stand-in
// does not model.
func (l *loadRun) convertRow(p *loadPlan, fields []SourceField) (Row, bool, string, error) {
	vals := make([]Value, len(p.cols))
	for c := range p.cols {
		col := &p.cols[c]
		si := p.colSrc[c]
		if si >= 0 && !fields[si].Missing {
			v, reason, err := LoadValueLimit(col, fields[si], p.strict, l.s.Opts.StringLimit)
			if err != nil || reason != "" {
				return Row{}, false, reason, err
			}
			vals[c] = v
			continue
		}
		if p.partial && si < 0 {
			continue // unmentioned column of a partial update: the stored value stays
		}
		if si >= 0 && !col.Nullable && !col.HasDefault && !col.AutoInc {
			return Row{}, false, fmt.Sprintf("The column `%s` is not nullable, but it's not found in jsondata.", col.Name), nil
		}
		v, err := l.s.defaultValue(p, col)
		if err != nil {
			return Row{}, false, "", err
		}
		vals[c] = v
	}
	row := Row{Vals: vals}
	del := false
	switch {
	case p.merge == "DELETE":
		del = true
	case p.merge == "MERGE":
		del = p.delPred.matches(fields, vals, p.cols)
	case p.deleteSrc >= 0 && !fields[p.deleteSrc].Missing:
		v, reason, err := LoadValue(&deleteSignTarget, fields[p.deleteSrc], p.strict)
		if err != nil || reason != "" {
			return Row{}, false, reason, err
		}
		del = v.S != "0"
	}
	switch {
	case p.seqSrc >= 0:
		seqTarget := Column{Name: SequenceColumn, Type: p.seqType, Nullable: true}
		if fields[p.seqSrc].Missing {
			row.Seq = Value{Null: true}
			break
		}
		v, reason, err := LoadValue(&seqTarget, fields[p.seqSrc], p.strict)
		if err != nil || reason != "" {
			return Row{}, false, reason, err
		}
		row.Seq = v
	case p.seqCol >= 0:
		row.Seq = vals[p.seqCol]
	}
	return row, del, "", nil
}

// defaultValue is the value a column takes when the load does not supply it.
func (s *Server) defaultValue(p *loadPlan, col *Column) (Value, error) {
	if col.AutoInc {
		key := p.db + "." + p.table + "." + col.Name
		s.web.mu.Lock()
		s.web.autoInc[key]++
		n := s.web.autoInc[key]
		s.web.mu.Unlock()
		return Value{S: fmt.Sprint(n)}, nil
	}
	return staticDefault(col, p.now)
}

// staticDefault evaluates a column default (literal, CURRENT_TIMESTAMP, CURRENT_DATE)
// in the column's canonical form; columns without one default to NULL.
func staticDefault(col *Column, now time.Time) (Value, error) {
	if !col.HasDefault || col.DefaultNull {
		return Value{Null: true}, nil
	}
	text := col.Default
	if col.DefaultExpr {
		expr := strings.ToUpper(strings.TrimSpace(col.Default))
		switch {
		case strings.HasPrefix(expr, "CURRENT_TIMESTAMP"), strings.HasPrefix(expr, "NOW"):
			// Truncated to the column's scale: the clock is not rounded up a second.
			text = now.Format("2006-01-02 15:04:05")
			if col.Type.Kind == KindDateTime && col.Type.Scale > 0 {
				text += now.Format(".000000")[:1+col.Type.Scale]
			}
		case strings.HasPrefix(expr, "CURRENT_DATE"):
			text = now.Format("2006-01-02")
		default:
			return Value{}, fmt.Errorf("column %s: default expression %s: %w", col.Name, col.Default, ErrUnsupportedValue)
		}
	}
	v, cerr := ConvertText(col.Type, text)
	if cerr != nil {
		return Value{}, fmt.Errorf("column %s: default %q: %s: %w", col.Name, col.Default, cerr.Detail, ErrUnsupportedValue)
	}
	return Value{S: v}, nil
}
