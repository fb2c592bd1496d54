package mysql

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/schema"
	"github.com/doris-sync/doris-sync/sources"
	"github.com/doris-sync/doris-sync/testkit"
	"github.com/doris-sync/doris-sync/testkit/mariadb"
	mysqlkit "github.com/doris-sync/doris-sync/testkit/mysql"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// server is what the tests need of a MariaDB or MySQL test server.
type server struct {
	host    string
	port    int
	mariadb bool
	newDB   func(t testing.TB) string
	exec    func(t testing.TB, db string, stmts ...string)
}

func mariaDB(t *testing.T) server {
	s := mariadb.Shared(t)
	return server{host: s.Host, port: s.Port, mariadb: true, newDB: s.DB, exec: s.Exec}
}

func mySQL(t *testing.T) server {
	s := mysqlkit.Shared(t) // skips unless DORIS_SYNC_TEST_MYSQL=1
	return server{host: s.Host, port: s.Port, newDB: s.DB, exec: s.Exec}
}

// readOnlyUser creates a user with nothing but SELECT on db: discovery must need no
// more.
func (s server) readOnlyUser(t *testing.T, db string) (user, password string) {
	user = "ro_" + db[len(db)-8:]
	password, err := testkit.RandomSecret()
	if err != nil {
		t.Fatal(err)
	}
	s.exec(t, "", "CREATE USER '"+user+"'@'%' IDENTIFIED BY '"+password+"'", "GRANT SELECT ON `"+db+"`.* TO '"+user+"'@'%'")
	t.Cleanup(func() { s.exec(t, "", "DROP USER '"+user+"'@'%'") })
	return user, password
}

