package ddl

import (
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/schema"
)

func col(t *testing.T, name, typ string, nullable bool) schema.Column {
	return schema.Column{Name: name, TypeText: typ, Type: parse(t, typ), Nullable: nullable}
}

func names(cols []Column) string {
	var s []string
	for _, c := range cols {
		s = append(s, c.Name)
	}
	return join(s)
}

func TestPlanCompositeKeyOrder(t *testing.T) {
	// The primary key is (region, id) in key order although id comes first in the
	// table: key columns go first in key order, the rest keep source order.
	tbl := &schema.Table{ID: schema.TableID{Database: "d", Name: "t"}, PrimaryKey: []string{"region", "id"}, Columns: []schema.Column{
		col(t, "id", "bigint", false),
		col(t, "note", "text", true),
		col(t, "region", "varchar(8)", false),
		col(t, "amount", "decimal(10,2)", true),
	}}
	tp := mustPlan(t, Options{Source: SourceMySQL}, tbl)
	if names(tp.Columns) != "region,id,note,amount" || join(tp.Keys) != "region,id" || join(tp.DistributedBy) != "region,id" {
		t.Errorf("columns %s keys %v dist %v", names(tp.Columns), tp.Keys, tp.DistributedBy)
	}
	// SourceIndex lets rows in source order be placed.
	for _, c := range tp.Columns {
		if tbl.Columns[c.SourceIndex].Name != c.Name {
			t.Errorf("%s: SourceIndex %d points at %s", c.Name, c.SourceIndex, tbl.Columns[c.SourceIndex].Name)
		}
	}
	sql := tp.CreateTableSQL()
	assertContains(t, sql, "UNIQUE KEY(`region`, `id`)")
	assertContains(t, sql, "DISTRIBUTED BY HASH(`region`, `id`)")
	if !tp.Columns[0].Key || !tp.Columns[1].Key || tp.Columns[2].Key {
		t.Errorf("Key flags: %+v", tp.Columns)
	}
}

