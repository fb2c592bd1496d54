package doris

import (
	"sort"
	"strconv"
	"strings"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// selSource is a relation a SELECT (or SHOW … WHERE) reads: column names, their
// types (for typed comparison and field types) and rows.
type selSource struct {
	names []string
	types []Type
	rows  [][]Value
}

var (
	selText = Type{Kind: KindVarchar, Length: MaxVarcharLen}
	selInt  = Type{Kind: KindBigInt}
	selTime = Type{Kind: KindDateTime}
)

func (src *selSource) add(name string, t Type) {
	src.names = append(src.names, name)
	src.types = append(src.types, t)
}

// column finds a column case-insensitively; clause names the clause for the error.
func (src *selSource) column(name, clause string) (int, error) {
	for i, n := range src.names {
		if strings.EqualFold(n, name) {
			return i, nil
		}
	}
	return 0, dorisErr("Unknown column '%s' in 'table list' in %s clause", name, clause)
}

// selItem is one entry of a select list.
type selItem struct {
	star  bool
	count bool
	col   string
	val   *Value // constant: literal, variable or function
	ftype byte
	name  string // output column name
}

func (m *mysqlSession) execSelect(p *sqlParser) (*queryResult, error) {
	p.next()
	if p.isWords("DISTINCT") {
		return nil, unsupportedStmt(p.src)
	}
	p.acceptWords("ALL")
	var items []selItem
	for {
		it, err := m.parseSelectItem(p)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
		if !p.acceptPunct(",") {
			break
		}
	}
	if !p.acceptWords("FROM") {
		limit, offset, err := selParseLimit(p)
		if err != nil {
			return nil, err
		}
		if err := p.expectEnd(); err != nil {
			return nil, err
		}
		res := &queryResult{}
		var row []Value
		for _, it := range items {
			if it.val == nil {
				if it.star {
					return nil, dorisErr("No tables used")
				}
				return nil, dorisErr("Unknown column '%s' in 'table list' in PROJECT clause", it.col)
			}
			res.cols = append(res.cols, resultCol{name: it.name, ftype: it.ftype})
			row = append(row, *it.val)
		}
		res.rows = selApplyLimit([][]Value{row}, limit, offset)
		return res, nil
	}
	db, table, err := p.qualifiedName()
	if err != nil {
		return nil, err
	}
	if p.acceptWords("AS") {
		if _, err := p.ident(); err != nil {
			return nil, err
		}
	} else if t := p.peek(); t.kind == sqlQuoted || t.kind == sqlWord && !sqlReserved[strings.ToUpper(t.text)] && !t.isWord("LIMIT") {
		p.next()
	}
	if p.isWords("JOIN") || p.isPunct(",") || p.isWords("GROUP") || p.isWords("LEFT") || p.isWords("INNER") {
		return nil, unsupportedStmt(p.src)
	}

	c := m.s.Catalog
	c.Mu.Lock()
	defer c.Mu.Unlock()
	src, err := m.selectSource(db, table)
	if err != nil {
		return nil, err
	}
	rows, err := m.applyWhere(p, src)
	if err != nil {
		return nil, err
	}
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
	return selProject(src, items, rows, limit, offset)
}

// parseSelectItem reads *, COUNT(*), a column, a literal, a variable or a function.
func (m *mysqlSession) parseSelectItem(p *sqlParser) (selItem, error) {
	start := p.i
	var it selItem
	t := p.peek()
	switch {
	case t.kind == sqlPunct && t.text == "*":
		p.next()
		it.star = true
	case t.isWord("COUNT") && p.peekAt(1).kind == sqlPunct && p.peekAt(1).text == "(":
		p.i += 2
		arg := p.next()
		if !(arg.kind == sqlPunct && arg.text == "*") && arg.kind != sqlNumber {
			return it, unsupportedStmt(p.src)
		}
		if err := p.expectPunct(")"); err != nil {
			return it, err
		}
		it.count = true
		it.name = "count(" + arg.text + ")"
	case (t.kind == sqlWord || t.kind == sqlQuoted) && !(p.peekAt(1).kind == sqlPunct && p.peekAt(1).text == "(") &&
		!t.isWord("NULL") && !t.isWord("TRUE") && !t.isWord("FALSE"):
		name, err := p.ident()
		if err != nil {
			return it, err
		}
		for p.acceptPunct(".") { // table.column or db.table.column
			if p.acceptPunct("*") {
				it.star = true
				break
			}
			if name, err = p.ident(); err != nil {
				return it, err
			}
		}
		it.col, it.name = name, name
	default:
		v, ft, err := m.parseValue(p)
		if err != nil {
			return it, err
		}
		it.val, it.ftype = &v, ft
		it.name = p.textFrom(start)
	}
	if p.acceptWords("AS") {
		alias := p.peek()
		if alias.kind != sqlString && alias.kind != sqlQuoted && alias.kind != sqlWord {
			return it, p.errExpect("an alias")
		}
		p.next()
		it.name = alias.text
	} else if a := p.peek(); a.kind == sqlQuoted || a.kind == sqlWord && !sqlReserved[strings.ToUpper(a.text)] && !a.isWord("LIMIT") {
		p.next()
		it.name = a.text
	}
	return it, nil
}

// parseValue reads a constant: literal, NULL, TRUE/FALSE, @var, @@var or one of the
// session functions clients call (DATABASE(), VERSION(), …).
func (m *mysqlSession) parseValue(p *sqlParser) (Value, byte, error) {
	t := p.peek()
	switch {
	case t.kind == sqlString:
		p.next()
		return resStr(t.text), mysql.MYSQL_TYPE_VAR_STRING, nil
	case t.kind == sqlNumber:
		p.next()
		return resStr(t.text), selNumberFieldType(t.text), nil
	case t.kind == sqlPunct && (t.text == "-" || t.text == "+") && p.peekAt(1).kind == sqlNumber:
		p.next()
		n := p.next().text
		if t.text == "-" {
			n = "-" + n
		}
		return resStr(n), selNumberFieldType(n), nil
	case t.isWord("NULL"):
		p.next()
		return resNull(), mysql.MYSQL_TYPE_NULL, nil
	case t.isWord("TRUE"), t.isWord("FALSE"):
		p.next()
		if t.isWord("TRUE") {
			return resStr("1"), mysql.MYSQL_TYPE_TINY, nil
		}
		return resStr("0"), mysql.MYSQL_TYPE_TINY, nil
	case t.kind == sqlVar && strings.HasPrefix(t.text, "@@"):
		p.next()
		return m.getVar(t.text)
	case t.kind == sqlVar:
		p.next()
		v, ok := m.userVars[strings.ToLower(strings.TrimPrefix(t.text, "@"))]
		if !ok {
			v = resNull()
		}
		return v, mysql.MYSQL_TYPE_VAR_STRING, nil
	case t.kind == sqlWord && p.peekAt(1).kind == sqlPunct && p.peekAt(1).text == "(" &&
		p.peekAt(2).kind == sqlPunct && p.peekAt(2).text == ")":
		p.i += 3
		switch strings.ToUpper(t.text) {
		case "DATABASE", "SCHEMA":
			return resOptStr(m.db), mysql.MYSQL_TYPE_VAR_STRING, nil
		case "VERSION":
			return resStr(mysqlServerVersion), mysql.MYSQL_TYPE_VAR_STRING, nil
		case "USER", "CURRENT_USER", "SESSION_USER":
			return resStr("'" + m.s.Opts.User + "'@'%'"), mysql.MYSQL_TYPE_VAR_STRING, nil
		case "CONNECTION_ID":
			return resStr("0"), mysql.MYSQL_TYPE_LONGLONG, nil
		}
		return Value{}, 0, unsupportedStmt(p.src)
	}
	return Value{}, 0, p.errExpect("an expression")
}

func selNumberFieldType(s string) byte {
	if strings.ContainsAny(s, ".eE") {
		return mysql.MYSQL_TYPE_NEWDECIMAL
	}
	return mysql.MYSQL_TYPE_LONGLONG
}

// selectSource builds the relation for FROM [db.]name. Caller holds Catalog.Mu.
func (m *mysqlSession) selectSource(db, name string) (*selSource, error) {
	if strings.EqualFold(db, "information_schema") || db == "" && strings.EqualFold(m.db, "information_schema") {
		return m.infoSchemaSource(name)
	}
	db, err := m.dbOrCurrent(db)
	if err != nil {
		return nil, err
	}
	d, err := m.lookupDB(db)
	if err != nil {
		return nil, err
	}
	t := d.Tables[name]
	if t == nil {
		return nil, dorisErr("Table [%s] does not exist in database [%s].", name, db)
	}
	src := &selSource{}
	for _, c := range t.Columns {
		src.add(c.Name, c.Type)
	}
	hidden := m.sessionBool("show_hidden_columns")
	if hidden && t.Keys == UniqueKeys {
		src.add(DeleteSignColumn, Type{Kind: KindTinyInt})
		if t.HasSequence() {
			src.add(SequenceColumn, t.SequenceValueType())
		}
	}
	for _, r := range t.VisibleRows() {
		row := append([]Value{}, r.Vals...)
		if hidden && t.Keys == UniqueKeys {
			row = append(row, resStr("0"))
			if t.HasSequence() {
				row = append(row, r.Seq)
			}
		}
		src.rows = append(src.rows, row)
	}
	return src, nil
}

// selPred is one AND-ed condition of a WHERE clause.
type selPred struct {
	col  int
	op   string // = != < <= > >= IN NOT IN LIKE NOT LIKE IS NULL IS NOT NULL
	vals []Value
}

// applyWhere parses an optional WHERE of AND-ed simple predicates and filters rows.
func (m *mysqlSession) applyWhere(p *sqlParser, src *selSource) ([][]Value, error) {
	if !p.acceptWords("WHERE") {
		return src.rows, nil
	}
	var preds []selPred
	for {
		pr, err := m.parsePredicate(p, src)
		if err != nil {
			return nil, err
		}
		preds = append(preds, pr)
		if !p.acceptWords("AND") {
			break
		}
	}
	if p.isWords("OR") {
		return nil, unsupportedStmt(p.src)
	}
	var out [][]Value
	for _, r := range src.rows {
		keep := true
		for _, pr := range preds {
			keep = keep && pr.match(src.types[pr.col], r[pr.col])
		}
		if keep {
			out = append(out, r)
		}
	}
	return out, nil
}

func (m *mysqlSession) parsePredicate(p *sqlParser, src *selSource) (selPred, error) {
	var pr selPred
	if p.isPunct("(") {
		return pr, unsupportedStmt(p.src)
	}
	name, err := p.ident()
	if err != nil {
		return pr, err
	}
	for p.acceptPunct(".") {
		if name, err = p.ident(); err != nil {
			return pr, err
		}
	}
	if pr.col, err = src.column(name, "FILTER"); err != nil {
		return pr, err
	}
	t := p.peek()
	switch {
	case t.kind == sqlPunct && (t.text == "=" || t.text == "!=" || t.text == "<>" || t.text == "<" || t.text == "<=" || t.text == ">" || t.text == ">="):
		p.next()
		pr.op = t.text
		if pr.op == "<>" {
			pr.op = "!="
		}
		v, _, err := m.parseValue(p)
		if err != nil {
			return pr, err
		}
		pr.vals = []Value{v}
	case p.acceptWords("IS", "NOT", "NULL"):
		pr.op = "IS NOT NULL"
	case p.acceptWords("IS", "NULL"):
		pr.op = "IS NULL"
	case p.isWords("IN"), p.isWords("NOT", "IN"):
		pr.op = "IN"
		if p.acceptWords("NOT") {
			pr.op = "NOT IN"
		}
		p.next()
		if err := p.expectPunct("("); err != nil {
			return pr, err
		}
		for {
			v, _, err := m.parseValue(p)
			if err != nil {
				return pr, err
			}
			pr.vals = append(pr.vals, v)
			if p.acceptPunct(")") {
				break
			}
			if err := p.expectPunct(","); err != nil {
				return pr, err
			}
		}
	case p.isWords("LIKE"), p.isWords("NOT", "LIKE"):
		pr.op = "LIKE"
		if p.acceptWords("NOT") {
			pr.op = "NOT LIKE"
		}
		p.next()
		v, err := p.stringLit()
		if err != nil {
			return pr, err
		}
		pr.vals = []Value{resStr(v)}
	default:
		return pr, unsupportedStmt(p.src)
	}
	return pr, nil
}

func (pr selPred) match(t Type, v Value) bool {
	switch pr.op {
	case "IS NULL":
		return v.Null
	case "IS NOT NULL":
		return !v.Null
	}
	if v.Null {
		return false
	}
	switch pr.op {
	case "IN", "NOT IN":
		in := false
		for _, x := range pr.vals {
			in = in || !x.Null && CompareValues(t, v, x) == 0
		}
		return in == (pr.op == "IN")
	case "LIKE":
		return sqlLike(pr.vals[0].S, v.S, false)
	case "NOT LIKE":
		return !sqlLike(pr.vals[0].S, v.S, false)
	}
	if pr.vals[0].Null {
		return false
	}
	d := CompareValues(t, v, pr.vals[0])
	switch pr.op {
	case "=":
		return d == 0
	case "!=":
		return d != 0
	case "<":
		return d < 0
	case "<=":
		return d <= 0
	case ">":
		return d > 0
	}
	return d >= 0
}

// sqlLike matches a LIKE pattern (% and _, backslash escapes).
func sqlLike(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	pr, sr := []rune(pattern), []rune(s)
	var match func(i, j int) bool
	match = func(i, j int) bool {
		for i < len(pr) {
			switch c := pr[i]; {
			case c == '%':
				for k := j; k <= len(sr); k++ {
					if match(i+1, k) {
						return true
					}
				}
				return false
			case c == '_':
				if j >= len(sr) {
					return false
				}
			case c == '\\' && i+1 < len(pr):
				i++
				if j >= len(sr) || sr[j] != pr[i] {
					return false
				}
			default:
				if j >= len(sr) || sr[j] != c {
					return false
				}
			}
			i++
			j++
		}
		return j == len(sr)
	}
	return match(0, 0)
}

// selOrder is one ORDER BY item.
type selOrder struct {
	col  int
	desc bool
}

func (m *mysqlSession) parseOrderBy(p *sqlParser, src *selSource, items []selItem) ([]selOrder, error) {
	if !p.acceptWords("ORDER", "BY") {
		return nil, nil
	}
	var out []selOrder
	for {
		var o selOrder
		if t := p.peek(); t.kind == sqlNumber {
			n, err := p.intLit()
			if err != nil {
				return nil, err
			}
			if n < 1 || int(n) > len(items) || items[n-1].col == "" {
				return nil, unsupportedStmt(p.src)
			}
			if o.col, err = src.column(items[n-1].col, "SORT"); err != nil {
				return nil, err
			}
		} else {
			name, err := p.ident()
			if err != nil {
				return nil, err
			}
			for p.acceptPunct(".") {
				if name, err = p.ident(); err != nil {
					return nil, err
				}
			}
			for _, it := range items { // ORDER BY may name a select-list alias
				if it.col != "" && strings.EqualFold(it.name, name) {
					name = it.col
				}
			}
			if o.col, err = src.column(name, "SORT"); err != nil {
				return nil, err
			}
		}
		if p.acceptWords("DESC") {
			o.desc = true
		} else {
			p.acceptWords("ASC")
		}
		out = append(out, o)
		if !p.acceptPunct(",") {
			return out, nil
		}
	}
}

// selSortRows orders rows stably; with no ORDER BY the source order (key order) stays.
func selSortRows(src *selSource, rows [][]Value, orders []selOrder) {
	if len(orders) == 0 {
		return
	}
	sort.SliceStable(rows, func(i, j int) bool {
		for _, o := range orders {
			d := CompareValues(src.types[o.col], rows[i][o.col], rows[j][o.col])
			if d != 0 {
				return d < 0 != o.desc
			}
		}
		return false
	})
}

// selParseLimit reads LIMIT n [OFFSET m] or LIMIT m, n; -1 means no limit.
func selParseLimit(p *sqlParser) (int64, int64, error) {
	if !p.acceptWords("LIMIT") {
		return -1, 0, nil
	}
	n, err := p.intLit()
	if err != nil {
		return 0, 0, err
	}
	if p.acceptPunct(",") {
		cnt, err := p.intLit()
		return cnt, n, err
	}
	if p.acceptWords("OFFSET") {
		off, err := p.intLit()
		return n, off, err
	}
	return n, 0, nil
}

func selApplyLimit(rows [][]Value, limit, offset int64) [][]Value {
	if offset >= int64(len(rows)) {
		return nil
	}
	rows = rows[offset:]
	if limit >= 0 && limit < int64(len(rows)) {
		rows = rows[:limit]
	}
	return rows
}

// selProject evaluates the select list over the filtered, sorted rows.
func selProject(src *selSource, items []selItem, rows [][]Value, limit, offset int64) (*queryResult, error) {
	res := &queryResult{}
	counting := false
	for _, it := range items {
		counting = counting || it.count
	}
	type proj struct {
		col int
		val *Value
	}
	var projs []proj
	for _, it := range items {
		switch {
		case it.star:
			if counting {
				return nil, unsupportedStmt("SELECT * mixed with COUNT")
			}
			for i, n := range src.names {
				res.cols = append(res.cols, resultCol{name: n, ftype: fieldTypeOf(src.types[i])})
				projs = append(projs, proj{col: i})
			}
		case it.count:
			n := resStr(strconv.Itoa(len(rows)))
			res.cols = append(res.cols, resultCol{name: it.name, ftype: mysql.MYSQL_TYPE_LONGLONG})
			projs = append(projs, proj{val: &n})
		case it.val != nil:
			res.cols = append(res.cols, resultCol{name: it.name, ftype: it.ftype})
			projs = append(projs, proj{val: it.val})
		default:
			i, err := src.column(it.col, "PROJECT")
			if err != nil {
				return nil, err
			}
			if counting {
				return nil, dorisErr("column must appear in the GROUP BY clause or be used in an aggregate function")
			}
			res.cols = append(res.cols, resultCol{name: it.name, ftype: fieldTypeOf(src.types[i])})
			projs = append(projs, proj{col: i})
		}
	}
	if counting {
		rows = [][]Value{nil}
	}
	for _, r := range selApplyLimit(rows, limit, offset) {
		out := make([]Value, len(projs))
		for k, pj := range projs {
			if pj.val != nil {
				out[k] = *pj.val
			} else {
				out[k] = r[pj.col]
			}
		}
		res.rows = append(res.rows, out)
	}
	if res.rows == nil {
		res.rows = [][]Value{}
	}
	return res, nil
}
