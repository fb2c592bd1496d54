package sync

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/config"
	"github.com/doris-sync/doris-sync/exitcode"
	"github.com/doris-sync/doris-sync/testkit"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	port, err := testkit.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", port)
}

// wantError checks a run failed with one line holding every want, with the exit code.
func wantError(t *testing.T, what string, r result, code int, wants ...string) {
	t.Helper()
	if r.err == nil {
		t.Errorf("%s: no error\n%s", what, r.stdout)
		return
	}
	if got := exitcode.Of(r.err); got != code {
		t.Errorf("%s: exit code %d, want %d (%v)", what, got, code, r.err)
	}
	if strings.Contains(r.err.Error(), "\n") {
		t.Errorf("%s: the error is not one line: %q", what, r.err)
	}
	for _, w := range wants {
		if !strings.Contains(r.err.Error(), w) {
			t.Errorf("%s: error %q lacks %q", what, r.err, w)
		}
	}
	if len(r.executed) != 0 {
		t.Errorf("%s: ran %q", what, r.executed)
	}
}

func TestSourcesWithoutReplicationSayNotImplementedYet(t *testing.T) {
	// Nothing listens anywhere: the answer must come before any connection.
	dead := freeAddr(t)
	host, _, _ := strings.Cut(dead, ":")
	sink := []string{"fenodes=" + dead, "jdbc-url=jdbc:mysql://" + dead, "username=root"}
	sqlserver := args{source: []string{"hostname=" + host, "username=u", "database-name=shop", "schema-name=dbo"}, sink: sink}
	err := Run(context.Background(), buildJob(t, config.SQLServer, sqlserver), &bytes.Buffer{})
	wantError(t, "sqlserver", result{err: err}, exitcode.RuntimeError, "sqlserver-sync-database: replication from SQL Server is not implemented yet")

	r := runJob(t, config.SQLServer, sqlserver, "dry-run", "true")
	wantError(t, "sqlserver dry run", r, exitcode.RuntimeError, "sqlserver-sync-database --dry-run: not implemented yet")
	r = runJob(t, config.MongoDB, args{source: []string{"hosts=" + host, "database=shop"}, sink: sink}, "create-table-only", "true")
	wantError(t, "mongodb create-table-only", r, exitcode.RuntimeError, "mongodb-sync-database --create-table-only: not implemented yet")
}

// A full sync connects to Doris first: with nothing listening it fails at once with
// one clear line and the runtime exit code, before touching the source.
func TestFullSyncWithDorisUnreachable(t *testing.T) {
	dead := freeAddr(t)
	host, port, _ := strings.Cut(dead, ":")
	job := buildJob(t, config.MySQL, args{
		source: []string{"hostname=" + host, "port=" + port, "username=u", "database-name=shop"},
		sink:   []string{"fenodes=" + dead, "jdbc-url=jdbc:mysql://" + dead, "username=root"},
	})
	err := Run(context.Background(), job, &bytes.Buffer{})
	wantError(t, "mysql full sync", result{err: err}, exitcode.RuntimeError, "Doris FE", dead)
}

func TestClearErrors(t *testing.T) {
	src := mariaDBServer(t)
	db := src.newDB(t)
	src.exec(t, db, "CREATE TABLE t (id INT PRIMARY KEY)")
	doris := startStandIn(t)
	srcAddr := fmt.Sprintf("%s:%d", src.host, src.port)
	good := args{source: src.sourceConf(db), sink: doris.sinkConf(), table: []string{"replication_num=1"}, flags: map[string]string{"database": "ods"}}

	withSource := func(kv ...string) args {
		a := good
		a.source = append(append([]string(nil), good.source...), kv...)
		return a
	}
	withSink := func(kv ...string) args {
		a := good
		a.sink = append(append([]string(nil), good.sink...), kv...)
		return a
	}

	r := runJob(t, config.MySQL, withSource("password=wrong-password"), "create-table-only", "true")
	wantError(t, "wrong source password", r, exitcode.RuntimeError,
		"cannot connect to MySQL at "+srcAddr+" as "+src.user+": wrong user name or password")
	if r.err != nil && strings.Contains(r.err.Error(), "wrong-password") {
		t.Errorf("the error shows the password: %v", r.err)
	}

	dead := freeAddr(t)
	_, deadPort, _ := strings.Cut(dead, ":")
	r = runJob(t, config.MySQL, withSource("port="+deadPort), "create-table-only", "true")
	wantError(t, "unreachable source", r, exitcode.RuntimeError, "cannot connect to MySQL at "+dead, "unreachable", "connection refused")

	r = runJob(t, config.MySQL, withSink("jdbc-url=jdbc:mysql://"+dead), "create-table-only", "true")
	wantError(t, "unreachable Doris", r, exitcode.RuntimeError, "cannot connect to the Doris FE (jdbc-url): "+dead+" as root: unreachable")

	r = runJob(t, config.MySQL, withSink("password=wrong-doris-pw"), "create-table-only", "true")
	wantError(t, "wrong Doris password", r, exitcode.RuntimeError, "cannot connect to the Doris FE (jdbc-url): "+doris.srv.MySQLAddr()+" as root: wrong user name or password")
	if r.err != nil && strings.Contains(r.err.Error(), "wrong-doris-pw") {
		t.Errorf("the error shows the password: %v", r.err)
	}

	r = runJob(t, config.MySQL, withSource("database-name=(shop"), "dry-run", "true")
	wantError(t, "bad database-name regex", r, exitcode.UsageError, "--mysql-conf database-name=(shop: not a valid regular expression")
	bad := good
	bad.flags = map[string]string{"database": "1ods"}
	r = runJob(t, config.MySQL, bad, "dry-run", "true")
	wantError(t, "bad --database", r, exitcode.UsageError, `"1ods" is not a valid Doris database name`)

	// A dry run without Doris still plans: it says Doris was not read and lists the
	// statements that create everything, which are what a fresh Doris gets.
	dry := runJob(t, config.MySQL, withSink("jdbc-url=jdbc:mysql://"+dead), "dry-run", "true")
	if dry.err != nil {
		t.Fatal(dry.err)
	}
	mustContain(t, "the plan", dry.stdout,
		"Doris was NOT read (cannot connect to the Doris FE (jdbc-url): "+dead+" as root: unreachable",
		"Database ods: not checked; CREATE DATABASE IF NOT EXISTS",
		"in Doris:    not checked: create",
		"Statements --create-table-only would run, in order:\nCREATE DATABASE IF NOT EXISTS `ods`;\nCREATE TABLE IF NOT EXISTS `ods`.`t` (")
	cto := runJob(t, config.MySQL, good, "create-table-only", "true")
	if cto.err != nil || joined(cto.executed) != planStatements(t, dry.stdout) {
		t.Errorf("create-table-only: %v, ran %q, planned %q", cto.err, cto.executed, planStatements(t, dry.stdout))
	}
}

