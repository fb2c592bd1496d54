package ddl

// Test vectors of the tool we replace (reference/anchor-flink-cdctools.md §1.5, §2, §3.3,
// §4). Where we differ on purpose, the comment on the case says why.

import (
	"testing"

	"github.com/doris-sync/doris-sync/schema"
)

func TestAnchorTypeVectors(t *testing.T) {
	cases := []struct {
		src  Source
		in   string
		want string
		why  string // non-empty: we differ from the anchor on purpose
	}{
		// §4.1 MySQL (sql_parser and Debezium vectors).
		{SourceMySQL, "bigint(20) unsigned", "LARGEINT", ""},
		{SourceMySQL, "BIGINT UNSIGNED ZEROFILL", "LARGEINT", ""},
		{SourceMySQL, "decimal(38,9)", "DECIMAL(38,9)", "DECIMAL is DECIMALV3 on Doris ≥ 2.0; same type"},
		{SourceMySQL, "decimal(9,3)", "DECIMAL(9,3)", "DECIMAL is DECIMALV3 on Doris ≥ 2.0; same type"},
		{SourceMySQL, "datetime(3)", "DATETIME(3)", "DATETIME is DATETIMEV2 on Doris ≥ 2.0; same type"},
		{SourceMySQL, "datetime(6)", "DATETIME(6)", "DATETIME is DATETIMEV2 on Doris ≥ 2.0; same type"},
		{SourceMySQL, "datetime", "DATETIME", "anchor DATETIMEV2(0): same type"},
		{SourceMySQL, "datetime(1)", "DATETIME(1)", ""},
		{SourceMySQL, "timestamp", "DATETIME", "anchor DATETIMEV2(0): same type"},
		// Anchor: VARCHAR(n×3). utf8mb4 (MySQL 8's default) needs 4 bytes per character,
		// so ×3 rejected emoji rows (issue #159); with an explicit utf8mb3 charset we match.
		{SourceMySQL, "varchar(100)", "VARCHAR(400)", "utf8mb4 needs ×4 (issue #159)"},
		{SourceMySQL, "varchar(50)", "VARCHAR(200)", "utf8mb4 needs ×4 (issue #159)"},
		{SourceMySQL, "varchar(255)", "VARCHAR(1020)", "utf8mb4 needs ×4 (issue #159)"},
		{SourceMySQL, "varchar(100) character set utf8mb3", "VARCHAR(300)", ""},
		{SourceMySQL, "varchar(50) character set utf8mb3", "VARCHAR(150)", ""},
		{SourceMySQL, "varchar(255) character set utf8mb3", "VARCHAR(765)", ""},
		{SourceMySQL, "int", "INT", ""},
		{SourceMySQL, "INT", "INT", ""},
		// Anchor BOOLEAN for every BIT width: BIT(n>1) values were lost.
		{SourceMySQL, "bit(8)", "BIGINT", "BIT(n>1) is a number, not a flag"},
		// Anchor YEAR → INT; SMALLINT holds 1901..2155 and 0.
		{SourceMySQL, "year", "SMALLINT", "YEAR fits SMALLINT"},
		// Anchor aborted on GEOMETRY; we keep WKT text.
		{SourceMySQL, "geometry", "STRING", "map rather than abort"},
		// Anchor ENUM/SET → STRING, which cannot be a key.
		{SourceMySQL, "enum('a','bb')", "VARCHAR(2)", "sized from the labels so it can be a key"},
		{SourceMySQL, "json", "JSON", "JSONB is the old name of JSON"},
		{SourceMySQL, "time", "STRING", ""},
		{SourceMySQL, "longblob", "STRING", ""},
		// §4.2 PostgreSQL.
		{SourcePostgres, "regclass", "STRING", ""},
		{SourcePostgres, "REGCLASS", "STRING", ""},
		{SourcePostgres, "varchar(128)", "VARCHAR(512)", "UTF8 needs ×4 (anchor ×3 → VARCHAR(384))"},
		{SourcePostgres, "numeric", "STRING", ""},
		{SourcePostgres, "numeric(10,2)", "DECIMAL(10,2)", ""},
		{SourcePostgres, "_int4", "STRING", ""},
		{SourcePostgres, "money", "DECIMAL(19,2)", "anchor aborted on money"},
		{SourcePostgres, "uuid", "VARCHAR(36)", "anchor STRING, which cannot be a key"},
		{SourcePostgres, "bit(1)", "BOOLEAN", ""},
		{SourcePostgres, "bit(5)", "VARCHAR(5)", "anchor STRING; the bit text is 1 byte per bit"},
		// §4.3 SQL Server.
		{SourceSQLServer, "varchar(128)", "VARCHAR(384)", ""},
		{SourceSQLServer, "money", "DECIMAL(19,4)", ""},
		{SourceSQLServer, "smallmoney", "DECIMAL(10,4)", ""},
		{SourceSQLServer, "varchar(max)", "STRING", ""},
		{SourceSQLServer, "nvarchar(max)", "STRING", "anchor overflowed to VARCHAR(-1073741827)"},
		{SourceSQLServer, "tinyint", "SMALLINT", "SQL Server tinyint is 0..255; anchor TINYINT overflowed"},
		{SourceSQLServer, "image", "STRING", "anchor aborted on image"},
		{SourceSQLServer, "datetime", "DATETIME(3)", "anchor DATETIMEV2(0) dropped the milliseconds"},
		// §4.4 Oracle.
		{SourceOracle, "NUMBER(10)", "BIGINT", ""},
		{SourceOracle, "NUMBER(8, 2)", "DECIMAL(8,2)", ""},
		{SourceOracle, "NUMBER(2, 2)", "DECIMAL(2,2)", ""},
		{SourceOracle, "NUMBER(10,0)", "BIGINT", ""},
		{SourceOracle, "VARCHAR2(50)", "VARCHAR(150)", ""},
		{SourceOracle, "VARCHAR2(100)", "VARCHAR(300)", ""},
		{SourceOracle, "VARCHAR2(20)", "VARCHAR(60)", ""},
		{SourceOracle, "VARCHAR2(10)", "VARCHAR(30)", ""},
		{SourceOracle, "VARCHAR2(255)", "VARCHAR(765)", ""},
		{SourceOracle, "VARCHAR2(128)", "VARCHAR(384)", ""},
		{SourceOracle, "FLOAT", "DOUBLE", ""},
		{SourceOracle, "DATE", "DATETIME", ""},
		{SourceOracle, "TIMESTAMP", "DATETIME(6)", "anchor failed on a TIMESTAMP without scale; Oracle's default is 6"},
		{SourceOracle, "BINARY_DOUBLE", "DOUBLE", "anchor aborted on BINARY_DOUBLE"},
		{SourceOracle, "ROWID", "VARCHAR(18)", "anchor aborted on ROWID"},
		// §4.5 DB2 (Db2TypeTest).
		{SourceDB2, "BOOLEAN(1)", "BOOLEAN", ""},
		{SourceDB2, "SMALLINT", "SMALLINT", ""},
		{SourceDB2, "INTEGER", "INT", ""},
		{SourceDB2, "BIGINT", "BIGINT", ""},
		{SourceDB2, "REAL", "FLOAT", ""},
		{SourceDB2, "DOUBLE", "DOUBLE", ""},
		{SourceDB2, "DECFLOAT(34)", "STRING", "anchor DECIMALV3(34,0) cut every fraction off a floating decimal"},
		{SourceDB2, "DECIMAL(31,0)", "DECIMAL(31,0)", ""},
		{SourceDB2, "DECIMAL(31,31)", "DECIMAL(31,31)", ""},
		{SourceDB2, "NUMERIC(31,0)", "DECIMAL(31,0)", ""},
		{SourceDB2, "NUMERIC(31,31)", "DECIMAL(31,31)", ""},
		{SourceDB2, "VARCHAR(200)", "VARCHAR(600)", ""},
		{SourceDB2, "VARCHAR(32672)", "STRING", ""},
		{SourceDB2, "CHAR(1)", "CHAR(3)", "CHAR stays CHAR up to 255 bytes (anchor VARCHAR(3))"},
		{SourceDB2, "CHAR(255)", "VARCHAR(765)", ""},
		{SourceDB2, "DATE", "DATE", ""},
		{SourceDB2, "TIME", "STRING", ""},
		// §4.6 MongoDB.
		{SourceMongoDB, "objectId", "VARCHAR(36)", ""},
		{SourceMongoDB, "string", "STRING", ""},
		{SourceMongoDB, "bool", "BOOLEAN", ""},
		{SourceMongoDB, "int", "INT", ""},
		{SourceMongoDB, "long", "BIGINT", ""},
		{SourceMongoDB, "date", "DATETIME(3)", ""},
		{SourceMongoDB, "timestamp", "DATETIME", ""},
		{SourceMongoDB, "decimal(10,5)", "DECIMAL(10,5)", ""},
		{SourceMongoDB, "double", "DOUBLE", "anchor inferred DECIMAL from sampled doubles, which rounds other values"},
		{SourceMongoDB, "array", "JSON", "anchor ARRAY<STRING> flattened nested values to text"},
		{SourceMongoDB, "object", "JSON", "anchor STRING; JSON keeps the document queryable"},
	}
	for _, c := range cases {
		got := MapType(c.src, parse(t, c.in), MapOptions{}).Type.String()
		if got != c.want {
			t.Errorf("%s %q: got %s, want %s (%s)", c.src, c.in, got, c.want, c.why)
		}
	}
	// Db2TypeTest passes JDBC (size, scale) for timestamps: TIMESTAMP(26,0) means no
	// fractional digits, TIMESTAMP(26,6) six, TIMESTAMP(26,9) nine. Our model carries the
	// fractional digits directly, as the DB2 source reads them from the catalog.
	for digits, want := range map[int]string{0: "DATETIME", 6: "DATETIME(6)", 9: "DATETIME(6)"} {
		st := schema.SourceType{Name: "timestamp", Precision: digits, HasPrecision: true}
		if got := MapType(SourceDB2, st, MapOptions{}).Type.String(); got != want {
			t.Errorf("DB2 TIMESTAMP with %d digits: got %s want %s", digits, got, want)
		}
	}
}

