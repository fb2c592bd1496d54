package ddl

import (
	"errors"
	"strings"
	"testing"
)

func TestAlterStatements(t *testing.T) {
	c := Column{Name: "col", Type: Int, Nullable: true, Comment: `comment "'sdf'`}
	if got := AddColumnSQL("test", "test_flink", c, ""); got != "ALTER TABLE `test`.`test_flink` ADD COLUMN `col` INT NULL COMMENT 'comment \"\\'sdf\\''" {
		t.Errorf("add: %s", got)
	}
	c.Default = &Default{Literal: "10"}
	c.Comment = "中文注释"
	if got := AddColumnSQL("test", "test_flink", c, "id"); got != "ALTER TABLE `test`.`test_flink` ADD COLUMN `col` INT NULL DEFAULT '10' COMMENT '中文注释' AFTER `id`" {
		t.Errorf("add after: %s", got)
	}
	ts := Column{Name: "create_time", Type: DateTime(6), Nullable: true, Default: &Default{CurrentTimestamp: true}}
	if got := AddColumnSQL("test", "t1", ts, ""); got != "ALTER TABLE `test`.`t1` ADD COLUMN `create_time` DATETIME(6) NULL DEFAULT CURRENT_TIMESTAMP" {
		t.Errorf("add current_timestamp: %s", got)
	}
	if got := DropColumnSQL("test", "test_flink", "col"); got != "ALTER TABLE `test`.`test_flink` DROP COLUMN `col`" {
		t.Errorf("drop: %s", got)
	}
	if got := RenameColumnSQL("test", "test_flink", "col", "col_new"); got != "ALTER TABLE `test`.`test_flink` RENAME COLUMN `col` `col_new`" {
		t.Errorf("rename: %s", got)
	}
	if got := RenameColumnSQL("d", "we`ird", "select", "a`b"); got != "ALTER TABLE `d`.`we``ird` RENAME COLUMN `select` `a``b`" {
		t.Errorf("rename odd names: %s", got)
	}
	if got := CreateDatabaseSQL("select"); got != "CREATE DATABASE IF NOT EXISTS `select`" {
		t.Errorf("create database: %s", got)
	}
}

func TestModifyColumnAllowed(t *testing.T) {
	allowed := []struct{ from, to Type }{
		{TinyInt, SmallInt}, {TinyInt, LargeInt}, {Int, BigInt}, {BigInt, LargeInt}, {Int, Double}, {SmallInt, Float},
		{Int, Date}, {Int, Varchar(11)}, {BigInt, String}, {Float, Double}, {Double, Varchar(53)},
		{Decimal(10, 2), Decimal(18, 2)}, {Decimal(10, 2), Varchar(5)}, {Decimal(10, 2), String},
		{Varchar(10), Varchar(20)}, {Varchar(10), String}, {Varchar(10), Int}, {Varchar(10), Date}, {Varchar(10), JSON},
		{Char(5), Char(10)}, {Char(5), Varchar(5)}, {Char(5), Double},
		{Date, DateTime(0)}, {DateTime(3), Date}, {DateTime(0), DateTime(6)}, {JSON, String},
	}
	for _, a := range allowed {
		from := Column{Name: "c", Type: a.from, Nullable: true}
		to := from
		to.Type = a.to
		sql, err := ModifyColumnSQL("d", "t", from, to)
		if err != nil {
			t.Errorf("%s → %s: %v", a.from, a.to, err)
			continue
		}
		if want := "ALTER TABLE `d`.`t` MODIFY COLUMN `c` " + a.to.String() + " NULL"; sql != want {
			t.Errorf("%s → %s: %s", a.from, a.to, sql)
		}
	}
}

