package doris

import (
	"database/sql"
	"reflect"
	"strings"
	"testing"
)

func setupDB(t *testing.T, opts Options) (*Server, *sql.DB) {
	t.Helper()
	s, db := startMySQL(t, opts)
	mustExec(t, db, "CREATE DATABASE d")
	mustExec(t, db, "USE d")
	return s, db
}

// tableOf returns a copy of the stored table definition.
func tableOf(t *testing.T, s *Server, db, name string) Table {
	t.Helper()
	s.Catalog.Mu.Lock()
	defer s.Catalog.Mu.Unlock()
	tb := s.Catalog.Table(db, name)
	if tb == nil {
		t.Fatalf("table %s.%s missing", db, name)
	}
	return Table{DB: tb.DB, Name: tb.Name, Columns: append([]Column{}, tb.Columns...), Keys: tb.Keys,
		KeyCount: tb.KeyCount, DistCols: tb.DistCols, DistRandom: tb.DistRandom, Buckets: tb.Buckets,
		Comment: tb.Comment, PartitionSQL: tb.PartitionSQL, Properties: tb.Properties, MergeOnWrite: tb.MergeOnWrite,
		LightSchema: tb.LightSchema, SequenceCol: tb.SequenceCol, SequenceType: tb.SequenceType,
		AlterJobs: append([]AlterJob{}, tb.AlterJobs...)}
}

func TestCreateDatabaseRules(t *testing.T) {
	_, db := startMySQL(t, Options{})
	mustExec(t, db, "CREATE DATABASE d")
	expectErr(t, db, "CREATE DATABASE d", 1105, dorisMsg("Can't create database 'd'; database exists"))
	mustExec(t, db, "CREATE DATABASE IF NOT EXISTS d")
	expectErr(t, db, "CREATE DATABASE `1bad`", 1105, dorisMsg("Incorrect database name '1bad'"))
	expectErr(t, db, "DROP DATABASE nope", 1105, dorisMsg("Can't drop database 'nope'; database doesn't exist"))
	mustExec(t, db, "DROP DATABASE IF EXISTS nope")
	mustExec(t, db, "CREATE SCHEMA e PROPERTIES (\"replication_allocation\" = \"tag.location.default: 1\")")
	expectRows(t, db, "SHOW DATABASES", "d\ne\ninformation_schema\nmysql")
	expectRows(t, db, "SELECT SCHEMA_NAME FROM INFORMATION_SCHEMA.SCHEMATA WHERE SCHEMA_NAME = 'e'", "e")
	mustExec(t, db, "DROP DATABASE e")
	expectRows(t, db, "SELECT SCHEMA_NAME FROM information_schema.schemata WHERE SCHEMA_NAME = 'e'", "")
}

