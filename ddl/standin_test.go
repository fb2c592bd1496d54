package ddl

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql"

	"github.com/doris-sync/doris-sync/schema"
	"github.com/doris-sync/doris-sync/testkit/doris"
)

// standIn starts the Doris stand-in and returns one connection to its FE MySQL port.
func standIn(t *testing.T) *sql.DB {
	t.Helper()
	s, err := doris.Start(doris.Options{})
	if err != nil {
		t.Fatalf("start the Doris stand-in: %v", err)
	}
	t.Cleanup(s.Close)
	db, err := sql.Open("mysql", fmt.Sprintf("root:@tcp(%s)/?interpolateParams=true", s.MySQLAddr()))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // session variables (enable_decimal256) stay on one connection
	t.Cleanup(func() { db.Close() })
	return db
}

func exec(t *testing.T, db *sql.DB, stmt string) {
	t.Helper()
	if _, err := db.Exec(stmt); err != nil {
		t.Fatalf("the stand-in refused:\n%s\nerror: %v", stmt, err)
	}
}

// createAll creates every planned table, as the sink will.
func createAll(t *testing.T, db *sql.DB, plan *Plan) {
	t.Helper()
	for _, tp := range plan.Tables {
		exec(t, db, CreateDatabaseSQL(tp.Database))
		if tp.NeedsDecimal256() {
			exec(t, db, "SET enable_decimal256 = true")
		}
		exec(t, db, tp.CreateTableSQL())
	}
}

