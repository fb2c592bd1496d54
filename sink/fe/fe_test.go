package fe

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/ddl"
	"github.com/doris-sync/doris-sync/schema"
	"github.com/doris-sync/doris-sync/testkit"
	"github.com/doris-sync/doris-sync/testkit/doris"
)

func TestParseJDBCURL(t *testing.T) {
	cases := []struct {
		url     string
		hosts   []string
		db      string
		connect time.Duration
		read    time.Duration
	}{
		{"jdbc:mysql://fe:9030", []string{"fe:9030"}, "", 0, 0},
		{"jdbc:mysql://fe", []string{"fe:9030"}, "", 0, 0},
		{" jdbc:mysql://fe1:9030,fe2:9031/ods?useSSL=false&connectTimeout=5000&socketTimeout=60000 ", []string{"fe1:9030", "fe2:9031"}, "ods", 5 * time.Second, time.Minute},
		{"jdbc:mysql://loader:s3cret@fe:9030/", []string{"fe:9030"}, "", 0, 0},
		{"jdbc:mysql://[::1]:9030,10.0.0.5", []string{"[::1]:9030", "10.0.0.5:9030"}, "", 0, 0},
	}
	for _, c := range cases {
		ep, err := ParseJDBCURL(c.url)
		if err != nil {
			t.Errorf("%s: %v", c.url, err)
			continue
		}
		if !reflect.DeepEqual(ep.Hosts, c.hosts) || ep.Database != c.db || ep.ConnectTimeout != c.connect || ep.ReadTimeout != c.read {
			t.Errorf("%s: %+v", c.url, ep)
		}
	}
	for url, want := range map[string]string{
		"mysql://fe:9030":                          "must start with jdbc:mysql://",
		"jdbc:mysql://":                            "empty host",
		"jdbc:mysql://fe:99999":                    "port \"99999\"",
		"jdbc:mysql://fe:9030,,fe2":                "empty host",
		"jdbc:mysql://fe:9030?connectTimeout=soon": "connectTimeout=soon",
		"jdbc:mysql://u:hunter2@fe:x":              "port \"x\"",
	} {
		_, err := ParseJDBCURL(url)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", url, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the error shows the password: %v", url, err)
		}
	}
}

const password = "fe-test-secret"

