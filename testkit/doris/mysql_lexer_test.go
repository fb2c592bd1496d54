package doris

import (
	"reflect"
	"strings"
	"testing"
)

func tokenTexts(t *testing.T, src string) []string {
	t.Helper()
	toks, err := sqlTokenize(src)
	if err != nil {
		t.Fatalf("tokenize %q: %v", src, err)
	}
	var out []string
	for _, tk := range toks {
		switch tk.kind {
		case sqlEOF:
		case sqlQuoted:
			out = append(out, "Q:"+tk.text)
		case sqlString:
			out = append(out, "S:"+tk.text)
		case sqlNumber:
			out = append(out, "N:"+tk.text)
		case sqlVar:
			out = append(out, "V:"+tk.text)
		default:
			out = append(out, tk.text)
		}
	}
	return out
}

func TestTokenizeDialect(t *testing.T) {
	cases := []struct {
		src  string
		want []string
	}{
		{"SELECT `we``ird`.`a b` FROM db.t", []string{"SELECT", "Q:we`ird", ".", "Q:a b", "FROM", "db", ".", "t"}},
		{`'it''s' "dq\"x" 'a\nb\\c\%'`, []string{"S:it's", `S:dq"x`, "S:a\nb\\c\\%"}},
		{"a -- comment\nb # hash\nc /* block\n */ d", []string{"a", "b", "c", "d"}},
		{"x--y", []string{"x", "-", "-", "y"}},
		{"1 2.5 .5 1e3 1abc -3", []string{"N:1", "N:2.5", "N:.5", "N:1e3", "1abc", "-", "N:3"}},
		{"@@session.time_zone @x a<=b c<>d e!=f", []string{"V:@@session.time_zone", "V:@x", "a", "<=", "b", "c", "<>", "d", "e", "!=", "f"}},
		{"ARRAY<MAP<INT,ARRAY<INT>>>", []string{"ARRAY", "<", "MAP", "<", "INT", ",", "ARRAY", "<", "INT", ">", ">", ">"}},
		{"名字 varchar", []string{"名字", "varchar"}},
	}
	for _, c := range cases {
		if got := tokenTexts(t, c.src); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q:\n got %q\nwant %q", c.src, got, c.want)
		}
	}
}

func TestTokenizeErrors(t *testing.T) {
	for src, want := range map[string]string{
		"SELECT 'abc":   "unterminated string(line 1, pos 7)",
		"SELECT `abc":   "unterminated quoted identifier(line 1, pos 7)",
		"SELECT 1 /* x": "unterminated comment(line 1, pos 9)",
		"a\n  'b":       "unterminated string(line 2, pos 2)",
	} {
		_, err := sqlTokenize(src)
		if err == nil || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("%q: got %v, want …%s", src, err, want)
		}
	}
}

func TestParserIdentifiers(t *testing.T) {
	p, err := newSQLParser("`select`.`we``ird` internal.d.t select")
	if err != nil {
		t.Fatal(err)
	}
	db, name, err := p.qualifiedName()
	if err != nil || db != "select" || name != "we`ird" {
		t.Fatalf("got %q %q %v", db, name, err)
	}
	if db, name, err = p.qualifiedName(); err != nil || db != "d" || name != "t" {
		t.Fatalf("catalog-qualified: got %q %q %v", db, name, err)
	}
	if _, err := p.ident(); err == nil || !strings.Contains(err.Error(), "mismatched input 'select' expecting an identifier") {
		t.Fatalf("reserved word accepted as identifier: %v", err)
	}
}

func TestParseColumnDef(t *testing.T) {
	p, err := newSQLParser("`c1` DECIMAL(10, 2) KEY NOT NULL DEFAULT '-1.5' COMMENT 'price \"x\"'")
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.parseColumnDef(false)
	if err != nil {
		t.Fatal(err)
	}
	if c.name != "c1" || c.typ.String() != "decimal(10,2)" || !c.key || c.nullable != nullNo || !c.hasDef ||
		c.defText != "-1.5" || c.comment != `price "x"` {
		t.Fatalf("parsed %+v", c)
	}
	p, _ = newSQLParser("ts DATETIME(3) NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)")
	if c, err = p.parseColumnDef(false); err != nil {
		t.Fatal(err)
	}
	if !c.defExpr || c.defText != "CURRENT_TIMESTAMP(3)" || c.onUpdate != "CURRENT_TIMESTAMP(3)" || c.nullable != nullYes {
		t.Fatalf("parsed %+v", c)
	}
	p, _ = newSQLParser("id BIGINT NOT NULL AUTO_INCREMENT(100), v INT SUM DEFAULT -3")
	if c, err = p.parseColumnDef(false); err != nil || !c.autoInc || c.autoStart != 100 {
		t.Fatalf("parsed %+v %v", c, err)
	}
	p.next()
	if c, err = p.parseColumnDef(false); err != nil || c.agg != "SUM" || c.defText != "-3" {
		t.Fatalf("parsed %+v %v", c, err)
	}
	p, _ = newSQLParser("tags ARRAY<VARCHAR(20)> NULL")
	if c, err = p.parseColumnDef(false); err != nil || c.typ.String() != "array<varchar(20)>" {
		t.Fatalf("parsed %+v %v", c, err)
	}
}

func TestParseCreateTable(t *testing.T) {
	p, err := newSQLParser(`CREATE TABLE IF NOT EXISTS d.t (
		id BIGINT NOT NULL COMMENT 'key',
		dt DATE NOT NULL,
		v VARCHAR(10),
		INDEX idx_v (v) USING INVERTED COMMENT 'inv'
	) ENGINE=OLAP
	UNIQUE KEY(id, dt)
	COMMENT "orders"
	AUTO PARTITION BY RANGE (date_trunc(` + "`dt`" + `, 'month')) ()
	DISTRIBUTED BY HASH(id) BUCKETS AUTO
	PROPERTIES ("replication_num" = "1", 'light_schema_change' = 'true');`)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := parseCreateTable(p, false)
	if err != nil {
		t.Fatal(err)
	}
	if !ct.ifNotExists || ct.db != "d" || ct.name != "t" || len(ct.cols) != 3 || ct.keysType != "UNIQUE" ||
		!reflect.DeepEqual(ct.keys, []string{"id", "dt"}) || ct.comment != "orders" || !ct.distHash ||
		ct.buckets != -1 || len(ct.props) != 2 || ct.engine != "OLAP" {
		t.Fatalf("parsed %+v", ct)
	}
	if ct.partition != "AUTO PARTITION BY RANGE (date_trunc(`dt`, 'month')) ()" || !reflect.DeepEqual(ct.partCols, []string{"dt"}) {
		t.Fatalf("partition %q %v", ct.partition, ct.partCols)
	}
	if len(ct.indexes) != 1 || ct.indexes[0].text != "INDEX idx_v (v) USING INVERTED COMMENT 'inv'" {
		t.Fatalf("indexes %+v", ct.indexes)
	}
	p, _ = newSQLParser("CREATE TABLE t (a INT) DISTRIBUTED BY HASH(a) BUCKETS 3 COMMENT 'late'")
	if _, err := parseCreateTable(p, false); err == nil || !strings.Contains(err.Error(), "mismatched input 'COMMENT' expecting <EOF>") {
		t.Fatalf("clause out of order accepted: %v", err)
	}
}
