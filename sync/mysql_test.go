package sync

import (
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/config"
	"github.com/doris-sync/doris-sync/testkit/mariadb"
	mysqlkit "github.com/doris-sync/doris-sync/testkit/mysql"
)

// mysqlServer is what the tests need of a MariaDB or MySQL test server.
type mysqlServer struct {
	host           string
	port           int
	user, password string
	mariadb        bool
	newDB          func(t testing.TB) string
	exec           func(t testing.TB, db string, stmts ...string)
	open           func(t testing.TB, db string) *sql.DB // a root pool on db
}

func mariaDBServer(t *testing.T) mysqlServer {
	s := mariadb.Shared(t)
	return mysqlServer{s.Host, s.Port, s.ReplUser, s.ReplPassword, true, s.DB, s.Exec, s.Open}
}

func mySQLServer(t *testing.T) mysqlServer {
	s := mysqlkit.Shared(t) // skips unless DORIS_SYNC_TEST_MYSQL=1
	return mysqlServer{s.Host, s.Port, s.ReplUser, s.ReplPassword, false, s.DB, s.Exec, s.Open}
}

func (s mysqlServer) sourceConf(db string) []string {
	return []string{"hostname=" + s.host, fmt.Sprint("port=", s.port), "username=" + s.user, "password=" + s.password,
		"database-name=" + regexp.QuoteMeta(db), "connect.max-retries=0"}
}

// mysqlTables: a table of every type, odd identifiers, keys of every kind, a view, and
// two names a LIKE pattern would confuse.
var mysqlTables = []string{
	"CREATE TABLE wide (" +
		"id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT COMMENT 'row id', " +
		"ti TINYINT, ti_u TINYINT UNSIGNED, si SMALLINT, si_u SMALLINT UNSIGNED, mi MEDIUMINT, mi_u MEDIUMINT UNSIGNED, " +
		"i INT NOT NULL DEFAULT 42 COMMENT 'it''s \"quoted\"', i_u INT UNSIGNED, bi BIGINT DEFAULT -1, bi_u BIGINT UNSIGNED, " +
		"flag TINYINT(1) NOT NULL DEFAULT 1, b1 BIT(1) DEFAULT b'1', b8 BIT(8), b64 BIT(64), " +
		"dec65 DECIMAL(65,30), dec10 DECIMAL(10,2) NOT NULL DEFAULT '3.14', f FLOAT, d DOUBLE, " +
		"dt DATE DEFAULT '2020-01-02', dtm DATETIME(6), ts TIMESTAMP(3) NULL DEFAULT CURRENT_TIMESTAMP(3), tm TIME, yr YEAR, " +
		"c_utf8 CHAR(10) CHARACTER SET utf8mb4, vc_utf8 VARCHAR(255) CHARACTER SET utf8mb4 DEFAULT 'it''s', " +
		"c_latin CHAR(10) CHARACTER SET latin1, vc_latin VARCHAR(100) CHARACTER SET latin1, " +
		"tt TINYTEXT, tx TEXT, mt MEDIUMTEXT, lt LONGTEXT, " +
		"bn BINARY(16), vb VARBINARY(255), bl BLOB, " +
		"e ENUM('new','paid','shipped') NOT NULL DEFAULT 'new', st SET('a','bb','ccc'), " +
		"j JSON, g GEOMETRY, pt POINT, uid VARCHAR(36) DEFAULT (uuid()), " +
		"`Mixed Case` INT COMMENT 'odd name', `has space` VARCHAR(10), " +
		"PRIMARY KEY (id)) COMMENT 'every type'",
	"CREATE VIEW wide_view AS SELECT id, i FROM wide",
	"CREATE TABLE `select` (`from` INT PRIMARY KEY, `where` VARCHAR(10))",
	"CREATE TABLE nopk (msg TEXT, ts DATETIME, level INT)",
	"CREATE TABLE comp (a INT NOT NULL, b VARCHAR(10), c INT NOT NULL, PRIMARY KEY (c, a))",
	"CREATE TABLE uniq_only (id INT NOT NULL, code VARCHAR(20) NOT NULL, note TEXT, UNIQUE KEY uk_code (code, id))",
	"CREATE TABLE a_c (x INT)",
	"CREATE TABLE abc (y INT, z INT)",
	"CREATE TABLE `t$x` (id INT PRIMARY KEY)", // a name Doris forbids
}

