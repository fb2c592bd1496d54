package mysql

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	pmysql "github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/test_driver" // the parser's literal values (without it, parser.New panics)

	"github.com/doris-sync/doris-sync/schema"
)

// This file turns the DDL statements of QUERY events into changes of the table
// models: the TiDB parser reads the statement, and each statement is applied to the
// shape the stream tracks, one schema.Change per elementary step. An ALTER TABLE with
// three clauses gives three changes, each with the table's shape after that clause,
// so that consecutive shapes differ by exactly one thing (a rename is never mistaken
// for a drop and an add).

// ddlClass is a statement's kind as read from its first words, before parsing.
type ddlClass uint8

const (
	ddlNone ddlClass = iota // not a statement that can change a table's shape
	ddlAlterTable
	ddlCreateTable
	ddlDropTable
	ddlRenameTable
	ddlTruncate
	ddlCreateIndex
	ddlDropIndex
	ddlDropDatabase
)

// ddlEnv is what applying DDL needs from the stream.
type ddlEnv struct {
	flavor    string
	defaultDB string // the QUERY event's current database
	// model returns the tracked shape of a table, nil when it is not tracked.
	model func(id schema.TableID) *schema.Table
	// want is the job's table filter.
	want func(id schema.TableID) bool
	// live reads a table's current definition from the server (for CREATE TABLE …
	// LIKE/SELECT and tables renamed into the filter); it may be nil.
	live func(id schema.TableID) (*schema.Table, error)
	// dbCharset is a database's default character set.
	dbCharset func(db string) string
	// tableCharset is a tracked table's default character set ("" when unknown).
	tableCharset func(id schema.TableID) string
	// tablesOf lists the tracked tables of a database.
	tablesOf func(db string) []schema.TableID
}

// ddlStep is one applied step: the change to emit and the model after it.
type ddlStep struct {
	change  schema.Change
	charset string // the table's default charset after the step ("" = unchanged)
}

// DDLError is a statement that changes a tracked table but could not be read. The
// stream stops on it: applying the rows after it with the old shape would corrupt
// them. The fix is to let doris-sync skip it (if it does not change the table's
// columns) or to re-snapshot the table.
type DDLError struct {
	Tables    []schema.TableID
	Statement string
	Position  Position
	Err       error
}

func (e *DDLError) Error() string {
	names := make([]string, len(e.Tables))
	for i, t := range e.Tables {
		names[i] = t.String()
	}
	stmt := e.Statement
	if len(stmt) > 300 {
		stmt = stmt[:300] + "…"
	}
	return fmt.Sprintf("cannot apply DDL on %s at %s: %v; statement: %s", strings.Join(names, ", "), e.Position, e.Err, oneLine(stmt))
}

func (e *DDLError) Unwrap() error { return e.Err }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// ---- cheap classification ----

// sqlToken is one token of the lexical pre-scan.
type sqlToken struct {
	text   string // words upper-cased; identifiers unquoted
	quoted bool   // a `quoted` identifier
	ident  bool   // a word or quoted identifier
	pos    int    // byte offset in the statement
	end    int
}

