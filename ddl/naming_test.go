package ddl

import (
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/schema"
)

func TestQuote(t *testing.T) {
	cases := map[string]string{
		"select":         "`select`",
		"we`ird":         "`we``ird`",
		"``":             "``````",
		"normal_name":    "`normal_name`",
		"with space.dot": "`with space.dot`",
	}
	for in, want := range cases {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
	if got := QuoteTable("my db", "we`ird"); got != "`my db`.`we``ird`" {
		t.Errorf("QuoteTable: %s", got)
	}
}

func TestQuoteString(t *testing.T) {
	cases := map[string]string{
		"plain":               `'plain'`,
		"it's":                `'it\'s'`,
		`back\slash`:          `'back\\slash'`,
		`\'`:                  `'\\\''`,
		"two\nlines\ttab\r":   `'two\nlines\ttab\r'`,
		"nul\x00":             `'nul\0'`,
		`comment "'sdf'`:      `'comment "\'sdf\''`,
		"中文注释":                `'中文注释'`,
		"'; DROP TABLE t; --": `'\'; DROP TABLE t; --'`,
	}
	for in, want := range cases {
		if got := QuoteString(in); got != want {
			t.Errorf("QuoteString(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestValidateNames(t *testing.T) {
	for _, ok := range []string{"a", "ods", "My_DB-1", "a" + strings.Repeat("b", 63)} {
		if err := ValidateDatabaseName(ok); err != nil {
			t.Errorf("database %q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "1db", "_db", "my.db", "we`ird", "a" + strings.Repeat("b", 64), "数据"} {
		err := ValidateDatabaseName(bad)
		if err == nil || !strings.Contains(err.Error(), DatabaseNamePattern) {
			t.Errorf("database %q: got %v, want an error quoting the rule", bad, err)
		}
	}
	for _, ok := range []string{"t", "ods_orders-2024", "T" + strings.Repeat("x", 63)} {
		if err := ValidateTableName(ok); err != nil {
			t.Errorf("table %q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "1t", "order.items", "we`ird", "select*", "t" + strings.Repeat("x", 64), "表"} {
		err := ValidateTableName(bad)
		if err == nil || !strings.Contains(err.Error(), TableNamePattern) {
			t.Errorf("table %q: got %v, want an error quoting the rule", bad, err)
		}
	}
	for _, ok := range []string{"select", "id", "_x", "1col", "a.b", "with space", "a@b#c$%^&*", `q"uote`, "x:y,z", "@at"} {
		if err := ValidateColumnName(ok); err != nil {
			t.Errorf("column %q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "we`ird", "名字", ".lead", "a'b", strings.Repeat("c", 257), "mv_x", "MVA_y", "__doris_shadow_a", "__DORIS_DELETE_SIGN__"} {
		if err := ValidateColumnName(bad); err == nil {
			t.Errorf("column %q: want an error", bad)
		}
	}
}

func TestNamerRules(t *testing.T) {
	// First matching multi-to-one rule in the given order wins (the anchor's HashMap order
	// made overlapping rules arbitrary).
	n := mustNamer(t, NamingRules{TablePrefix: "p_", MultiToOneOrigin: "order_.*|order_2024.*|item.*", MultiToOneTarget: "orders|orders_2024|items"})
	for in, want := range map[string]string{
		"order_2023_01": "orders", "order_2024_01": "orders", "item_a": "items", "itemized": "items",
		"customer": "p_customer", "xorder_1": "p_xorder_1",
	} {
		if got := n.TableName(in); got != want {
			t.Errorf("TableName(%q) = %s, want %s", in, got, want)
		}
	}
	// Include/exclude are full matches, case-sensitive; exclusion wins.
	n = mustNamer(t, NamingRules{IncludingTables: "orders|items_.*", ExcludingTables: "items_tmp"})
	for in, want := range map[string]bool{
		"orders": true, "orders2": false, "my_orders": false, "items_a": true, "items_tmp": false, "Orders": false,
	} {
		if got := n.Includes(in); got != want {
			t.Errorf("Includes(%q) = %v, want %v", in, got, want)
		}
	}
	// "_" and "%" are not wildcards (the anchor passed names as JDBC LIKE patterns).
	n = mustNamer(t, NamingRules{IncludingTables: "a_b"})
	if n.Includes("axb") || !n.Includes("a_b") {
		t.Error("a_b must only match a_b")
	}
	if n := mustNamer(t, NamingRules{}); !n.Includes("anything") {
		t.Error("no rules: every table is included")
	}
}

func TestNamerErrors(t *testing.T) {
	cases := []struct {
		r    NamingRules
		want string
	}{
		{NamingRules{IncludingTables: "(?=x)"}, "--including-tables"},
		{NamingRules{ExcludingTables: "a("}, "--excluding-tables"},
		{NamingRules{MultiToOneOrigin: "a.*"}, "must be given together"},
		{NamingRules{MultiToOneTarget: "a"}, "must be given together"},
		{NamingRules{MultiToOneOrigin: "a.*|b.*", MultiToOneTarget: "a"}, "2 rules but --multi-to-one-target has 1"},
		{NamingRules{MultiToOneOrigin: "a(", MultiToOneTarget: "a"}, "--multi-to-one-origin"},
		{NamingRules{MultiToOneOrigin: "a.*", MultiToOneTarget: "bad.name"}, "--multi-to-one-target"},
		{NamingRules{Database: "bad-db!"}, "--database"},
	}
	for _, c := range cases {
		_, err := NewNamer(c.r)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want error containing %q", c.r, err, c.want)
		}
	}
}

func TestNamerTargetErrorsNameTheSourceTable(t *testing.T) {
	n := mustNamer(t, NamingRules{})
	_, _, err := n.Target(schema.TableID{Database: "shop", Name: "order.items"})
	if err == nil || !strings.Contains(err.Error(), "source table shop.order.items") || !strings.Contains(err.Error(), TableNamePattern) {
		t.Errorf("bad table name: %v", err)
	}
	_, _, err = n.Target(schema.TableID{Database: "my-shop.v2", Name: "t"})
	if err == nil || !strings.Contains(err.Error(), "source table my-shop.v2.t") || !strings.Contains(err.Error(), "--database") {
		t.Errorf("bad database name: %v", err)
	}
	n = mustNamer(t, NamingRules{TablePrefix: "ods_", Database: "ods"})
	_, _, err = n.Target(schema.TableID{Database: "x", Name: strings.Repeat("t", 61)})
	if err == nil || !strings.Contains(err.Error(), "at most 64") {
		t.Errorf("too long with prefix: %v", err)
	}
}

func TestParseTableConfErrors(t *testing.T) {
	cases := []struct {
		p    Property
		want string
	}{
		{Property{"table-buckets", "t:0"}, "The number of buckets must be positive"},
		{Property{"table-buckets", "t:-1"}, "The number of buckets must be positive"},
		{Property{"table-buckets", "t:x"}, "is not a number"},
		{Property{"table-buckets", "t"}, "is not table:buckets"},
		{Property{"table-buckets", ":3"}, "has no table name"},
		{Property{"table-buckets", "a(:3"}, "not a valid regular expression"},
		{Property{"table-partitions", "t:c"}, "is not table:column:interval"},
		{Property{"table-partitions", "t:c:fortnight"}, `interval "fortnight"`},
		{Property{"convert-uniq-to-pk", "yes"}, "want true or false"},
		{Property{"enable-decimal256", "1"}, "want true or false"},
	}
	for _, c := range cases {
		_, err := ParseTableConf([]Property{c.p})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want error containing %q", c.p, err, c.want)
		}
	}
}

func TestParseTableConfProperties(t *testing.T) {
	c := mustConf(t,
		Property{"storage_medium", "SSD"},
		Property{"table-buckets", "a:3"},
		Property{"replication_num", "1"},
		Property{"convert-uniq-to-pk", "TRUE"},
		Property{"enable-decimal256", "true"},
		Property{"enable_unique_key_merge_on_write", "true"},
		Property{"storage_medium", "HDD"},
	)
	var got []string
	for _, p := range c.tableProperties() {
		got = append(got, p.Key+"="+p.Value)
	}
	// Special keys are not properties; the order given is kept; a repeated key keeps its
	// place and takes the last value; light_schema_change is added last.
	if join(got) != "storage_medium=HDD,replication_num=1,enable_unique_key_merge_on_write=true,light_schema_change=true" {
		t.Errorf("properties: %v", got)
	}
	if !c.ConvertUniqToPK || !c.Decimal256 || c.BucketsFor("a") != 3 {
		t.Errorf("special keys: %+v", c)
	}
	c = mustConf(t, Property{"light_schema_change", "false"}, Property{"replication_num", "3"})
	got = nil
	for _, p := range c.tableProperties() {
		got = append(got, p.Key+"="+p.Value)
	}
	if join(got) != "light_schema_change=false,replication_num=3" {
		t.Errorf("explicit light_schema_change: %v", got)
	}
}