func TestPlanOddIdentifiersAreQuoted(t *testing.T) {
	tbl := &schema.Table{ID: schema.TableID{Database: "d", Name: "select"}, Comment: `it's a \ table`, PrimaryKey: []string{"from"}, Columns: []schema.Column{
		{Name: "from", Type: parse(t, "int"), Comment: `say "hi" \n it's`},
		{Name: "order by", Type: parse(t, "int"), Nullable: true},
		{Name: `we"ird`, Type: parse(t, "varchar(3)"), Nullable: true, Default: &schema.Default{Value: `a'\`}},
	}}
	sql := mustPlan(t, Options{Source: SourceMySQL}, tbl).CreateTableSQL()
	for _, want := range []string{
		"CREATE TABLE IF NOT EXISTS `d`.`select` (",
		"`from` INT NOT NULL COMMENT 'say \"hi\" \\\\n it\\'s',",
		"`order by` INT NULL,",
		"`we\"ird` VARCHAR(12) NULL DEFAULT 'a\\'\\\\'",
		"UNIQUE KEY(`from`)",
		"COMMENT 'it\\'s a \\\\ table'",
	} {
		assertContains(t, sql, want)
	}
	// A backquote is legal SQL once quoted, but Doris refuses it in names: the plan says
	// which table and column, and which rule.
	bad := &schema.Table{ID: schema.TableID{Database: "d", Name: "t"}, Columns: []schema.Column{{Name: "we`ird", Type: parse(t, "int")}}}
	_, err := mustPlanner(t, Options{Source: SourceMySQL}).PlanTable(bad)
	if err == nil || !strings.Contains(err.Error(), "source table d.t, column \"we`ird\"") || !strings.Contains(err.Error(), ColumnNamePattern) {
		t.Errorf("backquote in a column name: %v", err)
	}
	bad = &schema.Table{ID: schema.TableID{Database: "d", Name: "we`ird"}, Columns: []schema.Column{{Name: "a", Type: parse(t, "int")}}}
	_, err = mustPlanner(t, Options{Source: SourceMySQL}).PlanTable(bad)
	if err == nil || !strings.Contains(err.Error(), "source table d.we`ird") {
		t.Errorf("backquote in a table name: %v", err)
	}
	// Column names differing only in case collide in Doris.
	bad = &schema.Table{ID: schema.TableID{Database: "d", Name: "t"}, Columns: []schema.Column{{Name: "Id", Type: parse(t, "int")}, {Name: "id", Type: parse(t, "int")}}}
	_, err = mustPlanner(t, Options{Source: SourcePostgres}).PlanTable(bad)
	if err == nil || !strings.Contains(err.Error(), "differ only in letter case") {
		t.Errorf("case collision: %v", err)
	}
}

func TestPlanForbiddenKeyTypes(t *testing.T) {
	tbl := &schema.Table{ID: schema.TableID{Database: "d", Name: "t"}, PrimaryKey: []string{"k_text", "k_double", "k_json", "k_float"}, Columns: []schema.Column{
		col(t, "k_text", "text", false),
		col(t, "k_double", "double precision", false),
		col(t, "k_json", "jsonb", false),
		col(t, "k_float", "real", false),
		col(t, "v", "double precision", true),
	}}
	tp := mustPlan(t, Options{Source: SourcePostgres}, tbl)
	want := map[string]string{"k_text": "VARCHAR(65533)", "k_double": "VARCHAR(32)", "k_json": "VARCHAR(65533)", "k_float": "VARCHAR(32)", "v": "DOUBLE"}
	for _, c := range tp.Columns {
		if c.Type.String() != want[c.Name] {
			t.Errorf("%s: %s, want %s", c.Name, c.Type, want[c.Name])
		}
	}
	warned := 0
	for _, w := range tp.Warnings {
		if strings.Contains(w.Message, "cannot be a Doris key") {
			warned++
		}
	}
	if warned != 2 {
		t.Errorf("want a warning for each FLOAT/DOUBLE key, got %v", tp.Warnings)
	}
}

func TestPlanDuplicateKeyChoice(t *testing.T) {
	cases := []struct {
		name    string
		cols    []schema.Column
		order   string
		keys    string
		warning bool
	}{
		{"doris default: stop after the first varchar", []schema.Column{col(t, "id", "int", true), col(t, "name", "varchar(10)", true), col(t, "age", "bigint", true)}, "id,name,age", "id,name", false},
		{"at most 3 columns", []schema.Column{col(t, "a", "int", true), col(t, "b", "int", true), col(t, "c", "int", true), col(t, "d", "int", true)}, "a,b,c,d", "a,b,c", false},
		{"at most 36 bytes", []schema.Column{col(t, "a", "bigint unsigned", true), col(t, "b", "bigint unsigned", true), col(t, "c", "bigint unsigned", true)}, "a,b,c", "a,b", false},
		{"stop at a non-key type", []schema.Column{col(t, "a", "int", true), col(t, "f", "double", true), col(t, "c", "int", true)}, "a,f,c", "a", false},
		{"a long CHAR first is still a key", []schema.Column{col(t, "c", "char(100) character set ascii", true), col(t, "x", "int", true)}, "c,x", "c", false},
		// A TEXT first column would be a VARCHAR(65533) key rejecting longer values (the
		// anchor did that): the first column that can be a key moves to the front.
		{"first key-capable column moves first", []schema.Column{col(t, "msg", "text", true), col(t, "ts", "datetime", true), col(t, "level", "int", true)}, "ts,msg,level", "ts", false},
		{"no key-capable column", []schema.Column{col(t, "msg", "text", true), col(t, "doc", "json", true)}, "msg,doc", "msg", true},
	}
	for _, c := range cases {
		tbl := &schema.Table{ID: schema.TableID{Database: "d", Name: "t"}, Columns: c.cols}
		tp := mustPlan(t, Options{Source: SourceMySQL}, tbl)
		if tp.Model != ModelDuplicate || names(tp.Columns) != c.order || join(tp.Keys) != c.keys || join(tp.DistributedBy) != c.keys {
			t.Errorf("%s: %s KEY(%s) columns %s dist %v; want DUPLICATE KEY(%s) columns %s", c.name, tp.Model, join(tp.Keys), names(tp.Columns), tp.DistributedBy, c.keys, c.order)
		}
		if (len(tp.Warnings) > 0) != c.warning {
			t.Errorf("%s: warnings %v", c.name, tp.Warnings)
		}
		assertContains(t, tp.CreateTableSQL(), "DUPLICATE KEY(")
	}
	tbl := &schema.Table{ID: schema.TableID{Database: "d", Name: "t"}, Columns: []schema.Column{col(t, "msg", "text", true)}}
	if got := mustPlan(t, Options{Source: SourceMySQL}, tbl).Columns[0].Type.String(); got != "VARCHAR(65533)" {
		t.Errorf("sole TEXT column as key: %s", got)
	}
}

func TestPlanConvertUniqToPK(t *testing.T) {
	tbl := &schema.Table{ID: schema.TableID{Database: "d", Name: "t"}, Columns: []schema.Column{
		col(t, "a", "int", true), col(t, "b", "int", false), col(t, "c", "varchar(5)", false),
	}, UniqueIndexes: []schema.Index{
		{Name: "ua", Columns: []string{"a", "b"}}, // a is nullable: several rows may have a NULL a
		{Name: "ucb", Columns: []string{"c", "b"}},
	}}
	tp := mustPlan(t, Options{Source: SourceMySQL, TableConf: mustConf(t, Property{"convert-uniq-to-pk", "true"})}, tbl)
	if tp.Model != ModelUnique || join(tp.Keys) != "c,b" || names(tp.Columns) != "c,b,a" {
		t.Errorf("got %s KEY(%s) columns %s", tp.Model, join(tp.Keys), names(tp.Columns))
	}
	// Without the option the unique indexes are ignored.
	tp = mustPlan(t, Options{Source: SourceMySQL}, tbl)
	if tp.Model != ModelDuplicate {
		t.Errorf("without convert-uniq-to-pk: %s", tp.Model)
	}
	// Only nullable indexes: DUPLICATE, with a warning naming them.
	tbl.UniqueIndexes = tbl.UniqueIndexes[:1]
	tp = mustPlan(t, Options{Source: SourceMySQL, TableConf: mustConf(t, Property{"convert-uniq-to-pk", "true"})}, tbl)
	if tp.Model != ModelDuplicate || len(tp.Warnings) != 1 || !strings.Contains(tp.Warnings[0].Message, `"ua" (column "a" is nullable)`) {
		t.Errorf("nullable index: %s %v", tp.Model, tp.Warnings)
	}
}

func TestPlanDefaultsAndNullability(t *testing.T) {
	d := func(v string) *schema.Default { return &schema.Default{Value: v} }
	expr := func(v string) *schema.Default { return &schema.Default{Value: v, Expression: true} }
	tbl := &schema.Table{ID: schema.TableID{Database: "d", Name: "t"}, PrimaryKey: []string{"id"}, Columns: []schema.Column{
		{Name: "id", Type: parse(t, "bigint"), AutoIncrement: true},
		{Name: "n", Type: parse(t, "int"), Default: d("0")},
		{Name: "big", Type: parse(t, "tinyint"), Nullable: true, Default: d("300")},
		{Name: "flag", Type: parse(t, "bit(1)"), Nullable: true, Default: d("b'1'")},
		{Name: "bits", Type: parse(t, "bit(8)"), Nullable: true, Default: d("b'101'")},
		{Name: "price", Type: parse(t, "decimal(5,2)"), Nullable: true, Default: d("9.90")},
		{Name: "toobig", Type: parse(t, "decimal(5,2)"), Nullable: true, Default: d("1234.5")},
		{Name: "ratio", Type: parse(t, "double"), Nullable: true, Default: d("0.5")},
		{Name: "created", Type: parse(t, "datetime(3)"), Default: expr("CURRENT_TIMESTAMP(3)")},
		{Name: "updated", Type: parse(t, "timestamp"), Default: d("current_timestamp()")},
		{Name: "day", Type: parse(t, "date"), Nullable: true, Default: d("2020-02-29")},
		{Name: "zero", Type: parse(t, "datetime"), Default: d("0000-00-00 00:00:00")},
		{Name: "today", Type: parse(t, "date"), Nullable: true, Default: expr("curdate()")},
		{Name: "status", Type: parse(t, "enum('new','done')"), Default: d("new")},
		{Name: "code", Type: parse(t, "char(2) character set ascii"), Nullable: true, Default: d("toolong")},
		{Name: "body", Type: parse(t, "text"), Nullable: true, Default: d("x")},
		{Name: "doc", Type: parse(t, "json"), Nullable: true, Default: d("{}")},
		{Name: "uid", Type: parse(t, "varchar(36)"), Nullable: true, Default: expr("uuid()")},
	}}
	tp := mustPlan(t, Options{Source: SourceMySQL}, tbl)
	want := map[string]string{
		"id":      "`id` BIGINT NOT NULL",
		"n":       "`n` INT NOT NULL DEFAULT '0'",
		"big":     "`big` TINYINT NULL", // 300 does not fit
		"flag":    "`flag` BOOLEAN NULL DEFAULT '1'",
		"bits":    "`bits` BIGINT NULL DEFAULT '5'",
		"price":   "`price` DECIMAL(5,2) NULL DEFAULT '9.90'",
		"toobig":  "`toobig` DECIMAL(5,2) NULL",
		"ratio":   "`ratio` DOUBLE NULL DEFAULT '0.5'",
		"created": "`created` DATETIME(3) NULL DEFAULT CURRENT_TIMESTAMP", // MySQL temporal: nullable (zero dates)
		"updated": "`updated` DATETIME NULL DEFAULT CURRENT_TIMESTAMP",
		"day":     "`day` DATE NULL DEFAULT '2020-02-29'",
		"zero":    "`zero` DATETIME NULL",
		"today":   "`today` DATE NULL",
		"status":  "`status` VARCHAR(4) NOT NULL DEFAULT 'new'",
		"code":    "`code` CHAR(2) NULL",
		"body":    "`body` STRING NULL",
		"doc":     "`doc` JSON NULL",
		"uid":     "`uid` VARCHAR(144) NULL",
	}
	for _, c := range tp.Columns {
		if got := c.Definition(); got != want[c.Name] {
			t.Errorf("%s: %s, want %s", c.Name, got, want[c.Name])
		}
	}
	tp = mustPlan(t, Options{Source: SourceMySQL, IgnoreDefaultValue: true}, tbl)
	for _, c := range tp.Columns {
		if c.Default != nil {
			t.Errorf("--ignore-default-value: %s kept %+v", c.Name, c.Default)
		}
	}
	// Other sources' spellings of "now".
	for _, v := range []string{"now()", "(getdate())", "SYSDATE", "CURRENT TIMESTAMP", "sysdatetime()", "transaction_timestamp()"} {
		if !isCurrentTimestamp(v) {
			t.Errorf("%q not recognised as the current timestamp", v)
		}
	}
	for _, v := range []string{"now() + interval '1 day'", "'2020-01-01'", "nextval('s')", "current_date"} {
		if isCurrentTimestamp(v) {
			t.Errorf("%q taken for the current timestamp", v)
		}
	}
	// Oracle DATE DEFAULT SYSDATE → DATETIME DEFAULT CURRENT_TIMESTAMP (anchor vector).
	ora := &schema.Table{ID: schema.TableID{Database: "ORCL", Name: "T"}, Columns: []schema.Column{{Name: "D", Type: parse(t, "DATE"), Default: expr("SYSDATE")}}}
	if got := mustPlan(t, Options{Source: SourceOracle}, ora).Columns[0].Definition(); got != "`D` DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP" {
		t.Errorf("Oracle SYSDATE: %s", got)
	}
}

func TestPlanPartitions(t *testing.T) {
	tbl := &schema.Table{ID: schema.TableID{Database: "d", Name: "events"}, Columns: []schema.Column{
		col(t, "id", "bigint", true), col(t, "msg", "varchar(10)", true), col(t, "at", "timestamp", true), col(t, "n", "int", true),
	}}
	// The rule may name the source table (issue #632: the anchor only took the Doris name).
	conf := mustConf(t, Property{"table-partitions", "events:at:day"})
	tp := mustPlan(t, Options{Source: SourceMySQL, Naming: NamingRules{TablePrefix: "ods_"}, TableConf: conf}, tbl)
	sql := tp.CreateTableSQL()
	assertContains(t, sql, "`at` DATETIME NOT NULL")
	assertContains(t, sql, "DUPLICATE KEY(`id`, `msg`)\nAUTO PARTITION BY RANGE (date_trunc(`at`, 'day')) ()\nDISTRIBUTED BY HASH(`id`, `msg`)")

	// A partition column that is already a key column is not repeated.
	tbl.PrimaryKey = []string{"at", "id"}
	tp = mustPlan(t, Options{Source: SourceMySQL, TableConf: conf}, tbl)
	if join(tp.Keys) != "at,id" {
		t.Errorf("keys: %v", tp.Keys)
	}
	for _, bad := range []struct{ rule, want string }{
		{"events:nope:day", `has no column "nope"`},
		{"events:n:day", "needs a DATE or DATETIME column"},
	} {
		_, err := mustPlanner(t, Options{Source: SourceMySQL, TableConf: mustConf(t, Property{"table-partitions", bad.rule})}).PlanTable(tbl)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: got %v want %q", bad.rule, err, bad.want)
		}
	}
	// A rule matching no table is reported.
	p := mustPlanner(t, Options{Source: SourceMySQL, TableConf: mustConf(t, Property{"table-partitions", "nothere:at:day"})})
	plan, err := p.Plan([]*schema.Table{tbl})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Warnings) != 1 || !strings.Contains(plan.Warnings[0].String(), "nothere:at:day matches no synced table") {
		t.Errorf("plan warnings: %v", plan.Warnings)
	}
}

func TestPlanDecimal256(t *testing.T) {
	tbl := &schema.Table{ID: schema.TableID{Database: "d", Name: "t"}, PrimaryKey: []string{"id"}, Columns: []schema.Column{
		col(t, "id", "int", false), col(t, "big", "decimal(65,30)", true),
	}}
	tp := mustPlan(t, Options{Source: SourceMySQL}, tbl)
	if tp.Columns[1].Type.String() != "STRING" || tp.NeedsDecimal256() {
		t.Errorf("without decimal256: %s", tp.Columns[1].Type)
	}
	tp = mustPlan(t, Options{Source: SourceMySQL, TableConf: mustConf(t, Property{"enable-decimal256", "true"})}, tbl)
	if tp.Columns[1].Type.String() != "DECIMAL(65,30)" || !tp.NeedsDecimal256() {
		t.Errorf("with decimal256: %s", tp.Columns[1].Type)
	}
	for _, p := range tp.Properties {
		if p.Key == "enable-decimal256" {
			t.Error("enable-decimal256 is not a table property")
		}
	}
}

func TestPlanCollisions(t *testing.T) {
	shard := func(db string, amountType string) *schema.Table {
		return &schema.Table{ID: schema.TableID{Database: db, Name: "orders"}, PrimaryKey: []string{"id"}, Columns: []schema.Column{
			col(t, "id", "bigint", false), col(t, "amount", amountType, true),
		}}
	}
	p := mustPlanner(t, Options{Source: SourceMySQL, Naming: NamingRules{Database: "merged"}})
	// Same schema: the documented sharding merge, one Doris table for both.
	plan, err := p.Plan([]*schema.Table{shard("shop_1", "decimal(10,2)"), shard("shop_2", "decimal(10,2)")})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Tables) != 1 || len(plan.Tables[0].Sources) != 2 {
		t.Fatalf("merge: %d tables, sources %v", len(plan.Tables), plan.Tables[0].Sources)
	}
	for _, db := range []string{"shop_1", "shop_2"} {
		tp, ok := plan.Route(schema.TableID{Database: db, Name: "orders"})
		if !ok || tp.Database != "merged" || tp.Table != "orders" {
			t.Errorf("route %s: %v %v", db, tp, ok)
		}
	}
	// Different schemas: an error naming both tables and the difference.
	_, err = p.Plan([]*schema.Table{shard("shop_1", "decimal(10,2)"), shard("shop_2", "decimal(12,2)")})
	if err == nil || !strings.Contains(err.Error(), "shop_1.orders and shop_2.orders both map to Doris table merged.orders") ||
		!strings.Contains(err.Error(), `column "amount" is DECIMAL(10,2) in shop_1.orders and DECIMAL(12,2) in shop_2.orders`) {
		t.Errorf("collision: %v", err)
	}
	// Multi-to-one onto a table of another shape.
	p = mustPlanner(t, Options{Source: SourceMySQL, Naming: NamingRules{MultiToOneOrigin: "orders|refunds", MultiToOneTarget: "money|money"}})
	refunds := &schema.Table{ID: schema.TableID{Database: "shop", Name: "refunds"}, Columns: []schema.Column{col(t, "id", "bigint", false)}}
	_, err = p.Plan([]*schema.Table{shard("shop", "decimal(10,2)"), refunds})
	if err == nil || !strings.Contains(err.Error(), "both map to Doris table shop.money") {
		t.Errorf("multi-to-one collision: %v", err)
	}
	// Excluded tables are listed, not planned.
	p = mustPlanner(t, Options{Source: SourceMySQL, Naming: NamingRules{ExcludingTables: "refunds"}})
	plan, err = p.Plan([]*schema.Table{shard("shop", "int"), refunds})
	if err != nil || len(plan.Tables) != 1 || len(plan.Excluded) != 1 || plan.Excluded[0].Name != "refunds" {
		t.Errorf("exclude: %v %+v", err, plan)
	}
	if _, ok := plan.Route(refunds.ID); ok {
		t.Error("an excluded table has a route")
	}
}

