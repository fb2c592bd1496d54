package postgres

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
	pgkit "github.com/doris-sync/doris-sync/testkit/postgres"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// WideSchemaSQL creates a table of every PostgreSQL type family (citext when the
// extension exists), odd identifiers, keys of every kind, a view, a materialized view
// and a partitioned table.
func wideSchemaSQL(citext bool) []string {
	ci := ""
	if citext {
		ci = "ci citext, "
	}
	return []string{
		"CREATE TYPE mood AS ENUM ('happy', 'sad', 'it''s')",
		"CREATE DOMAIN posint AS numeric(12,2) NOT NULL CHECK (VALUE > 0)",
		"CREATE TABLE wide (" +
			"id bigserial PRIMARY KEY, s smallint DEFAULT 7, i integer NOT NULL DEFAULT -1, b bigint, " +
			"n122 numeric(12,2) DEFAULT 3.14, n numeric, n50 numeric(50,10), r real, dp double precision, m money, " +
			"t text DEFAULT 'it''s', vc varchar(128) DEFAULT 'abc', vcn varchar, ch char(10), by bytea, bo boolean DEFAULT true, " +
			"d date DEFAULT '2020-01-02', tm time, ttz timetz, tsp timestamp(3), tstz timestamptz DEFAULT now(), iv interval, " +
			"u uuid, js json, jsb jsonb, ia integer[], ta text[], va varchar(10)[], " +
			"mo mood DEFAULT 'happy', dom posint, ip inet, cid cidr, mac macaddr, pt point, x xml, tsv tsvector, " +
			"bv bit varying(20), b1 bit(1), b8 bit(8), " + ci + "rng int4range, tsr tstzrange, nl text DEFAULT NULL, " +
			"idn integer GENERATED ALWAYS AS IDENTITY, gen integer GENERATED ALWAYS AS (i * 2) STORED, " +
			`"Mixed Case" integer, "has space" text)`,
		"COMMENT ON TABLE wide IS 'every type'",
		"COMMENT ON COLUMN wide.id IS 'row id'",
		"CREATE VIEW wide_view AS SELECT id, i FROM wide",
		"CREATE MATERIALIZED VIEW wide_mv AS SELECT id FROM wide",
		`CREATE TABLE "select" ("from" integer PRIMARY KEY, "has space" text)`,
		"CREATE TABLE nopk (msg text, ts timestamp, level integer)",
		"CREATE TABLE comp (a integer NOT NULL, b text, c integer NOT NULL, PRIMARY KEY (c, a))",
		"CREATE TABLE uniq_only (id integer NOT NULL, code varchar(20) NOT NULL, note text, nick text, flag boolean, " +
			"CONSTRAINT uk_code UNIQUE (code, id))",
		"CREATE UNIQUE INDEX uk_partial ON uniq_only (nick) WHERE flag",
		"CREATE UNIQUE INDEX uk_expr ON uniq_only (lower(note))",
		"CREATE UNIQUE INDEX uk_include ON uniq_only (id) INCLUDE (note)",
		"CREATE TABLE a_c (x integer)",
		"CREATE TABLE abc (y integer, z integer)",
		"CREATE TABLE events (id integer NOT NULL, at date NOT NULL, body text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)",
		"CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
		"CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
		"CREATE SCHEMA other",
		"CREATE TABLE other.wide (other_column integer)",
	}
}

func hasCitext(t *testing.T, srv *pgkit.Server, db string) bool {
	conn := srv.Conn(t, db)
	if _, err := conn.Exec(context.Background(), "CREATE EXTENSION IF NOT EXISTS citext"); err != nil {
		t.Logf("citext is not available (%v): its column is left out", err)
		return false
	}
	return true
}