func TestCreateTableValidation(t *testing.T) {
	_, db := setupDB(t, Options{})
	const dist = " DISTRIBUTED BY HASH(a) BUCKETS 1"
	cases := []struct {
		ddl    string
		number uint16
		msg    string
	}{
		{"CREATE TABLE `we``ird` (a INT) DUPLICATE KEY(a)" + dist, 1105,
			"Incorrect table name 'we`ird'. Table name regex is '^[a-zA-Z][a-zA-Z0-9-_]*$'"},
		{"CREATE TABLE `1abc` (a INT)" + dist, 1105, "Incorrect table name '1abc'. Table name regex is '^[a-zA-Z][a-zA-Z0-9-_]*$'"},
		{"CREATE TABLE " + strings.Repeat("a", 65) + " (a INT)" + dist, 1105,
			"Table name length exceeds limit, the length of table name '" + strings.Repeat("a", 65) + "' is 65 which is greater than the configuration 'table_name_length_limit' (64)."},
		{"CREATE TABLE select (a INT)" + dist, 1105, "\nmismatched input 'select' expecting an identifier(line 1, pos 13)"},
		{"CREATE TABLE t (`a!b` INT, a INT)" + dist, 1166,
			`Incorrect column name 'a!b'. Column regex is '^[_a-zA-Z@0-9\s/][.a-zA-Z0-9_+-/?@#$%^&*"\s,:]{0,255}$'`},
		{"CREATE TABLE t (a INT, mv_b INT)" + dist, 1105, "Incorrect column name mv_b, column name can't start with 'mv_'/'mva_'"},
		{"CREATE TABLE t (a INT, __DORIS_X INT)" + dist, 1105, "Disable to create table column with name start with __DORIS_: __DORIS_X"},
		{"CREATE TABLE t (a INT, b INT, A BIGINT)" + dist, 1060, "Duplicate column name 'A'"},
		{"CREATE TABLE t (a INT, b INT) DUPLICATE KEY(b)" + dist, 1105,
			"Key columns should be a ordered prefix of the schema. KeyColumns[0] (starts from zero) is b, but corresponding column is a in the previous columns declaration."},
		{"CREATE TABLE t (a INT, b INT) UNIQUE KEY(a, z)" + dist, 1105, "Key column[z] doesn't exist."},
		{"CREATE TABLE t (a INT, b INT) DUPLICATE KEY(a, b, a)" + dist, 1105, "The number of key columns should be less than the number of columns."},
		{"CREATE TABLE t (f FLOAT, a INT) DUPLICATE KEY(f) DISTRIBUTED BY HASH(a) BUCKETS 1", 1105, "Float or double can not used as a key, use decimal instead."},
		{"CREATE TABLE t (s STRING, a INT) DUPLICATE KEY(s)" + dist, 1105, "String Type should not be used in key column[s]."},
		{"CREATE TABLE t (j JSON, a INT) DUPLICATE KEY(j)" + dist, 1105, "JsonType type should not be used in key column[j]."},
		{"CREATE TABLE t (v ARRAY<INT>, a INT) DUPLICATE KEY(v)" + dist, 1105, "Array can only be used in the non-key column of the duplicate table at present."},
		{"CREATE TABLE t (a INT, b INT) UNIQUE KEY(a) DISTRIBUTED BY RANDOM BUCKETS 2", 1105, "Create unique keys table should not contain random distribution desc"},
		{"CREATE TABLE t (a INT, b INT) UNIQUE KEY(a)", 1105, "Create unique keys table should not contain random distribution desc"},
		{"CREATE TABLE t (a INT, b INT) UNIQUE KEY(a) DISTRIBUTED BY HASH(b) BUCKETS 1", 1105, "Distribution column[b] is not key column"},
		{"CREATE TABLE t (a INT, b INT) AGGREGATE KEY(a) DISTRIBUTED BY HASH(a) BUCKETS 1", 1105, "AGG_KEYS table should specify aggregate type for non-key column[b]"},
		{"CREATE TABLE t (a INT, b INT SUM) DUPLICATE KEY(a)" + dist, 1105, "DUP_KEYS table should not specify aggregate type for non-key column[b]"},
		{"CREATE TABLE t (a INT, b INT) DISTRIBUTED BY HASH(z) BUCKETS 1", 1105, "column z is not found in distribution desc"},
		{"CREATE TABLE t (a INT, b INT) DUPLICATE KEY(a) DISTRIBUTED BY HASH(a) BUCKETS 0", 1105, "Number of hash distribution should be greater than zero."},
		{"CREATE TABLE t (a INT, b VARCHAR(65534))" + dist, 1105, "Varchar size must between 1 and 65533. Size was set to: 65534."},
		{"CREATE TABLE t (a INT, b CHAR(256))" + dist, 1105, "Char size must between 1 and 255. Size was set to: 256."},
		{"CREATE TABLE t (a INT, b DECIMAL(39, 2))" + dist, 1105, "Precision of decimal must between 1 and 38. Precision was set to: 39."},
		{"CREATE TABLE t (a INT, b TIME)" + dist, 1105, "Time type is not supported for olap table"},
		{"CREATE TABLE t (a INT, b INT NOT NULL DEFAULT NULL)" + dist, 1105, "Can not set null default value to non nullable column: b"},
		{"CREATE TABLE t (a INT, b INT DEFAULT 'abc')" + dist, 1105, "Invalid number format: abc"},
		{"CREATE TABLE t (a INT, b INT DEFAULT 1.5)" + dist, 1105, "Invalid number format: 1.5"},
		{"CREATE TABLE t (a INT, b TINYINT DEFAULT 200)" + dist, 1105, "Number out of range[200]. type: TINYINT"},
		{"CREATE TABLE t (a INT, b DATE DEFAULT 5)" + dist, 1105, "date literal [5] is invalid"},
		{"CREATE TABLE t (a INT, b VARCHAR(3) DEFAULT 'abcd')" + dist, 1105, "Default value is too long: abcd"},
		{"CREATE TABLE t (a INT, b DATE DEFAULT CURRENT_TIMESTAMP)" + dist, 1105, "Types other than DATETIME and DATETIMEV2 cannot use current_timestamp as the default value"},
		{"CREATE TABLE t (a INT, b JSON DEFAULT '{}')" + dist, 1105, "Json or Variant type column default value just support null"},
		{"CREATE TABLE t (a INT, b BOOLEAN DEFAULT 'yes')" + dist, 1105, "Invalid BOOLEAN literal: yes"},
		{"CREATE TABLE t (a INT, b DECIMAL(5,2) DEFAULT '1234.5')" + dist, 1105, "Invalid precision and scale - expect (5, 2), but (5, 1)"},
		{"CREATE TABLE t (f DOUBLE, a INT)" + dist, 1105, "The olap table first column could not be float, double, string or array, struct, map, please use decimal or varchar instead."},
		{"CREATE TABLE t (a INT, b INT) DUPLICATE KEY(a)" + dist + ` PROPERTIES ("enable_unique_key_merge_on_write" = "true")`, 1105,
			"enable_unique_key_merge_on_write property only support unique key table"},
		{"CREATE TABLE t (a INT, b INT) UNIQUE KEY(a)" + dist + ` PROPERTIES ("enable_unique_key_merge_on_write" = "yes")`, 1105,
			"enable_unique_key_merge_on_write must be `true` or `false`"},
		{"CREATE TABLE t (a INT, b INT) UNIQUE KEY(a)" + dist + ` PROPERTIES ("replication_num" = "3")`, 1105,
			"replication num should be less than the number of available backends. replication num is 3, available backend num is 1"},
		{"CREATE TABLE t (a INT, b INT) UNIQUE KEY(a)" + dist + ` PROPERTIES ("replication_allocation" = "tag.location.default: 2")`, 1105,
			"replication num should be less than the number of available backends. replication num is 2, available backend num is 1"},
		{"CREATE TABLE t (a INT, b INT) DUPLICATE KEY(a)" + dist + ` PROPERTIES ("function_column.sequence_col" = "b")`, 1105,
			"sequence column only support UNIQUE_KEYS"},
		{"CREATE TABLE t (a INT, b INT) UNIQUE KEY(a)" + dist + ` PROPERTIES ("function_column.sequence_col" = "zz")`, 1105,
			"The specified sequence column[zz] not exists"},
		{"CREATE TABLE t (a INT, b VARCHAR(3)) UNIQUE KEY(a)" + dist + ` PROPERTIES ("function_column.sequence_col" = "b")`, 1105,
			"Sequence type only support integer types and date types"},
		{"CREATE TABLE t (a INT, b INT) UNIQUE KEY(a)" + dist + ` PROPERTIES ("function_column.sequence_type" = "double")`, 1105,
			"sequence type only support integer types and date types"},
		{"CREATE TABLE t (a INT, b INT) UNIQUE KEY(a)" + dist + ` PROPERTIES ("function_column.sequence_col" = "b", "function_column.sequence_type" = "date")`, 1105,
			"The sequence_col and sequence_type cannot be set at the same time"},
		{"CREATE TABLE t (a INT, b INT) UNIQUE KEY(a)" + dist + ` PROPERTIES ("light_schema_change" = "maybe")`, 1105,
			"light_schema_change must be `true` or `false`"},
		{"CREATE TABLE t (a INT, b INT) DUPLICATE KEY(a)" + dist + ` PROPERTIES ("aa" = "bb")`, 1105, "Unknown properties: {aa=bb}"},
		{"CREATE TABLE t (a INT, b INT) ENGINE=mysql", 1105, "Do not support table with engine name = mysql"},
		{"CREATE TABLE t (a BIGINT, b INT AUTO_INCREMENT)" + dist, 1105, "the auto increment must be BIGINT type."},
		{"CREATE TABLE t (a BIGINT, b BIGINT NULL AUTO_INCREMENT)" + dist, 1105, "the auto increment column should be NOT NULL."},
		{"CREATE TABLE t (a BIGINT, b BIGINT AUTO_INCREMENT DEFAULT '1')" + dist, 1105, "the auto increment column can't have default value."},
		{"CREATE TABLE t (a INT, b INT, INDEX i (zz) USING INVERTED)" + dist, 1105, "Column does not exist in table. invalid column: zz"},
		{"CREATE TABLE nodb.t (a INT)" + dist, 1049, "Unknown database 'nodb'"},
	}
	for _, c := range cases {
		expectErr(t, db, c.ddl, c.number, dorisMsg(c.msg))
	}
	expectRows(t, db, "SHOW TABLES", "")
}