// tokenize splits a statement into words, identifiers, strings and punctuation,
// skipping comments (but not MySQL's executable /*! … */ comments, whose content is
// SQL). It stops after max tokens.
func tokenize(q string, max int) []sqlToken {
	var toks []sqlToken
	for i := 0; i < len(q) && len(toks) < max; {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#' || (c == '-' && strings.HasPrefix(q[i:], "-- ")):
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case c == '/' && strings.HasPrefix(q[i:], "/*!"):
			i += 3
			for i < len(q) && q[i] >= '0' && q[i] <= '9' {
				i++
			}
		case c == '/' && strings.HasPrefix(q[i:], "/*"):
			end := strings.Index(q[i+2:], "*/")
			if end < 0 {
				return toks
			}
			i += end + 4
		case c == '*' && strings.HasPrefix(q[i:], "*/"):
			i += 2 // end of an executable comment
		case c == '`':
			j := i + 1
			var b strings.Builder
			for j < len(q) {
				if q[j] == '`' {
					if j+1 < len(q) && q[j+1] == '`' {
						b.WriteByte('`')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(q[j])
				j++
			}
			toks = append(toks, sqlToken{text: b.String(), quoted: true, ident: true, pos: i, end: j + 1})
			i = j + 1
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(q) && q[j] != c {
				if q[j] == '\\' {
					j++
				}
				j++
			}
			toks = append(toks, sqlToken{text: q[i:min(j+1, len(q))], pos: i, end: j + 1})
			i = j + 1
		case isWordByte(c):
			j := i
			for j < len(q) && isWordByte(q[j]) {
				j++
			}
			toks = append(toks, sqlToken{text: strings.ToUpper(q[i:j]), ident: true, pos: i, end: j})
			i = j
		default:
			toks = append(toks, sqlToken{text: q[i : i+1], pos: i, end: i + 1})
			i++
		}
	}
	return toks
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// classifyDDL reads a statement's kind and the tables it names, from its first words.
// Names it cannot read are left out; tables is then incomplete and the caller parses.
func classifyDDL(q, defaultDB string) (ddlClass, []schema.TableID, bool) {
	toks := tokenize(q, 64)
	i := 0
	word := func(ws ...string) bool {
		if i < len(toks) && !toks[i].quoted {
			for _, w := range ws {
				if toks[i].text == w {
					i++
					return true
				}
			}
		}
		return false
	}
	// name reads [db.]table; quoted identifiers keep their case, bare ones too (the
	// upper-casing is undone from the source text).
	name := func() (schema.TableID, bool) {
		if i >= len(toks) || !toks[i].ident {
			return schema.TableID{}, false
		}
		first := identText(q, toks[i])
		i++
		if i+1 < len(toks) && toks[i].text == "." && toks[i+1].ident {
			second := identText(q, toks[i+1])
			i += 2
			return schema.TableID{Database: first, Name: second}, true
		}
		return schema.TableID{Database: defaultDB, Name: first}, true
	}
	names := func(sep func() bool) ([]schema.TableID, bool) {
		var out []schema.TableID
		for {
			id, ok := name()
			if !ok {
				return out, false
			}
			out = append(out, id)
			if !sep() {
				return out, true
			}
		}
	}
	comma := func() bool {
		if i < len(toks) && toks[i].text == "," {
			i++
			return true
		}
		return false
	}
	switch {
	case word("ALTER"):
		word("ONLINE", "OFFLINE")
		word("IGNORE")
		if !word("TABLE") {
			return ddlNone, nil, true
		}
		if word("IF") {
			word("EXISTS")
		}
		id, ok := name()
		return ddlAlterTable, []schema.TableID{id}, ok
	case word("CREATE"):
		if word("OR") {
			word("REPLACE")
		}
		word("ONLINE", "OFFLINE")
		if word("TEMPORARY") {
			return ddlNone, nil, true // temporary tables are not replicated
		}
		if word("UNIQUE", "FULLTEXT", "SPATIAL") {
			if !word("INDEX", "KEY") {
				return ddlNone, nil, true
			}
			ids, ok := indexTable(q, toks[i:], defaultDB)
			return ddlCreateIndex, ids, ok
		}
		if word("INDEX") {
			ids, ok := indexTable(q, toks[i:], defaultDB)
			return ddlCreateIndex, ids, ok
		}
		if !word("TABLE") {
			return ddlNone, nil, true
		}
		if word("IF") {
			word("NOT")
			word("EXISTS")
		}
		id, ok := name()
		return ddlCreateTable, []schema.TableID{id}, ok
	case word("DROP"):
		if word("TEMPORARY") {
			return ddlNone, nil, true
		}
		if word("DATABASE", "SCHEMA") {
			if word("IF") {
				word("EXISTS")
			}
			if i < len(toks) && toks[i].ident {
				return ddlDropDatabase, []schema.TableID{{Database: identText(q, toks[i])}}, true
			}
			return ddlDropDatabase, nil, false
		}
		if word("INDEX") {
			ids, ok := indexTable(q, toks[i:], defaultDB)
			return ddlDropIndex, ids, ok
		}
		if !word("TABLE", "TABLES") {
			return ddlNone, nil, true
		}
		if word("IF") {
			word("EXISTS")
		}
		ids, ok := names(comma)
		return ddlDropTable, ids, ok
	case word("RENAME"):
		if !word("TABLE", "TABLES") {
			return ddlNone, nil, true
		}
		var ids []schema.TableID
		for {
			a, ok := name()
			if !ok || !word("TO") {
				return ddlRenameTable, ids, false
			}
			b, ok := name()
			if !ok {
				return ddlRenameTable, ids, false
			}
			ids = append(ids, a, b)
			if !comma() {
				return ddlRenameTable, ids, true
			}
		}
	case word("TRUNCATE"):
		word("TABLE")
		id, ok := name()
		return ddlTruncate, []schema.TableID{id}, ok
	}
	return ddlNone, nil, true
}

// indexTable finds the table of CREATE/DROP INDEX … ON table.
func indexTable(q string, toks []sqlToken, defaultDB string) ([]schema.TableID, bool) {
	for k := 0; k < len(toks); k++ {
		if toks[k].quoted || toks[k].text != "ON" || k+1 >= len(toks) || !toks[k+1].ident {
			continue
		}
		first := identText(q, toks[k+1])
		if k+3 < len(toks) && toks[k+2].text == "." && toks[k+3].ident {
			return []schema.TableID{{Database: first, Name: identText(q, toks[k+3])}}, true
		}
		return []schema.TableID{{Database: defaultDB, Name: first}}, true
	}
	return nil, false
}

// identText is an identifier as written (bare words keep their case).
func identText(q string, t sqlToken) string {
	if t.quoted {
		return t.text
	}
	return q[t.pos:t.end]
}

// ---- parsing ----

// typeMarker is the ENUM label that stands in for a column type the TiDB parser does
// not know (GEOMETRY and its kinds, MariaDB's UUID, INET4 and INET6).
const typeMarker = "__doris_sync_type:"

var unsupportedTypes = map[string]bool{
	"GEOMETRY": true, "POINT": true, "LINESTRING": true, "POLYGON": true, "MULTIPOINT": true,
	"MULTILINESTRING": true, "MULTIPOLYGON": true, "GEOMETRYCOLLECTION": true, "GEOMCOLLECTION": true,
	"UUID": true, "INET4": true, "INET6": true,
}

// notColumnNames are words that precede a type-like word without being a column name.
var notColumnNames = map[string]bool{
	"ADD": true, "COLUMN": true, "MODIFY": true, "CHANGE": true, "DROP": true, "AFTER": true, "FIRST": true,
	"TABLE": true, "EXISTS": true, "NOT": true, "IF": true, "KEY": true, "INDEX": true, "BY": true,
	"DEFAULT": true, "AS": true, "SET": true, "TO": true, "RENAME": true, "ALTER": true, "ON": true,
	"USING": true, "REFERENCES": true, "COMMENT": true, "NULL": true, "PRIMARY": true, "UNIQUE": true,
	"SELECT": true, "FROM": true, "WHERE": true, "AND": true, "OR": true, "LIKE": true,
}

var sridClause = regexp.MustCompile(`(?i)\s+(?:SRID\s+\d+|REF_SYSTEM_ID\s*=\s*\d+)`)

// rewriteForParser makes MySQL/MariaDB syntax the TiDB parser lacks parseable: types
// it does not know become ENUM(typeMarker+name) in column definitions (a type word
// right after a column name), SRID clauses and INVISIBLE go, ALGORITHM=NOCOPY becomes
// INPLACE, and CREATE OR REPLACE TABLE becomes CREATE TABLE (the caller knows it
// replaces).
func rewriteForParser(q string) (string, bool) {
	toks := tokenize(q, 1<<20)
	var b strings.Builder
	last := 0
	orReplace := false
	for k, t := range toks {
		if k == 1 && t.text == "OR" && toks[0].text == "CREATE" && k+1 < len(toks) && toks[k+1].text == "REPLACE" {
			b.WriteString(q[last:t.pos])
			last = toks[k+1].end
			orReplace = true
			continue
		}
		if !t.quoted && (t.text == "INVISIBLE" || t.text == "NOCOPY") {
			// Column invisibility changes nothing a row carries; MariaDB's
			// ALGORITHM=NOCOPY is an ALTER strategy.
			b.WriteString(q[last:t.pos])
			if t.text == "NOCOPY" {
				b.WriteString("INPLACE")
			}
			last = t.end
			continue
		}
		if t.quoted || !unsupportedTypes[t.text] || k == 0 {
			continue
		}
		prev := toks[k-1]
		if !prev.ident || (!prev.quoted && notColumnNames[prev.text]) {
			continue
		}
		b.WriteString(q[last:t.pos])
		fmt.Fprintf(&b, "ENUM('%s%s')", typeMarker, strings.ToLower(t.text))
		last = t.end
	}
	b.WriteString(q[last:])
	return sridClause.ReplaceAllString(b.String(), ""), orReplace
}

// parseDDL parses one QUERY event's statement(s).
func parseDDL(q string) ([]ast.StmtNode, bool, error) {
	text, orReplace := rewriteForParser(q)
	p := parser.New()
	p.SetSQLMode(pmysql.ModeNone)
	stmts, _, err := p.Parse(text, "", "")
	if err != nil {
		return nil, false, fmt.Errorf("the SQL parser cannot read it: %w", err)
	}
	return stmts, orReplace, nil
}

// ---- applying ----

// applyDDL applies parsed statements to the tracked models and returns the steps in
// order. Tables that are neither tracked nor wanted are left alone.
func applyDDL(env ddlEnv, stmts []ast.StmtNode, orReplace bool, text string) ([]ddlStep, error) {
	a := &ddlApplier{env: env, text: text, overlay: map[schema.TableID]*schema.Table{}, charsets: map[schema.TableID]string{}}
	for _, stmt := range stmts {
		var err error
		switch s := stmt.(type) {
		case *ast.CreateTableStmt:
			err = a.createTable(s, orReplace)
		case *ast.AlterTableStmt:
			err = a.alterTable(s)
		case *ast.RenameTableStmt:
			err = a.renameTables(s)
		case *ast.DropTableStmt:
			if !s.IsView && s.TemporaryKeyword == ast.TemporaryNone {
				for _, tn := range s.Tables {
					a.drop(a.id(tn))
				}
			}
		case *ast.TruncateTableStmt:
			id := a.id(s.Table)
			if a.model(id) != nil {
				a.steps = append(a.steps, ddlStep{change: schema.Change{Table: id, Op: schema.OpTruncate, DDL: text}})
			}
		case *ast.CreateIndexStmt:
			err = a.createIndex(s)
		case *ast.DropIndexStmt:
			id := a.id(s.Table)
			if t := a.model(id); t != nil {
				nt := cloneTable(t)
				if dropUniqueIndex(nt, s.IndexName) {
					a.emit(id, nt, "")
				}
			}
		case *ast.DropDatabaseStmt:
			a.dropDatabase(s.Name.O)
		}
		if err != nil {
			return nil, err
		}
	}
	return a.steps, nil
}

type ddlApplier struct {
	env      ddlEnv
	text     string
	steps    []ddlStep
	overlay  map[schema.TableID]*schema.Table // models changed by earlier steps (nil: dropped)
	charsets map[schema.TableID]string
	known    []schema.TableID // overlay keys in order, for DROP DATABASE
}

func (a *ddlApplier) id(tn *ast.TableName) schema.TableID {
	db := tn.Schema.O
	if db == "" {
		db = a.env.defaultDB
	}
	return schema.TableID{Database: db, Name: tn.Name.O}
}

func (a *ddlApplier) model(id schema.TableID) *schema.Table {
	if t, ok := a.overlay[id]; ok {
		return t
	}
	return a.env.model(id)
}

func (a *ddlApplier) set(id schema.TableID, t *schema.Table) {
	if _, ok := a.overlay[id]; !ok {
		a.known = append(a.known, id)
	}
	a.overlay[id] = t
}

// emit records a step that leaves table id (as it was named before the step) with
// shape t.
func (a *ddlApplier) emit(id schema.TableID, t *schema.Table, charset string) {
	a.steps = append(a.steps, ddlStep{change: schema.Change{Table: id, Op: schema.OpDDL, DDL: a.text, NewSchema: cloneTable(t)}, charset: charset})
	if t.ID != id {
		a.set(id, nil)
	}
	a.set(t.ID, t)
	if charset != "" {
		a.charsets[t.ID] = charset
	}
}

func (a *ddlApplier) drop(id schema.TableID) {
	if a.model(id) == nil {
		return
	}
	a.steps = append(a.steps, ddlStep{change: schema.Change{Table: id, Op: schema.OpDDL, DDL: a.text}})
	a.set(id, nil)
}

func (a *ddlApplier) dropDatabase(db string) {
	// The stream's tracked tables, and tables earlier steps of this event created.
	if a.env.tablesOf != nil {
		for _, id := range a.env.tablesOf(db) {
			a.drop(id)
		}
	}
	for _, id := range a.known {
		if id.Database == db {
			a.drop(id)
		}
	}
}

func (a *ddlApplier) tableCharset(id schema.TableID, t *schema.Table) string {
	if cs := a.charsets[id]; cs != "" {
		return cs
	}
	if a.env.tableCharset != nil {
		if cs := a.env.tableCharset(id); cs != "" {
			return cs
		}
	}
	if t != nil {
		for _, c := range t.Columns {
			if c.Type.Charset != "" {
				return c.Type.Charset
			}
		}
	}
	if a.env.dbCharset != nil {
		if cs := a.env.dbCharset(id.Database); cs != "" {
			return cs
		}
	}
	return "utf8mb4"
}

func (a *ddlApplier) createTable(s *ast.CreateTableStmt, orReplace bool) error {
	if s.TemporaryKeyword != ast.TemporaryNone {
		return nil
	}
	id := a.id(s.Table)
	existing := a.model(id)
	if existing != nil && s.IfNotExists {
		return nil
	}
	if !a.env.want(id) && existing == nil {
		return nil
	}
	if existing != nil && orReplace {
		a.drop(id)
	}
	var t *schema.Table
	switch {
	case s.ReferTable != nil:
		ref := a.id(s.ReferTable)
		if m := a.model(ref); m != nil {
			t = cloneTable(m)
		} else if a.env.live != nil {
			live, err := a.env.live(ref)
			if err != nil {
				return fmt.Errorf("CREATE TABLE %s LIKE %s: read %s: %w", id, ref, ref, err)
			}
			t = live
		} else {
			return fmt.Errorf("CREATE TABLE %s LIKE %s: the shape of %s is not known", id, ref, ref)
		}
		t.ID = id
	case s.Select != nil:
		// The columns come partly from the query; the server has the result.
		if a.env.live == nil {
			return fmt.Errorf("CREATE TABLE %s … SELECT: the table's columns are not in the statement", id)
		}
		live, err := a.env.live(id)
		if err != nil {
			return fmt.Errorf("CREATE TABLE %s … SELECT: read %s: %w", id, id, err)
		}
		t = live
	default:
		charset := a.env.dbCharset(id.Database)
		for _, o := range s.Options {
			if cs := optionCharset(o); cs != "" {
				charset = cs
			}
		}
		if charset == "" {
			charset = "utf8mb4"
		}
		t = &schema.Table{ID: id}
		for _, o := range s.Options {
			if o.Tp == ast.TableOptionComment {
				t.Comment = o.StrValue
			}
		}
		for _, def := range s.Cols {
			col, key, err := a.column(def, charset)
			if err != nil {
				return fmt.Errorf("CREATE TABLE %s: %w", id, err)
			}
			t.Columns = append(t.Columns, col)
			switch key {
			case keyPrimary:
				t.PrimaryKey = []string{col.Name}
			case keyUnique:
				t.UniqueIndexes = append(t.UniqueIndexes, schema.Index{Name: col.Name, Columns: []string{col.Name}})
			}
		}
		for _, c := range s.Constraints {
			addConstraint(t, c)
		}
		sortUniqueIndexes(t)
		a.emit(id, t, charset)
		return nil
	}
	a.emit(id, t, "")
	return nil
}

// optionCharset returns the charset a table option sets (CHARSET= or COLLATE=).
func optionCharset(o *ast.TableOption) string {
	switch o.Tp {
	case ast.TableOptionCharset:
		return strings.ToLower(o.StrValue)
	case ast.TableOptionCollate:
		return collationCharset(o.StrValue)
	}
	return ""
}

// collationCharset is the charset of a collation name ("latin1_swedish_ci" → latin1).
func collationCharset(coll string) string {
	coll = strings.ToLower(coll)
	if coll == "binary" {
		return "binary"
	}
	cs, _, _ := strings.Cut(coll, "_")
	return cs
}

type columnKey uint8

const (
	keyNone columnKey = iota
	keyPrimary
	keyUnique
)

// column turns a column definition into a schema.Column in the form discovery reports
// (type text like information_schema's COLUMN_TYPE, charset in Type.Charset).
func (a *ddlApplier) column(def *ast.ColumnDef, tableCharset string) (schema.Column, columnKey, error) {
	col := schema.Column{Name: def.Name.Name.O, Nullable: true}
	key := keyNone
	ft := def.Tp
	charset := strings.ToLower(ft.GetCharset())
	if charset == "" && ft.GetCollate() != "" {
		charset = collationCharset(ft.GetCollate())
	}
	for _, o := range def.Options {
		switch o.Tp {
		case ast.ColumnOptionNotNull:
			col.Nullable = false
		case ast.ColumnOptionNull:
			col.Nullable = true
		case ast.ColumnOptionPrimaryKey:
			col.Nullable = false
			key = keyPrimary
		case ast.ColumnOptionUniqKey:
			key = keyUnique
		case ast.ColumnOptionAutoIncrement:
			col.AutoIncrement = true
		case ast.ColumnOptionDefaultValue:
			col.Default = defaultOf(o.Expr)
		case ast.ColumnOptionComment:
			if v, ok := o.Expr.(*test_driver.ValueExpr); ok {
				col.Comment = fmt.Sprint(v.GetValue())
			}
		case ast.ColumnOptionCollate:
			charset = collationCharset(o.StrValue)
		}
	}
	var b strings.Builder
	if err := ft.Restore(format.NewRestoreCtx(format.DefaultRestoreFlags, &b)); err != nil {
		return col, key, fmt.Errorf("column %s: %w", col.Name, err)
	}
	typeText := strings.ToLower(b.String())
	// Charset and collation live in Type.Charset, as discovery reports them.
	if k := strings.Index(typeText, " character set "); k >= 0 {
		typeText = typeText[:k]
	}
	if k := strings.Index(typeText, " collate "); k >= 0 {
		typeText = typeText[:k]
	}
	typeText = strings.TrimSuffix(typeText, " binary")
	if elems := ft.GetElems(); len(elems) == 1 && strings.HasPrefix(elems[0], typeMarker) {
		typeText = strings.TrimPrefix(elems[0], typeMarker)
		charset = "binary"
	}
	if typeText == "json" && a.env.flavor == FlavorMariaDB {
		typeText, charset = "longtext", "utf8mb4" // MariaDB's JSON is LONGTEXT
	}
	st, err := schema.ParseType(typeText)
	if err != nil {
		return col, key, fmt.Errorf("column %s: %w", col.Name, err)
	}
	if charset == "binary" || !hasCharset(st.Name) {
		charset = ""
	} else if charset == "" {
		charset = tableCharset
	}
	st.Charset = charset
	switch charset {
	case "utf8mb4":
		st.MaxBytesPerChar = 4
	case "utf8", "utf8mb3":
		st.MaxBytesPerChar = 3
	}
	col.TypeText, col.Type = typeText, st
	return col, key, nil
}

// hasCharset reports whether a type stores text in a character set.
func hasCharset(name string) bool {
	switch name {
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set", "nchar", "nvarchar", "national char", "national varchar":
		return true
	}
	return false
}

// defaultOf reads a DEFAULT clause: literals by value, anything else as an expression.
func defaultOf(e ast.ExprNode) *schema.Default {
	switch v := e.(type) {
	case *test_driver.ValueExpr:
		switch x := v.GetValue().(type) {
		case nil:
			return nil
		case string:
			return &schema.Default{Value: x}
		case []byte:
			return &schema.Default{Value: string(x)}
		case int64:
			return &schema.Default{Value: strconv.FormatInt(x, 10)}
		case uint64:
			return &schema.Default{Value: strconv.FormatUint(x, 10)}
		case float64:
			return &schema.Default{Value: strconv.FormatFloat(x, 'g', -1, 64)}
		case float32:
			return &schema.Default{Value: strconv.FormatFloat(float64(x), 'g', -1, 32)}
		case fmt.Stringer:
			return &schema.Default{Value: x.String()}
		}
	case *ast.UnaryOperationExpr:
		if _, ok := v.V.(*test_driver.ValueExpr); ok {
			return &schema.Default{Value: restoreExpr(e)}
		}
	}
	return &schema.Default{Value: restoreExpr(e), Expression: true}
}

func restoreExpr(e ast.ExprNode) string {
	var b strings.Builder
	if err := e.Restore(format.NewRestoreCtx(format.RestoreStringSingleQuotes|format.RestoreKeyWordUppercase|format.RestoreNameBackQuotes, &b)); err != nil {
		return ""
	}
	return b.String()
}

func addConstraint(t *schema.Table, c *ast.Constraint) {
	cols := make([]string, 0, len(c.Keys))
	for _, k := range c.Keys {
		if k.Column == nil {
			return // a functional key part: not a key Doris can use
		}
		cols = append(cols, k.Column.Name.O)
	}
	switch c.Tp {
	case ast.ConstraintPrimaryKey:
		t.PrimaryKey = cols
		for _, name := range cols {
			if i := t.ColumnIndex(name); i >= 0 {
				t.Columns[i].Nullable = false
			}
		}
	case ast.ConstraintUniq, ast.ConstraintUniqKey, ast.ConstraintUniqIndex:
		name := c.Name
		if name == "" && len(cols) > 0 {
			name = cols[0]
		}
		dropUniqueIndex(t, name)
		t.UniqueIndexes = append(t.UniqueIndexes, schema.Index{Name: name, Columns: cols})
		sortUniqueIndexes(t)
	}
}

func sortUniqueIndexes(t *schema.Table) {
	ix := t.UniqueIndexes
	for i := 1; i < len(ix); i++ {
		for j := i; j > 0 && ix[j].Name < ix[j-1].Name; j-- {
			ix[j], ix[j-1] = ix[j-1], ix[j]
		}
	}
}

func dropUniqueIndex(t *schema.Table, name string) bool {
	for i, ix := range t.UniqueIndexes {
		if strings.EqualFold(ix.Name, name) {
			t.UniqueIndexes = append(t.UniqueIndexes[:i:i], t.UniqueIndexes[i+1:]...)
			return true
		}
	}
	if strings.EqualFold(name, "PRIMARY") && len(t.PrimaryKey) > 0 {
		t.PrimaryKey = nil
		return true
	}
	return false
}

func (a *ddlApplier) createIndex(s *ast.CreateIndexStmt) error {
	if s.KeyType != ast.IndexKeyTypeUnique {
		return nil
	}
	id := a.id(s.Table)
	t := a.model(id)
	if t == nil {
		return nil
	}
	nt := cloneTable(t)
	addConstraint(nt, &ast.Constraint{Tp: ast.ConstraintUniqIndex, Name: s.IndexName, Keys: s.IndexPartSpecifications})
	a.emit(id, nt, "")
	return nil
}

func (a *ddlApplier) renameTables(s *ast.RenameTableStmt) error {
	for _, tt := range s.TableToTables {
		from, to := a.id(tt.OldTable), a.id(tt.NewTable)
		t := a.model(from)
		if t == nil {
			if !a.env.want(to) {
				continue
			}
			// A table renamed into the filter (an online schema change tool's copy):
			// its shape is what the server has under the new name now.
			if a.env.live == nil {
				return fmt.Errorf("RENAME TABLE %s TO %s: the shape of %s is not known", from, to, from)
			}
			live, err := a.env.live(to)
			if err != nil {
				return fmt.Errorf("RENAME TABLE %s TO %s: read %s: %w", from, to, to, err)
			}
			a.emit(to, live, "")
			continue
		}
		nt := cloneTable(t)
		nt.ID = to
		a.emit(from, nt, a.tableCharset(from, t))
	}
	return nil
}

func (a *ddlApplier) alterTable(s *ast.AlterTableStmt) error {
	id := a.id(s.Table)
	if a.model(id) == nil {
		return nil
	}
	for _, spec := range s.Specs {
		cur := a.model(id)
		if cur == nil {
			return nil
		}
		t := cloneTable(cur)
		charset := a.tableCharset(id, cur)
		changed, newCharset, err := a.alterSpec(t, spec, charset)
		if err != nil {
			return fmt.Errorf("ALTER TABLE %s: %w", id, err)
		}
		if changed {
			a.emit(id, t, newCharset)
			id = t.ID
		} else if newCharset != "" {
			a.charsets[id] = newCharset
		}
	}
	return nil
}

// alterSpec applies one ALTER TABLE clause to t. It reports whether the shape
// changed, and the table's default charset when the clause sets it.
func (a *ddlApplier) alterSpec(t *schema.Table, spec *ast.AlterTableSpec, charset string) (bool, string, error) {
	switch spec.Tp {
	case ast.AlterTableAddColumns:
		changed := false
		for _, def := range spec.NewColumns {
			col, key, err := a.column(def, charset)
			if err != nil {
				return false, "", err
			}
			if t.ColumnIndex(col.Name) >= 0 {
				// Already there: IF NOT EXISTS, or a replay over a shape that has it.
				continue
			}
			if err := insertColumn(t, col, spec.Position); err != nil {
				return false, "", err
			}
			switch key {
			case keyPrimary:
				t.PrimaryKey = []string{col.Name}
			case keyUnique:
				t.UniqueIndexes = append(t.UniqueIndexes, schema.Index{Name: col.Name, Columns: []string{col.Name}})
				sortUniqueIndexes(t)
			}
			changed = true
		}
		for _, c := range spec.NewConstraints {
			addConstraint(t, c)
			changed = true
		}
		return changed, "", nil
	case ast.AlterTableDropColumn:
		name := spec.OldColumnName.Name.O
		i := findColumn(t, name)
		if i < 0 {
			return false, "", nil // IF EXISTS, or already gone
		}
		name = t.Columns[i].Name
		t.Columns = append(t.Columns[:i:i], t.Columns[i+1:]...)
		removeFromKeys(t, name)
		return true, "", nil
	case ast.AlterTableModifyColumn, ast.AlterTableChangeColumn:
		oldName := ""
		if spec.Tp == ast.AlterTableChangeColumn {
			oldName = spec.OldColumnName.Name.O
		} else {
			oldName = spec.NewColumns[0].Name.Name.O
		}
		i := findColumn(t, oldName)
		if i < 0 {
			if spec.IfExists {
				return false, "", nil
			}
			return false, "", fmt.Errorf("column %s is not in the tracked shape (%s)", oldName, columnNames(t))
		}
		oldName = t.Columns[i].Name
		col, key, err := a.column(spec.NewColumns[0], charset)
		if err != nil {
			return false, "", err
		}
		t.Columns = append(t.Columns[:i:i], t.Columns[i+1:]...)
		pos := spec.Position
		if pos == nil || pos.Tp == ast.ColumnPositionNone {
			// Same place.
			t.Columns = append(t.Columns[:i:i], append([]schema.Column{col}, t.Columns[i:]...)...)
		} else if err := insertColumn(t, col, pos); err != nil {
			return false, "", err
		}
		renameInKeys(t, oldName, col.Name)
		if inKey(t.PrimaryKey, col.Name) {
			t.Columns[t.ColumnIndex(col.Name)].Nullable = false
		}
		switch key {
		case keyPrimary:
			t.PrimaryKey = []string{col.Name}
		case keyUnique:
			t.UniqueIndexes = append(t.UniqueIndexes, schema.Index{Name: col.Name, Columns: []string{col.Name}})
			sortUniqueIndexes(t)
		}
		return true, "", nil
	case ast.AlterTableRenameColumn:
		oldName, newName := spec.OldColumnName.Name.O, spec.NewColumnName.Name.O
		i := findColumn(t, oldName)
		if i < 0 {
			if t.ColumnIndex(newName) >= 0 {
				return false, "", nil // a replay over a shape that has it
			}
			return false, "", fmt.Errorf("column %s is not in the tracked shape (%s)", oldName, columnNames(t))
		}
		oldName = t.Columns[i].Name
		t.Columns[i].Name = newName
		renameInKeys(t, oldName, newName)
		return true, "", nil
	case ast.AlterTableAlterColumn:
		def := spec.NewColumns[0]
		i := findColumn(t, def.Name.Name.O)
		if i < 0 {
			return false, "", nil
		}
		t.Columns[i].Default = nil
		for _, o := range def.Options {
			if o.Tp == ast.ColumnOptionDefaultValue {
				t.Columns[i].Default = defaultOf(o.Expr)
			}
		}
		return true, "", nil
	case ast.AlterTableAddConstraint:
		switch spec.Constraint.Tp {
		case ast.ConstraintPrimaryKey, ast.ConstraintUniq, ast.ConstraintUniqKey, ast.ConstraintUniqIndex:
			addConstraint(t, spec.Constraint)
			return true, "", nil
		}
		return false, "", nil
	case ast.AlterTableDropPrimaryKey:
		if len(t.PrimaryKey) == 0 {
			return false, "", nil
		}
		t.PrimaryKey = nil
		return true, "", nil
	case ast.AlterTableDropIndex:
		return dropUniqueIndex(t, spec.Name), "", nil
	case ast.AlterTableRenameIndex:
		for k := range t.UniqueIndexes {
			if strings.EqualFold(t.UniqueIndexes[k].Name, spec.FromKey.O) {
				t.UniqueIndexes[k].Name = spec.ToKey.O
				sortUniqueIndexes(t)
				return true, "", nil
			}
		}
		return false, "", nil
	case ast.AlterTableRenameTable:
		t.ID = a.id(spec.NewTable)
		return true, "", nil
	case ast.AlterTableOption:
		changed, newCharset := false, ""
		for _, o := range spec.Options {
			switch o.Tp {
			case ast.TableOptionComment:
				t.Comment = o.StrValue
				changed = true
			case ast.TableOptionCharset, ast.TableOptionCollate:
				cs := optionCharset(o)
				newCharset = cs
				if o.Tp == ast.TableOptionCharset && o.UintValue == ast.TableOptionCharsetWithConvertTo {
					for k := range t.Columns {
						if hasCharset(t.Columns[k].Type.Name) && t.Columns[k].Type.Charset != "" {
							t.Columns[k].Type.Charset = cs
							t.Columns[k].Type.MaxBytesPerChar = 0
							switch cs {
							case "utf8mb4":
								t.Columns[k].Type.MaxBytesPerChar = 4
							case "utf8", "utf8mb3":
								t.Columns[k].Type.MaxBytesPerChar = 3
							}
							changed = true
						}
					}
				}
			}
		}
		return changed, newCharset, nil
	}
	return false, "", nil
}

// findColumn finds a column by name, ignoring case as MySQL does.
func findColumn(t *schema.Table, name string) int {
	if i := t.ColumnIndex(name); i >= 0 {
		return i
	}
	for i := range t.Columns {
		if strings.EqualFold(t.Columns[i].Name, name) {
			return i
		}
	}
	return -1
}

func columnNames(t *schema.Table) string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

func insertColumn(t *schema.Table, col schema.Column, pos *ast.ColumnPosition) error {
	at := len(t.Columns)
	if pos != nil {
		switch pos.Tp {
		case ast.ColumnPositionFirst:
			at = 0
		case ast.ColumnPositionAfter:
			i := findColumn(t, pos.RelativeColumn.Name.O)
			if i < 0 {
				return fmt.Errorf("AFTER %s: no such column in the tracked shape (%s)", pos.RelativeColumn.Name.O, columnNames(t))
			}
			at = i + 1
		}
	}
	t.Columns = append(t.Columns[:at:at], append([]schema.Column{col}, t.Columns[at:]...)...)
	return nil
}

func removeFromKeys(t *schema.Table, name string) {
	t.PrimaryKey = without(t.PrimaryKey, name)
	kept := t.UniqueIndexes[:0:0]
	for _, ix := range t.UniqueIndexes {
		ix.Columns = without(ix.Columns, name)
		if len(ix.Columns) > 0 {
			kept = append(kept, ix)
		}
	}
	t.UniqueIndexes = kept
}

func without(cols []string, name string) []string {
	var out []string
	for _, c := range cols {
		if !strings.EqualFold(c, name) {
			out = append(out, c)
		}
	}
	return out
}

func renameInKeys(t *schema.Table, from, to string) {
	for i, c := range t.PrimaryKey {
		if strings.EqualFold(c, from) {
			t.PrimaryKey[i] = to
		}
	}
	for k := range t.UniqueIndexes {
		for i, c := range t.UniqueIndexes[k].Columns {
			if strings.EqualFold(c, from) {
				t.UniqueIndexes[k].Columns[i] = to
			}
		}
	}
}

func inKey(key []string, name string) bool {
	for _, k := range key {
		if k == name {
			return true
		}
	}
	return false
}

// cloneTable deep-copies a table so steps never share slices.
func cloneTable(t *schema.Table) *schema.Table {
	if t == nil {
		return nil
	}
	c := *t
	c.Columns = append([]schema.Column(nil), t.Columns...)
	for i := range c.Columns {
		if d := c.Columns[i].Default; d != nil {
			dc := *d
			c.Columns[i].Default = &dc
		}
		c.Columns[i].Type.EnumValues = append([]string(nil), t.Columns[i].Type.EnumValues...)
	}
	c.PrimaryKey = append([]string(nil), t.PrimaryKey...)
	c.UniqueIndexes = nil
	for _, ix := range t.UniqueIndexes {
		c.UniqueIndexes = append(c.UniqueIndexes, schema.Index{Name: ix.Name, Columns: append([]string(nil), ix.Columns...)})
	}
	return &c
}
