package doris

import (
	"errors"
	"strings"

	"github.com/go-mysql-org/go-mysql/mysql"
)

// errInTransaction is Doris's refusal of anything but DML inside BEGIN … COMMIT.
const errInTransaction = "This is in a transaction, only insert, update, delete, commit, rollback is acceptable."

// exec parses and runs one statement.
func (m *mysqlSession) exec(query string) (*queryResult, error) {
	p, err := newSQLParser(query)
	if err != nil {
		return nil, err
	}
	if p.atEnd() {
		return nil, &sqlError{code: mysql.ER_EMPTY_QUERY, state: "42000", msg: "Query was empty", raw: true}
	}
	if sqlHasSecondStatement(p.toks) {
		return nil, unsupportedStmt("several statements in one query: " + query)
	}
	if m.inTxn && !p.isWords("COMMIT") && !p.isWords("ROLLBACK") && !p.isWords("BEGIN") &&
		!p.isWords("INSERT") && !p.isWords("UPDATE") && !p.isWords("DELETE") {
		return nil, dorisErr(errInTransaction)
	}
	switch first := p.peek(); {
	case first.isWord("SELECT"):
		r, err := m.execSelect(p)
		return r, unsupportedOnParseError(query, err)
	case first.isWord("SHOW"):
		r, err := m.execShow(p)
		return r, unsupportedOnParseError(query, err)
	case first.isWord("DESC"), first.isWord("DESCRIBE"):
		r, err := m.execDesc(p)
		return r, unsupportedOnParseError(query, err)
	case first.isWord("USE"):
		return m.execUse(p)
	case first.isWord("SET"):
		return m.execSet(p)
	case first.isWord("BEGIN"), p.isWords("START", "TRANSACTION"):
		return m.execBegin(p)
	case first.isWord("COMMIT"), first.isWord("ROLLBACK"):
		p.next()
		p.acceptWords("WORK")
		if err := p.expectEnd(); err != nil {
			return nil, err
		}
		m.inTxn = false
		return &queryResult{}, nil
	case p.isWords("CREATE", "DATABASE"), p.isWords("CREATE", "SCHEMA"):
		return m.execCreateDatabase(p)
	case p.isWords("CREATE", "TABLE"):
		return m.execCreateTable(p)
	case p.isWords("DROP", "DATABASE"), p.isWords("DROP", "SCHEMA"):
		return m.execDropDatabase(p)
	case p.isWords("DROP", "TABLE"):
		return m.execDropTable(p)
	case p.isWords("TRUNCATE"):
		return m.execTruncate(p)
	case p.isWords("ALTER", "TABLE"):
		return m.execAlterTable(p)
	}
	return nil, unsupportedStmt(query)
}

// unsupportedOnParseError turns a parse failure of a query into "does not support":
// the stand-in models only part of Doris's query syntax, so a query it cannot parse
// is not necessarily wrong SQL.
func unsupportedOnParseError(query string, err error) error {
	var se *sqlError
	if errors.As(err, &se) && strings.HasPrefix(se.msg, "\nmismatched input") {
		return unsupportedStmt(query)
	}
	return err
}

// sqlHasSecondStatement reports a ';' followed by more tokens.
func sqlHasSecondStatement(toks []sqlToken) bool {
	for i, t := range toks {
		if t.kind == sqlPunct && t.text == ";" && toks[i+1].kind != sqlEOF {
			return true
		}
	}
	return false
}

func (m *mysqlSession) execBegin(p *sqlParser) (*queryResult, error) {
	if !p.acceptWords("BEGIN") {
		p.acceptWords("START", "TRANSACTION")
	}
	if p.acceptWords("WITH", "LABEL") {
		if _, err := p.ident(); err != nil {
			return nil, err
		}
	}
	if err := p.expectEnd(); err != nil {
		return nil, err
	}
	m.inTxn = true
	return &queryResult{}, nil
}

// isSystemDB reports the databases Doris always has besides user ones.
func isSystemDB(name string) bool {
	return strings.EqualFold(name, "information_schema") || name == "mysql"
}

func (m *mysqlSession) use(db string) error {
	db = strings.TrimPrefix(db, "internal.")
	if isSystemDB(db) {
		m.db = db
		return nil
	}
	m.s.Catalog.Mu.Lock()
	_, ok := m.s.Catalog.DBs[db]
	m.s.Catalog.Mu.Unlock()
	if !ok {
		return dorisErrCode(mysql.ER_BAD_DB_ERROR, "42000", "Unknown database '%s'", db)
	}
	m.db = db
	return nil
}

func (m *mysqlSession) execUse(p *sqlParser) (*queryResult, error) {
	p.next()
	db, name, err := p.qualifiedName()
	if err != nil {
		return nil, err
	}
	if db != "" {
		if !strings.EqualFold(db, "internal") {
			return nil, dorisErr("Unknown catalog '%s'", db)
		}
	}
	if err := p.expectEnd(); err != nil {
		return nil, err
	}
	if err := m.use(name); err != nil {
		return nil, err
	}
	return &queryResult{}, nil
}