func TestModifyColumnNotAllowed(t *testing.T) {
	refused := []struct {
		from, to Type
		reason   string
	}{
		{Varchar(10), Varchar(9), "Shorten type length is prohibited, srcType=VARCHAR(10), dstType=VARCHAR(9)"},
		{Char(10), Char(5), "Shorten type length is prohibited"},
		{BigInt, Int, "Can not change BIGINT to INT"},
		{Int, Varchar(5), "Can not change from wider type INT to narrower type VARCHAR(5)"},
		{Double, Float, "Can not change DOUBLE to FLOAT"},
		{String, Varchar(100), "Can not change STRING to VARCHAR(100)"},
		{String, JSON, "Can not change STRING to JSON"},
		{Date, String, "Can not change DATE to STRING"},
		{DateTime(3), String, "Can not change DATETIME(3) to STRING"},
		{DateTime(6), DateTime(3), "fractional seconds would be lost"},
		{Decimal(10, 2), Decimal(10, 3), "only the precision may grow"},
		{Decimal(10, 2), Int, "Can not change DECIMAL(10,2) to INT"},
		{Boolean, Int, "Can not change BOOLEAN to INT"},
		{Boolean, String, "Can not change BOOLEAN to STRING"},
		{JSON, Int, "Can not change JSON to INT"},
		{BigInt, Date, "Can not change BIGINT to DATE"},
	}
	for _, r := range refused {
		from := Column{Name: "c", Type: r.from, Nullable: true}
		to := from
		to.Type = r.to
		_, err := ModifyColumnSQL("d", "t", from, to)
		var na *NotAllowedError
		if !errors.As(err, &na) {
			t.Errorf("%s → %s: got %v, want *NotAllowedError", r.from, r.to, err)
			continue
		}
		if !strings.Contains(na.Reason, r.reason) || !strings.Contains(err.Error(), "not allowed in Doris") {
			t.Errorf("%s → %s: %v, want reason %q", r.from, r.to, err, r.reason)
		}
	}
	base := Column{Name: "c", Type: Int, Nullable: true, Default: &Default{Literal: "0"}}
	for _, c := range []struct {
		mod  func(*Column)
		want string
	}{
		{func(c *Column) { c.Nullable = false }, "Can not change from nullable to non-nullable"},
		{func(c *Column) { c.Default = &Default{Literal: "1"} }, "Can not change default value"},
		{func(c *Column) { c.Default = nil }, "Can not change default value"},
		{func(c *Column) { c.Key = true }, "into or out of the key"},
		{func(c *Column) { c.Name = "d" }, "use RENAME COLUMN"},
	} {
		to := base
		c.mod(&to)
		_, err := ModifyColumnSQL("d", "t", base, to)
		var na *NotAllowedError
		if !errors.As(err, &na) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
	if _, err := ModifyColumnSQL("d", "t", base, base); !errors.Is(err, ErrNothingChanged) {
		t.Errorf("no change: %v", err)
	}
}

func TestModifyColumnRestatesDefinition(t *testing.T) {
	from := Column{Name: "k", Type: Int, Key: true, Default: &Default{Literal: "0"}, Comment: "the key"}
	to := from
	to.Type = BigInt
	sql, err := ModifyColumnSQL("d", "t", from, to)
	if err != nil {
		t.Fatal(err)
	}
	if sql != "ALTER TABLE `d`.`t` MODIFY COLUMN `k` BIGINT KEY NOT NULL DEFAULT '0' COMMENT 'the key'" {
		t.Errorf("got %s", sql)
	}
	// NOT NULL → NULL is a relaxation Doris allows.
	from = Column{Name: "v", Type: Varchar(10)}
	to = Column{Name: "v", Type: Varchar(10), Nullable: true}
	if sql, err := ModifyColumnSQL("d", "t", from, to); err != nil || sql != "ALTER TABLE `d`.`t` MODIFY COLUMN `v` VARCHAR(10) NULL" {
		t.Errorf("relax nullability: %s %v", sql, err)
	}
}

func TestDiffExistingTable(t *testing.T) {
	tp := &TablePlan{Database: "d", Table: "t", Model: ModelUnique, Keys: []string{"id"}, Columns: []Column{
		{Name: "id", Type: BigInt, Key: true},
		{Name: "name", Type: Varchar(400), Nullable: true},
		{Name: "price", Type: Decimal(10, 2), Nullable: true},
		{Name: "created", Type: DateTime(3), Nullable: true},
		{Name: "added", Type: Int, Nullable: false, Default: &Default{Literal: "7"}},
		{Name: "more", Type: String, Nullable: true},
		{Name: "flag", Type: Boolean, Nullable: true},
	}}
	existing := ExistingTable{Model: ModelUnique, Columns: []ExistingColumn{
		{Name: "ID", Type: "bigint(20)", Key: true},
		{Name: "name", Type: "varchar(300)", Nullable: true},
		{Name: "price", Type: "DECIMALV3(12, 2)", Nullable: true},
		{Name: "created", Type: "datetimev2(6)", Nullable: false},
		{Name: "flag", Type: "tinyint(4)", Nullable: true},
		{Name: "extra", Type: "text", Nullable: true},
	}}
	d := tp.Diff(existing)
	var missing []string
	for _, m := range d.Missing {
		missing = append(missing, m.Column.Name+" after "+m.After)
		if !m.Column.Nullable {
			t.Errorf("%s: added columns must be nullable", m.Column.Name)
		}
	}
	if join(missing) != "added after created,more after added" {
		t.Errorf("missing: %v", missing)
	}
	stmts := d.AddColumnStatements("d", "t")
	if len(stmts) != 2 || stmts[0] != "ALTER TABLE `d`.`t` ADD COLUMN `added` INT NULL DEFAULT '7' AFTER `created`" {
		t.Errorf("statements: %q", stmts)
	}
	var incompatible []string
	for _, i := range d.Incompatible {
		incompatible = append(incompatible, i.String())
	}
	want := []string{
		`column "name": the Doris column is VARCHAR(300) but the source needs VARCHAR(400): too short; widen it with ALTER TABLE … MODIFY COLUMN`,
		`column "created": the Doris column is NOT NULL but the source column can be NULL`,
	}
	if strings.Join(incompatible, "\n") != strings.Join(want, "\n") {
		t.Errorf("incompatible:\n%s\nwant:\n%s", strings.Join(incompatible, "\n"), strings.Join(want, "\n"))
	}

	// Model and key mismatches, and a missing key column.
	d = tp.Diff(ExistingTable{Model: ModelDuplicate, Columns: []ExistingColumn{{Name: "name", Type: "varchar(400)", Key: true, Nullable: true}}})
	got := ""
	for _, i := range d.Incompatible {
		got += i.String() + "\n"
	}
	assertContains(t, got, "the Doris table is DUPLICATE KEY but the source needs UNIQUE KEY (updates and deletes would add rows instead of replacing them)")
	assertContains(t, got, `column "id": key column missing from the Doris table`)
	d = tp.Diff(ExistingTable{Model: ModelUnique, Columns: []ExistingColumn{{Name: "id", Type: "bigint", Key: true}, {Name: "name", Type: "varchar(400)", Key: true, Nullable: true}}})
	if len(d.Incompatible) != 1 || !strings.Contains(d.Incompatible[0].Reason, "the Doris UNIQUE KEY is (id, name) but the source key is (id)") {
		t.Errorf("key mismatch: %v", d.Incompatible)
	}
}

func TestDiffDuplicateSortKeyIsAddable(t *testing.T) {
	// A DUPLICATE table's key is only a sort key: a missing one is added as a value column.
	tp := &TablePlan{Model: ModelDuplicate, Keys: []string{"ts"}, Columns: []Column{
		{Name: "ts", Type: DateTime(0), Key: true, Nullable: true},
		{Name: "msg", Type: String, Nullable: true},
	}}
	d := tp.Diff(ExistingTable{Model: ModelDuplicate, Columns: []ExistingColumn{{Name: "msg", Type: "text", Nullable: true, Key: false}}})
	if len(d.Incompatible) != 0 || len(d.Missing) != 1 || d.Missing[0].Column.Key || d.Missing[0].After != "" {
		t.Errorf("got %+v", d)
	}
}

func TestHolds(t *testing.T) {
	ok := []struct{ have, want Type }{
		{BigInt, Int}, {LargeInt, BigInt}, {Decimal(20, 0), BigInt}, {Double, Int}, {String, Int}, {Varchar(20), BigInt},
		{Decimal(12, 3), Decimal(10, 2)}, {DateTime(6), DateTime(3)}, {DateTime(0), Date}, {String, JSON},
		{Varchar(100), Char(10)}, {JSON, JSON}, {Double, Float}, {Int, Boolean},
	}
	for _, c := range ok {
		if r := holds(c.have, c.want); r != "" {
			t.Errorf("%s should hold %s: %s", c.have, c.want, r)
		}
	}
	bad := []struct{ have, want Type }{
		{Int, BigInt}, {Double, BigInt}, {Decimal(10, 2), Decimal(10, 3)}, {Decimal(10, 2), Decimal(12, 2)},
		{DateTime(0), DateTime(3)}, {Date, DateTime(0)}, {Varchar(5), Varchar(6)}, {Varchar(65533), String},
		{Varchar(100), JSON}, {Float, Double}, {Int, String},
	}
	for _, c := range bad {
		if holds(c.have, c.want) == "" {
			t.Errorf("%s should not hold %s", c.have, c.want)
		}
	}
}

func TestParseDorisType(t *testing.T) {
	cases := map[string]string{
		"varchar(20)": "VARCHAR(20)", "VARCHAR(*)": "VARCHAR(65533)", "varchar": "VARCHAR(65533)",
		"DECIMALV3(9, 0)": "DECIMAL(9,0)", "decimal(10,2)": "DECIMAL(10,2)", "decimal": "DECIMAL(9,0)",
		"datetimev2(3)": "DATETIME(3)", "datetime": "DATETIME", "DATEV2": "DATE",
		"int(11)": "INT", "bigint(20)": "BIGINT", "largeint(40)": "LARGEINT", "tinyint(4)": "TINYINT",
		"text": "STRING", "string": "STRING", "jsonb": "JSON", "JSON": "JSON", "char(10)": "CHAR(10)", "char": "CHAR(1)",
		"array<int(11)>": "ARRAY<INT>", "ARRAY<VARCHAR(10)>": "ARRAY<VARCHAR(10)>",
		"map<string,int>": "map<string,int>", "ipv4": "IPV4", "variant": "VARIANT", "hll": "hll",
		"boolean": "BOOLEAN", "double": "DOUBLE", "float": "FLOAT", "smallint(6)": "SMALLINT",
	}
	for in, want := range cases {
		got, err := ParseType(in)
		if err != nil {
			t.Errorf("ParseType(%q): %v", in, err)
			continue
		}
		if got.String() != want {
			t.Errorf("ParseType(%q) = %s, want %s", in, got, want)
		}
	}
	for _, bad := range []string{"", "varchar(x)", "decimal(10", "array<int", "int extra"} {
		if _, err := ParseType(bad); err == nil {
			t.Errorf("ParseType(%q): want error", bad)
		}
	}
}