func TestAnchorBucketVectors(t *testing.T) {
	conf := mustConf(t, Property{"table-buckets", "tbl1:10,tbl2:20,a11.*:30,a1.*:40,b.*:50,b1.*:60,.*:70"})
	for table, want := range map[string]int{
		"tbl1": 10, "tbl2": 20, "tbl3": 70, "a11": 30, "a111": 30, "a12": 40, "a13": 40,
		"b1": 50, "b11": 50, "b2": 50, "c1": 70, "d1": 70,
	} {
		if got := conf.BucketsFor(table); got != want {
			t.Errorf("rules 1, %s: got %d want %d", table, got, want)
		}
	}
	conf = mustConf(t, Property{"table-buckets", ".*:10,a.*:20,tbl:30,b.*:40"})
	for _, table := range []string{"a", "a1", "a2", "a3", "b1"} {
		if got := conf.BucketsFor(table); got != 10 {
			t.Errorf("rules 2 (first regex wins), %s: got %d want 10", table, got)
		}
	}
	// The exact name wins over an earlier regex.
	if got := conf.BucketsFor("tbl"); got != 30 {
		t.Errorf("rules 2, tbl: got %d want 30 (exact name first)", got)
	}
	conf = mustConf(t, Property{"table-buckets", "tbl1:1"})
	if conf.BucketsFor("tbl1") != 1 {
		t.Error("{tbl1:1} tbl1")
	}
	conf = mustConf(t, Property{"table-buckets", "tbl2.*:1"})
	if conf.BucketsFor("tbl2") != 1 || conf.BucketsFor("tbl21") != 1 {
		t.Error("{tbl2.*:1}")
	}
	conf = mustConf(t)
	if conf.BucketsFor("anything") != 0 {
		t.Error("no rules: want BUCKETS AUTO (0)")
	}
	conf = mustConf(t, Property{"table-buckets", "tbl1:10,tbl2 : 20, a.* :30,b.*:40,.*:50"})
	var keys []string
	for _, r := range conf.Buckets {
		keys = append(keys, r.Pattern)
	}
	if got := join(keys); got != "tbl1,tbl2,a.*,b.*,.*" {
		t.Errorf("parsed keys: %s", got)
	}
	conf = mustConf(t, Property{"table-partitions", "tbl1:dt_col_d:day,tbl2:dt_col_w:week,tbl3:dt_col_m:month"})
	want := []PartitionRule{{"tbl1", "dt_col_d", "day"}, {"tbl2", "dt_col_w", "week"}, {"tbl3", "dt_col_m", "month"}}
	if len(conf.Partitions) != 3 {
		t.Fatalf("partitions: %+v", conf.Partitions)
	}
	for i := range want {
		if conf.Partitions[i] != want[i] {
			t.Errorf("partition %d: got %+v want %+v", i, conf.Partitions[i], want[i])
		}
	}
}