func TestCreateTableNoDatabaseSelected(t *testing.T) {
	_, db := startMySQL(t, Options{})
	expectErr(t, db, "CREATE TABLE t (a INT)", 1046, dorisMsg("No database selected"))
}

func TestCreateTableDecimal256Session(t *testing.T) {
	_, db := setupDB(t, Options{})
	expectErr(t, db, "CREATE TABLE t (a INT, b DECIMAL(76, 2))", 1105, dorisMsg("Precision of decimal must between 1 and 38. Precision was set to: 76."))
	mustExec(t, db, "SET enable_decimal256 = true")
	mustExec(t, db, "CREATE TABLE t (a INT, b DECIMAL(76, 2))")
	expectErr(t, db, "CREATE TABLE t2 (a INT, b DECIMAL(77, 2))", 1105, dorisMsg("Precision of decimal must between 1 and 76. Precision was set to: 77."))
}

func TestCreateTableStored(t *testing.T) {
	s, db := setupDB(t, Options{})
	mustExec(t, db, `CREATE TABLE orders (
		id BIGINT NOT NULL COMMENT 'order id',
		dt DATE NOT NULL,
		seq BIGINT,
		note VARCHAR(20) DEFAULT 'n/a'
	) UNIQUE KEY(id, dt) COMMENT 'all orders'
	AUTO PARTITION BY RANGE (date_trunc(`+"`dt`"+`, 'month')) ()
	DISTRIBUTED BY HASH(id) BUCKETS AUTO
	PROPERTIES ("replication_num" = "1", "function_column.sequence_col" = "SEQ", "compression" = "zstd")`)
	tb := tableOf(t, s, "d", "orders")
	if tb.Keys != UniqueKeys || tb.KeyCount != 2 || !tb.MergeOnWrite || !tb.LightSchema || tb.Buckets != 0 ||
		tb.DistRandom || !reflect.DeepEqual(tb.DistCols, []string{"id"}) || tb.Comment != "all orders" ||
		tb.SequenceCol != "seq" || tb.SequenceType != nil ||
		tb.PartitionSQL != "AUTO PARTITION BY RANGE (date_trunc(`dt`, 'month')) ()" {
		t.Fatalf("stored %+v", tb)
	}
	wantProps := [][2]string{{"replication_num", "1"}, {"function_column.sequence_col", "SEQ"}, {"compression", "zstd"}}
	if !reflect.DeepEqual(tb.Properties, wantProps) {
		t.Fatalf("properties %v", tb.Properties)
	}
	if c := tb.Columns[0]; !c.IsKey || c.Nullable || c.Comment != "order id" || c.Type.Kind != KindBigInt {
		t.Fatalf("column id %+v", c)
	}
	if c := tb.Columns[3]; c.IsKey || !c.Nullable || !c.HasDefault || c.Default != "n/a" || c.DefaultExpr {
		t.Fatalf("column note %+v", c)
	}
	if len(tb.Columns) != 4 {
		t.Fatalf("hidden columns must not be stored: %+v", tb.Columns)
	}

	mustExec(t, db, "CREATE TABLE mor (k INT, v INT) UNIQUE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 3 "+
		`PROPERTIES ("enable_unique_key_merge_on_write" = "false", "light_schema_change" = "false", "function_column.sequence_type" = "bigint")`)
	mor := tableOf(t, s, "d", "mor")
	if mor.MergeOnWrite || mor.LightSchema || mor.Buckets != 3 || mor.SequenceType == nil || mor.SequenceType.Kind != KindBigInt {
		t.Fatalf("stored %+v", mor)
	}

	// no KEY clause: DUPLICATE with up to 3 leading columns within 36 bytes, stopping after a VARCHAR
	for ddl, keys := range map[string]int{
		"CREATE TABLE k1 (id BIGINT, name VARCHAR(20), v INT)":            2,
		"CREATE TABLE k2 (a INT, b INT, c INT, e INT)":                    3,
		"CREATE TABLE k3 (a BIGINT, b BIGINT, c BIGINT, e BIGINT, f INT)": 3,
		"CREATE TABLE k4 (a INT, f DOUBLE, c INT)":                        1,
		"CREATE TABLE k5 (c CHAR(40), a INT)":                             1,
		"CREATE TABLE k6 (a DECIMAL(38, 0), b DECIMAL(38, 0), c BIGINT)":  2,
		"CREATE TABLE k7 (a INT, b STRING)":                               1,
	} {
		mustExec(t, db, ddl)
		name := strings.Fields(ddl)[2]
		if tb := tableOf(t, s, "d", name); tb.Keys != DupKeys || tb.KeyCount != keys || !tb.DistRandom || tb.Buckets != 0 {
			t.Errorf("%s: keys %v/%d random %v buckets %d", ddl, tb.Keys, tb.KeyCount, tb.DistRandom, tb.Buckets)
		}
	}
	mustExec(t, db, "CREATE TABLE agg (k INT, s BIGINT SUM, r VARCHAR(5) REPLACE) DISTRIBUTED BY HASH(k) BUCKETS 1")
	if agg := tableOf(t, s, "d", "agg"); agg.Keys != AggKeys || agg.KeyCount != 1 || agg.Columns[1].AggType != "SUM" {
		t.Fatalf("aggregate table %+v", agg)
	}
	mustExec(t, db, "CREATE TABLE nokeys (f DOUBLE, g INT) PROPERTIES (\"enable_duplicate_without_keys_by_default\" = \"true\")")
	if nk := tableOf(t, s, "d", "nokeys"); nk.KeyCount != 0 {
		t.Fatalf("duplicate without keys %+v", nk)
	}
}

