package doris

import (
	"strings"
	"time"
)

// ddlAlterClause is one clause of ALTER TABLE.
type ddlAlterClause struct {
	kind    string // add, drop, modify, modifyComment, rename, tableComment, set
	cols    []*ddlColumnDef
	first   bool
	after   string
	name    string
	newName string
	comment string
	props   [][2]string
}

const ddlTimeLayoutMs = "2006-01-02 15:04:05.000"

func (m *mysqlSession) execAlterTable(p *sqlParser) (*queryResult, error) {
	p.i += 2
	db, name, err := p.qualifiedName()
	if err != nil {
		return nil, err
	}
	var clauses []*ddlAlterClause
	for {
		c, err := m.parseAlterClause(p)
		if err != nil {
			return nil, err
		}
		clauses = append(clauses, c)
		if !p.acceptPunct(",") {
			break
		}
	}
	if err := p.expectEnd(); err != nil {
		return nil, err
	}
	schema := 0
	for _, c := range clauses {
		switch c.kind {
		case "add", "drop", "modify":
			schema++
		}
	}
	if len(clauses) > 1 && schema != len(clauses) {
		return nil, unsupportedStmt(p.src)
	}
	s := m.s
	s.Catalog.Mu.Lock()
	defer s.Catalog.Mu.Unlock()
	t, err := m.lookupTable(db, name)
	if err != nil {
		return nil, err
	}
	if ddlAlterRunning(s, t) {
		return nil, dorisErr("Table[%s]'s state(SCHEMA_CHANGE) is not NORMAL. Do not allow doing ALTER ops", t.Name)
	}
	switch c := clauses[0]; c.kind {
	case "rename":
		return &queryResult{}, ddlRenameColumn(s, t, c.name, c.newName)
	case "tableComment":
		t.Comment = c.comment
		return &queryResult{}, nil
	case "set":
		return &queryResult{}, ddlSetTableProperties(t, c.props)
	case "modifyComment":
		i := t.ColumnIndex(c.name)
		if i < 0 {
			return nil, dorisErr("Column[%s] does not exists", c.name)
		}
		t.Columns[i].Comment = c.comment
		return &queryResult{}, nil
	}
	return &queryResult{}, ddlSchemaChange(s, t, clauses)
}