// A CREATE that Doris refuses stops the run with Doris's message, or is skipped with a
// warning under --ignore-incompatible.
func TestDorisRefusesACreate(t *testing.T) {
	src := mariaDBServer(t)
	db := src.newDB(t)
	src.exec(t, db, "CREATE TABLE a (id INT PRIMARY KEY)", "CREATE TABLE b (id INT)")
	doris := startStandIn(t)
	// Merge-on-write is a UNIQUE KEY property: Doris refuses it on b, a DUPLICATE KEY table.
	a := args{source: src.sourceConf(db), sink: doris.sinkConf(), table: []string{"replication_num=1", "enable_unique_key_merge_on_write=true"},
		flags: map[string]string{"database": "ods"}}
	const msg = "enable_unique_key_merge_on_write property only support unique key table"
	r := runJob(t, config.MySQL, a, "create-table-only", "true")
	if r.err == nil || exitcode.Of(r.err) != exitcode.RuntimeError ||
		!regexp.MustCompile(`^create Doris table ods\.b \(from `+regexp.QuoteMeta(db)+`\.b\): Doris refused it: .*`+msg+`$`).MatchString(r.err.Error()) {
		t.Fatalf("refused CREATE: %v", r.err)
	}
	skip := runJob(t, config.MySQL, a, "create-table-only", "true", "ignore-incompatible", "true")
	if skip.err != nil {
		t.Fatal(skip.err)
	}
	mustContain(t, "the summary", skip.stdout, db+".a → ods.a: up to date\n", db+".b → ods.b: skipped: Doris refused to create it: ", msg,
		"2 Doris tables: 0 created, 0 altered, 1 up to date, 1 skipped\n")
	mustContain(t, "the log", skip.log, "level=WARN msg=\"SKIPPED: Doris refused the table")
}

// The planner takes every naming and mapping setting from the job as the CLI builds it.
func TestPlannerSettingsFromTheJob(t *testing.T) {
	src := mariaDBServer(t)
	db := src.newDB(t)
	src.exec(t, db, "CREATE TABLE orders (id INT PRIMARY KEY, flag TINYINT(1) NOT NULL DEFAULT 1)",
		"CREATE TABLE items_1 (id INT PRIMARY KEY)", "CREATE TABLE items_2 (id INT PRIMARY KEY)", "CREATE TABLE tmp (id INT)")
	doris := startStandIn(t)
	a := args{source: append(src.sourceConf(db), "jdbc.properties.tinyInt1isBit=false"), sink: doris.sinkConf(),
		table: []string{"replication_num=1", "storage_medium=SSD"},
		flags: map[string]string{"database": "ods", "table-prefix": "p_", "table-suffix": "_s", "excluding-tables": "tmp",
			"multi-to-one-origin": "items_.*", "multi-to-one-target": "items", "ignore-default-value": "true"}}
	dry := runJob(t, config.MySQL, a, "dry-run", "true")
	if dry.err != nil {
		t.Fatal(dry.err)
	}
	mustContain(t, "the plan", dry.stdout,
		"left out by --including-tables/--excluding-tables: "+db+".tmp.",
		"Table ods.items\n  from:        "+db+".items_1, "+db+".items_2\n",
		"CREATE TABLE IF NOT EXISTS `ods`.`p_orders_s` (\n  `id` INT NOT NULL,\n  `flag` TINYINT NOT NULL\n)",
		"PROPERTIES (\n  'replication_num' = '1',\n  'storage_medium' = 'SSD',\n  'light_schema_change' = 'true'\n);")
	if strings.Contains(dry.stdout, "DEFAULT") {
		t.Errorf("--ignore-default-value must drop every default:\n%s", dry.stdout)
	}
}
