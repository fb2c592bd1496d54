package doris

import (
	"database/sql"
	"testing"
	"time"
)

func setupAlterTables(t *testing.T, opts Options) (*Server, *sql.DB) {
	t.Helper()
	s, db := setupDB(t, opts)
	mustExec(t, db, "CREATE TABLE u (id INT NOT NULL, name VARCHAR(10), score INT, dt DATE, s STRING) UNIQUE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1")
	mustExec(t, db, "CREATE TABLE dup (k1 INT, k2 INT, v VARCHAR(10)) DUPLICATE KEY(k1, k2) DISTRIBUTED BY HASH(k1) BUCKETS 1")
	mustExec(t, db, `CREATE TABLE nolsc (id INT, v INT) UNIQUE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1 PROPERTIES ("light_schema_change" = "false")`)
	mustExec(t, db, `CREATE TABLE seq (id INT, v BIGINT) UNIQUE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1 PROPERTIES ("function_column.sequence_col" = "v")`)
	mustExec(t, db, `CREATE TABLE agg (k INT, total BIGINT SUM, last VARCHAR(5) REPLACE) AGGREGATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1`)
	return s, db
}

func TestAlterTableRules(t *testing.T) {
	_, db := setupAlterTables(t, Options{})
	cases := []struct {
		q      string
		number uint16
		msg    string
	}{
		{"ALTER TABLE u ADD COLUMN NAME INT", 1105, "Can not add column which already exists in base table: NAME"},
		{"ALTER TABLE u ADD COLUMN x INT AFTER zz", 1105, "Column[zz] does not found"},
		{"ALTER TABLE u ADD COLUMN x BIGINT NOT NULL AUTO_INCREMENT", 1105, "Can not add auto-increment column x"},
		{"ALTER TABLE u ADD COLUMN x TIME", 1105, "Time type is not supported for olap table"},
		{"ALTER TABLE u ADD COLUMN x INT KEY SUM", 1105, "Can not assign aggregation method on column in Unique data model table: x"},
		{"ALTER TABLE dup ADD COLUMN f FLOAT KEY", 1105, "Float or double can not used as a key, use decimal instead."},
		{"ALTER TABLE dup ADD COLUMN k3 INT KEY AFTER v", 1105, "Invalid column order. value should be after key. index[dup]"},
		{"ALTER TABLE agg ADD COLUMN f DOUBLE", 1105, "Float or double can not used as a key, use decimal instead."},
		{"ALTER TABLE agg ADD COLUMN c BIGINT SUM DEFAULT '3'", 1105, "The default value of 'c' with SUM aggregation function must be zero"},
		{"ALTER TABLE u ADD COLUMN x INT NOT NULL DEFAULT NULL", 1105, "Can not set null default value to non nullable column: x"},
		{"ALTER TABLE u ADD COLUMN x INT DEFAULT 'abc'", 1105, "Invalid number format: abc"},
		{"ALTER TABLE u DROP COLUMN zz", 1105, "Column does not exists: zz"},
		{"ALTER TABLE u DROP COLUMN id", 1105, "Can not drop key column in Unique data model table"},
		{"ALTER TABLE seq DROP COLUMN v", 1105, "Can not drop sequence mapping column[v] in Unique data model table[seq]"},
		{"ALTER TABLE agg DROP COLUMN k", 1105, "Can not drop key column when table has value column with REPLACE aggregation method"},
		{"ALTER TABLE dup DROP COLUMN k1", 1105, "Distribution column[k1] cannot be dropped. index[dup]"},
		{"ALTER TABLE u MODIFY COLUMN zz INT", 1105, "Column[zz] does not exists"},
		{"ALTER TABLE u MODIFY COLUMN name VARCHAR(5)", 1105, "Shorten type length is prohibited, srcType=varchar(10), dstType=varchar(5)"},
		{"ALTER TABLE u MODIFY COLUMN dt INT", 1105, "Can not change DATEV2 to INT"},
		{"ALTER TABLE u MODIFY COLUMN s INT", 1105, "Can not change STRING to INT"},
		{"ALTER TABLE u MODIFY COLUMN score BOOLEAN", 1105, "Can not change INT to BOOLEAN"},
		{"ALTER TABLE u MODIFY COLUMN score VARCHAR(5)", 1105, "Can not change from wider type int to narrower type varchar(5)"},
		{"ALTER TABLE u MODIFY COLUMN score INT NOT NULL", 1105, "Can not change from nullable to non-nullable"},
		{"ALTER TABLE u MODIFY COLUMN score INT DEFAULT '1'", 1105, "Can not change default value"},
		{"ALTER TABLE u MODIFY COLUMN score INT", 1105, "Nothing is changed. please check your alter stmt."},
		{"ALTER TABLE u MODIFY COLUMN score INT AFTER zz", 1105, "Column[zz] does not exists"},
		{"ALTER TABLE seq MODIFY COLUMN v LARGEINT", 1105, "Can not alter sequence column[v]"},
		{"ALTER TABLE dup MODIFY COLUMN k1 BIGINT KEY", 1105, "Can not modify distribution column[k1]. index[dup]"},
		{"ALTER TABLE agg MODIFY COLUMN total BIGINT", 1105, "Aggregate method must be specified for value column: total"},
		{"ALTER TABLE nolsc RENAME COLUMN v w", 1105, "Table[nolsc] does not enable light schema change, rename column is not supported"},
		{"ALTER TABLE u RENAME COLUMN name score", 1105, "Column name[score] is already used"},
		{"ALTER TABLE u RENAME COLUMN zz yy", 1105, "Column[zz] does not exists"},
		{"ALTER TABLE u RENAME COLUMN name NAME", 1105, "Same column name"},
		{"ALTER TABLE u SET (\"enable_unique_key_merge_on_write\" = \"false\")", 1105, "Can not change property enable_unique_key_merge_on_write"},
		{"ALTER TABLE u SET (\"replication_num\" = \"3\")", 1105, "replication num should be less than the number of available backends. replication num is 3, available backend num is 1"},
		{"ALTER TABLE u SET (\"no_such\" = \"1\")", 1105, "Unknown table property: [no_such]"},
		{"ALTER TABLE nope ADD COLUMN x INT", 1051, "Unknown table 'nope'"},
		{"ALTER TABLE u ADD COLUMN x INT TO r1", 1105, "the Doris stand-in does not support: ALTER TABLE u ADD COLUMN x INT TO r1"},
	}
	for _, c := range cases {
		expectErr(t, db, c.q, c.number, dorisMsg(c.msg))
	}
	expectRows(t, db, "SHOW ALTER TABLE COLUMN", "")
}