// readOnlyRole creates a role that may only connect to db and read its public tables:
// discovery must need no more.
func readOnlyRole(t *testing.T, srv *pgkit.Server, db string) (user, password string) {
	user = "ro_" + db[len(db)-8:]
	password, err := testkit.RandomSecret()
	if err != nil {
		t.Fatal(err)
	}
	srv.Exec(t, "", "CREATE ROLE "+user+" LOGIN PASSWORD '"+password+"'", "GRANT CONNECT ON DATABASE "+db+" TO "+user)
	srv.Exec(t, db, "GRANT USAGE ON SCHEMA public TO "+user, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO "+user)
	t.Cleanup(func() {
		srv.Exec(t, db, "DROP OWNED BY "+user)
		srv.Exec(t, "", "DROP ROLE "+user)
	})
	return user, password
}

func open(t *testing.T, srv *pgkit.Server, db, schemas string) *Source {
	t.Helper()
	return openAs(t, srv, srv.ReplUser, srv.ReplPassword, db, schemas)
}

func openAs(t *testing.T, srv *pgkit.Server, user, password, db, schemas string) *Source {
	t.Helper()
	src, err := Open(context.Background(), Config{Host: srv.Host, Port: srv.Port, User: user, Password: password,
		Database: db, Schemas: regexp.MustCompile("^(?:" + schemas + ")$")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

func TestDiscover(t *testing.T) {
	srv := pgkit.Shared(t)
	db := srv.DB(t)
	citext := hasCitext(t, srv, db)
	srv.Exec(t, db, wideSchemaSQL(citext)...)
	user, password := readOnlyRole(t, srv, db)

	tables, err := openAs(t, srv, user, password, db, "public").Discover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	byName := map[string]*schema.Table{}
	for _, tb := range tables {
		if tb.ID.Database != db || tb.ID.Schema != "public" {
			t.Errorf("table %v is not in %s.public", tb.ID, db)
		}
		names = append(names, tb.ID.Name)
		byName[tb.ID.Name] = tb
	}
	// No views, no partitions (the root only), nothing of schema other.
	if got := strings.Join(names, ","); got != "a_c,abc,comp,events,nopk,select,uniq_only,wide" {
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
		t.Errorf("a_c has %s and abc %s", cols(byName["a_c"]), cols(byName["abc"]))
	}
	if got := byName["comp"].PrimaryKey; !reflect.DeepEqual(got, []string{"c", "a"}) {
		t.Errorf("comp primary key %v, want key order c, a", got)
	}
	if got := byName["events"]; !reflect.DeepEqual(got.PrimaryKey, []string{"id", "at"}) || cols(got) != "id,at,body" {
		t.Errorf("events: key %v columns %s", got.PrimaryKey, cols(got))
	}
	// Partial and expression indexes do not make rows unique; INCLUDE columns are not key.
	if got := byName["uniq_only"]; len(got.PrimaryKey) != 0 || !reflect.DeepEqual(got.UniqueIndexes,
		[]schema.Index{{Name: "uk_code", Columns: []string{"code", "id"}}, {Name: "uk_include", Columns: []string{"id"}}}) {
		t.Errorf("uniq_only keys %v %v", got.PrimaryKey, got.UniqueIndexes)
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
	if wide.Columns[0].Name != "id" || wide.Columns[len(wide.Columns)-1].Name != "has space" {
		t.Errorf("columns out of order: %s", cols(wide))
	}
	if id := col["id"]; !id.AutoIncrement || id.Nullable || id.Comment != "row id" || id.TypeText != "bigint" ||
		id.Default == nil || !id.Default.Expression || !strings.HasPrefix(id.Default.Value, "nextval(") {
		t.Errorf("id %+v default %s", id, showDefault(id.Default))
	}
	if idn := col["idn"]; !idn.AutoIncrement || idn.Default != nil || idn.Nullable {
		t.Errorf("identity column %+v", idn)
	}
	if _, ok := col["gen"]; ok {
		t.Errorf("the generated column gen is in the model; pgoutput never sends it")
	}
	if len(wide.Notes) != 1 || wide.Notes[0].Column != "gen" || !strings.Contains(wide.Notes[0].Message, "generated column") {
		t.Errorf("wide notes %+v, want one note on gen", wide.Notes)
	}

	type want struct {
		name      string
		length    int64
		precision int
		scale     int
	}
	for c, w := range map[string]want{
		"s": {"smallint", 0, 0, 0}, "i": {"integer", 0, 0, 0}, "n122": {"numeric", 0, 12, 2}, "n": {"numeric", 0, 0, 0},
		"n50": {"numeric", 0, 50, 10}, "r": {"real", 0, 0, 0}, "dp": {"double precision", 0, 0, 0}, "m": {"money", 0, 0, 0},
		"t": {"text", 0, 0, 0}, "vc": {"character varying", 128, 0, 0}, "vcn": {"character varying", 0, 0, 0},
		"ch": {"character", 10, 0, 0}, "by": {"bytea", 0, 0, 0}, "bo": {"boolean", 0, 0, 0}, "d": {"date", 0, 0, 0},
		"tm": {"time without time zone", 0, 0, 0}, "ttz": {"time with time zone", 0, 0, 0},
		"tsp": {"timestamp without time zone", 0, 3, 0}, "tstz": {"timestamp with time zone", 0, 0, 0},
		"iv": {"interval", 0, 0, 0}, "u": {"uuid", 0, 0, 0}, "js": {"json", 0, 0, 0}, "jsb": {"jsonb", 0, 0, 0},
		"ip": {"inet", 0, 0, 0}, "cid": {"cidr", 0, 0, 0}, "mac": {"macaddr", 0, 0, 0}, "pt": {"point", 0, 0, 0},
		"x": {"xml", 0, 0, 0}, "tsv": {"tsvector", 0, 0, 0}, "bv": {"bit varying", 20, 0, 0}, "b1": {"bit", 1, 0, 0},
		"b8": {"bit", 8, 0, 0}, "rng": {"int4range", 0, 0, 0}, "tsr": {"tstzrange", 0, 0, 0}, "mo": {"mood", 0, 0, 0},
		"dom": {"posint", 0, 0, 0},
	} {
		st := col[c].Type
		if st.Name != w.name || st.Length != w.length || st.Precision != w.precision || st.Scale != w.scale {
			t.Errorf("%s (%s): %+v, want %+v", c, col[c].TypeText, st, w)
		}
		if st.Charset != "UTF8" {
			t.Errorf("%s: charset %q, want the database encoding UTF8", c, st.Charset)
		}
	}
	if citext {
		if st := col["ci"].Type; st.Name != "citext" {
			t.Errorf("ci: %+v", st)
		}
	}
	if st := col["mo"].Type; !reflect.DeepEqual(st.EnumValues, []string{"happy", "sad", "it's"}) {
		t.Errorf("enum labels %q", st.EnumValues)
	}
	if c := col["dom"]; c.Nullable || c.Type.Base == nil || c.Type.Base.Name != "numeric" || c.Type.Base.Precision != 12 || c.Type.Base.Scale != 2 {
		t.Errorf("domain: nullable %v, base %+v", c.Nullable, c.Type.Base)
	}
	for c, elem := range map[string]string{"ia": "integer", "ta": "text", "va": "character varying"} {
		st := col[c].Type
		if st.Name != "array" || st.Elem == nil || st.Elem.Name != elem {
			t.Errorf("%s: %+v", c, st)
		}
	}
	if e := col["va"].Type.Elem; e == nil || e.Length != 10 {
		t.Errorf("va element %+v", e)
	}

	lit := func(v string) *schema.Default { return &schema.Default{Value: v} }
	for c, w := range map[string]*schema.Default{
		"s": lit("7"), "i": lit("-1"), "n122": lit("3.14"), "t": lit("it's"), "vc": lit("abc"), "bo": lit("true"),
		"d": lit("2020-01-02"), "mo": lit("happy"), "nl": nil, "b": nil,
	} {
		if got := col[c].Default; !reflect.DeepEqual(got, w) {
			t.Errorf("%s: default %s, want %s", c, showDefault(got), showDefault(w))
		}
	}
	if d := col["tstz"].Default; d == nil || !d.Expression || d.Value != "now()" {
		t.Errorf("tstz default %s", showDefault(d))
	}
	if col["i"].Nullable || !col["b"].Nullable {
		t.Error("nullability not read")
	}
}

func showDefault(d *schema.Default) string {
	if d == nil {
		return "none"
	}
	return fmt.Sprintf("%+v", *d)
}

func TestSchemaPatternIsAFullMatch(t *testing.T) {
	srv := pgkit.Shared(t)
	db := srv.DB(t)
	srv.Exec(t, db, "CREATE SCHEMA s1", "CREATE SCHEMA s2", "CREATE SCHEMA s10",
		"CREATE TABLE s1.t (id int PRIMARY KEY)", "CREATE TABLE s2.t (id int PRIMARY KEY)", "CREATE TABLE s10.t (id int)")
	tables, err := open(t, srv, db, "s[12]").Discover(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tb := range tables {
		got = append(got, tb.ID.String())
	}
	if want := []string{db + ".s1.t", db + ".s2.t"}; !reflect.DeepEqual(got, want) {
		t.Errorf("tables %v, want %v", got, want)
	}
	_, err = open(t, srv, db, "s").Discover(context.Background())
	if err == nil || !strings.Contains(err.Error(), "matches no schema") {
		t.Errorf("a partial match must find nothing: %v", err)
	}
}

func TestConnectErrors(t *testing.T) {
	srv := pgkit.Shared(t)
	db := srv.DB(t)
	ctx := context.Background()
	wrong := "not-" + srv.ReplPassword
	_, err := Open(ctx, Config{Host: srv.Host, Port: srv.Port, User: srv.ReplUser, Password: wrong, Database: db, Schemas: regexp.MustCompile("public")})
	var ce *sources.ConnectError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "wrong user name or password") ||
		!strings.Contains(err.Error(), fmt.Sprintf("127.0.0.1:%d", srv.Port)) {
		t.Errorf("wrong password: %v", err)
	}
	if err != nil && (strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), "\n")) {
		t.Errorf("the error must be one line without the password: %q", err)
	}

	_, err = Open(ctx, Config{Host: srv.Host, Port: srv.Port, User: srv.ReplUser, Password: srv.ReplPassword, Database: db + "_missing", Schemas: regexp.MustCompile("public")})
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing database: %v", err)
	}

	port, err := testkit.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(ctx, Config{Host: "127.0.0.1", Port: port, User: srv.ReplUser, Password: srv.ReplPassword, Database: db, Schemas: regexp.MustCompile("public")})
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "unreachable") || !strings.Contains(err.Error(), fmt.Sprintf("127.0.0.1:%d", port)) {
		t.Errorf("unreachable: %v", err)
	}
}

func TestParseDefault(t *testing.T) {
	for expr, want := range map[string]*schema.Default{
		"'abc'::character varying":      {Value: "abc"},
		"'it''s'::text":                 {Value: "it's"},
		"'{1,2}'::integer[]":            {Value: "{1,2}"},
		"42":                            {Value: "42"},
		"(-1)":                          {Value: "-1"},
		"1.5":                           {Value: "1.5"},
		"'-1'::integer":                 {Value: "-1"},
		"(-1.5)::numeric(10,2)":         {Value: "-1.5"},
		"true":                          {Value: "true"},
		"NULL::text":                    nil,
		"now()":                         {Value: "now()", Expression: true},
		"CURRENT_TIMESTAMP":             {Value: "CURRENT_TIMESTAMP", Expression: true},
		"nextval('t_id_seq'::regclass)": {Value: "nextval('t_id_seq'::regclass)", Expression: true},
		"('a'::text || 'b'::text)":      {Value: "('a'::text || 'b'::text)", Expression: true},
		"'a'::text || 'b'::text":        {Value: "'a'::text || 'b'::text", Expression: true},
		"'2020-01-01 00:00:00'::timestamp without time zone": {Value: "2020-01-01 00:00:00"},
	} {
		if got := parseDefault(expr); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %s, want %s", expr, showDefault(got), showDefault(want))
		}
	}
}