func (s server) open(t *testing.T, user, password, dbRegex string) *Source {
	t.Helper()
	src, err := Open(context.Background(), Config{Host: s.host, Port: s.port, User: user, Password: password,
		Databases: regexp.MustCompile("^(?:" + dbRegex + ")$")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// wideTableSQL has a column of every MySQL type family, odd identifiers and the
// default forms information_schema reports differently across flavours.
var wideTableSQL = []string{
	"CREATE TABLE wide (" +
		"id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT COMMENT 'row id', " +
		"ti TINYINT, ti_u TINYINT UNSIGNED, si SMALLINT, si_u SMALLINT UNSIGNED, mi MEDIUMINT, mi_u MEDIUMINT UNSIGNED, " +
		"i INT NOT NULL DEFAULT 42, i_u INT UNSIGNED, bi BIGINT DEFAULT -1, bi_u BIGINT UNSIGNED, " +
		"flag TINYINT(1) NOT NULL DEFAULT 1, b1 BIT(1) DEFAULT b'1', b8 BIT(8), " +
		"dec65 DECIMAL(65,30), dec10 DECIMAL(10,2) DEFAULT '3.14', f FLOAT, d DOUBLE, " +
		"dt DATE DEFAULT '2020-01-02', dtm DATETIME(6), ts TIMESTAMP(3) NULL DEFAULT CURRENT_TIMESTAMP(3), tm TIME, yr YEAR, " +
		"c_utf8 CHAR(10) CHARACTER SET utf8mb4, vc_utf8 VARCHAR(255) CHARACTER SET utf8mb4 DEFAULT 'it''s', " +
		"c_latin CHAR(10) CHARACTER SET latin1, vc_latin VARCHAR(100) CHARACTER SET latin1 DEFAULT 'NULL', " +
		"bs VARCHAR(10) DEFAULT 'a\\\\b', empty_default VARCHAR(5) NOT NULL DEFAULT '', " +
		"tt TINYTEXT, tx TEXT, mt MEDIUMTEXT, lt LONGTEXT, " +
		"bn BINARY(16), vb VARBINARY(255), bl BLOB, " +
		"e ENUM('new','paid','it''s') DEFAULT 'new', st SET('a','bb','ccc'), " +
		"j JSON, g GEOMETRY, pt POINT, " +
		"uid VARCHAR(36) DEFAULT (uuid()), " +
		"`Mixed Case` INT COMMENT 'odd name', " +
		"PRIMARY KEY (id)) COMMENT 'every type'",
	"CREATE VIEW wide_view AS SELECT id, i FROM wide",
	"CREATE TABLE `select` (`from` INT PRIMARY KEY, `has space` VARCHAR(10))",
	"CREATE TABLE nopk (msg TEXT, ts DATETIME, level INT)",
	"CREATE TABLE comp (a INT NOT NULL, b VARCHAR(10), c INT NOT NULL, PRIMARY KEY (c, a))",
	"CREATE TABLE uniq_only (id INT NOT NULL, code VARCHAR(20) NOT NULL, note TEXT, nick VARCHAR(20), " +
		"UNIQUE KEY uk_code (code, id), UNIQUE KEY uk_nick (nick))",
	"CREATE TABLE a_c (x INT)",
	"CREATE TABLE abc (y INT, z INT)",
}

func TestDiscoverMariaDB(t *testing.T) { testDiscover(t, mariaDB(t)) }
func TestDiscoverMySQL(t *testing.T)   { testDiscover(t, mySQL(t)) }

func testDiscover(t *testing.T, srv server) {
	db := srv.newDB(t)
	other := srv.newDB(t) // a second database the regex must leave out
	srv.exec(t, db, wideTableSQL...)
	srv.exec(t, other, "CREATE TABLE wide (other_column INT)")
	user, password := srv.readOnlyUser(t, db)

	tables, err := srv.open(t, user, password, regexp.QuoteMeta(db)).Discover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	byName := map[string]*schema.Table{}
	for _, tb := range tables {
		if tb.ID.Database != db || tb.ID.Schema != "" {
			t.Errorf("table %v is not in database %s", tb.ID, db)
		}
		names = append(names, tb.ID.Name)
		byName[tb.ID.Name] = tb
	}
	// Byte order, no view, nothing of the other database.
	if got := strings.Join(names, ","); got != "a_c,abc,comp,nopk,select,uniq_only,wide" {
		t.Fatalf("tables %s", got)
	}
	cols := func(tb *schema.Table) string {
		var n []string
		for _, c := range tb.Columns {
			n = append(n, c.Name)
		}
		return strings.Join(n, ",")
	}
	if cols(byName["a_c"]) != "x" || cols(byName["abc"]) != "y,z" {
		t.Errorf("a_c has %s and abc %s: the names must not be patterns", cols(byName["a_c"]), cols(byName["abc"]))
	}
	if got := byName["comp"].PrimaryKey; !reflect.DeepEqual(got, []string{"c", "a"}) {
		t.Errorf("comp primary key %v, want key order c, a", got)
	}
	if got := byName["uniq_only"]; len(got.PrimaryKey) != 0 || !reflect.DeepEqual(got.UniqueIndexes,
		[]schema.Index{{Name: "uk_code", Columns: []string{"code", "id"}}, {Name: "uk_nick", Columns: []string{"nick"}}}) {
		t.Errorf("uniq_only keys %v %v", got.PrimaryKey, got.UniqueIndexes)
	}
	if got := byName["nopk"]; len(got.PrimaryKey)+len(got.UniqueIndexes) != 0 {
		t.Errorf("nopk keys %v %v", got.PrimaryKey, got.UniqueIndexes)
	}
	if got := cols(byName["select"]); got != "from,has space" || byName["select"].PrimaryKey[0] != "from" {
		t.Errorf("select: %s %v", got, byName["select"].PrimaryKey)
	}

	wide := byName["wide"]
	if wide.Comment != "every type" || !reflect.DeepEqual(wide.PrimaryKey, []string{"id"}) {
		t.Errorf("wide comment %q key %v", wide.Comment, wide.PrimaryKey)
	}
	col := map[string]schema.Column{}
	for _, c := range wide.Columns {
		col[c.Name] = c
	}
	if wide.Columns[0].Name != "id" || wide.Columns[len(wide.Columns)-1].Name != "Mixed Case" || len(wide.Columns) != 43 {
		t.Errorf("columns out of order or missing: %s", cols(wide))
	}
	if id := col["id"]; !id.AutoIncrement || id.Nullable || id.Comment != "row id" || id.Type.Name != "bigint" || !id.Type.Unsigned {
		t.Errorf("id %+v", id)
	}
	if c := col["Mixed Case"]; c.Comment != "odd name" || !c.Nullable {
		t.Errorf("Mixed Case %+v", c)
	}
	for name, want := range map[string]string{
		"ti": "tinyint", "si_u": "smallint", "mi": "mediumint", "i_u": "int", "bi_u": "bigint", "b8": "bit",
		"dec65": "decimal", "f": "float", "d": "double", "dtm": "datetime", "ts": "timestamp", "tm": "time", "yr": "year",
		"tt": "tinytext", "lt": "longtext", "bn": "binary", "vb": "varbinary", "bl": "blob", "e": "enum", "st": "set",
		"g": "geometry", "pt": "point",
	} {
		if got := col[name].Type.Name; got != want {
			t.Errorf("%s: type %q (%q), want %q", name, got, col[name].TypeText, want)
		}
	}
	jsonType := "json"
	if srv.mariadb {
		jsonType = "longtext" // MariaDB's JSON is an alias of LONGTEXT
	}
	if got := col["j"].Type.Name; got != jsonType {
		t.Errorf("j: %q", got)
	}
	if c := col["flag"].Type; c.Name != "tinyint" || !c.HasLength || c.Length != 1 {
		t.Errorf("TINYINT(1) must keep its width: %+v", c)
	}
	if c := col["dec65"].Type; c.Precision != 65 || c.Scale != 30 {
		t.Errorf("dec65 %+v", c)
	}
	if c := col["dtm"].Type; c.Precision != 6 {
		t.Errorf("dtm %+v", c)
	}
	if c := col["ts"].Type; c.Precision != 3 {
		t.Errorf("ts %+v", c)
	}
	for name, want := range map[string][2]any{"c_utf8": {"utf8mb4", 4}, "vc_utf8": {"utf8mb4", 4}, "c_latin": {"latin1", 0}, "vc_latin": {"latin1", 0}, "tx": {"utf8mb4", 0}} {
		c := col[name].Type
		if c.Charset != want[0] || c.MaxBytesPerChar != want[1] {
			t.Errorf("%s: charset %q, %d bytes per char; want %v", name, c.Charset, c.MaxBytesPerChar, want)
		}
	}
	if c := col["vc_latin"].Type; c.Length != 100 {
		t.Errorf("vc_latin length %d", c.Length)
	}
	if got := col["e"].Type.EnumValues; !reflect.DeepEqual(got, []string{"new", "paid", "it's"}) {
		t.Errorf("enum labels %q", got)
	}
	if got := col["st"].Type.EnumValues; !reflect.DeepEqual(got, []string{"a", "bb", "ccc"}) {
		t.Errorf("set labels %q", got)
	}

	lit := func(v string) *schema.Default { return &schema.Default{Value: v} }
	for name, want := range map[string]*schema.Default{
		"i": lit("42"), "bi": lit("-1"), "flag": lit("1"), "b1": lit("b'1'"), "dec10": lit("3.14"), "dt": lit("2020-01-02"),
		"vc_utf8": lit("it's"), "vc_latin": lit("NULL"), "bs": lit(`a\b`), "empty_default": lit(""), "e": lit("new"),
		"ti": nil, "tx": nil, "id": nil,
	} {
		if got := col[name].Default; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: default %s, want %s", name, showDefault(got), showDefault(want))
		}
	}
	for _, name := range []string{"ts", "uid"} {
		d := col[name].Default
		if d == nil || !d.Expression {
			t.Errorf("%s: default %s, want an expression", name, showDefault(d))
		}
	}
	if d := col["ts"].Default; d == nil || !strings.EqualFold(d.Value, "current_timestamp(3)") {
		t.Errorf("ts: default %s", showDefault(d))
	}
	if !col["ti"].Nullable || col["i"].Nullable || col["empty_default"].Nullable {
		t.Error("nullability not read")
	}
}

func showDefault(d *schema.Default) string {
	if d == nil {
		return "none"
	}
	return fmt.Sprintf("%+v", *d)
}

func TestDatabaseRegexIsAFullMatch(t *testing.T) {
	srv := mariaDB(t)
	db1, db2 := srv.newDB(t), srv.newDB(t)
	srv.exec(t, db1, "CREATE TABLE t1 (id INT PRIMARY KEY)")
	srv.exec(t, db2, "CREATE TABLE t2 (id INT PRIMARY KEY)")
	prefix := strings.TrimRight(db1, "0123456789")
	tables, err := srv.open(t, "root", "", regexp.QuoteMeta(prefix)+"[0-9]+").Discover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tb := range tables {
		got = append(got, tb.ID.String())
	}
	if want := []string{db1 + ".t1", db2 + ".t2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("tables %v, want %v", got, want)
	}
	// A prefix alone matches nothing: the regex must match the whole name.
	_, err = srv.open(t, "root", "", regexp.QuoteMeta(prefix)).Discover(context.Background())
	if err == nil || !strings.Contains(err.Error(), "matches no database") {
		t.Errorf("a partial match must find nothing: %v", err)
	}
}

func TestConnectErrorsMariaDB(t *testing.T) { testConnectErrors(t, mariaDB(t)) }
func TestConnectErrorsMySQL(t *testing.T)   { testConnectErrors(t, mySQL(t)) }

func testConnectErrors(t *testing.T, srv server) {
	db := srv.newDB(t)
	user, password := srv.readOnlyUser(t, db)
	ctx := context.Background()
	wrong := "not-" + password
	_, err := Open(ctx, Config{Host: srv.host, Port: srv.port, User: user, Password: wrong, Databases: regexp.MustCompile(".*")})
	var ce *sources.ConnectError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "wrong user name or password") ||
		!strings.Contains(err.Error(), fmt.Sprintf("127.0.0.1:%d", srv.port)) {
		t.Errorf("wrong password: %v", err)
	}
	if err != nil && (strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), "\n")) {
		t.Errorf("the error must be one line without the password: %q", err)
	}

	// ssl.mode=required: the MySQL test server offers TLS, the MariaDB one does not.
	src, err := Open(ctx, Config{Host: srv.host, Port: srv.port, User: user, Password: password, Databases: regexp.MustCompile(".*"),
		TLS: TLSConfig{Mode: TLSRequired}})
	switch {
	case srv.mariadb && (err == nil || !strings.Contains(err.Error(), "the server does not offer TLS, which ssl.mode requires")):
		t.Errorf("TLS required from a server without TLS: %v", err)
	case !srv.mariadb && err != nil:
		t.Errorf("TLS required: %v", err)
	case err == nil:
		src.Close()
	}
	_, err = Open(ctx, Config{Host: srv.host, Port: srv.port, User: user, Password: password, Databases: regexp.MustCompile(".*"),
		TLS: TLSConfig{Mode: TLSVerifyCA, CA: "/nonexistent/ca.pem"}})
	if err == nil || !strings.Contains(err.Error(), "ssl.ca") {
		t.Errorf("a missing CA file: %v", err)
	}

	port, err := testkit.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, Config{Host: "127.0.0.1", Port: port, User: user, Password: password, Databases: regexp.MustCompile(".*")})
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "unreachable") || !strings.Contains(err.Error(), fmt.Sprintf("127.0.0.1:%d", port)) {
		t.Errorf("unreachable: %v", err)
	}
}

func TestMariaDBQuotesDefaultsFrom10_2_7(t *testing.T) {
	for v, want := range map[string]bool{
		"10.11.19-MariaDB-0+deb12u1-log": true, "10.2.7-MariaDB": true, "10.2.6-MariaDB": false, "10.1.48-MariaDB": false,
		"11.4.2-MariaDB": true, "8.0.36": false, "9.7.4-2": false, "5.7.44-log": false,
	} {
		if got := mariaDBQuotesDefaults(v); got != want {
			t.Errorf("%s: %v", v, got)
		}
	}
}