func TestCreateTableExists(t *testing.T) {
	s, db := setupDB(t, Options{})
	mustExec(t, db, "CREATE TABLE `select` (a INT, b INT) DUPLICATE KEY(a) DISTRIBUTED BY HASH(a) BUCKETS 1")
	expectErr(t, db, "CREATE TABLE `select` (a INT) DUPLICATE KEY(a) DISTRIBUTED BY HASH(a) BUCKETS 1", 1105, dorisMsg("Table 'select' already exists"))
	mustExec(t, db, "CREATE TABLE IF NOT EXISTS d.`select` (z BIGINT) DUPLICATE KEY(z) DISTRIBUTED BY HASH(z) BUCKETS 1")
	if tb := tableOf(t, s, "d", "select"); len(tb.Columns) != 2 || tb.Columns[0].Name != "a" {
		t.Fatalf("IF NOT EXISTS changed the table: %+v", tb.Columns)
	}
	expectRows(t, db, "SHOW TABLES", "select")
	// table names are case-sensitive
	mustExec(t, db, "CREATE TABLE `SELECT` (a INT)")
	expectRows(t, db, "SHOW TABLES", "SELECT\nselect")
}

const showCreateUnique = "CREATE TABLE `orders` (\n" +
	"  `id` bigint NOT NULL COMMENT \"order \\\"id\\\"\",\n" +
	"  `dt` date NOT NULL,\n" +
	"  `amount` decimal(10,2) NULL DEFAULT \"0\",\n" +
	"  `note` varchar(200) NULL,\n" +
	"  `created` datetime(3) NULL DEFAULT CURRENT_TIMESTAMP(3)\n" +
	") ENGINE=OLAP\n" +
	"UNIQUE KEY(`id`, `dt`)\n" +
	"COMMENT 'all orders'\n" +
	"DISTRIBUTED BY HASH(`id`) BUCKETS 10\n" +
	"PROPERTIES (\n" +
	"\"replication_allocation\" = \"tag.location.default: 1\",\n" +
	"\"min_load_replica_num\" = \"-1\",\n" +
	"\"is_being_synced\" = \"false\",\n" +
	"\"storage_medium\" = \"hdd\",\n" +
	"\"storage_format\" = \"V2\",\n" +
	"\"inverted_index_storage_format\" = \"V2\",\n" +
	"\"enable_unique_key_merge_on_write\" = \"true\",\n" +
	"\"light_schema_change\" = \"true\",\n" +
	"\"function_column.sequence_col\" = \"created\",\n" +
	"\"disable_auto_compaction\" = \"false\",\n" +
	"\"enable_single_replica_compaction\" = \"false\",\n" +
	"\"group_commit_interval_ms\" = \"10000\",\n" +
	"\"group_commit_data_bytes\" = \"134217728\"\n" +
	");"

