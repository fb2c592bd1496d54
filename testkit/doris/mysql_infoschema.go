package doris

import (
	"sort"
	"strconv"
	"strings"
)

// infoSchemaSource builds information_schema.schemata, tables or columns from the
// catalog. Caller holds Catalog.Mu.
func (m *mysqlSession) infoSchemaSource(name string) (*selSource, error) {
	switch strings.ToLower(name) {
	case "schemata":
		return m.infoSchemata(), nil
	case "tables":
		return m.infoTables(), nil
	case "columns":
		return m.infoColumns(), nil
	}
	return nil, unsupportedStmt("information_schema." + name)
}

// infoDBNames lists every database a client sees, system ones included, by name.
func (m *mysqlSession) infoDBNames() []string {
	names := []string{"information_schema", "mysql"}
	for n := range m.s.Catalog.DBs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (m *mysqlSession) infoSchemata() *selSource {
	src := &selSource{}
	for _, n := range []string{"CATALOG_NAME", "SCHEMA_NAME", "DEFAULT_CHARACTER_SET_NAME", "DEFAULT_COLLATION_NAME", "SQL_PATH"} {
		src.add(n, selText)
	}
	for _, db := range m.infoDBNames() {
		src.rows = append(src.rows, []Value{resStr("internal"), resStr(db), resStr("utf8"), resStr("utf8_general_ci"), resNull()})
	}
	return src
}

// infoUserTables visits user tables ordered by database and table name.
func (m *mysqlSession) infoUserTables(f func(d *Database, t *Table)) {
	var dbs []string
	for n := range m.s.Catalog.DBs {
		dbs = append(dbs, n)
	}
	sort.Strings(dbs)
	for _, dn := range dbs {
		d := m.s.Catalog.DBs[dn]
		for _, tn := range ddlSortedTableNames(d) {
			f(d, d.Tables[tn])
		}
	}
}

func (m *mysqlSession) infoTables() *selSource {
	src := &selSource{}
	for _, c := range []struct {
		name string
		t    Type
	}{
		{"TABLE_CATALOG", selText}, {"TABLE_SCHEMA", selText}, {"TABLE_NAME", selText}, {"TABLE_TYPE", selText},
		{"ENGINE", selText}, {"VERSION", selInt}, {"ROW_FORMAT", selText}, {"TABLE_ROWS", selInt},
		{"AVG_ROW_LENGTH", selInt}, {"DATA_LENGTH", selInt}, {"MAX_DATA_LENGTH", selInt}, {"INDEX_LENGTH", selInt},
		{"DATA_FREE", selInt}, {"AUTO_INCREMENT", selInt}, {"CREATE_TIME", selTime}, {"UPDATE_TIME", selTime},
		{"CHECK_TIME", selTime}, {"TABLE_COLLATION", selText}, {"CHECKSUM", selInt}, {"CREATE_OPTIONS", selText},
		{"TABLE_COMMENT", selText},
	} {
		src.add(c.name, c.t)
	}
	m.infoUserTables(func(d *Database, t *Table) {
		created := m.s.mysql.extra(t).created
		createTime := resNull()
		if !created.IsZero() {
			createTime = resStr(created.Format("2006-01-02 15:04:05"))
		}
		src.rows = append(src.rows, []Value{
			resStr("internal"), resStr(d.Name), resStr(t.Name), resStr("BASE TABLE"), resStr("Doris"), resNull(), resNull(),
			resInt(int64(t.RowCount())), resInt(0), resInt(0), resNull(), resNull(), resNull(), resNull(),
			createTime, resNull(), resNull(), resStr("utf-8"), resNull(), resStr(""), resStr(t.Comment),
		})
	})
	return src
}

func (m *mysqlSession) infoColumns() *selSource {
	src := &selSource{}
	for _, c := range []struct {
		name string
		t    Type
	}{
		{"TABLE_CATALOG", selText}, {"TABLE_SCHEMA", selText}, {"TABLE_NAME", selText}, {"COLUMN_NAME", selText},
		{"ORDINAL_POSITION", selInt}, {"COLUMN_DEFAULT", selText}, {"IS_NULLABLE", selText}, {"DATA_TYPE", selText},
		{"CHARACTER_MAXIMUM_LENGTH", selInt}, {"CHARACTER_OCTET_LENGTH", selInt}, {"NUMERIC_PRECISION", selInt},
		{"NUMERIC_SCALE", selInt}, {"DATETIME_PRECISION", selInt}, {"CHARACTER_SET_NAME", selText},
		{"COLLATION_NAME", selText}, {"COLUMN_TYPE", selText}, {"COLUMN_KEY", selText}, {"EXTRA", selText},
		{"PRIVILEGES", selText}, {"COLUMN_COMMENT", selText}, {"COLUMN_SIZE", selInt}, {"DECIMAL_DIGITS", selInt},
		{"GENERATION_EXPRESSION", selText}, {"SRS_ID", selInt},
	} {
		src.add(c.name, c.t)
	}
	m.infoUserTables(func(d *Database, t *Table) {
		for i, c := range t.Columns {
			dataType, colType := infoMySQLTypeNames(c.Type)
			charLen, precision, scale, dtPrecision := infoTypeSizes(c.Type)
			def := resNull()
			if c.HasDefault && !c.DefaultNull {
				def = resStr(c.Default)
			}
			key := ""
			if c.IsKey {
				key = map[KeysType]string{DupKeys: "DUP", UniqueKeys: "UNI", AggKeys: "AGG"}[t.Keys]
			}
			extra := ""
			if c.AutoInc {
				extra = "auto_increment"
			}
			size := precision
			if charLen.S != "" {
				size = charLen
			}
			src.rows = append(src.rows, []Value{
				resStr("internal"), resStr(d.Name), resStr(t.Name), resStr(c.Name), resInt(int64(i + 1)), def,
				resStr(map[bool]string{true: "YES", false: "NO"}[c.Nullable]), resStr(dataType), charLen, charLen,
				precision, scale, dtPrecision, resNull(), resNull(), resStr(colType), resStr(key), resStr(extra),
				resStr("SELECT"), resStr(c.Comment), size, scale, resNull(), resNull(),
			})
		}
	})
	return src
}

// infoMySQLTypeNames are DATA_TYPE and COLUMN_TYPE as Doris reports them in MySQL terms.
func infoMySQLTypeNames(t Type) (string, string) {
	switch t.Kind {
	case KindBoolean:
		return "tinyint", "tinyint(1)"
	case KindLargeInt:
		return "bigint unsigned", "bigint unsigned"
	case KindString:
		return "text", "text"
	case KindVarchar, KindChar, KindDecimal:
		return kindNames[t.Kind], t.String()
	case KindDateTime:
		if t.Scale > 0 {
			return "datetime", "datetime(" + strconv.Itoa(t.Scale) + ")"
		}
		return "datetime", "datetime"
	case KindArray, KindMap, KindStruct:
		return kindNames[t.Kind], t.String()
	}
	return t.String(), t.String()
}

// infoTypeSizes returns CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE and
// DATETIME_PRECISION (NULL where MySQL has none).
func infoTypeSizes(t Type) (charLen, precision, scale, dt Value) {
	charLen, precision, scale, dt = resNull(), resNull(), resNull(), resNull()
	switch t.Kind {
	case KindChar, KindVarchar:
		charLen = resInt(int64(t.Length))
	case KindString, KindJSON:
		charLen = resInt(2147483643)
	case KindBoolean:
		precision, scale = resInt(1), resInt(0)
	case KindTinyInt:
		precision, scale = resInt(3), resInt(0)
	case KindSmallInt:
		precision, scale = resInt(5), resInt(0)
	case KindInt:
		precision, scale = resInt(10), resInt(0)
	case KindBigInt:
		precision, scale = resInt(19), resInt(0)
	case KindLargeInt:
		precision, scale = resInt(39), resInt(0)
	case KindFloat:
		precision = resInt(7)
	case KindDouble:
		precision = resInt(15)
	case KindDecimal:
		precision, scale = resInt(int64(t.Precision)), resInt(int64(t.Scale))
	case KindDate:
		dt = resInt(0)
	case KindDateTime:
		dt = resInt(int64(t.Scale))
	}
	return
}