// Generated columns are not in the model, which must match what pgoutput sends: the
// snapshot reads the other columns, and the stream's first Relation message is no
// schema change. A key made of a generated column goes with it.
func TestDiscoverLeavesOutGeneratedColumns(t *testing.T) {
	e := newReplEnv(t,
		"CREATE TABLE item (id integer PRIMARY KEY, price numeric(10,2), qty integer, "+
			"total numeric GENERATED ALWAYS AS (price * qty) STORED, note text)",
		"CREATE TABLE genkey (a integer NOT NULL UNIQUE, b integer GENERATED ALWAYS AS (a * 2) STORED PRIMARY KEY, c text)",
		"INSERT INTO item (id, price, qty, note) VALUES (1, 2.50, 4, 'first')",
	)
	tables := e.tables("item", "genkey")
	item, genkey := tables[0], tables[1]
	names := func(tb *schema.Table) string {
		var n []string
		for _, c := range tb.Columns {
			n = append(n, c.Name)
		}
		return strings.Join(n, ",")
	}
	if got := names(item); got != "id,price,qty,note" {
		t.Errorf("item columns %s, want id,price,qty,note (total is generated)", got)
	}
	if len(item.Notes) != 1 || item.Notes[0].Column != "total" ||
		!strings.Contains(item.Notes[0].Message, "GENERATED ALWAYS AS … STORED") || !strings.Contains(item.Notes[0].Message, "not replicated") {
		t.Errorf("item notes %+v, want one on total saying it is not replicated", item.Notes)
	}
	if !reflect.DeepEqual(item.PrimaryKey, []string{"id"}) {
		t.Errorf("item key %v", item.PrimaryKey)
	}
	if got := names(genkey); got != "a,c" || len(genkey.PrimaryKey) != 0 ||
		!reflect.DeepEqual(genkey.UniqueIndexes, []schema.Index{{Name: "genkey_a_key", Columns: []string{"a"}}}) {
		t.Errorf("genkey: columns %s key %v unique %v; want a,c with only the unique index on a", got, genkey.PrimaryKey, genkey.UniqueIndexes)
	}
	var keyNote bool
	for _, n := range genkey.Notes {
		keyNote = keyNote || n.Column == "b" && strings.HasPrefix(n.Message, "primary key left out")
	}
	if len(genkey.Notes) != 2 || !keyNote {
		t.Errorf("genkey notes %+v, want the generated column and the primary key it takes along", genkey.Notes)
	}
	for _, tb := range tables {
		if err := tb.Validate(); err != nil {
			t.Error(err)
		}
	}

	e.publish(tables)
	snap := e.createSlot()
	sr, err := snap.OpenReader(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer sr.Close()
	if rows := readAll(t, sr, item, 100); !reflect.DeepEqual(rows, [][]any{{int64(1), schema.Decimal("2.50"), int64(4), "first"}}) {
		t.Errorf("snapshot of item: %#v", rows)
	}
	run := startStream(t, e.repl, StreamOptions{Tables: tables}, snap, 0)
	e.exec("INSERT INTO item (id, price, qty, note) VALUES (2, 1.00, 3, 'second')", "UPDATE item SET qty = 5 WHERE id = 1")
	changes := run.next(t, 2)
	if c := changes[0]; c.Op != schema.OpInsert || !reflect.DeepEqual(c.After, []any{int64(2), schema.Decimal("1.00"), int64(3), "second"}) {
		t.Errorf("first change %s %#v, want the insert without the generated column (and no schema change)", c.Op, c.After)
	}
	if c := changes[1]; c.Op != schema.OpUpdate || !reflect.DeepEqual(c.After, []any{int64(1), schema.Decimal("2.50"), int64(5), "first"}) {
		t.Errorf("second change %s %#v", c.Op, c.After)
	}
}