func TestPlanUnknownTypeWarnsAndMapsToString(t *testing.T) {
	tbl := &schema.Table{ID: schema.TableID{Database: "d", Name: "t"}, Columns: []schema.Column{
		col(t, "id", "int", false), {Name: "v", TypeText: "vector(3)", Type: parse(t, "vector(3)"), Nullable: true},
	}}
	tp := mustPlan(t, Options{Source: SourceMySQL}, tbl)
	if tp.Columns[1].Type.String() != "STRING" {
		t.Errorf("unknown type: %s", tp.Columns[1].Type)
	}
	if len(tp.Warnings) != 1 || tp.Warnings[0].String() != `d.t.v: unsupported mysql type "vector": mapped to STRING (source type "vector(3)")` {
		t.Errorf("warnings: %v", tp.Warnings)
	}
}

func TestPlannerErrors(t *testing.T) {
	if _, err := NewPlanner(Options{Source: "informix"}); err == nil {
		t.Error("unknown source accepted")
	}
	if _, err := NewPlanner(Options{Source: SourceMySQL, Naming: NamingRules{IncludingTables: "("}}); err == nil {
		t.Error("bad regex accepted")
	}
	p := mustPlanner(t, Options{Source: SourceMySQL})
	empty := &schema.Table{ID: schema.TableID{Database: "d", Name: "t"}}
	if _, err := p.PlanTable(empty); err == nil || !strings.Contains(err.Error(), "no columns") {
		t.Errorf("no columns: %v", err)
	}
	dup := &schema.Table{ID: schema.TableID{Database: "d", Name: "t"}, Columns: []schema.Column{col(t, "a", "int", true)}}
	if _, err := p.Plan([]*schema.Table{dup, dup}); err == nil || !strings.Contains(err.Error(), "given twice") {
		t.Errorf("same table twice: %v", err)
	}
}