// descTable reads a table back with DESC.
func descTable(t *testing.T, db *sql.DB, dbName, table string) ExistingTable {
	t.Helper()
	rows, err := db.Query("DESC " + QuoteTable(dbName, table))
	if err != nil {
		t.Fatalf("DESC %s.%s: %v", dbName, table, err)
	}
	defer rows.Close()
	var et ExistingTable
	for rows.Next() {
		var field, typ, null, key, extra string
		var def sql.NullString
		if err := rows.Scan(&field, &typ, &null, &key, &def, &extra); err != nil {
			t.Fatal(err)
		}
		et.Columns = append(et.Columns, ExistingColumn{Name: field, Type: typ, Nullable: null == "Yes", Key: key == "true"})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return et
}

// wideTables builds, for each source, one table holding a column of every type the
// mapping document lists (with the default options), keyed on an extra id column.
func wideTables(t *testing.T) map[Source]*schema.Table {
	out := map[Source]*schema.Table{}
	for _, r := range readDocRows(t) {
		if r.opts != (MapOptions{}) {
			continue
		}
		tbl := out[r.source]
		if tbl == nil {
			tbl = &schema.Table{ID: schema.TableID{Database: "src", Name: "wide_" + string(r.source)}, PrimaryKey: []string{"id"},
				Columns: []schema.Column{{Name: "id", TypeText: "bigint", Type: schema.SourceType{Name: "bigint"}}}}
			if r.source == SourceOracle || r.source == SourceDB2 {
				tbl.Columns[0].Type.Name = "integer"
			}
			if r.source == SourceMongoDB {
				tbl.Columns[0].Type.Name = "objectid"
			}
			out[r.source] = tbl
		}
		tbl.Columns = append(tbl.Columns, schema.Column{Name: fmt.Sprintf("c%d_%s", len(tbl.Columns), strings.ReplaceAll(r.st.Name, " ", "_")), TypeText: r.st.Name, Type: r.st, Nullable: true})
	}
	return out
}

func TestStandInAcceptsWideTables(t *testing.T) {
	db := standIn(t)
	for src, tbl := range wideTables(t) {
		p := mustPlanner(t, Options{Source: src, Naming: NamingRules{Database: "tgt_" + string(src)}, TableConf: mustConf(t, Property{"replication_num", "1"})})
		plan, err := p.Plan([]*schema.Table{tbl})
		if err != nil {
			t.Fatal(err)
		}
		createAll(t, db, plan)
		tp := plan.Tables[0]
		d := tp.Diff(descTable(t, db, tp.Database, tp.Table))
		if len(d.Missing) > 0 || len(d.Incompatible) > 0 {
			t.Errorf("%s: the created table differs from its plan: missing %v, incompatible %v", src, d.Missing, d.Incompatible)
		}
	}
}

func TestStandInAcceptsKeysNamesDefaultsPartitions(t *testing.T) {
	db := standIn(t)
	expr := func(v string) *schema.Default { return &schema.Default{Value: v, Expression: true} }
	lit := func(v string) *schema.Default { return &schema.Default{Value: v} }
	tables := []*schema.Table{
		// Odd identifiers, comments and defaults with quotes and backslashes.
		{ID: schema.TableID{Database: "shop", Name: "select"}, Comment: `it's a \ "table"`, PrimaryKey: []string{"from"}, Columns: []schema.Column{
			{Name: "from", Type: parse(t, "int"), Comment: `say "hi" \n it's`},
			{Name: "order by", Type: parse(t, "varchar(20)"), Nullable: true, Default: lit(`a'b\c`)},
			{Name: `we"ird`, Type: parse(t, "decimal(10,2)"), Nullable: true, Default: lit("-1.50")},
			{Name: "when", Type: parse(t, "datetime(3)"), Default: expr("CURRENT_TIMESTAMP(3)")},
			{Name: "flag", Type: parse(t, "bit(1)"), Default: lit("b'1'")},
			{Name: "big", Type: parse(t, "bigint unsigned"), Nullable: true, Default: lit("18446744073709551615")},
		}},
		// Composite key in key order, forbidden key types.
		{ID: schema.TableID{Database: "shop", Name: "composite"}, PrimaryKey: []string{"k_text", "k_double", "region"}, Columns: []schema.Column{
			{Name: "v", Type: parse(t, "int"), Nullable: true},
			{Name: "region", Type: parse(t, "char(2)")},
			{Name: "k_double", Type: parse(t, "double")},
			{Name: "k_text", Type: parse(t, "text")},
		}},
		// No key, TEXT first: the first key-capable column moves to the front.
		{ID: schema.TableID{Database: "shop", Name: "logs"}, Columns: []schema.Column{
			{Name: "msg", Type: parse(t, "text"), Nullable: true},
			{Name: "ts", Type: parse(t, "datetime"), Nullable: true},
			{Name: "level", Type: parse(t, "int"), Nullable: true},
		}},
		// No column can be a key at all.
		{ID: schema.TableID{Database: "shop", Name: "blobs"}, Columns: []schema.Column{
			{Name: "body", Type: parse(t, "longtext"), Nullable: true},
			{Name: "doc", Type: parse(t, "json"), Nullable: true},
		}},
		// A unique index as the key.
		{ID: schema.TableID{Database: "shop", Name: "by_index"}, Columns: []schema.Column{
			{Name: "id", Type: parse(t, "int"), Nullable: true},
			{Name: "code", Type: parse(t, "varchar(10)")},
		}, UniqueIndexes: []schema.Index{{Name: "u_code", Columns: []string{"code"}}}},
		// Partitioned UNIQUE and DUPLICATE tables.
		{ID: schema.TableID{Database: "shop", Name: "events_u"}, PrimaryKey: []string{"id"}, Columns: []schema.Column{
			{Name: "id", Type: parse(t, "bigint")}, {Name: "at", Type: parse(t, "timestamp(3)"), Nullable: true}, {Name: "n", Type: parse(t, "int"), Nullable: true},
		}},
		{ID: schema.TableID{Database: "shop", Name: "events_d"}, Columns: []schema.Column{
			{Name: "id", Type: parse(t, "bigint"), Nullable: true}, {Name: "day", Type: parse(t, "date"), Nullable: true},
		}},
		// DECIMAL above 38 digits with enable-decimal256.
		{ID: schema.TableID{Database: "shop", Name: "wide_decimal"}, PrimaryKey: []string{"id"}, Columns: []schema.Column{
			{Name: "id", Type: parse(t, "int")}, {Name: "d", Type: parse(t, "decimal(65,30)"), Nullable: true, Default: lit("0")},
		}},
	}
	conf := mustConf(t,
		Property{"table-buckets", "ods_logs:3,ods_events.*:4"},
		Property{"table-partitions", "events_u:at:day,ods_events_d:day:month"},
		Property{"convert-uniq-to-pk", "true"},
		Property{"enable-decimal256", "true"},
		Property{"replication_num", "1"},
	)
	p := mustPlanner(t, Options{Source: SourceMySQL, Naming: NamingRules{Database: "ods", TablePrefix: "ods_"}, TableConf: conf})
	plan, err := p.Plan(tables)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Warnings) != 0 {
		t.Errorf("plan warnings: %v", plan.Warnings)
	}
	createAll(t, db, plan)
	for _, tp := range plan.Tables {
		got := descTable(t, db, tp.Database, tp.Table)
		var keys []string
		for i, c := range got.Columns {
			if c.Name != tp.Columns[i].Name {
				t.Errorf("%s: column %d is %q, planned %q", tp.Table, i, c.Name, tp.Columns[i].Name)
			}
			if c.Key {
				keys = append(keys, c.Name)
			}
		}
		if join(keys) != join(tp.Keys) {
			t.Errorf("%s: Doris keys %v, planned %v", tp.Table, keys, tp.Keys)
		}
		got.Model = tp.Model
		if d := tp.Diff(got); len(d.Missing) > 0 || len(d.Incompatible) > 0 {
			t.Errorf("%s: the created table differs from its plan: %+v", tp.Table, d)
		}
	}
}

