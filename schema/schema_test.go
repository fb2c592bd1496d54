package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestParseType(t *testing.T) {
	cases := []struct {
		in   string
		want SourceType
	}{
		{"int", SourceType{Name: "int"}},
		{"INT(11)", SourceType{Name: "int", Length: 11, HasLength: true}},
		{"tinyint(1)", SourceType{Name: "tinyint", Length: 1, HasLength: true}},
		{"bigint(20) unsigned", SourceType{Name: "bigint", Length: 20, HasLength: true, Unsigned: true}},
		{"BIGINT UNSIGNED ZEROFILL", SourceType{Name: "bigint", Unsigned: true, Zerofill: true}},
		{"int(10) signed", SourceType{Name: "int", Length: 10, HasLength: true}},
		{"decimal(38,9)", SourceType{Name: "decimal", Precision: 38, HasPrecision: true, Scale: 9, HasScale: true}},
		{"decimal(10, 2) unsigned", SourceType{Name: "decimal", Precision: 10, HasPrecision: true, Scale: 2, HasScale: true, Unsigned: true}},
		{"datetime(3)", SourceType{Name: "datetime", Precision: 3, HasPrecision: true}},
		{"varchar(255)", SourceType{Name: "varchar", Length: 255, HasLength: true}},
		{"varchar(20) CHARACTER SET latin1 COLLATE latin1_bin", SourceType{Name: "varchar", Length: 20, HasLength: true, Charset: "latin1"}},
		{"text charset utf8mb3", SourceType{Name: "text", Charset: "utf8mb3"}},
		{"varchar(10) binary", SourceType{Name: "varchar", Length: 10, HasLength: true}},
		{"binary(16)", SourceType{Name: "binary", Length: 16, HasLength: true}},
		{"enum('a','it''s','c,d')", SourceType{Name: "enum", EnumValues: []string{"a", "it's", "c,d"}}},
		{`set('x','y\'z')`, SourceType{Name: "set", EnumValues: []string{"x", "y'z"}}},
		{"character varying(64)", SourceType{Name: "character varying", Length: 64, HasLength: true}},
		{"double precision", SourceType{Name: "double precision"}},
		{"timestamp(3) with time zone", SourceType{Name: "timestamp with time zone", Precision: 3, HasPrecision: true}},
		{"timestamp without time zone", SourceType{Name: "timestamp without time zone"}},
		{"numeric", SourceType{Name: "numeric"}},
		{"bit varying(5)", SourceType{Name: "bit varying", Length: 5, HasLength: true}},
		{`"char"`, SourceType{Name: "char"}},
		{"_int4", SourceType{Name: "_int4"}},
		{"nvarchar(max)", SourceType{Name: "nvarchar", MaxLength: true}},
		{"int identity(1,1)", SourceType{Name: "int"}},
		{"datetime2(7)", SourceType{Name: "datetime2", Precision: 7, HasPrecision: true}},
		{"NUMBER", SourceType{Name: "number"}},
		{"NUMBER(*,0)", SourceType{Name: "number", Scale: 0, HasScale: true}},
		{"NUMBER(10)", SourceType{Name: "number", Precision: 10, HasPrecision: true}},
		{"NUMBER(8, -2)", SourceType{Name: "number", Precision: 8, HasPrecision: true, Scale: -2, HasScale: true}},
		{"VARCHAR2(50 CHAR)", SourceType{Name: "varchar2", Length: 50, HasLength: true, LengthUnit: UnitChars}},
		{"VARCHAR2(50 BYTE)", SourceType{Name: "varchar2", Length: 50, HasLength: true, LengthUnit: UnitBytes}},
		{"TIMESTAMP(6) WITH LOCAL TIME ZONE", SourceType{Name: "timestamp with local time zone", Precision: 6, HasPrecision: true}},
		{"INTERVAL DAY(2) TO SECOND(6)", SourceType{Name: "interval day to second", Precision: 2, HasPrecision: true}},
		{"LONG RAW", SourceType{Name: "long raw"}},
		{"CHAR(10) FOR BIT DATA", SourceType{Name: "char for bit data", Length: 10, HasLength: true}},
		{"objectId", SourceType{Name: "objectid"}},
	}
	for _, c := range cases {
		got, err := ParseType(c.in)
		if err != nil {
			t.Errorf("ParseType(%q): %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseType(%q)\n got %+v\nwant %+v", c.in, got, c.want)
		}
	}
}

