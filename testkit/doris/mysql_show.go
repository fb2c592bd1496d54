package doris

import (
	"sort"
	"strconv"
	"strings"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// execShow handles the SHOW statements clients use.
func (m *mysqlSession) execShow(p *sqlParser) (*queryResult, error) {
	p.next()
	switch {
	case p.acceptWords("DATABASES"), p.acceptWords("SCHEMAS"):
		return m.showDatabases(p)
	case p.isWords("TABLES"), p.isWords("FULL", "TABLES"):
		return m.showTables(p)
	case p.acceptWords("CREATE", "TABLE"):
		return m.showCreateTable(p)
	case p.acceptWords("ALTER", "TABLE", "COLUMN"):
		return m.showAlterColumn(p)
	case p.isWords("VARIABLES"), p.isWords("SESSION", "VARIABLES"), p.isWords("LOCAL", "VARIABLES"), p.isWords("GLOBAL", "VARIABLES"):
		return m.showVariables(p)
	}
	return nil, unsupportedStmt(p.src)
}

// showLikeClause reads an optional LIKE 'pattern'.
func showLikeClause(p *sqlParser) (string, bool, error) {
	if !p.acceptWords("LIKE") {
		return "", false, nil
	}
	pat, err := p.stringLit()
	return pat, true, err
}

func (m *mysqlSession) showDatabases(p *sqlParser) (*queryResult, error) {
	pat, hasPat, err := showLikeClause(p)
	if err != nil {
		return nil, err
	}
	if err := p.expectEnd(); err != nil {
		return nil, err
	}
	m.s.Catalog.Mu.Lock()
	names := m.infoDBNames()
	m.s.Catalog.Mu.Unlock()
	res := &queryResult{cols: resStrCols("Database"), rows: [][]Value{}}
	for _, n := range names {
		if !hasPat || sqlLike(pat, n, true) {
			res.rows = append(res.rows, []Value{resStr(n)})
		}
	}
	return res, nil
}

func (m *mysqlSession) showTables(p *sqlParser) (*queryResult, error) {
	full := p.acceptWords("FULL")
	p.next()
	db := ""
	if p.acceptWords("FROM") || p.acceptWords("IN") {
		var err error
		if _, db, err = p.qualifiedName(); err != nil {
			return nil, err
		}
	}
	pat, hasPat, err := showLikeClause(p)
	if err != nil {
		return nil, err
	}
	if err := p.expectEnd(); err != nil {
		return nil, err
	}
	if db, err = m.dbOrCurrent(db); err != nil {
		return nil, err
	}
	res := &queryResult{cols: resStrCols("Tables_in_" + db), rows: [][]Value{}}
	if full {
		res.cols = resStrCols("Tables_in_"+db, "Table_type")
	}
	if isSystemDB(db) {
		return res, nil
	}
	m.s.Catalog.Mu.Lock()
	defer m.s.Catalog.Mu.Unlock()
	d, err := m.lookupDB(db)
	if err != nil {
		return nil, err
	}
	for _, n := range ddlSortedTableNames(d) {
		if hasPat && !sqlLike(pat, n, false) {
			continue
		}
		row := []Value{resStr(n)}
		if full {
			row = append(row, resStr("BASE TABLE"))
		}
		res.rows = append(res.rows, row)
	}
	return res, nil
}

func (m *mysqlSession) showCreateTable(p *sqlParser) (*queryResult, error) {
	db, name, err := p.qualifiedName()
	if err != nil {
		return nil, err
	}
	if err := p.expectEnd(); err != nil {
		return nil, err
	}
	m.s.Catalog.Mu.Lock()
	defer m.s.Catalog.Mu.Unlock()
	t, err := m.lookupTable(db, name)
	if err != nil {
		return nil, err
	}
	return &queryResult{cols: resStrCols("Table", "Create Table"),
		rows: [][]Value{{resStr(t.Name), resStr(showCreateTableSQL(m.s, t))}}}, nil
}

// showCreateTableSQL renders a table the way Doris 2.1's SHOW CREATE TABLE prints it.
// Caller holds Catalog.Mu.
func showCreateTableSQL(s *Server, t *Table) string {
	x := s.mysql.extra(t)
	var b strings.Builder
	b.WriteString("CREATE TABLE " + sqlQuoteIdent(t.Name) + " (\n")
	var lines []string
	for _, c := range t.Columns {
		lines = append(lines, "  "+showColumnDefSQL(t, c, x))
	}
	for _, idx := range x.indexes {
		lines = append(lines, "  "+idx)
	}
	b.WriteString(strings.Join(lines, ",\n"))
	b.WriteString("\n) ENGINE=OLAP\n")
	if t.KeyCount > 0 {
		var keys []string
		for _, c := range t.Columns[:t.KeyCount] {
			keys = append(keys, sqlQuoteIdent(c.Name))
		}
		b.WriteString(t.Keys.String() + " KEY(" + strings.Join(keys, ", ") + ")\n")
	}
	if t.Comment != "" {
		b.WriteString("COMMENT '" + strings.ReplaceAll(t.Comment, "'", "\\'") + "'\n")
	}
	if t.PartitionSQL != "" {
		b.WriteString(t.PartitionSQL + "\n")
	}
	if t.DistRandom {
		b.WriteString("DISTRIBUTED BY RANDOM")
	} else {
		var cols []string
		for _, c := range t.DistCols {
			cols = append(cols, sqlQuoteIdent(c))
		}
		b.WriteString("DISTRIBUTED BY HASH(" + strings.Join(cols, ", ") + ")")
	}
	if t.Buckets == 0 {
		b.WriteString(" BUCKETS AUTO\n")
	} else {
		b.WriteString(" BUCKETS " + strconv.Itoa(t.Buckets) + "\n")
	}
	b.WriteString("PROPERTIES (\n")
	var props []string
	for _, kv := range showPropertyList(t) {
		props = append(props, "\""+kv[0]+"\" = \""+kv[1]+"\"")
	}
	b.WriteString(strings.Join(props, ",\n"))
	b.WriteString("\n);")
	return b.String()
}

// showColumnDefSQL is Column.toSql: `name` type [AGG] NULL|NOT NULL [AUTO_INCREMENT(n)]
// [DEFAULT …] [ON UPDATE …] [COMMENT "…"].
func showColumnDefSQL(t *Table, c Column, x *tableExtra) string {
	var b strings.Builder
	b.WriteString(sqlQuoteIdent(c.Name) + " " + c.Type.String())
	if t.Keys == AggKeys && !c.IsKey && c.AggType != "" {
		b.WriteString(" " + c.AggType)
	}
	if c.Nullable {
		b.WriteString(" NULL")
	} else {
		b.WriteString(" NOT NULL")
	}
	if c.AutoInc {
		start, ok := x.autoIncStart[strings.ToLower(c.Name)]
		if !ok {
			start = 1
		}
		b.WriteString(" AUTO_INCREMENT(" + strconv.FormatInt(start, 10) + ")")
	}
	if c.HasDefault && !c.DefaultNull && c.Type.Kind != KindHLL && c.Type.Kind != KindBitmap {
		if c.DefaultExpr {
			b.WriteString(" DEFAULT " + c.Default)
		} else {
			b.WriteString(" DEFAULT \"" + c.Default + "\"")
		}
	}
	if on := x.onUpdate[strings.ToLower(c.Name)]; on != "" {
		b.WriteString(" ON UPDATE " + on)
	}
	if strings.TrimSpace(c.Comment) != "" {
		b.WriteString(" COMMENT \"" + strings.ReplaceAll(c.Comment, "\"", "\\\"") + "\"")
	}
	return b.String()
}

// showPropertyList is the full PROPERTIES list Doris 2.1 prints: its standard entries
// (overridden by the table's own values) followed by the table's other properties.
func showPropertyList(t *Table) [][2]string {
	replicas, _ := ddlReplicaCount(t.Properties)
	user := func(k, def string) string {
		if v, ok := sqlGetProp(t.Properties, k); ok {
			return v
		}
		return def
	}
	props := [][2]string{
		{"replication_allocation", "tag.location.default: " + strconv.Itoa(replicas)},
		{"min_load_replica_num", user("min_load_replica_num", "-1")},
		{"is_being_synced", user("is_being_synced", "false")},
		{"storage_medium", strings.ToLower(user("storage_medium", "hdd"))},
		{"storage_format", user("storage_format", "V2")},
		{"inverted_index_storage_format", user("inverted_index_storage_format", "V2")},
	}
	if t.Keys == UniqueKeys {
		props = append(props, [2]string{"enable_unique_key_merge_on_write", strconv.FormatBool(t.MergeOnWrite)})
	}
	props = append(props, [2]string{"light_schema_change", strconv.FormatBool(t.LightSchema)})
	if t.SequenceCol != "" {
		props = append(props, [2]string{"function_column.sequence_col", t.SequenceCol})
	} else if t.SequenceType != nil {
		props = append(props, [2]string{"function_column.sequence_type", t.SequenceType.String()})
	}
	props = append(props,
		[2]string{"disable_auto_compaction", user("disable_auto_compaction", "false")},
		[2]string{"enable_single_replica_compaction", user("enable_single_replica_compaction", "false")},
		[2]string{"group_commit_interval_ms", user("group_commit_interval_ms", "10000")},
		[2]string{"group_commit_data_bytes", user("group_commit_data_bytes", "134217728")},
	)
	shown := map[string]bool{"replication_num": true, "function_column.sequence_type": true}
	for _, kv := range props {
		shown[kv[0]] = true
	}
	for _, kv := range t.Properties {
		if !shown[kv[0]] {
			props = append(props, kv)
			shown[kv[0]] = true
		}
	}
	return props
}

func (m *mysqlSession) execDesc(p *sqlParser) (*queryResult, error) {
	p.next()
	db, name, err := p.qualifiedName()
	if err != nil {
		return nil, err
	}
	if p.isWords("ALL") {
		return nil, unsupportedStmt(p.src)
	}
	if err := p.expectEnd(); err != nil {
		return nil, err
	}
	m.s.Catalog.Mu.Lock()
	defer m.s.Catalog.Mu.Unlock()
	t, err := m.lookupTable(db, name)
	if err != nil {
		return nil, err
	}
	res := &queryResult{cols: resStrCols("Field", "Type", "Null", "Key", "Default", "Extra"), rows: [][]Value{}}
	valueExtra := "NONE"
	if t.Keys == UniqueKeys && !t.MergeOnWrite {
		valueExtra = "REPLACE"
	}
	for _, c := range t.Columns {
		def := resNull()
		if c.HasDefault && !c.DefaultNull {
			def = resStr(c.Default)
		}
		extra := ""
		if !c.IsKey {
			extra = valueExtra
			if t.Keys == AggKeys {
				extra = c.AggType
			}
		}
		res.rows = append(res.rows, []Value{resStr(c.Name), resStr(c.Type.String()), resStr(descYesNo(c.Nullable)),
			resBool(c.IsKey), def, resStr(extra)})
	}
	if m.sessionBool("show_hidden_columns") && t.Keys == UniqueKeys {
		res.rows = append(res.rows, []Value{resStr(DeleteSignColumn), resStr("tinyint"), resStr("No"), resBool(false), resStr("0"), resStr(valueExtra)})
		if t.HasSequence() {
			res.rows = append(res.rows, []Value{resStr(SequenceColumn), resStr(t.SequenceValueType().String()), resStr("Yes"), resBool(false), resNull(), resStr(valueExtra)})
		}
	}
	return res, nil
}

func descYesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

// showAlterColumn: SHOW ALTER TABLE COLUMN [FROM db] [WHERE …] [ORDER BY …] [LIMIT n].
func (m *mysqlSession) showAlterColumn(p *sqlParser) (*queryResult, error) {
	db := ""
	if p.acceptWords("FROM") || p.acceptWords("IN") {
		var err error
		if _, db, err = p.qualifiedName(); err != nil {
			return nil, err
		}
	}
	db, err := m.dbOrCurrent(db)
	if err != nil {
		return nil, err
	}
	c := m.s.Catalog
	c.Mu.Lock()
	defer c.Mu.Unlock()
	d, err := m.lookupDB(db)
	if err != nil {
		return nil, err
	}
	src := &selSource{}
	for _, n := range []string{"JobId", "TableName", "CreateTime", "FinishTime", "IndexName", "IndexId",
		"OriginIndexId", "SchemaVersion", "TransactionId", "State", "Msg", "Progress", "Timeout"} {
		t := selText
		switch n {
		case "JobId", "IndexId", "OriginIndexId", "TransactionId", "Timeout":
			t = selInt
		}
		src.add(n, t)
	}
	type jobRow struct {
		id  int64
		row []Value
	}
	var jobs []jobRow
	for _, tn := range ddlSortedTableNames(d) {
		t := d.Tables[tn]
		ddlRefreshJobs(m.s, t)
		for k, j := range t.AlterJobs {
			finish := j.FinishTime
			if finish == "" {
				finish = "NULL"
			}
			jobs = append(jobs, jobRow{j.JobID, []Value{resInt(j.JobID), resStr(t.Name), resStr(j.CreateTime), resStr(finish),
				resStr(t.Name), resInt(j.JobID + 1), resInt(j.JobID + 2), resStr(strconv.Itoa(k+1) + ":0"),
				resInt(j.JobID + 3), resStr(j.State), resStr(j.Msg), resStr("N/A"), resInt(2592000)}})
		}
	}
	sort.Slice(jobs, func(i, k int) bool { return jobs[i].id < jobs[k].id })
	for _, j := range jobs {
		src.rows = append(src.rows, j.row)
	}
	rows, err := m.applyWhere(p, src)
	if err != nil {
		return nil, err
	}
	items := []selItem{{star: true}}
	orders, err := m.parseOrderBy(p, src, items)
	if err != nil {
		return nil, err
	}
	limit, offset, err := selParseLimit(p)
	if err != nil {
		return nil, err
	}
	if err := p.expectEnd(); err != nil {
		return nil, err
	}
	selSortRows(src, rows, orders)
	res, err := selProject(src, items, rows, limit, offset)
	if err != nil {
		return nil, err
	}
	for i := range res.cols {
		res.cols[i].ftype = mysql.MYSQL_TYPE_VAR_STRING // SHOW results are text
	}
	return res, nil
}

// showVariables: SHOW [SESSION|GLOBAL] VARIABLES [LIKE 'p' | WHERE Variable_name …].
func (m *mysqlSession) showVariables(p *sqlParser) (*queryResult, error) {
	if !p.acceptWords("VARIABLES") {
		p.next()
		p.next()
	}
	src := &selSource{}
	src.add("Variable_name", selText)
	src.add("Value", selText)
	src.add("Default_Value", selText)
	src.add("Changed", selText)
	var names []string
	for n := range sysVars {
		names = append(names, n)
	}
	sort.Strings(names)
	pat, hasPat, err := showLikeClause(p)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if hasPat && !sqlLike(pat, n, true) {
			continue
		}
		v, _, _ := m.getVar(n)
		changed := "0"
		if v.S != sysVars[n].def {
			changed = "1"
		}
		src.rows = append(src.rows, []Value{resStr(n), v, resStr(sysVars[n].def), resStr(changed)})
	}
	rows, err := m.applyWhere(p, src)
	if err != nil {
		return nil, err
	}
	if err := p.expectEnd(); err != nil {
		return nil, err
	}
	return &queryResult{cols: resStrCols(src.names...), rows: append([][]Value{}, rows...)}, nil
}