const showCreateDuplicate = "CREATE TABLE `logs` (\n" +
	"  `ts` datetime NOT NULL,\n" +
	"  `host` varchar(64) NULL,\n" +
	"  `msg` text NULL,\n" +
	"  INDEX idx_msg (msg) USING INVERTED\n" +
	") ENGINE=OLAP\n" +
	"DUPLICATE KEY(`ts`, `host`)\n" +
	"PARTITION BY RANGE(ts) ()\n" +
	"DISTRIBUTED BY RANDOM BUCKETS AUTO\n" +
	"PROPERTIES (\n" +
	"\"replication_allocation\" = \"tag.location.default: 1\",\n" +
	"\"min_load_replica_num\" = \"-1\",\n" +
	"\"is_being_synced\" = \"false\",\n" +
	"\"storage_medium\" = \"hdd\",\n" +
	"\"storage_format\" = \"V2\",\n" +
	"\"inverted_index_storage_format\" = \"V2\",\n" +
	"\"light_schema_change\" = \"true\",\n" +
	"\"disable_auto_compaction\" = \"false\",\n" +
	"\"enable_single_replica_compaction\" = \"false\",\n" +
	"\"group_commit_interval_ms\" = \"10000\",\n" +
	"\"group_commit_data_bytes\" = \"134217728\",\n" +
	"\"compression\" = \"zstd\"\n" +
	");"