func TestParseTypeArrays(t *testing.T) {
	got, err := ParseType("numeric(10,2)[]")
	if err != nil {
		t.Fatal(err)
	}
	want := SourceType{Name: "array", Elem: &SourceType{Name: "numeric", Precision: 10, HasPrecision: true, Scale: 2, HasScale: true}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v elem %+v", got, got.Elem)
	}
	got, err = ParseType("integer[][]")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "array" || got.Elem == nil || got.Elem.Name != "integer" {
		t.Errorf("integer[][]: got %+v", got)
	}
}

func TestParseTypeErrors(t *testing.T) {
	for _, in := range []string{"", "   ", "varchar(10", "enum('a)", "decimal(x,2)", "varchar(ten)", "int[", "(10)"} {
		if _, err := ParseType(in); err == nil {
			t.Errorf("ParseType(%q): want an error", in)
		}
	}
}

func TestTableIDString(t *testing.T) {
	cases := map[TableID]string{
		{Database: "test", Name: "t1"}:                "test.t1",
		{Database: "test", Schema: "dbo", Name: "t1"}: "test.dbo.t1",
		{Name: "t1"}: "t1",
	}
	for id, want := range cases {
		if got := id.String(); got != want {
			t.Errorf("%#v: got %q want %q", id, got, want)
		}
	}
}

func TestTableValidate(t *testing.T) {
	good := Table{
		ID:            TableID{Database: "d", Name: "t"},
		Columns:       []Column{{Name: "a"}, {Name: "b"}},
		PrimaryKey:    []string{"b", "a"},
		UniqueIndexes: []Index{{Name: "u", Columns: []string{"a"}}},
	}
	if err := good.Validate(); err != nil {
		t.Fatalf("valid table: %v", err)
	}
	if got := good.ColumnIndex("b"); got != 1 {
		t.Errorf("ColumnIndex(b) = %d", got)
	}
	if got := good.ColumnIndex("B"); got != -1 {
		t.Errorf("ColumnIndex is exact: ColumnIndex(B) = %d", got)
	}
	bad := []struct {
		name string
		mod  func(*Table)
		want string
	}{
		{"no columns", func(t *Table) { t.Columns = nil }, "no columns"},
		{"duplicate", func(t *Table) { t.Columns = append(t.Columns, Column{Name: "a"}) }, `column "a" twice`},
		{"pk missing", func(t *Table) { t.PrimaryKey = []string{"z"} }, `primary key column "z"`},
		{"index missing", func(t *Table) { t.UniqueIndexes[0].Columns = []string{"z"} }, `names column "z"`},
		{"no name", func(t *Table) { t.ID.Name = "" }, "no name"},
	}
	for _, b := range bad {
		tb := good
		tb.Columns = append([]Column(nil), good.Columns...)
		tb.UniqueIndexes = []Index{{Name: "u", Columns: []string{"a"}}}
		b.mod(&tb)
		err := tb.Validate()
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: got %v, want error containing %q", b.name, err, b.want)
		}
	}
}

func TestOpString(t *testing.T) {
	want := map[Op]string{OpInsert: "insert", OpUpdate: "update", OpDelete: "delete", OpDDL: "ddl", OpTruncate: "truncate", 0: "op(0)"}
	for op, s := range want {
		if op.String() != s {
			t.Errorf("%d: got %q want %q", op, op.String(), s)
		}
	}
}

// seqPos is a minimal position used to exercise the registry and comparison rules.
type seqPos struct {
	Server string `json:"server"`
	Seq    uint64 `json:"seq"`
}

