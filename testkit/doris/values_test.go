package doris

import (
	"errors"
	"strings"
	"testing"
)

func mustType(t *testing.T, s string) Type {
	t.Helper()
	typ, err := ParseType(s, false)
	if err != nil {
		t.Fatalf("ParseType(%q): %v", s, err)
	}
	return typ
}

func TestConvertTextCanonicalForms(t *testing.T) {
	cases := []struct {
		typ, in, want string
	}{
		{"BOOLEAN", "true", "1"}, {"BOOLEAN", "FALSE", "0"}, {"BOOLEAN", "1", "1"}, {"BOOLEAN", "0", "0"},
		{"TINYINT", "-128", "-128"}, {"TINYINT", "127", "127"}, {"TINYINT", " 5 ", "5"}, {"TINYINT", "+7", "7"},
		{"INT", "1.9", "1"}, {"INT", "-0", "0"}, {"INT", "007", "7"},
		{"BIGINT", "-9223372036854775808", "-9223372036854775808"},
		{"LARGEINT", "170141183460469231731687303715884105727", "170141183460469231731687303715884105727"},
		{"LARGEINT", "-170141183460469231731687303715884105728", "-170141183460469231731687303715884105728"},
		{"DOUBLE", "1.5", "1.5"}, {"DOUBLE", "1e3", "1000"}, {"DOUBLE", "0.1", "0.1"},
		{"DOUBLE", "1e16", "1e+16"}, {"DOUBLE", "0.00001", "1e-05"}, {"FLOAT", "3.14", "3.14"},
		{"DECIMAL(10,2)", "1", "1.00"}, {"DECIMAL(10,2)", "1.005", "1.01"}, {"DECIMAL(10,2)", "-1.005", "-1.01"},
		{"DECIMAL(10,2)", "1.004", "1.00"}, {"DECIMAL(10,2)", "-0.001", "0.00"}, {"DECIMAL(5,0)", "99999.4", "99999"},
		{"DECIMAL(4,2)", "1.5e1", "15.00"}, {"DECIMAL(38,0)", "12345678901234567890123456789012345678", "12345678901234567890123456789012345678"},
		{"DATE", "2024-02-29", "2024-02-29"}, {"DATE", "2024-1-5", "2024-01-05"}, {"DATE", "20240105", "2024-01-05"},
		{"DATE", "2024-01-05 13:14:15", "2024-01-05"}, {"DATE", "0000-01-01", "0000-01-01"},
		{"DATETIME", "2024-01-05 13:14:15", "2024-01-05 13:14:15"}, {"DATETIME", "2024-01-05T13:14:15", "2024-01-05 13:14:15"},
		{"DATETIME", "2024-01-05", "2024-01-05 00:00:00"}, {"DATETIME", "2024-01-05 13:14:15.6", "2024-01-05 13:14:16"},
		{"DATETIME(3)", "2024-01-05 13:14:15.1", "2024-01-05 13:14:15.100"},
		{"DATETIME(3)", "2024-01-05 13:14:15.12345", "2024-01-05 13:14:15.123"},
		{"DATETIME(3)", "2024-01-05 13:14:15.1235", "2024-01-05 13:14:15.124"},
		{"DATETIME(6)", "2023-12-31 23:59:59.9999995", "2024-01-01 00:00:00.000000"},
		{"DATETIME", "9999-12-31 23:59:59", "9999-12-31 23:59:59"},
		{"VARCHAR(10)", "abc", "abc"}, {"VARCHAR(12)", "中文字符", "中文字符"}, {"CHAR(3)", "abc", "abc"},
		{"JSON", `{"a": [1, 2], "b":"x"}`, `{"a":[1,2],"b":"x"}`}, {"JSON", "12", "12"},
		{"IPV4", "192.168.0.1", "192.168.0.1"}, {"IPV6", "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
		{"ARRAY<INT>", "[1, 2,3]", "[1, 2, 3]"}, {"ARRAY<VARCHAR(5)>", `["a", null]`, `["a", null]`},
		{"ARRAY<DATE>", `["2024-1-2"]`, `["2024-01-02"]`},
	}
	for _, c := range cases {
		got, cerr := ConvertText(mustType(t, c.typ), c.in)
		if cerr != nil {
			t.Errorf("ConvertText(%s, %q): unexpected error %v", c.typ, c.in, cerr)
			continue
		}
		if got != c.want {
			t.Errorf("ConvertText(%s, %q) = %q, want %q", c.typ, c.in, got, c.want)
		}
	}
}

func TestConvertTextProblems(t *testing.T) {
	cases := []struct {
		typ, in string
		want    ValueProblem
	}{
		{"BOOLEAN", "yes", ProblemUnconvertible}, {"BOOLEAN", "2", ProblemUnconvertible},
		{"TINYINT", "128", ProblemUnconvertible}, {"TINYINT", "-129", ProblemUnconvertible},
		{"SMALLINT", "32768", ProblemUnconvertible}, {"INT", "2147483648", ProblemUnconvertible},
		{"BIGINT", "9223372036854775808", ProblemUnconvertible}, {"INT", "abc", ProblemUnconvertible},
		{"INT", "", ProblemUnconvertible}, {"INT", "1e3", ProblemUnconvertible},
		{"LARGEINT", "170141183460469231731687303715884105728", ProblemUnconvertible},
		{"LARGEINT", "-170141183460469231731687303715884105729", ProblemUnconvertible},
		{"DOUBLE", "NaN", ProblemUnconvertible}, {"DOUBLE", "inf", ProblemUnconvertible},
		{"DOUBLE", "0x10", ProblemUnconvertible}, {"FLOAT", "1e39", ProblemUnconvertible},
		{"DECIMAL(4,2)", "100", ProblemOutOfRange}, {"DECIMAL(4,2)", "99.995", ProblemOutOfRange},
		{"DECIMAL(1,0)", "10", ProblemOutOfRange}, {"DECIMAL(4,2)", "1.2.3", ProblemUnconvertible},
		{"DATE", "2024-13-01", ProblemUnconvertible}, {"DATE", "2023-02-29", ProblemUnconvertible},
		{"DATE", "2024-02-30", ProblemUnconvertible}, {"DATE", "10000-01-01", ProblemUnconvertible},
		{"DATE", "2024-00-10", ProblemUnconvertible}, {"DATE", "yesterday", ProblemUnconvertible},
		{"DATETIME", "2024-01-01 24:00:00", ProblemUnconvertible}, {"DATETIME", "2024-01-01 12:60:00", ProblemUnconvertible},
		{"DATETIME", "9999-12-31 23:59:59.9", ProblemUnconvertible},
		{"DATETIME", "2024-01-01T00:00:00Z", ProblemUnsupported}, {"DATETIME", "2024-01-01 00:00:00+08:00", ProblemUnsupported},
		{"VARCHAR(10)", "中文字符", ProblemOutOfRange}, {"CHAR(2)", "abc", ProblemOutOfRange},
		{"STRING", strings.Repeat("x", DefaultStringSize+1), ProblemOutOfRange},
		{"JSON", "{bad", ProblemUnconvertible}, {"JSON", "abc", ProblemUnconvertible},
		{"IPV4", "::1", ProblemUnconvertible}, {"IPV4", "300.1.1.1", ProblemUnconvertible},
		{"ARRAY<INT>", "[1, x]", ProblemUnconvertible}, {"ARRAY<INT>", "1", ProblemUnconvertible},
		{"MAP<INT,INT>", "{1:2}", ProblemUnsupported},
	}
	for _, c := range cases {
		got, cerr := ConvertText(mustType(t, c.typ), c.in)
		if cerr == nil {
			t.Errorf("ConvertText(%s, %.40q) = %q, want problem %d", c.typ, c.in, got, c.want)
			continue
		}
		if cerr.Problem != c.want {
			t.Errorf("ConvertText(%s, %.40q): problem %d (%s), want %d", c.typ, c.in, cerr.Problem, cerr.Detail, c.want)
		}
	}
}

func TestVarcharLengthIsBytesWithDorisReason(t *testing.T) {
	col := &Column{Name: "name", Type: mustType(t, "VARCHAR(10)"), Nullable: true}
	_, reason, err := LoadValue(col, SourceField{Text: "中文字符"}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := "column_name[name], the length of input is too long than schema. first 32 bytes of input str: [中文字符] schema length: 10; actual length: 12; "
	if reason != want {
		t.Fatalf("reason = %q\nwant     %q", reason, want)
	}
}

// STRING and JSON values are capped at the BE's string_type_length_soft_limit_bytes:
// 1 MB by default, more where the BE raises it.
func TestStringLimitIsTheBESetting(t *testing.T) {
	big := strings.Repeat("x", DefaultStringSize+1)
	for _, typ := range []string{"STRING", "JSON"} {
		col := &Column{Name: "c", Type: mustType(t, typ), Nullable: true}
		text := big
		if typ == "JSON" {
			text = `"` + big[2:] + `"`
		}
		if _, reason, err := LoadValue(col, SourceField{Text: text}, false); err != nil || !strings.Contains(reason, "schema length: 1048576; actual length: 1048577") {
			t.Errorf("%s over the default limit: reason %q, err %v", typ, reason, err)
		}
		v, reason, err := LoadValueLimit(col, SourceField{Text: text}, false, 2<<20)
		if err != nil || reason != "" || v.S != text {
			t.Errorf("%s under a raised limit: reason %q, err %v, %d bytes stored", typ, reason, err, len(v.S))
		}
	}
}

func TestLoadValueStrictAndNullSemantics(t *testing.T) {
	nullable := &Column{Name: "v", Type: mustType(t, "INT"), Nullable: true}
	notNull := &Column{Name: "n", Type: mustType(t, "INT")}

	// Non-strict: an unconvertible value becomes NULL in a nullable column…
	v, reason, err := LoadValue(nullable, SourceField{Text: "abc"}, false)
	if err != nil || reason != "" || !v.Null {
		t.Fatalf("non-strict unconvertible into nullable: %+v %q %v", v, reason, err)
	}
	// …and is filtered for a NOT NULL column.
	_, reason, _ = LoadValue(notNull, SourceField{Text: "abc"}, false)
	if reason != "column(n) values is null while columns is not nullable" {
		t.Fatalf("non-strict unconvertible into NOT NULL: %q", reason)
	}
	// Strict: filtered with Doris's strict-mode reason.
	_, reason, _ = LoadValue(nullable, SourceField{Text: "abc"}, true)
	if reason != "column(v) value is incorrect while strict mode is true, src value is abc" {
		t.Fatalf("strict unconvertible: %q", reason)
	}
	// NULL into NOT NULL is filtered in either mode; NULL into nullable is NULL.
	for _, strict := range []bool{false, true} {
		if _, reason, _ = LoadValue(notNull, SourceField{Null: true}, strict); reason == "" {
			t.Fatalf("NULL into NOT NULL accepted (strict=%v)", strict)
		}
		if v, reason, _ = LoadValue(nullable, SourceField{Null: true}, strict); reason != "" || !v.Null {
			t.Fatalf("NULL into nullable (strict=%v): %+v %q", strict, v, reason)
		}
	}
	// Range violations are filtered even in non-strict mode.
	dec := &Column{Name: "d", Type: mustType(t, "DECIMAL(4,2)"), Nullable: true}
	_, reason, _ = LoadValue(dec, SourceField{Text: "123.4"}, false)
	if !strings.HasPrefix(reason, "column_name[d], decimal value is not valid for definition") {
		t.Fatalf("decimal out of range: %q", reason)
	}
	// Unmodelled values fail the load instead of loading something wrong.
	dt := &Column{Name: "t", Type: mustType(t, "DATETIME"), Nullable: true}
	if _, _, err = LoadValue(dt, SourceField{Text: "2024-01-01T00:00:00Z"}, false); !errors.Is(err, ErrUnsupportedValue) {
		t.Fatalf("offset datetime: err = %v", err)
	}
}

func TestJSONFieldRendering(t *testing.T) {
	cases := map[string]SourceField{
		`null`:                           {Null: true},
		`true`:                           {Text: "1"},
		`false`:                          {Text: "0"},
		`"a\"b"`:                         {Text: `a"b`},
		`12.50`:                          {Text: "12.50"},
		`123456789012345678901234567890`: {Text: "123456789012345678901234567890"},
		`{ "x" : [1, 2] }`:               {Text: `{"x":[1,2]}`},
	}
	for in, want := range cases {
		if got := jsonField([]byte(in)); got != want {
			t.Errorf("jsonField(%s) = %+v, want %+v", in, got, want)
		}
	}
}