// dbOrCurrent resolves an optional database name against the session's current one.
func (m *mysqlSession) dbOrCurrent(db string) (string, error) {
	if db != "" {
		return db, nil
	}
	if m.db == "" {
		return "", dorisErrCode(mysql.ER_NO_DB_ERROR, "3D000", "No database selected")
	}
	return m.db, nil
}

// lookupDB finds a user database. Caller holds Catalog.Mu.
func (m *mysqlSession) lookupDB(name string) (*Database, error) {
	return lookupDatabase(m.s.Catalog, name)
}

// lookupDatabase finds a user database or fails with ERROR 1049. Caller holds c.Mu.
func lookupDatabase(c *Catalog, name string) (*Database, error) {
	d := c.DBs[name]
	if d == nil {
		return nil, dorisErrCode(mysql.ER_BAD_DB_ERROR, "42000", "Unknown database '%s'", name)
	}
	return d, nil
}

// lookupTable finds [db.]t for DDL and SHOW; a missing table is Doris 2.1's
// ERROR 1051 "Unknown table 't'". Caller holds Catalog.Mu.
func (m *mysqlSession) lookupTable(db, name string) (*Table, error) {
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
		return nil, dorisErrCode(mysql.ER_BAD_TABLE_ERROR, "42S02", "Unknown table '%s'", name)
	}
	return t, nil
}

// execSet handles SET NAMES, SET [SESSION|GLOBAL] var = value, SET @user = value.
func (m *mysqlSession) execSet(p *sqlParser) (*queryResult, error) {
	p.next()
	if p.acceptWords("NAMES") {
		if _, err := m.setValue(p); err != nil {
			return nil, err
		}
		if p.acceptWords("COLLATE") {
			if _, err := m.setValue(p); err != nil {
				return nil, err
			}
		}
		return &queryResult{}, p.expectEnd()
	}
	type assignment struct {
		name string
		user bool
		val  string
		null bool
	}
	var as []assignment
	for {
		var a assignment
		t := p.peek()
		switch {
		case t.kind == sqlVar && !strings.HasPrefix(t.text, "@@"):
			p.next()
			a.name, a.user = strings.ToLower(strings.TrimPrefix(t.text, "@")), true
		case t.kind == sqlVar:
			p.next()
			a.name = t.text
		default:
			scope := ""
			if p.acceptWords("SESSION") || p.acceptWords("LOCAL") {
				scope = "session."
			} else if p.acceptWords("GLOBAL") {
				return nil, unsupportedStmt(p.src)
			}
			name, err := p.ident()
			if err != nil {
				return nil, err
			}
			a.name = scope + name
		}
		if !p.acceptPunct("=") && !p.acceptPunct(":=") {
			return nil, p.errExpect("'='")
		}
		if p.isWords("NULL") {
			p.next()
			a.null = true
		} else {
			v, err := m.setValue(p)
			if err != nil {
				return nil, err
			}
			a.val = v
		}
		as = append(as, a)
		if !p.acceptPunct(",") {
			break
		}
	}
	if err := p.expectEnd(); err != nil {
		return nil, err
	}
	for _, a := range as {
		switch {
		case a.user && a.null:
			m.userVars[a.name] = resNull()
		case a.user:
			m.userVars[a.name] = resStr(a.val)
		case strings.HasPrefix(strings.ToLower(a.name), "@@global."):
			return nil, unsupportedStmt(p.src)
		default:
			if a.null && strings.HasPrefix(sysVarName(a.name), "character_set_") {
				a.null, a.val = false, "" // MySQL clients reset character_set_results to NULL
			}
			if a.null {
				return nil, dorisErrCode(mysql.ER_WRONG_VALUE_FOR_VAR, "42000", "Variable '%s' can't be set to the value of 'NULL'", sysVarName(a.name))
			}
			if err := m.setVar(a.name, a.val); err != nil {
				return nil, err
			}
		}
	}
	return &queryResult{}, nil
}

// setValue reads the right-hand side of a SET: a literal, a word (ON, utf8mb4 …) or
// a variable.
func (m *mysqlSession) setValue(p *sqlParser) (string, error) {
	t := p.peek()
	switch t.kind {
	case sqlString, sqlWord, sqlQuoted:
		p.next()
		return t.text, nil
	case sqlNumber:
		p.next()
		return t.text, nil
	case sqlVar:
		p.next()
		if strings.HasPrefix(t.text, "@@") {
			v, _, err := m.getVar(t.text)
			return v.S, err
		}
		return m.userVars[strings.ToLower(strings.TrimPrefix(t.text, "@"))].S, nil
	case sqlPunct:
		if t.text == "-" && p.peekAt(1).kind == sqlNumber {
			p.next()
			return "-" + p.next().text, nil
		}
	}
	return "", p.errExpect("a value")
}