func (p seqPos) Kind() string   { return "test-seq" }
func (p seqPos) String() string { return fmt.Sprintf("%s:%d", p.Server, p.Seq) }
func (p seqPos) Compare(o Position) (int, error) {
	q := o.(seqPos)
	if q.Server != p.Server {
		return 0, ErrIncomparable
	}
	switch {
	case p.Seq < q.Seq:
		return -1, nil
	case p.Seq > q.Seq:
		return 1, nil
	}
	return 0, nil
}

type otherPos struct{}

func (otherPos) Kind() string                  { return "test-other" }
func (otherPos) String() string                { return "other" }
func (otherPos) Compare(Position) (int, error) { return 0, nil }
func (otherPos) MarshalJSON() ([]byte, error)  { return []byte(`{}`), nil }
func decodeSeq(d json.RawMessage) (Position, error) {
	var p seqPos
	err := json.Unmarshal(d, &p)
	return p, err
}

func init() { RegisterPositionKind("test-seq", decodeSeq) }

func TestPositionRoundTripAndCompare(t *testing.T) {
	p := seqPos{Server: "a", Seq: 42}
	data, err := MarshalPosition(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != `{"kind":"test-seq","value":{"server":"a","seq":42}}` {
		t.Errorf("encoded as %s", data)
	}
	back, err := UnmarshalPosition(data)
	if err != nil {
		t.Fatal(err)
	}
	if back != Position(p) {
		t.Errorf("round trip: got %#v want %#v", back, p)
	}
	if c, err := ComparePositions(seqPos{"a", 1}, seqPos{"a", 2}); err != nil || c != -1 {
		t.Errorf("1 vs 2: %d %v", c, err)
	}
	if c, err := ComparePositions(seqPos{"a", 2}, seqPos{"a", 2}); err != nil || c != 0 {
		t.Errorf("2 vs 2: %d %v", c, err)
	}
	if c, err := ComparePositions(seqPos{"a", 3}, seqPos{"a", 2}); err != nil || c != 1 {
		t.Errorf("3 vs 2: %d %v", c, err)
	}
	if _, err := ComparePositions(seqPos{"a", 3}, otherPos{}); !errors.Is(err, ErrIncomparable) {
		t.Errorf("different kinds: got %v", err)
	}
	if _, err := ComparePositions(nil, otherPos{}); !errors.Is(err, ErrIncomparable) {
		t.Errorf("nil: got %v", err)
	}
	if _, err := ComparePositions(seqPos{"a", 1}, seqPos{"b", 1}); !errors.Is(err, ErrIncomparable) {
		t.Errorf("different servers: got %v", err)
	}
}

func TestPositionDecodeErrors(t *testing.T) {
	for in, want := range map[string]string{
		`{"kind":"nope","value":{}}`:      `unknown kind "nope"`,
		`{"value":{}}`:                    "no kind",
		`not json`:                        "unmarshal position",
		`{"kind":"test-seq","value":"x"}`: "unmarshal test-seq position",
	} {
		_, err := UnmarshalPosition([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", in, err, want)
		}
	}
	if _, err := MarshalPosition(nil); err == nil {
		t.Error("MarshalPosition(nil): want error")
	}
}

func TestRegisterPositionKindTwicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("registering test-seq again did not panic")
		}
	}()
	RegisterPositionKind("test-seq", decodeSeq)
}

// The marker is recognised only as itself: no value of the contract, and no look-alike
// struct, passes for it.
func TestUnchangedIsOnlyTheMarker(t *testing.T) {
	if !IsUnchanged(Unchanged) {
		t.Error("IsUnchanged(Unchanged) = false")
	}
	var copied any = Unchanged
	if copied != Unchanged {
		t.Error("a copy of the marker is not equal to it")
	}
	type lookalike struct{}
	for _, v := range []any{nil, int64(0), "", []byte(nil), Decimal("0"), JSON("null"), struct{}{}, lookalike{}, "<unchanged>"} {
		if IsUnchanged(v) {
			t.Errorf("IsUnchanged(%#v) = true", v)
		}
	}
}