func TestAnchorNamingVectors(t *testing.T) {
	// E2E: --table-prefix ods_ --table-suffix _incr --including-tables "tbl.*" --excluding-tables "tbl4".
	n := mustNamer(t, NamingRules{TablePrefix: "ods_", TableSuffix: "_incr", IncludingTables: "tbl.*", ExcludingTables: "tbl4"})
	var got []string
	for _, tb := range []string{"tbl1", "tbl2", "tbl3", "tbl4", "tbl5"} {
		if n.Includes(tb) {
			got = append(got, n.TableName(tb))
		}
	}
	if join(got) != "ods_tbl1_incr,ods_tbl2_incr,ods_tbl3_incr,ods_tbl5_incr" {
		t.Errorf("E2E prefix/suffix/include/exclude: %v", got)
	}
	// TestJsonDebeziumSchemaChangeImplV2 converter vectors (Oracle PERSONS).
	if got := mustNamer(t, NamingRules{TablePrefix: "ods_", TableSuffix: "_dt"}).TableName("PERSONS"); got != "ods_PERSONS_dt" {
		t.Errorf("prefix/suffix: %s", got)
	}
	if got := mustNamer(t, NamingRules{TablePrefix: "prefix_", TableSuffix: "_suffix", MultiToOneOrigin: "PER.*", MultiToOneTarget: "PERSONS_RES"}).TableName("PERSONS"); got != "PERSONS_RES" {
		t.Errorf("multi-to-one (no prefix/suffix on targets): %s", got)
	}
	if got := mustNamer(t, NamingRules{TablePrefix: "pre_", TableSuffix: "_suf", MultiToOneOrigin: "NOMATCH.*", MultiToOneTarget: "X"}).TableName("PERSONS"); got != "pre_PERSONS_suf" {
		t.Errorf("non-matching multi-to-one: %s", got)
	}
	// E2E testMySQL2DorisMultiDb2One: --database test_e2e_mysql, tbl2.* → tbl2_merge.
	n = mustNamer(t, NamingRules{Database: "test_e2e_mysql", MultiToOneOrigin: "tbl2.*", MultiToOneTarget: "tbl2_merge"})
	for _, id := range []schema.TableID{{Database: "test_e2e_mysql_db1", Name: "tbl2_1"}, {Database: "test_e2e_mysql_db2", Name: "tbl2_2"}} {
		db, tb, err := n.Target(id)
		if err != nil || db != "test_e2e_mysql" || tb != "tbl2_merge" {
			t.Errorf("%s: %s.%s %v", id, db, tb, err)
		}
	}
	db, tb, err := n.Target(schema.TableID{Database: "test_e2e_mysql_db2", Name: "tbl1"})
	if err != nil || db != "test_e2e_mysql" || tb != "tbl1" {
		t.Errorf("db2.tbl1: %s.%s %v", db, tb, err)
	}
	// testMySQL2DorisMultiDbSync: without --database each source database keeps its name.
	db, _, _ = mustNamer(t, NamingRules{}).Target(schema.TableID{Database: "test_e2e_mysql_db1", Name: "tbl1"})
	if db != "test_e2e_mysql_db1" {
		t.Errorf("no --database: %s", db)
	}
}