// parseAlterClause reads one ADD/DROP/MODIFY/RENAME COLUMN, MODIFY COMMENT or SET clause.
func (m *mysqlSession) parseAlterClause(p *sqlParser) (*ddlAlterClause, error) {
	dec256 := m.sessionBool("enable_decimal256")
	c := &ddlAlterClause{}
	var err error
	switch {
	case p.acceptWords("ADD", "COLUMN"):
		c.kind = "add"
		if p.acceptPunct("(") {
			for {
				def, err := p.parseColumnDef(dec256)
				if err != nil {
					return nil, err
				}
				c.cols = append(c.cols, def)
				if p.acceptPunct(")") {
					break
				}
				if err := p.expectPunct(","); err != nil {
					return nil, err
				}
			}
		} else {
			def, err := p.parseColumnDef(dec256)
			if err != nil {
				return nil, err
			}
			c.cols = []*ddlColumnDef{def}
			if err := p.parseColumnPosition(c); err != nil {
				return nil, err
			}
		}
	case p.acceptWords("DROP", "COLUMN"):
		c.kind = "drop"
		if c.name, err = p.ident(); err != nil {
			return nil, err
		}
	case p.acceptWords("MODIFY", "COLUMN"):
		if p.peekAt(1).isWord("COMMENT") {
			c.kind = "modifyComment"
			if c.name, err = p.ident(); err != nil {
				return nil, err
			}
			p.next()
			if c.comment, err = p.stringLit(); err != nil {
				return nil, err
			}
			break
		}
		c.kind = "modify"
		def, err := p.parseColumnDef(dec256)
		if err != nil {
			return nil, err
		}
		c.cols = []*ddlColumnDef{def}
		if err := p.parseColumnPosition(c); err != nil {
			return nil, err
		}
	case p.acceptWords("RENAME", "COLUMN"):
		c.kind = "rename"
		if c.name, err = p.ident(); err != nil {
			return nil, err
		}
		if c.newName, err = p.ident(); err != nil {
			return nil, err
		}
	case p.acceptWords("MODIFY", "COMMENT"):
		c.kind = "tableComment"
		if c.comment, err = p.stringLit(); err != nil {
			return nil, err
		}
	case p.isWords("SET") && p.peekAt(1).kind == sqlPunct && p.peekAt(1).text == "(":
		p.next()
		c.kind = "set"
		if c.props, err = p.propertyList(); err != nil {
			return nil, err
		}
	default:
		return nil, unsupportedStmt(p.src)
	}
	if p.isWords("TO") || p.isWords("FROM") || p.isWords("IN") {
		return nil, unsupportedStmt(p.src) // rollup targets
	}
	if c.kind != "set" && p.acceptWords("PROPERTIES") {
		if _, err := p.propertyList(); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (p *sqlParser) parseColumnPosition(c *ddlAlterClause) error {
	var err error
	switch {
	case p.acceptWords("FIRST"):
		c.first = true
	case p.acceptWords("AFTER"):
		c.after, err = p.ident()
	}
	return err
}

// ddlWorkCol is a column of the schema being built by ALTER TABLE.
type ddlWorkCol struct {
	col     Column
	src     int   // index in the old schema, -1 for an added column
	fill    Value // value of an added column in existing rows
	convert bool  // the type changed: stored values need conversion
	oldType Type
}

// ddlSchemaChange applies ADD/DROP/MODIFY COLUMN clauses with SchemaChangeHandler's
// rules, rewrites the stored rows and records a job for heavy changes.
// Caller holds Catalog.Mu.
func ddlSchemaChange(s *Server, t *Table, clauses []*ddlAlterClause) error {
	work := make([]ddlWorkCol, len(t.Columns))
	for i, c := range t.Columns {
		work[i] = ddlWorkCol{col: c, src: i}
	}
	light := true
	added := map[string]*ddlColumnDef{}
	for _, c := range clauses {
		var err error
		var lsc bool
		switch c.kind {
		case "add":
			for _, def := range c.cols {
				if work, lsc, err = ddlAddColumn(s, t, work, def, c, added); err != nil {
					return err
				}
				light = light && lsc
			}
		case "drop":
			if work, lsc, err = ddlDropColumn(t, work, c.name); err != nil {
				return err
			}
			light = light && lsc
		case "modify":
			if work, lsc, err = ddlModifyColumn(t, work, c.cols[0], c); err != nil {
				return err
			}
			light = light && lsc
		}
	}
	if err := ddlCheckNewSchema(s, t, work); err != nil {
		return err
	}
	if !ddlSchemaDiffers(t, work) {
		return dorisErr("Nothing is changed. please check your alter stmt.")
	}
	newVals := func(vals []Value) ([]Value, error) {
		out := make([]Value, len(work))
		for i, w := range work {
			switch {
			case w.src < 0:
				out[i] = w.fill
			case w.convert:
				v, err := ddlConvertValue(w.oldType, w.col.Type, vals[w.src])
				if err != nil {
					return nil, err
				}
				out[i] = v
			default:
				out[i] = vals[w.src]
			}
		}
		return out, nil
	}
	var convErr error
	t.RewriteRows(func(vals []Value) []Value { // dry run: a failed conversion changes nothing
		if _, err := newVals(vals); err != nil && convErr == nil {
			convErr = err
		}
		return vals
	})
	if convErr != nil {
		return convErr
	}
	cols := make([]Column, len(work))
	keyCount := 0
	for i, w := range work {
		cols[i] = w.col
		if w.col.IsKey && keyCount == i {
			keyCount++
		}
	}
	t.Columns, t.KeyCount = cols, keyCount
	t.RewriteRows(func(vals []Value) []Value {
		out, _ := newVals(vals)
		return out
	})
	x := s.mysql.extra(t)
	for name, def := range added {
		if def.autoInc {
			x.autoIncStart[name] = def.autoStart
		}
		if def.onUpdate != "" {
			x.onUpdate[name] = def.onUpdate
		}
	}
	if !light {
		ddlStartJob(s, t)
	}
	return nil
}

// ddlAddColumn is SchemaChangeHandler.addColumnInternal for the base index.
func ddlAddColumn(s *Server, t *Table, work []ddlWorkCol, def *ddlColumnDef, c *ddlAlterClause, added map[string]*ddlColumnDef) ([]ddlWorkCol, bool, error) {
	name := def.name
	if def.autoInc {
		return nil, false, dorisErr("Can not add auto-increment column %s", name)
	}
	isKey := def.key
	switch t.Keys {
	case AggKeys:
		if def.key && def.agg != "" {
			return nil, false, dorisErr("Can not assign aggregation method on key column: %s", name)
		}
		if def.agg == "" {
			isKey = true
		}
		if def.agg == "SUM" && def.hasDef && !def.defNull && def.defText != "0" {
			return nil, false, dorisErr("The default value of '%s' with SUM aggregation function must be zero", name)
		}
	case UniqueKeys:
		if def.agg != "" && def.key {
			return nil, false, dorisErr("Can not assign aggregation method on column in Unique data model table: %s", name)
		}
		def.agg = ""
	default:
		if def.agg != "" && def.key {
			return nil, false, dorisErr("Can not assign aggregation method on column in Duplicate data model table: %s", name)
		}
		def.agg = ""
		if def.key && t.KeyCount == 0 {
			return nil, false, dorisErr("Duplicate table without keys do not support add key column!")
		}
	}
	if def.typ.Kind == KindTime {
		return nil, false, dorisErr("Time type is not supported for olap table")
	}
	if def.typ.Kind == KindHLL && t.Keys != AggKeys {
		return nil, false, dorisErr("HLL type column can only be in Aggregation data model table: %s", name)
	}
	col, err := ddlColumnFromDef(def, isKey, t.Keys)
	if err != nil {
		return nil, false, err
	}
	light := t.LightSchema && !isKey
	if IsHiddenColumn(name) {
		return nil, false, dorisErr("Can not add column which already exists in base table: %s", name)
	}
	for i := range work {
		if !strings.EqualFold(work[i].col.Name, name) {
			continue
		}
		if _, ok := added[strings.ToLower(name)]; ok {
			// the same column twice in one ALTER is fine only if both definitions match
			if !ddlSameColumn(work[i].col, col) {
				return nil, false, dorisErr("Repeatedly add same column with different definition: %s", name)
			}
			return work, light, nil
		}
		return nil, false, dorisErr("Can not add column which already exists in base table: %s", name)
	}
	fill := Value{Null: true}
	switch {
	case col.HasDefault && !col.DefaultNull:
		// existing rows get the default in the canonical form loads store
		text := col.Default
		if col.DefaultExpr {
			text = ddlExprDefault(col, s.now())
		}
		v, cerr := ConvertText(col.Type, text)
		if cerr != nil {
			return nil, false, dorisErr("Invalid default value for '%s': %s", name, cerr.Detail)
		}
		fill = resStr(v)
	case !col.Nullable && t.RowCount() > 0:
		return nil, false, unsupportedStmt("adding NOT NULL column " + name + " without a DEFAULT to a table that has rows")
	}
	pos := len(work)
	switch {
	case c.first:
		pos = 0
	case c.after != "":
		pos = -1
		for i := range work {
			if strings.EqualFold(work[i].col.Name, c.after) {
				pos = i + 1
			}
		}
		if pos < 0 {
			return nil, false, dorisErr("Column[%s] does not found", c.after)
		}
	case isKey:
		pos = 0
		for i := range work {
			if work[i].col.IsKey {
				pos = i + 1
			}
		}
	}
	w := ddlWorkCol{col: col, src: -1, fill: fill}
	work = append(work[:pos], append([]ddlWorkCol{w}, work[pos:]...)...)
	added[strings.ToLower(name)] = def
	return work, light, nil
}

// ddlExprDefault is the text an expression default gives existing rows.
func ddlExprDefault(col Column, now time.Time) string {
	if col.Default == "CURRENT_DATE" {
		return now.Format("2006-01-02")
	}
	if strings.HasPrefix(col.Default, "CURRENT_TIMESTAMP") {
		return ddlFormatDateTime(now, col.Type.Scale)
	}
	return col.Default
}

// ddlDropColumn is SchemaChangeHandler.processDropColumn for the base index.
func ddlDropColumn(t *Table, work []ddlWorkCol, name string) ([]ddlWorkCol, bool, error) {
	idx := -1
	for i := range work {
		if strings.EqualFold(work[i].col.Name, name) {
			idx = i
		}
	}
	light := t.LightSchema
	switch t.Keys {
	case UniqueKeys:
		if idx >= 0 && work[idx].col.IsKey {
			return nil, false, dorisErr("Can not drop key column in Unique data model table")
		}
		if t.SequenceCol != "" && strings.EqualFold(name, t.SequenceCol) {
			return nil, false, dorisErr("Can not drop sequence mapping column[%s] in Unique data model table[%s]", name, t.Name)
		}
	case AggKeys:
		if idx >= 0 && work[idx].col.IsKey {
			light = false
			for _, w := range work {
				if w.col.AggType == "REPLACE" || w.col.AggType == "REPLACE_IF_NOT_NULL" {
					return nil, false, dorisErr("Can not drop key column when table has value column with REPLACE aggregation method")
				}
			}
		}
	default:
		if idx >= 0 && work[idx].col.IsKey {
			light = false
		}
	}
	if idx < 0 {
		return nil, false, dorisErr("Column does not exists: %s", name)
	}
	return append(work[:idx:idx], work[idx+1:]...), light, nil
}

// ddlModifyColumn is SchemaChangeHandler.processModifyColumn plus
// Column.checkSchemaChangeAllowed.
func ddlModifyColumn(t *Table, work []ddlWorkCol, def *ddlColumnDef, c *ddlAlterClause) ([]ddlWorkCol, bool, error) {
	name := def.name
	switch t.Keys {
	case AggKeys:
		if def.key && def.agg != "" {
			return nil, false, dorisErr("Can not assign aggregation method on key column: %s", name)
		}
	case UniqueKeys:
		if def.agg != "" && def.key {
			return nil, false, dorisErr("Can not assign aggregation method on column in Unique data model table: %s", name)
		}
	default:
		if def.agg != "" && def.key {
			return nil, false, dorisErr("Can not assign aggregation method on column in Duplicate data model table: %s", name)
		}
	}
	idx := -1
	for i := range work {
		if strings.EqualFold(work[i].col.Name, name) {
			idx = i
		}
	}
	if idx < 0 {
		return nil, false, dorisErr("Column[%s] does not exists", name)
	}
	orig := work[idx]
	isKey := orig.col.IsKey || def.key
	if t.Keys == AggKeys && !isKey && def.agg == "" {
		return nil, false, dorisErr("Aggregate method must be specified for value column: %s", name)
	}
	if t.Keys != AggKeys {
		def.agg = ""
	}
	after := -1
	if c.after != "" {
		for i := range work {
			if strings.EqualFold(work[i].col.Name, c.after) {
				after = i
			}
		}
		if after < 0 {
			return nil, false, dorisErr("Column[%s] does not exists", c.after)
		}
	}
	def.name = orig.col.Name // Doris keeps the original spelling
	col, err := ddlColumnFromDef(def, isKey, t.Keys)
	if err != nil {
		return nil, false, err
	}
	from, to := orig.col.Type, col.Type
	typeChanged := from.String() != to.String()
	light := false
	if !ddlSameColumn(orig.col, col) && from.Kind == KindVarchar && to.Kind == KindVarchar && c.after == "" && !c.first {
		if from.Length > to.Length {
			return nil, false, dorisErr("Shorten type length is prohibited, srcType=%s, dstType=%s", from, to)
		}
		light = t.LightSchema
	}
	if t.Keys == UniqueKeys && typeChanged && t.SequenceCol != "" && strings.EqualFold(name, t.SequenceCol) {
		return nil, false, dorisErr("Can not alter sequence column[%s]", name)
	}
	if !ddlSameColumn(orig.col, col) && orig.col.AutoInc != col.AutoInc {
		return nil, false, dorisErr("Can't modify the column[%s]'s auto-increment attribute.", orig.col.Name)
	}
	if !ddlSameColumn(orig.col, col) {
		if err := ddlCheckSchemaChangeAllowed(orig.col, col); err != nil {
			return nil, false, err
		}
	}
	w := ddlWorkCol{col: col, src: orig.src, convert: typeChanged && orig.src >= 0, oldType: from}
	if orig.src < 0 {
		w.fill = orig.fill
	}
	if orig.convert {
		w.convert, w.oldType = true, orig.oldType
	}
	out := append([]ddlWorkCol{}, work...)
	if c.first || c.after != "" {
		target := 0
		if !c.first {
			target = after
		}
		if target == idx {
			return nil, false, dorisErr("Column[%s] modify position is invalid", c.after)
		}
		out = append(out[:idx:idx], out[idx+1:]...)
		if !c.first && after > idx {
			target--
		}
		pos := 0
		if !c.first {
			pos = target + 1
		}
		out = append(out[:pos], append([]ddlWorkCol{w}, out[pos:]...)...)
		return out, false, nil
	}
	out[idx] = w
	return out, light, nil
}

// ddlCheckSchemaChangeAllowed is Column.checkSchemaChangeAllowed.
func ddlCheckSchemaChangeAllowed(from, to Column) error {
	ft, tt := from.Type, to.Type
	if !ddlSchemaChangeAllowed(ft, tt) || (ft.Kind == KindDecimal && tt.Kind == KindDecimal && (tt.Precision < ft.Precision || tt.Scale != ft.Scale)) {
		return dorisErr("Can not change %s to %s", ddlPrimitiveName(ft), ddlPrimitiveName(tt))
	}
	if (ft.IsNumeric() || ft.Kind == KindDecimal) && tt.IsStringLike() && ddlStringRepSize(tt) < ddlStringRepSize(ft) {
		return dorisErr("Can not change from wider type %s to narrower type %s", ft, tt)
	}
	if from.AggType != to.AggType {
		return dorisErr("Can not change aggregation type")
	}
	if from.Nullable && !to.Nullable {
		return dorisErr("Can not change from nullable to non-nullable")
	}
	if ddlDefaultText(from) != ddlDefaultText(to) {
		return dorisErr("Can not change default value")
	}
	if (ft.Kind == KindChar || ft.Kind == KindVarchar) && ft.Kind == tt.Kind && ft.Length > tt.Length {
		return dorisErr("Shorten type length is prohibited, srcType=%s, dstType=%s", ft, tt)
	}
	return nil
}

// ddlDefaultText identifies a column's default for comparisons ("" = none or NULL).
func ddlDefaultText(c Column) string {
	if !c.HasDefault || c.DefaultNull {
		return ""
	}
	return "=" + c.Default
}

// ddlSameColumn is Column.equals: every attribute that makes two definitions differ.
func ddlSameColumn(a, b Column) bool {
	return strings.EqualFold(a.Name, b.Name) && a.Type.String() == b.Type.String() && a.Nullable == b.Nullable &&
		ddlDefaultText(a) == ddlDefaultText(b) && a.DefaultExpr == b.DefaultExpr && a.Comment == b.Comment &&
		a.IsKey == b.IsKey && a.AutoInc == b.AutoInc && a.AggType == b.AggType
}

// ddlSchemaDiffers reports whether the new schema differs from the table's.
func ddlSchemaDiffers(t *Table, work []ddlWorkCol) bool {
	if len(work) != len(t.Columns) {
		return true
	}
	for i, w := range work {
		if w.src != i || !ddlSameColumn(w.col, t.Columns[i]) {
			return true
		}
	}
	return false
}

// ddlCheckNewSchema runs createJob's checks on the new base schema: keys before
// values, at least one key, partition and distribution columns kept unchanged.
func ddlCheckNewSchema(s *Server, t *Table, work []ddlWorkCol) error {
	meetValue, hasKey := false, false
	for _, w := range work {
		if w.col.IsKey && meetValue {
			return dorisErr("Invalid column order. value should be after key. index[%s]", t.Name)
		}
		if w.col.IsKey {
			hasKey = true
		} else {
			meetValue = true
		}
	}
	if !hasKey && !(t.Keys == DupKeys && t.KeyCount == 0) {
		return dorisErr("No key column left. index[%s]", t.Name)
	}
	find := func(name string) *ddlWorkCol {
		for i := range work {
			if strings.EqualFold(work[i].col.Name, name) {
				return &work[i]
			}
		}
		return nil
	}
	for _, pc := range s.mysql.extra(t).partCols {
		w := find(pc)
		if w == nil {
			return dorisErr("Partition column[%s] cannot be dropped. index[%s]", pc, t.Name)
		}
		if w.src < 0 || !ddlSameColumn(w.col, t.Columns[w.src]) {
			return dorisErr("Can not modify partition column[%s]. index[%s]", pc, t.Name)
		}
	}
	for _, dc := range t.DistCols {
		w := find(dc)
		if w == nil {
			return dorisErr("Distribution column[%s] cannot be dropped. index[%s]", dc, t.Name)
		}
		if w.src < 0 || !ddlSameColumn(w.col, t.Columns[w.src]) {
			return dorisErr("Can not modify distribution column[%s]. index[%s]", dc, t.Name)
		}
	}
	return nil
}

// ddlRenameColumn is ALTER TABLE t RENAME COLUMN old new (light-schema-change tables only).
func ddlRenameColumn(s *Server, t *Table, oldName, newName string) error {
	if !t.LightSchema {
		return dorisErr("Table[%s] does not enable light schema change, rename column is not supported", t.Name)
	}
	if strings.EqualFold(oldName, newName) {
		return dorisErr("Same column name")
	}
	if !ValidColumnName(newName) {
		return dorisErrCode(1166, "42000", "Incorrect column name '%s'. Column regex is '%s'", newName, ddlColumnNamePattern)
	}
	i := t.ColumnIndex(oldName)
	if i < 0 {
		return dorisErr("Column[%s] does not exists", oldName)
	}
	if t.ColumnIndex(newName) >= 0 {
		return dorisErr("Column name[%s] is already used", newName)
	}
	oldSpelling := t.Columns[i].Name
	t.Columns[i].Name = newName
	rename := func(names []string) {
		for k := range names {
			if strings.EqualFold(names[k], oldSpelling) {
				names[k] = newName
			}
		}
	}
	rename(t.DistCols)
	x := s.mysql.extra(t)
	rename(x.partCols)
	if strings.EqualFold(t.SequenceCol, oldSpelling) {
		t.SequenceCol = newName
		t.Properties = sqlSetProp(t.Properties, "function_column.sequence_col", newName)
	}
	for _, m := range []map[string]int64{x.autoIncStart} {
		if v, ok := m[strings.ToLower(oldSpelling)]; ok {
			delete(m, strings.ToLower(oldSpelling))
			m[strings.ToLower(newName)] = v
		}
	}
	if v, ok := x.onUpdate[strings.ToLower(oldSpelling)]; ok {
		delete(x.onUpdate, strings.ToLower(oldSpelling))
		x.onUpdate[strings.ToLower(newName)] = v
	}
	return nil
}

// ddlSetTableProperties is ALTER TABLE t SET ("k" = "v").
func ddlSetTableProperties(t *Table, props [][2]string) error {
	for _, kv := range props {
		k, v := kv[0], kv[1]
		switch {
		case k == "light_schema_change":
			b, ok := sqlParseBool(v)
			if !ok || v == "1" || v == "0" {
				return dorisErr("light_schema_change must be `true` or `false`")
			}
			if !b && t.LightSchema {
				return dorisErr("Can not alter light_schema_change from true to false currently")
			}
			t.LightSchema = b
		case k == "enable_unique_key_merge_on_write":
			return dorisErr("Can not change property enable_unique_key_merge_on_write")
		case k == "function_column.sequence_col" || k == "function_column.sequence_type":
			return unsupportedStmt("ALTER TABLE SET " + k + " (use ENABLE FEATURE \"SEQUENCE_LOAD\")")
		case k == "replication_num" || k == "replication_allocation":
			if _, err := ddlReplicaCount([][2]string{{k, v}}); err != nil {
				return err
			}
		case !ddlIsKnownProperty(k):
			return dorisErr("Unknown table property: [%s]", k)
		}
	}
	for _, kv := range props {
		t.Properties = sqlSetProp(t.Properties, kv[0], kv[1])
	}
	return nil
}

// ddlStartJob records a heavy schema change. With Options.AlterDelay it stays RUNNING
// that long (by the server clock) and keeps the table out of NORMAL state.
func ddlStartJob(s *Server, t *Table) {
	st := s.mysql
	st.nextJobID++
	now := s.now()
	job := AlterJob{JobID: st.nextJobID, CreateTime: now.Format(ddlTimeLayoutMs), State: "FINISHED", FinishTime: now.Format(ddlTimeLayoutMs)}
	if s.Opts.AlterDelay > 0 {
		job.State, job.FinishTime = "RUNNING", ""
		st.extra(t).jobDeadline[job.JobID] = now.Add(s.Opts.AlterDelay)
	}
	t.AlterJobs = append(t.AlterJobs, job)
}

// ddlRefreshJobs finishes jobs whose delay has passed. Caller holds Catalog.Mu.
func ddlRefreshJobs(s *Server, t *Table) {
	x := s.mysql.extra(t)
	now := s.now()
	for i := range t.AlterJobs {
		j := &t.AlterJobs[i]
		if j.State != "RUNNING" {
			continue
		}
		if d, ok := x.jobDeadline[j.JobID]; ok && !now.Before(d) {
			j.State, j.FinishTime = "FINISHED", d.Format(ddlTimeLayoutMs)
			delete(x.jobDeadline, j.JobID)
		}
	}
}

// ddlAlterRunning reports a schema change job that is neither FINISHED nor CANCELLED.
// Caller holds Catalog.Mu.
func ddlAlterRunning(s *Server, t *Table) bool {
	ddlRefreshJobs(s, t)
	for _, j := range t.AlterJobs {
		if j.State != "FINISHED" && j.State != "CANCELLED" {
			return true
		}
	}
	return false
}
