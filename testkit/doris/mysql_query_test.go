package doris

import (
	"strings"
	"testing"
)

func TestDescTable(t *testing.T) {
	_, db := setupDB(t, Options{})
	mustExec(t, db, `CREATE TABLE u (id BIGINT NOT NULL, name VARCHAR(20) DEFAULT 'x', ts DATETIME(3) DEFAULT CURRENT_TIMESTAMP(3), amount DECIMAL(10, 2))
		UNIQUE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1 PROPERTIES ("function_column.sequence_type" = "bigint")`)
	cols, rows := queryStrings(t, db, "DESC u")
	if strings.Join(cols, ",") != "Field,Type,Null,Key,Default,Extra" {
		t.Fatalf("columns %v", cols)
	}
	want := "id|bigint|No|true|<NULL>|\n" +
		"name|varchar(20)|Yes|false|x|NONE\n" +
		"ts|datetime(3)|Yes|false|CURRENT_TIMESTAMP(3)|NONE\n" +
		"amount|decimal(10,2)|Yes|false|<NULL>|NONE"
	if got := rowsText(rows); got != want {
		t.Fatalf("DESC:\n%s\nwant:\n%s", got, want)
	}
	mustExec(t, db, "SET show_hidden_columns = true")
	expectRows(t, db, "DESCRIBE d.u", want+"\n__DORIS_DELETE_SIGN__|tinyint|No|false|0|NONE\n__DORIS_SEQUENCE_COL__|bigint|Yes|false|<NULL>|NONE")
	mustExec(t, db, "SET show_hidden_columns = false")
	mustExec(t, db, "CREATE TABLE a (k INT, s BIGINT SUM, r VARCHAR(3) REPLACE) DISTRIBUTED BY HASH(k) BUCKETS 1")
	expectRows(t, db, "DESC a", "k|int|Yes|true|<NULL>|\ns|bigint|Yes|false|<NULL>|SUM\nr|varchar(3)|Yes|false|<NULL>|REPLACE")
	mustExec(t, db, `CREATE TABLE mor (k INT, v INT) UNIQUE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1 PROPERTIES ("enable_unique_key_merge_on_write" = "false")`)
	expectRows(t, db, "DESC mor", "k|int|Yes|true|<NULL>|\nv|int|Yes|false|<NULL>|REPLACE")
	expectErr(t, db, "DESC nope", 1051, dorisMsg("Unknown table 'nope'"))
}

func TestShowTablesAndDrop(t *testing.T) {
	s, db := setupDB(t, Options{})
	mustExec(t, db, "CREATE TABLE t1 (a INT)")
	mustExec(t, db, "CREATE TABLE t2 (a INT)")
	mustExec(t, db, "CREATE TABLE other (a INT)")
	cols, rows := queryStrings(t, db, "SHOW TABLES FROM d LIKE 't%'")
	if cols[0] != "Tables_in_d" || rowsText(rows) != "t1\nt2" {
		t.Fatalf("SHOW TABLES: %v %v", cols, rows)
	}
	expectRows(t, db, "SHOW FULL TABLES", "other|BASE TABLE\nt1|BASE TABLE\nt2|BASE TABLE")
	loadRows(t, s, "d", "t1", []string{"1"}, []string{"2"})
	expectRows(t, db, "SELECT COUNT(*) FROM t1", "2")
	mustExec(t, db, "TRUNCATE TABLE t1")
	expectRows(t, db, "SELECT COUNT(*) FROM d.t1", "0")
	expectErr(t, db, "TRUNCATE TABLE nope", 1051, dorisMsg("Unknown table 'nope'"))
	mustExec(t, db, "DROP TABLE t1")
	expectErr(t, db, "DROP TABLE t1", 1109, dorisMsg("Unknown table 't1' in d"))
	mustExec(t, db, "DROP TABLE IF EXISTS t1")
	mustExec(t, db, "DROP TABLE d.t2 FORCE")
	expectRows(t, db, "SHOW TABLES", "other")
	mustExec(t, db, "DROP DATABASE d")
	expectErr(t, db, "SHOW TABLES FROM d", 1049, dorisMsg("Unknown database 'd'"))
}