func TestAlterTableRewritesRows(t *testing.T) {
	s, db := setupAlterTables(t, Options{})
	loadRows(t, s, "d", "u", []string{"2", "b", "<NULL>", "<NULL>", "x"}, []string{"1", "a", "10", "2024-01-31", "y"})

	mustExec(t, db, "ALTER TABLE u ADD COLUMN c INT DEFAULT \"7\"")
	expectRows(t, db, "SELECT * FROM u", "1|a|10|2024-01-31|y|7\n2|b|<NULL>|<NULL>|x|7")
	mustExec(t, db, "ALTER TABLE u ADD COLUMN (n1 VARCHAR(3), n2 DECIMAL(5, 2) DEFAULT '1.5')")
	expectRows(t, db, "SELECT id, n1, n2 FROM u", "1|<NULL>|1.50\n2|<NULL>|1.50")
	mustExec(t, db, "ALTER TABLE u DROP COLUMN name")
	expectRows(t, db, "SELECT * FROM u", "1|10|2024-01-31|y|7|<NULL>|1.50\n2|<NULL>|<NULL>|x|7|<NULL>|1.50")
	mustExec(t, db, "ALTER TABLE u MODIFY COLUMN score BIGINT")
	mustExec(t, db, "ALTER TABLE u MODIFY COLUMN dt DATETIME")
	mustExec(t, db, "ALTER TABLE u RENAME COLUMN score points")
	expectErr(t, db, "ALTER TABLE u MODIFY COLUMN c INT DEFAULT \"7\" FIRST", 1105, dorisMsg("Invalid column order. value should be after key. index[u]"))
	mustExec(t, db, "ALTER TABLE u MODIFY COLUMN c INT DEFAULT \"7\" AFTER id")
	cols, rows := queryStrings(t, db, "SELECT * FROM u")
	if got := rowsText([][]string{cols}); got != "id|c|points|dt|s|n1|n2" {
		t.Fatalf("columns %s", got)
	}
	if got := rowsText(rows); got != "1|7|10|2024-01-31 00:00:00|y|<NULL>|1.50\n2|7|<NULL>|<NULL>|x|<NULL>|1.50" {
		t.Fatalf("rows:\n%s", got)
	}
	tb := tableOf(t, s, "d", "u")
	if tb.Columns[2].Type.Kind != KindBigInt || tb.Columns[3].Type.Kind != KindDateTime || len(tb.AlterJobs) != 3 {
		t.Fatalf("after ALTERs: %+v", tb)
	}
}