func TestShowCreateTableRoundTrip(t *testing.T) {
	_, db := setupDB(t, Options{})
	mustExec(t, db, `CREATE TABLE orders (
		id BIGINT NOT NULL COMMENT 'order "id"',
		dt DATE NOT NULL,
		amount DECIMAL(10, 2) NULL DEFAULT "0",
		note VARCHAR(200),
		created DATETIME(3) DEFAULT CURRENT_TIMESTAMP(3)
	) UNIQUE KEY(id, dt)
	COMMENT 'all orders'
	DISTRIBUTED BY HASH(id) BUCKETS 10
	PROPERTIES ("replication_num" = "1", "function_column.sequence_col" = "created")`)
	mustExec(t, db, `CREATE TABLE logs (ts DATETIME NOT NULL, host VARCHAR(64), msg STRING, INDEX idx_msg (msg) USING INVERTED)
	PARTITION BY RANGE(ts) () DISTRIBUTED BY RANDOM BUCKETS AUTO
	PROPERTIES ("replication_allocation" = "tag.location.default: 1", "compression" = "zstd")`)
	for name, want := range map[string]string{"orders": showCreateUnique, "logs": showCreateDuplicate} {
		cols, rows := queryStrings(t, db, "SHOW CREATE TABLE "+name)
		if strings.Join(cols, ",") != "Table,Create Table" || len(rows) != 1 || rows[0][0] != name {
			t.Fatalf("SHOW CREATE TABLE %s: %v %v", name, cols, rows)
		}
		if rows[0][1] != want {
			t.Fatalf("SHOW CREATE TABLE %s:\n%s\nwant:\n%s", name, rows[0][1], want)
		}
		// the printed DDL creates an identical table
		copyName := name + "_copy"
		mustExec(t, db, strings.Replace(want, "`"+name+"`", "`"+copyName+"`", 1))
		_, again := queryStrings(t, db, "SHOW CREATE TABLE "+copyName)
		if again[0][1] != strings.Replace(want, "`"+name+"`", "`"+copyName+"`", 1) {
			t.Fatalf("round trip of %s differs:\n%s", name, again[0][1])
		}
	}
	expectErr(t, db, "SHOW CREATE TABLE nope", 1051, dorisMsg("Unknown table 'nope'"))
}