func TestSelectRows(t *testing.T) {
	s, db := setupDB(t, Options{})
	mustExec(t, db, "CREATE TABLE u (id INT NOT NULL, name VARCHAR(20), score DECIMAL(5, 1)) UNIQUE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1")
	loadRows(t, s, "d", "u", []string{"10", "j", "1.5"}, []string{"9", "i", "<NULL>"}, []string{"100", "a", "-2.0"})
	expectRows(t, db, "SELECT * FROM u", "9|i|<NULL>\n10|j|1.5\n100|a|-2.0") // numeric key order, not text order
	expectRows(t, db, "SELECT name, id FROM d.u ORDER BY name DESC LIMIT 2", "j|10\ni|9")
	expectRows(t, db, "SELECT * FROM u ORDER BY score", "9|i|<NULL>\n100|a|-2.0\n10|j|1.5")
	expectRows(t, db, "SELECT id FROM u WHERE score IS NULL", "9")
	expectRows(t, db, "SELECT id FROM u WHERE id >= 10 AND name != 'a'", "10")
	expectRows(t, db, "SELECT id FROM u WHERE id IN (9, 100) ORDER BY id DESC", "100\n9")
	expectRows(t, db, "SELECT COUNT(*) AS n FROM u WHERE score > 0", "1")
	expectRows(t, db, "SELECT id AS k FROM u ORDER BY k DESC LIMIT 1, 1", "10")
	expectErr(t, db, "SELECT zz FROM u", 1105, dorisMsg("Unknown column 'zz' in 'table list' in PROJECT clause"))
	expectErr(t, db, "SELECT * FROM u WHERE zz = 1", 1105, dorisMsg("Unknown column 'zz' in 'table list' in FILTER clause"))
	expectErr(t, db, "SELECT * FROM nope", 1105, dorisMsg("Table [nope] does not exist in database [d]."))
	expectErr(t, db, "SELECT * FROM u WHERE id = 1 OR id = 2", 1105, dorisMsg("the Doris stand-in does not support: SELECT * FROM u WHERE id = 1 OR id = 2"))

	mustExec(t, db, "CREATE TABLE dup (k INT, v VARCHAR(5)) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1")
	loadRows(t, s, "d", "dup", []string{"2", "first"}, []string{"1", "x"}, []string{"2", "second"})
	expectRows(t, db, "SELECT * FROM dup", "1|x\n2|first\n2|second") // equal keys keep load order

	mustExec(t, db, "SET show_hidden_columns = true")
	cols, _ := queryStrings(t, db, "SELECT * FROM u")
	if strings.Join(cols, ",") != "id,name,score,__DORIS_DELETE_SIGN__" {
		t.Fatalf("hidden columns: %v", cols)
	}
}

func TestInformationSchema(t *testing.T) {
	s, db := setupDB(t, Options{})
	mustExec(t, db, `CREATE TABLE u (id BIGINT NOT NULL COMMENT 'pk', name VARCHAR(20) DEFAULT 'x', amount DECIMAL(10, 2), ts DATETIME(6), b BOOLEAN)
		UNIQUE KEY(id) COMMENT 'users' DISTRIBUTED BY HASH(id) BUCKETS 1`)
	mustExec(t, db, "CREATE TABLE v (k INT)")
	loadRows(t, s, "d", "u", []string{"1", "a", "1.00", "<NULL>", "1"})
	expectRows(t, db, "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, TABLE_ROWS, TABLE_COMMENT FROM information_schema.tables WHERE table_schema = 'd'",
		"d|u|BASE TABLE|1|users\nd|v|BASE TABLE|0|")
	expectRows(t, db, "SELECT table_name FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'v'", "v")
	q := `SELECT COLUMN_NAME, ORDINAL_POSITION, COLUMN_DEFAULT, IS_NULLABLE, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH,
		NUMERIC_PRECISION, NUMERIC_SCALE, DATETIME_PRECISION, COLUMN_TYPE, COLUMN_KEY, COLUMN_COMMENT
		FROM information_schema.columns WHERE table_schema = 'd' AND table_name = 'u' ORDER BY ORDINAL_POSITION`
	cols, rows := queryStrings(t, db, q)
	if len(cols) != 12 || cols[0] != "COLUMN_NAME" || cols[11] != "COLUMN_COMMENT" {
		t.Fatalf("columns %v", cols)
	}
	want := "id|1|<NULL>|NO|bigint|<NULL>|19|0|<NULL>|bigint|UNI|pk\n" +
		"name|2|x|YES|varchar|20|<NULL>|<NULL>|<NULL>|varchar(20)||\n" +
		"amount|3|<NULL>|YES|decimal|<NULL>|10|2|<NULL>|decimal(10,2)||\n" +
		"ts|4|<NULL>|YES|datetime|<NULL>|<NULL>|<NULL>|6|datetime(6)||\n" +
		"b|5|<NULL>|YES|tinyint|<NULL>|1|0|<NULL>|tinyint(1)||"
	if got := rowsText(rows); got != want {
		t.Fatalf("columns:\n%s\nwant:\n%s", got, want)
	}
	expectRows(t, db, "SELECT column_name FROM information_schema.columns WHERE table_schema = 'd' AND table_name IN ('v') ", "k")
	expectRows(t, db, "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = 'd'", "6")
	mustExec(t, db, "USE information_schema")
	expectRows(t, db, "SELECT TABLE_NAME FROM tables WHERE TABLE_SCHEMA = 'd' ORDER BY TABLE_NAME DESC", "v\nu")
	expectErr(t, db, "SELECT * FROM information_schema.routines", 1105, dorisMsg("the Doris stand-in does not support: information_schema.routines"))
}