func TestAlterTableKeyColumnAndJobs(t *testing.T) {
	s, db := setupAlterTables(t, Options{})
	loadRows(t, s, "d", "dup", []string{"2", "1", "b"}, []string{"1", "9", "a"})
	// a value column can be lengthened and renamed without a job
	mustExec(t, db, "ALTER TABLE dup MODIFY COLUMN v VARCHAR(20)")
	mustExec(t, db, "ALTER TABLE dup RENAME COLUMN v val")
	expectRows(t, db, "SHOW ALTER TABLE COLUMN", "")
	// adding a key column is a heavy change: it is placed after the last key and runs as a job
	mustExec(t, db, "ALTER TABLE dup ADD COLUMN k3 INT KEY DEFAULT '5'")
	tb := tableOf(t, s, "d", "dup")
	if tb.KeyCount != 3 || tb.Columns[2].Name != "k3" || !tb.Columns[2].IsKey || len(tb.AlterJobs) != 1 || tb.AlterJobs[0].State != "FINISHED" {
		t.Fatalf("after ADD KEY: %+v", tb)
	}
	expectRows(t, db, "SELECT * FROM dup", "1|9|5|a\n2|1|5|b")
	_, rows := queryStrings(t, db, "SHOW ALTER TABLE COLUMN FROM d WHERE TableName = 'dup'")
	if len(rows) != 1 || rows[0][1] != "dup" || rows[0][9] != "FINISHED" || rows[0][4] != "dup" {
		t.Fatalf("SHOW ALTER TABLE COLUMN: %v", rows)
	}
	cols, _ := queryStrings(t, db, "SHOW ALTER TABLE COLUMN")
	if rowsText([][]string{cols}) != "JobId|TableName|CreateTime|FinishTime|IndexName|IndexId|OriginIndexId|SchemaVersion|TransactionId|State|Msg|Progress|Timeout" {
		t.Fatalf("columns %v", cols)
	}
	// dropping a DUPLICATE key column that is not distributed on is allowed (heavy)
	mustExec(t, db, "ALTER TABLE dup DROP COLUMN k2")
	expectRows(t, db, "SELECT * FROM dup", "1|5|a\n2|5|b")
	if tb := tableOf(t, s, "d", "dup"); tb.KeyCount != 2 || len(tb.AlterJobs) != 2 {
		t.Fatalf("after DROP key: %+v", tb)
	}
	// a UNIQUE table keeps rows addressable by the new key
	loadRows(t, s, "d", "u", []string{"1", "a", "1", "<NULL>", "s"})
	mustExec(t, db, "ALTER TABLE u ADD COLUMN region VARCHAR(8) KEY DEFAULT 'eu'")
	s.Catalog.Mu.Lock()
	_, found := s.Catalog.Table("d", "u").Lookup([]Value{{S: "1"}, {S: "eu"}})
	s.Catalog.Mu.Unlock()
	if !found {
		t.Fatal("row not found under its new key")
	}
}