func standIn(t *testing.T) *doris.Server {
	t.Helper()
	s, err := doris.Start(doris.Options{Password: password})
	if err != nil {
		t.Fatalf("start the Doris stand-in: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func deadAddr(t *testing.T) string {
	port, err := testkit.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", port)
}

func openClient(t *testing.T, url string) *Client {
	t.Helper()
	c, err := Open(context.Background(), Config{JDBCURL: url, User: "root", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// plan plans one source table into Doris database db.
func plan(t *testing.T, db string, conf ddl.TableConf, tbl *schema.Table) *ddl.TablePlan {
	t.Helper()
	p, err := ddl.NewPlanner(ddl.Options{Source: ddl.SourceMySQL, Naming: ddl.NamingRules{Database: db}, TableConf: conf})
	if err != nil {
		t.Fatal(err)
	}
	tp, err := p.PlanTable(tbl)
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

func column(name, typ string, nullable bool) schema.Column {
	st, err := schema.ParseType(typ)
	if err != nil {
		panic(err)
	}
	return schema.Column{Name: name, TypeText: typ, Type: st, Nullable: nullable}
}

func TestClientAgainstStandIn(t *testing.T) {
	s := standIn(t)
	ctx := context.Background()
	// The first FE is down: the client goes on to the next.
	c := openClient(t, "jdbc:mysql://"+deadAddr(t)+","+s.MySQLAddr()+"/ignored?useSSL=false")
	if c.Addr() != s.MySQLAddr() {
		t.Errorf("addr %s, want %s", c.Addr(), s.MySQLAddr())
	}

	if ok, err := c.DatabaseExists(ctx, "ods"); err != nil || ok {
		t.Fatalf("database exists before it was created: %v %v", ok, err)
	}
	if err := c.CreateDatabase(ctx, "ods"); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateDatabase(ctx, "ods"); err != nil {
		t.Fatalf("CREATE DATABASE IF NOT EXISTS twice: %v", err)
	}
	if ok, err := c.DatabaseExists(ctx, "ods"); err != nil || !ok {
		t.Fatalf("database missing after CREATE: %v %v", ok, err)
	}

	conf, err := ddl.ParseTableConf([]ddl.Property{{Key: "replication_num", Value: "1"}, {Key: "enable-decimal256", Value: "true"}})
	if err != nil {
		t.Fatal(err)
	}
	tp := plan(t, "ods", conf, &schema.Table{ID: schema.TableID{Database: "shop", Name: "abc"}, PrimaryKey: []string{"id"},
		Columns: []schema.Column{column("id", "bigint", false), column("amount", "decimal(50,10)", true), column("note", "varchar(20)", true)}})
	if !tp.NeedsDecimal256() {
		t.Fatal("the plan should need DECIMAL256")
	}
	// Without the session variable Doris refuses the wide decimal: CreateTable sets it.
	err = c.Exec(ctx, tp.CreateTableSQL())
	var se *StatementError
	if !errors.As(err, &se) || se.Message == "" || !strings.Contains(err.Error(), "decimal") {
		t.Errorf("a DECIMAL(50,10) without enable_decimal256 must be refused with Doris's message: %v", err)
	}
	if got := CreateTableStatements(tp); len(got) != 2 || got[0] != SetDecimal256 {
		t.Errorf("statements %q", got)
	}
	if err := c.CreateTable(ctx, tp); err != nil {
		t.Fatal(err)
	}

	// Exact names: abc exists, a_c does not (a LIKE pattern would say it does).
	for name, want := range map[string]bool{"abc": true, "a_c": false, "ABC": false} {
		if ok, err := c.TableExists(ctx, "ods", name); err != nil || ok != want {
			t.Errorf("TableExists(%s) = %v %v, want %v", name, ok, err, want)
		}
	}

	et, err := c.ExistingTable(ctx, "ods", "abc")
	if err != nil {
		t.Fatal(err)
	}
	if et.Model != ddl.ModelUnique || len(et.Columns) != 3 || !et.Columns[0].Key || et.Columns[0].Nullable || !et.Columns[1].Nullable {
		t.Errorf("existing table %+v", et)
	}
	if d := tp.Diff(et); len(d.Missing)+len(d.Incompatible) != 0 {
		t.Errorf("the created table differs from its plan: %+v", d)
	}

	err = c.Exec(ctx, "CREATE TABLE `ods`.`abc` (id INT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1 PROPERTIES ('replication_num' = '1')")
	if !errors.As(err, &se) || !strings.Contains(se.Message, "already exists") || se.Code == 0 {
		t.Errorf("Doris's error text must come back: %v", err)
	}
	if _, err := c.ExistingTable(ctx, "ods", "missing"); err == nil {
		t.Error("reading a missing table must fail")
	}

	if err := c.Exec(ctx,
		"CREATE TABLE `ods`.`dup` (id INT, v INT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1 PROPERTIES ('replication_num' = '1')",
		"CREATE TABLE `ods`.`agg` (id INT, v INT SUM) AGGREGATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1 PROPERTIES ('replication_num' = '1')"); err != nil {
		t.Fatal(err)
	}
	for table, want := range map[string]ddl.Model{"dup": ddl.ModelDuplicate, "agg": ddl.ModelAggregate} {
		et, err := c.ExistingTable(ctx, "ods", table)
		if err != nil || et.Model != want {
			t.Errorf("%s: model %v %v, want %v", table, et.Model, err, want)
		}
	}
}

func TestConnectErrors(t *testing.T) {
	s := standIn(t)
	ctx := context.Background()
	_, err := Open(ctx, Config{JDBCURL: "jdbc:mysql://" + s.MySQLAddr(), User: "root", Password: "wrong-" + password})
	var ce *ConnectError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "wrong user name or password") || !strings.Contains(err.Error(), s.MySQLAddr()) {
		t.Errorf("wrong password: %v", err)
	}
	if err != nil && (strings.Contains(err.Error(), password) || strings.Contains(err.Error(), "\n")) {
		t.Errorf("the error must be one line without the password: %q", err)
	}

	a, b := deadAddr(t), deadAddr(t)
	_, err = Open(ctx, Config{JDBCURL: "jdbc:mysql://" + a + "," + b, User: "root", Password: password})
	if !errors.As(err, &ce) || len(ce.Attempts) != 2 || !strings.Contains(err.Error(), a+" as root: unreachable") ||
		!strings.Contains(err.Error(), b+" as root: unreachable") {
		t.Errorf("unreachable: %v", err)
	}
}

func TestKeyModel(t *testing.T) {
	for text, want := range map[string]ddl.Model{
		"CREATE TABLE `t` (\n  `k` INT NULL COMMENT \"UNIQUE KEY(x)\"\n) ENGINE=OLAP\nDUPLICATE KEY(`k`)\nDISTRIBUTED BY HASH(`k`) BUCKETS 1": ddl.ModelDuplicate,
		"CREATE TABLE `t` (\n  `k` INT NOT NULL\n) ENGINE=OLAP\nUNIQUE KEY(`k`)\n":                                                            ddl.ModelUnique,
		"CREATE TABLE `t` (\n  `k` INT NOT NULL\n) ENGINE=OLAP\nAGGREGATE KEY(`k`)\n":                                                         ddl.ModelAggregate,
		"CREATE TABLE `t` (\n  `k` INT NOT NULL\n) ENGINE=OLAP\nDISTRIBUTED BY RANDOM BUCKETS AUTO":                                           ddl.ModelUnknown,
	} {
		if got := KeyModel(text); got != want {
			t.Errorf("%q: %v, want %v", text, got, want)
		}
	}
}
