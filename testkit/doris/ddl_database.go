package doris

import (
	"github.com/go-mysql-org/go-mysql/mysql"
)

// execCreateDatabase: CREATE DATABASE|SCHEMA [IF NOT EXISTS] db [PROPERTIES (…)].
func (m *mysqlSession) execCreateDatabase(p *sqlParser) (*queryResult, error) {
	p.i += 2
	ifNotExists := p.acceptWords("IF", "NOT", "EXISTS")
	_, name, err := p.qualifiedName()
	if err != nil {
		return nil, err
	}
	if p.acceptWords("PROPERTIES") {
		if _, err := p.propertyList(); err != nil {
			return nil, err
		}
	}
	if err := p.expectEnd(); err != nil {
		return nil, err
	}
	if !ValidDBName(name) {
		return nil, dorisErr("Incorrect database name '%s'", name)
	}
	c := m.s.Catalog
	c.Mu.Lock()
	defer c.Mu.Unlock()
	if c.DBs[name] != nil || isSystemDB(name) {
		if ifNotExists {
			return &queryResult{}, nil
		}
		return nil, dorisErr("Can't create database '%s'; database exists", name)
	}
	c.DBs[name] = &Database{Name: name, Tables: map[string]*Table{}}
	return &queryResult{}, nil
}

// execDropDatabase: DROP DATABASE|SCHEMA [IF EXISTS] db [FORCE].
func (m *mysqlSession) execDropDatabase(p *sqlParser) (*queryResult, error) {
	p.i += 2
	ifExists := p.acceptWords("IF", "EXISTS")
	_, name, err := p.qualifiedName()
	if err != nil {
		return nil, err
	}
	p.acceptWords("FORCE")
	if err := p.expectEnd(); err != nil {
		return nil, err
	}
	c := m.s.Catalog
	c.Mu.Lock()
	defer c.Mu.Unlock()
	d := c.DBs[name]
	if d == nil {
		if ifExists {
			return &queryResult{}, nil
		}
		return nil, dorisErr("Can't drop database '%s'; database doesn't exist", name)
	}
	for _, t := range d.Tables {
		delete(m.s.mysql.extras, t)
	}
	delete(c.DBs, name)
	return &queryResult{}, nil
}

// execDropTable: DROP TABLE [IF EXISTS] [db.]t [FORCE]. A missing table is
// ERROR 1109 "Unknown table 't' in db" (Doris 2.1).
func (m *mysqlSession) execDropTable(p *sqlParser) (*queryResult, error) {
	p.i += 2
	ifExists := p.acceptWords("IF", "EXISTS")
	db, name, err := p.qualifiedName()
	if err != nil {
		return nil, err
	}
	p.acceptWords("FORCE")
	if err := p.expectEnd(); err != nil {
		return nil, err
	}
	if db, err = m.dbOrCurrent(db); err != nil {
		return nil, err
	}
	c := m.s.Catalog
	c.Mu.Lock()
	defer c.Mu.Unlock()
	d, err := m.lookupDB(db)
	if err != nil {
		return nil, err
	}
	t := d.Tables[name]
	if t == nil {
		if ifExists {
			return &queryResult{}, nil
		}
		return nil, dorisErrCode(mysql.ER_UNKNOWN_TABLE, "42S02", "Unknown table '%s' in %s", name, db)
	}
	delete(m.s.mysql.extras, t)
	delete(d.Tables, name)
	return &queryResult{}, nil
}

// execTruncate: TRUNCATE TABLE [db.]t.
func (m *mysqlSession) execTruncate(p *sqlParser) (*queryResult, error) {
	p.next()
	p.acceptWords("TABLE")
	db, name, err := p.qualifiedName()
	if err != nil {
		return nil, err
	}
	if p.isWords("PARTITION") {
		return nil, unsupportedStmt(p.src)
	}
	if err := p.expectEnd(); err != nil {
		return nil, err
	}
	c := m.s.Catalog
	c.Mu.Lock()
	defer c.Mu.Unlock()
	t, err := m.lookupTable(db, name)
	if err != nil {
		return nil, err
	}
	if ddlAlterRunning(m.s, t) {
		return nil, dorisErr("Table state is not NORMAL: 'SCHEMA_CHANGE'")
	}
	t.Truncate()
	return &queryResult{}, nil
}