func TestAlterNotNullWithoutDefaultOnRows(t *testing.T) {
	s, db := setupAlterTables(t, Options{})
	mustExec(t, db, "ALTER TABLE u ADD COLUMN e1 INT NOT NULL") // empty table: fine
	loadRows(t, s, "d", "u", []string{"1", "a", "1", "<NULL>", "s", "0"})
	expectErr(t, db, "ALTER TABLE u ADD COLUMN e2 INT NOT NULL", 1105,
		dorisMsg("the Doris stand-in does not support: adding NOT NULL column e2 without a DEFAULT to a table that has rows"))
}

func TestAlterNotNormalWhileJobRuns(t *testing.T) {
	s, db := setupAlterTables(t, Options{AlterDelay: time.Hour})
	start := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return start })
	mustExec(t, db, "ALTER TABLE u MODIFY COLUMN score BIGINT")
	notNormal := dorisMsg("Table[u]'s state(SCHEMA_CHANGE) is not NORMAL. Do not allow doing ALTER ops")
	expectErr(t, db, "ALTER TABLE u ADD COLUMN x INT", 1105, notNormal)
	expectErr(t, db, "ALTER TABLE u RENAME COLUMN name nm", 1105, notNormal)
	expectErr(t, db, "TRUNCATE TABLE u", 1105, dorisMsg("Table state is not NORMAL: 'SCHEMA_CHANGE'"))
	mustExec(t, db, "ALTER TABLE dup ADD COLUMN other INT") // other tables are not blocked
	_, rows := queryStrings(t, db, "SHOW ALTER TABLE COLUMN WHERE TableName = 'u' AND State = 'RUNNING'")
	if len(rows) != 1 || rows[0][2] != "2024-05-01 10:00:00.000" || rows[0][3] != "NULL" {
		t.Fatalf("running job: %v", rows)
	}
	s.SetClock(func() time.Time { return start.Add(time.Hour) })
	_, rows = queryStrings(t, db, "SHOW ALTER TABLE COLUMN WHERE TableName = 'u'")
	if len(rows) != 1 || rows[0][9] != "FINISHED" || rows[0][3] != "2024-05-01 11:00:00.000" {
		t.Fatalf("finished job: %v", rows)
	}
	mustExec(t, db, "ALTER TABLE u ADD COLUMN x INT")
	mustExec(t, db, "TRUNCATE TABLE u")
}

func TestAlterTableCommentAndProperties(t *testing.T) {
	s, db := setupAlterTables(t, Options{})
	mustExec(t, db, "ALTER TABLE u MODIFY COMMENT 'new comment'")
	mustExec(t, db, "ALTER TABLE u MODIFY COLUMN name COMMENT 'the name'")
	mustExec(t, db, `ALTER TABLE nolsc SET ("light_schema_change" = "true")`)
	mustExec(t, db, `ALTER TABLE u SET ("group_commit_interval_ms" = "2000")`)
	tb := tableOf(t, s, "d", "u")
	if tb.Comment != "new comment" || tb.Columns[1].Comment != "the name" {
		t.Fatalf("comments %+v", tb)
	}
	if v, _ := sqlGetProp(tb.Properties, "group_commit_interval_ms"); v != "2000" {
		t.Fatalf("properties %v", tb.Properties)
	}
	if !tableOf(t, s, "d", "nolsc").LightSchema {
		t.Fatal("light_schema_change not enabled")
	}
	mustExec(t, db, "ALTER TABLE nolsc RENAME COLUMN v w")
	if len(tb.AlterJobs) != 0 {
		t.Fatalf("metadata changes created jobs: %+v", tb.AlterJobs)
	}
}