// The anchor's DorisSchemaFactoryTest and derived examples (§3.3), in our rendering.
// Differences on purpose: one column per line and explicit NULL/NOT NULL (Doris 1.x
// defaulted columns to NOT NULL); DEFAULTs and NOT NULL carried from the source (the
// anchor dropped them at startup); DECIMAL/DATETIME for DECIMALV3/DATETIMEV2; VARCHAR ×4
// for utf8mb4; empty comments omitted; properties in the order given with
// light_schema_change last when not given.
func TestAnchorCreateTableVectors(t *testing.T) {
	email := &schema.Default{Value: "email@doris.com"}
	hundred := &schema.Default{Value: "100"}
	cols := []schema.Column{
		{Name: "email", TypeText: "varchar(100)", Type: schema.SourceType{Name: "varchar", Length: 100, HasLength: true, Charset: "utf8mb3"}, Nullable: false, Default: email, Comment: "e"},
		{Name: "name", TypeText: "varchar(100)", Type: schema.SourceType{Name: "varchar", Length: 100, HasLength: true, Charset: "utf8mb3"}, Nullable: true, Comment: "Name_test"},
		{Name: "id", TypeText: "int", Type: schema.SourceType{Name: "int"}, Nullable: true, Default: hundred, Comment: "int_test"},
		{Name: "age", TypeText: "int", Type: schema.SourceType{Name: "int"}, Nullable: true},
	}
	tbl := &schema.Table{ID: schema.TableID{Database: "doris", Name: "create_tab"}, Comment: "auto_tab_comment", Columns: cols, PrimaryKey: []string{"email"}}

	tp := mustPlan(t, Options{Source: SourceMySQL}, tbl)
	want := "CREATE TABLE IF NOT EXISTS `doris`.`create_tab` (\n" +
		"  `email` VARCHAR(300) NOT NULL DEFAULT 'email@doris.com' COMMENT 'e',\n" +
		"  `name` VARCHAR(300) NULL COMMENT 'Name_test',\n" +
		"  `id` INT NULL DEFAULT '100' COMMENT 'int_test',\n" +
		"  `age` INT NULL\n" +
		")\n" +
		"UNIQUE KEY(`email`)\n" +
		"COMMENT 'auto_tab_comment'\n" +
		"DISTRIBUTED BY HASH(`email`) BUCKETS AUTO\n" +
		"PROPERTIES (\n" +
		"  'light_schema_change' = 'true'\n" +
		")"
	if got := tp.CreateTableSQL(); got != want {
		t.Errorf("create_tab:\n%s\nwant:\n%s", got, want)
	}

	conf := mustConf(t, Property{"table-buckets", "create_tab:40, create_taba:10, tabs:12"}, Property{"replication_num", "2"})
	tp = mustPlan(t, Options{Source: SourceMySQL, TableConf: conf}, tbl)
	assertContains(t, tp.CreateTableSQL(), "DISTRIBUTED BY HASH(`email`) BUCKETS 40\nPROPERTIES (\n  'replication_num' = '2',\n  'light_schema_change' = 'true'\n)")

	// dup_tab: no primary key → DUPLICATE with an explicit key. The anchor left the key to
	// Doris; Doris's own choice for (name VARCHAR, …) is (name), which we now write out.
	dup := *tbl
	dup.ID.Name = "dup_tab"
	dup.PrimaryKey = nil
	dup.Columns = []schema.Column{cols[1], cols[2], cols[3], cols[0]}
	tp = mustPlan(t, Options{Source: SourceMySQL, TableConf: mustConf(t, Property{"replication_num", "1"})}, &dup)
	assertContains(t, tp.CreateTableSQL(), ")\nDUPLICATE KEY(`name`)\nCOMMENT 'auto_tab_comment'\nDISTRIBUTED BY HASH(`name`) BUCKETS AUTO\nPROPERTIES (\n  'replication_num' = '1',\n  'light_schema_change' = 'true'\n)")

	// DorisSystemTest: a STRING key becomes VARCHAR(65533).
	str := &schema.Table{ID: schema.TableID{Database: "db", Name: "table"}, Columns: []schema.Column{
		{Name: "name", TypeText: "text", Type: schema.SourceType{Name: "text"}, Default: &schema.Default{Value: "zhangsan"}},
	}, PrimaryKey: []string{"name"}}
	tp = mustPlan(t, Options{Source: SourceMySQL, TableConf: mustConf(t, Property{"table-buckets", "table:1"}, Property{"replication_num", "3"})}, str)
	assertContains(t, tp.CreateTableSQL(), "`name` VARCHAR(65533) NOT NULL DEFAULT 'zhangsan'")
	assertContains(t, tp.CreateTableSQL(), "DISTRIBUTED BY HASH(`name`) BUCKETS 1\n")

	// Derived MySQL orders example.
	orders := &schema.Table{ID: schema.TableID{Database: "shop", Name: "orders"}, Comment: "orders", PrimaryKey: []string{"id"}, Columns: []schema.Column{
		{Name: "id", Type: parse(t, "bigint unsigned"), Comment: "order id"},
		{Name: "user_id", Type: parse(t, "int"), Nullable: true},
		{Name: "amount", Type: parse(t, "decimal(10,2)"), Nullable: true},
		{Name: "note", Type: parse(t, "varchar(255) character set utf8mb3"), Nullable: true, Comment: "it's"},
		{Name: "created", Type: parse(t, "datetime(3)"), Nullable: true},
		{Name: "flag", Type: parse(t, "tinyint(1)"), Nullable: true},
	}}
	tp = mustPlan(t, Options{Source: SourceMySQL, Naming: NamingRules{Database: "tgt"}, TableConf: mustConf(t, Property{"replication_num", "1"})}, orders)
	want = "CREATE TABLE IF NOT EXISTS `tgt`.`orders` (\n" +
		"  `id` LARGEINT NOT NULL COMMENT 'order id',\n" +
		"  `user_id` INT NULL,\n" +
		"  `amount` DECIMAL(10,2) NULL,\n" +
		"  `note` VARCHAR(765) NULL COMMENT 'it\\'s',\n" +
		"  `created` DATETIME(3) NULL,\n" +
		"  `flag` BOOLEAN NULL\n" +
		")\n" +
		"UNIQUE KEY(`id`)\n" +
		"COMMENT 'orders'\n" +
		"DISTRIBUTED BY HASH(`id`) BUCKETS AUTO\n" +
		"PROPERTIES (\n" +
		"  'replication_num' = '1',\n" +
		"  'light_schema_change' = 'true'\n" +
		")"
	if got := tp.CreateTableSQL(); got != want {
		t.Errorf("orders:\n%s\nwant:\n%s", got, want)
	}

	// Auto partition, UNIQUE: the partition column joins the key and is NOT NULL. The
	// anchor's rule names the Doris table; so does this one.
	part := &schema.Table{ID: schema.TableID{Database: "src", Name: "create_tbl_part_uniq"}, PrimaryKey: []string{"id"}, Columns: []schema.Column{
		{Name: "id", Type: parse(t, "int")},
		{Name: "name", Type: parse(t, "varchar(255)"), Nullable: true},
		{Name: "age", Type: parse(t, "int"), Nullable: true},
		{Name: "create_dtime", Type: parse(t, "datetime"), Nullable: true},
	}}
	tp = mustPlan(t, Options{Source: SourceMySQL, Naming: NamingRules{Database: "tgt"}, TableConf: mustConf(t, Property{"table-partitions", "create_tbl_part_uniq:create_dtime:month"})}, part)
	want = "CREATE TABLE IF NOT EXISTS `tgt`.`create_tbl_part_uniq` (\n" +
		"  `id` INT NOT NULL,\n" +
		"  `create_dtime` DATETIME NOT NULL,\n" +
		"  `name` VARCHAR(1020) NULL,\n" +
		"  `age` INT NULL\n" +
		")\n" +
		"UNIQUE KEY(`id`, `create_dtime`)\n" +
		"AUTO PARTITION BY RANGE (date_trunc(`create_dtime`, 'month')) ()\n" +
		"DISTRIBUTED BY HASH(`id`) BUCKETS AUTO\n" +
		"PROPERTIES (\n" +
		"  'light_schema_change' = 'true'\n" +
		")"
	if got := tp.CreateTableSQL(); got != want {
		t.Errorf("partitioned:\n%s\nwant:\n%s", got, want)
	}
}