func TestMariaDBToStandIn(t *testing.T) { testMySQLToStandIn(t, mariaDBServer(t)) }
func TestMySQLToStandIn(t *testing.T)   { testMySQLToStandIn(t, mySQLServer(t)) }

func testMySQLToStandIn(t *testing.T, src mysqlServer) {
	db := src.newDB(t)
	src.exec(t, db, mysqlTables...)
	doris := startStandIn(t)
	a := args{
		source: src.sourceConf(db),
		sink:   doris.sinkConf(),
		table:  []string{"replication_num=1", "table-buckets=wide:4,a.*:2", "convert-uniq-to-pk=true", "enable-decimal256=true"},
		flags:  map[string]string{"database": "ods"},
	}

	// A table name Doris forbids stops the plan with the rule, unless it is excluded.
	r := runJob(t, config.MySQL, a, "dry-run", "true")
	if r.err == nil || !strings.Contains(r.err.Error(), `"t$x" is not a valid Doris table name: it must match ^[a-zA-Z][a-zA-Z0-9-_]*$`) ||
		!strings.Contains(r.err.Error(), "exclude the table") {
		t.Fatalf("forbidden table name: %v", r.err)
	}
	a.flags["excluding-tables"] = `t\$x`

	// The dry run prints the plan and changes nothing.
	dry := runJob(t, config.MySQL, a, "dry-run", "true")
	if dry.err != nil {
		t.Fatal(dry.err)
	}
	if got := doris.databases(t); strings.Join(got, ",") != "information_schema,mysql" {
		t.Errorf("the dry run created databases: %v", got)
	}
	if len(dry.executed) != 0 {
		t.Errorf("the dry run ran %q", dry.executed)
	}
	mustContain(t, "the plan", dry.stdout,
		"Doris was read to see which databases and tables exist.",
		"Source tables: 8 discovered, 7 synced into 7 Doris tables; left out by --including-tables/--excluding-tables: "+db+".t$x.",
		"Database ods: missing: create",
		"Table ods.wide\n  from:        "+db+".wide\n  key:         UNIQUE KEY(id)\n  distributed: HASH(id) BUCKETS 4\n",
		"Table ods.comp\n  from:        "+db+".comp\n  key:         UNIQUE KEY(c, a)\n",
		"Table ods.uniq_only\n  from:        "+db+".uniq_only\n  key:         UNIQUE KEY(code, id)\n",
		"Table ods.a_c\n  from:        "+db+".a_c\n  key:         DUPLICATE KEY(x)\n  distributed: HASH(x) BUCKETS 2\n",
		"Table ods.nopk\n",
		"Table ods.select\n",
		"  in Doris:    missing: create\n",
		"CREATE DATABASE IF NOT EXISTS `ods`;\nCREATE TABLE IF NOT EXISTS `ods`.`a_c` (",
		");\nSET enable_decimal256 = true;\nCREATE TABLE IF NOT EXISTS `ods`.`wide` (",
	)

	// --create-table-only runs exactly the statements the dry run printed.
	cto := runJob(t, config.MySQL, a, "create-table-only", "true")
	if cto.err != nil {
		t.Fatalf("%v\nlog:\n%s", cto.err, cto.log)
	}
	if got, want := joined(cto.executed), planStatements(t, dry.stdout); got != want {
		t.Errorf("--create-table-only ran\n%s\nbut the dry run printed\n%s", got, want)
	}
	for _, table := range []string{"a_c", "abc", "comp", "nopk", "select", "uniq_only", "wide"} {
		mustContain(t, "the summary", cto.stdout, db+"."+table+" → ods."+table+": created\n")
	}
	mustContain(t, "the summary", cto.stdout, "7 Doris tables: 7 created, 0 altered, 0 up to date, 0 skipped\n")

	wide := doris.showCreate(t, "ods", "wide")
	mustContain(t, "SHOW CREATE TABLE wide", wide,
		"UNIQUE KEY(`id`)", "COMMENT 'every type'", "DISTRIBUTED BY HASH(`id`) BUCKETS 4",
		"\"replication_allocation\" = \"tag.location.default: 1\"", "\"light_schema_change\" = \"true\"",
		"`id` largeint NOT NULL COMMENT \"row id\"",
		"`i` int NOT NULL DEFAULT \"42\" COMMENT \"it's \\\"quoted\\\"\"",
		"`flag` boolean NOT NULL DEFAULT \"1\"",
		"`b1` boolean NULL DEFAULT \"1\"",
		"`b64` largeint NULL",
		"`dec65` decimal(65,30) NULL",
		"`dec10` decimal(10,2) NOT NULL DEFAULT \"3.14\"",
		"`dt` date NULL DEFAULT \"2020-01-02\"",
		"`dtm` datetime(6) NULL",
		"`ts` datetime(3) NULL DEFAULT CURRENT_TIMESTAMP",
		"`tm` text NULL",
		"`c_utf8` char(40) NULL",
		"`vc_utf8` varchar(1020) NULL DEFAULT \"it's\"",
		"`c_latin` char(30) NULL",
		"`vc_latin` varchar(300) NULL",
		"`e` varchar(7) NOT NULL DEFAULT \"new\"",
		"`st` varchar(8) NULL",
		"`g` text NULL",
		"`uid` varchar(144) NULL,",
		"`Mixed Case` int NULL COMMENT \"odd name\"",
		"`has space` varchar(40) NULL",
	)
	jsonType := "`j` json NULL"
	if src.mariadb {
		jsonType = "`j` text NULL"
	}
	mustContain(t, "SHOW CREATE TABLE wide", wide, jsonType)
	mustContain(t, "SHOW CREATE TABLE comp", doris.showCreate(t, "ods", "comp"), "UNIQUE KEY(`c`, `a`)")
	mustContain(t, "SHOW CREATE TABLE uniq_only", doris.showCreate(t, "ods", "uniq_only"), "UNIQUE KEY(`code`, `id`)", "BUCKETS AUTO")
	mustContain(t, "SHOW CREATE TABLE select", doris.showCreate(t, "ods", "select"), "UNIQUE KEY(`from`)")
	mustContain(t, "SHOW CREATE TABLE nopk", doris.showCreate(t, "ods", "nopk"), "DUPLICATE KEY(`ts`)", "`ts` datetime NULL,\n  `msg` text NULL,\n  `level` int NULL")
	if got := doris.desc(t, "ods", "a_c"); len(got) != 1 || got["x"] != "int Yes true -" {
		t.Errorf("a_c: %v", got)
	}
	if got := doris.desc(t, "ods", "abc"); len(got) != 2 || got["y"] == "" || got["z"] == "" {
		t.Errorf("abc: %v", got)
	}

	// A second run changes nothing.
	again := runJob(t, config.MySQL, a, "create-table-only", "true")
	if again.err != nil || len(again.executed) != 0 {
		t.Fatalf("second run: %v, ran %q", again.err, again.executed)
	}
	mustContain(t, "the second summary", again.stdout, db+".wide → ods.wide: up to date\n", "7 Doris tables: 0 created, 0 altered, 7 up to date, 0 skipped\n")
	if dry := runJob(t, config.MySQL, a, "dry-run", "true"); dry.err != nil || planStatements(t, dry.stdout) != "" ||
		!strings.Contains(dry.stdout, "Database ods: exists") || !strings.Contains(dry.stdout, "in Doris:    exists, up to date: nothing to do") {
		t.Errorf("dry run on an up-to-date Doris: %v\n%s", dry.err, dry.stdout)
	}

	// A new source column is added with ALTER TABLE, exactly as the dry run says.
	src.exec(t, db, "ALTER TABLE wide ADD COLUMN extra INT NOT NULL DEFAULT 5 COMMENT 'new' AFTER i")
	dry = runJob(t, config.MySQL, a, "dry-run", "true")
	wantAlter := "ALTER TABLE `ods`.`wide` ADD COLUMN `extra` INT NULL DEFAULT '5' COMMENT 'new' AFTER `i`"
	mustContain(t, "the plan", dry.stdout, "in Doris:    exists, 1 column missing: add it\n    "+wantAlter+";\n")
	alter := runJob(t, config.MySQL, a, "create-table-only", "true")
	if alter.err != nil || joined(alter.executed) != wantAlter+";\n" || planStatements(t, dry.stdout) != wantAlter+";\n" {
		t.Fatalf("add a column: %v, ran %q, planned %q", alter.err, alter.executed, planStatements(t, dry.stdout))
	}
	mustContain(t, "the summary", alter.stdout, db+".wide → ods.wide: altered (+1 columns)\n")
	if got := doris.desc(t, "ods", "wide")["extra"]; got != "int Yes false 5" {
		t.Errorf("extra: %q", got)
	}

	// An existing table of another key model is incompatible: nothing changes, or with
	// --ignore-incompatible it is skipped loudly and the rest goes on.
	doris.exec(t, "DROP TABLE `ods`.`comp`",
		"CREATE TABLE `ods`.`comp` (c INT NOT NULL, a INT NOT NULL, b VARCHAR(40)) DUPLICATE KEY(c, a) DISTRIBUTED BY HASH(c) BUCKETS 1 PROPERTIES ('replication_num' = '1')")
	src.exec(t, db, "ALTER TABLE abc ADD COLUMN w INT")
	bad := runJob(t, config.MySQL, a, "create-table-only", "true")
	if bad.err == nil || len(bad.executed) != 0 || !strings.Contains(bad.err.Error(), "Doris table ods.comp (from "+db+".comp) exists but is incompatible: the Doris table is DUPLICATE KEY but the source needs UNIQUE KEY") ||
		!strings.Contains(bad.err.Error(), "--ignore-incompatible") {
		t.Fatalf("incompatible table: %v, ran %q", bad.err, bad.executed)
	}
	if _, ok := doris.desc(t, "ods", "abc")["w"]; ok {
		t.Error("an incompatible table must stop the run before anything changes")
	}
	dry = runJob(t, config.MySQL, a, "dry-run", "true", "ignore-incompatible", "true")
	skip := runJob(t, config.MySQL, a, "create-table-only", "true", "ignore-incompatible", "true")
	if skip.err != nil || joined(skip.executed) != planStatements(t, dry.stdout) || len(skip.executed) != 1 {
		t.Fatalf("--ignore-incompatible: %v, ran %q, planned %q", skip.err, skip.executed, planStatements(t, dry.stdout))
	}
	mustContain(t, "the summary", skip.stdout, db+".comp → ods.comp: skipped: incompatible: the Doris table is DUPLICATE KEY but the source needs UNIQUE KEY",
		db+".abc → ods.abc: altered (+1 columns)\n", "7 Doris tables: 0 created, 1 altered, 5 up to date, 1 skipped\n")
	mustContain(t, "the log", skip.log, "level=WARN msg=\"SKIPPED: the Doris table exists but is incompatible")
	mustContain(t, "the plan", dry.stdout, "in Doris:    exists but INCOMPATIBLE: skipped (--ignore-incompatible)\n  incompatible: the Doris table is DUPLICATE KEY")
}