func TestStandInAgreesOnAlter(t *testing.T) {
	db := standIn(t)
	tbl := &schema.Table{ID: schema.TableID{Database: "d", Name: "t"}, PrimaryKey: []string{"id"}, Columns: []schema.Column{
		{Name: "id", Type: parse(t, "int")},
		{Name: "name", Type: parse(t, "varchar(10) character set ascii"), Nullable: true},
		{Name: "n", Type: parse(t, "int"), Nullable: true},
	}}
	plan, err := mustPlanner(t, Options{Source: SourceMySQL}).Plan([]*schema.Table{tbl})
	if err != nil {
		t.Fatal(err)
	}
	createAll(t, db, plan)
	tp := plan.Tables[0]

	added := Column{Name: "select", Type: Varchar(8), Nullable: true, Default: &Default{Literal: "x'y"}, Comment: `a "c" \ d`}
	exec(t, db, AddColumnSQL("d", "t", added, "id"))
	// The doubled backquote reaches Doris as one name, which its column rule refuses
	// (as our planner does); a legal odd name is accepted.
	if _, err := db.Exec(RenameColumnSQL("d", "t", "select", "we`ird")); err == nil || !strings.Contains(err.Error(), "Incorrect column name 'we`ird'") {
		t.Errorf("rename to we`ird: %v", err)
	}
	exec(t, db, RenameColumnSQL("d", "t", "select", "order by"))
	name, _ := tp.Column("name")
	wider := name
	wider.Type = Varchar(20)
	stmt, err := ModifyColumnSQL("d", "t", name, wider)
	if err != nil {
		t.Fatal(err)
	}
	exec(t, db, stmt)
	exec(t, db, DropColumnSQL("d", "t", "order by"))

	// What we refuse, the stand-in refuses too.
	shorter := wider
	shorter.Type = Varchar(5)
	_, err = ModifyColumnSQL("d", "t", wider, shorter)
	var na *NotAllowedError
	if !errors.As(err, &na) {
		t.Fatalf("shortening: %v", err)
	}
	raw := "ALTER TABLE `d`.`t` MODIFY COLUMN " + shorter.Definition()
	if _, err := db.Exec(raw); err == nil || !strings.Contains(err.Error(), "Shorten type length is prohibited") {
		t.Errorf("the stand-in on %s: %v", raw, err)
	}

	// The table now has name VARCHAR(20): the plan's VARCHAR(10) fits, nothing missing.
	got := descTable(t, db, "d", "t")
	got.Model = ModelUnique
	if d := tp.Diff(got); len(d.Missing) > 0 || len(d.Incompatible) > 0 {
		t.Errorf("after ALTERs: %+v", d)
	}
	// A column dropped in Doris is found missing and added back where it was.
	exec(t, db, DropColumnSQL("d", "t", "n"))
	d := tp.Diff(descTable(t, db, "d", "t"))
	if len(d.Missing) != 1 || d.Missing[0].Column.Name != "n" || d.Missing[0].After != "name" {
		t.Fatalf("missing after drop: %+v", d)
	}
	for _, s := range d.AddColumnStatements("d", "t") {
		exec(t, db, s)
	}
	if d := tp.Diff(descTable(t, db, "d", "t")); len(d.Missing) > 0 {
		t.Errorf("still missing: %+v", d.Missing)
	}
}