// E2E testMySQL2DorisCreateTableOnly: keys and buckets per table.
func TestAnchorCreateTableOnlyE2E(t *testing.T) {
	conf := mustConf(t, Property{"table-buckets", "create_tbl_uniq:10,create_tbl_from_uniqindex.*:30"}, Property{"replication_num", "1"}, Property{"convert-uniq-to-pk", "true"})
	p := mustPlanner(t, Options{Source: SourceMySQL, TableConf: conf})
	idName := func(nullable bool) []schema.Column {
		return []schema.Column{
			{Name: "id", Type: parse(t, "int"), Nullable: nullable},
			{Name: "name", Type: parse(t, "varchar(10)"), Nullable: nullable},
			{Name: "age", Type: parse(t, "int"), Nullable: nullable},
		}
	}
	tables := []*schema.Table{
		{ID: schema.TableID{Database: "db", Name: "create_tbl_uniq"}, Columns: idName(false), PrimaryKey: []string{"id"}},
		{ID: schema.TableID{Database: "db", Name: "create_tbl_dup"}, Columns: idName(true)},
		{ID: schema.TableID{Database: "db", Name: "create_tbl_from_uniqindex"}, Columns: idName(false), UniqueIndexes: []schema.Index{{Name: "uniq", Columns: []string{"name"}}}},
		{ID: schema.TableID{Database: "db", Name: "create_tbl_from_uniqindex2"}, Columns: idName(false), UniqueIndexes: []schema.Index{{Name: "uniq1", Columns: []string{"id", "name"}}, {Name: "uniq2", Columns: []string{"id", "age"}}}},
		{ID: schema.TableID{Database: "db", Name: "create_tbl_from_multiindex"}, Columns: idName(false), UniqueIndexes: []schema.Index{{Name: "uniq", Columns: []string{"id"}}}},
	}
	plan, err := p.Plan(tables)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		keys    string
		model   Model
		buckets int
	}{
		"create_tbl_uniq":            {"id", ModelUnique, 10},
		"create_tbl_dup":             {"id,name", ModelDuplicate, 0},
		"create_tbl_from_uniqindex":  {"name", ModelUnique, 30},
		"create_tbl_from_uniqindex2": {"id,name", ModelUnique, 30}, // the first unique index
		"create_tbl_from_multiindex": {"id", ModelUnique, 0},
	}
	for _, tp := range plan.Tables {
		w := want[tp.Table]
		if join(tp.Keys) != w.keys || tp.Model != w.model || tp.Buckets != w.buckets {
			t.Errorf("%s: %s KEY(%s) BUCKETS %d, want %s KEY(%s) BUCKETS %d", tp.Table, tp.Model, join(tp.Keys), tp.Buckets, w.model, w.keys, w.buckets)
		}
	}
}
