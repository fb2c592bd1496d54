package doris

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestLoadJSONLinesArrayCSVAndGzip(t *testing.T) {
	h := newHarness(t, Options{})
	h.usersTable("db1", "users")

	r := h.load("db1", "users", map[string]string{"format": "json", "read_json_by_line": "true", "label": "l-ndjson"},
		"{\"id\":1,\"name\":\"a\",\"score\":1.5}\n{\"id\":2,\"name\":\"b\"}\n")
	wantStatus(t, r, StatusSuccess, "OK")
	if r.NumberTotalRows != 2 || r.NumberLoadedRows != 2 || r.Label != "l-ndjson" || r.TwoPhaseCommit != "false" {
		t.Fatalf("unexpected result %s", r.raw)
	}

	r = h.load("db1", "users", map[string]string{"format": "json", "strip_outer_array": "true"},
		`[{"id":3,"name":"c","score":"2"},{"id":1,"name":"a2","score":null}]`)
	wantStatus(t, r, StatusSuccess, "OK")
	if r.NumberLoadedRows != 2 || !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(r.Label) {
		t.Fatalf("want 2 rows and a generated UUID label: %s", r.raw)
	}

	// Neither layout header: read by line, as the newest BE does.
	r = h.load("db1", "users", map[string]string{"format": "json"}, `{"id":4,"name":"d"}`+"\n"+`{"id":5,"name":"e"}`)
	wantStatus(t, r, StatusSuccess, "OK")

	r = h.load("db1", "users", map[string]string{"column_separator": ","}, "6,f,3.25\n7,\\N,\\N\n")
	wantStatus(t, r, StatusSuccess, "OK")

	gz := gzipBytes(t, "8\th\t4\n")
	r = h.loadBytes("db1", "users", map[string]string{"compress_type": "gz"}, gz)
	wantStatus(t, r, StatusSuccess, "OK")
	if r.LoadBytes != int64(len(gz)) {
		t.Fatalf("LoadBytes = %d, want the %d bytes received", r.LoadBytes, len(gz))
	}
	gzJSON := gzipBytes(t, `{"id":9,"name":"i"}`)
	r = h.loadBytes("db1", "users", map[string]string{"format": "json", "compress_type": "GZ"}, gzJSON)
	wantStatus(t, r, StatusSuccess, "OK")

	wantRows(t, h.rows("db1", "users"),
		`id=1,name=a2,score=\N`, "id=2,name=b,score=\\N", "id=3,name=c,score=2.00", `id=4,name=d,score=\N`,
		`id=5,name=e,score=\N`, "id=6,name=f,score=3.25", `id=7,name=\N,score=\N`, "id=8,name=h,score=4.00",
		`id=9,name=i,score=\N`)
}

func TestLoadResponseFieldOrderAndForm(t *testing.T) {
	h := newHarness(t, Options{})
	h.usersTable("db1", "users")
	r := h.load("db1", "users", map[string]string{"label": "order1", "comment": "hi"}, "1\ta\t1\n")
	keys := regexp.MustCompile(`(?m)^    "([A-Za-z]+)": `).FindAllStringSubmatch(r.raw, -1)
	var got []string
	for _, k := range keys {
		got = append(got, k[1])
	}
	want := "TxnId Label Comment TwoPhaseCommit Status Message NumberTotalRows NumberLoadedRows NumberFilteredRows " +
		"NumberUnselectedRows LoadBytes LoadTimeMs BeginTxnTimeMs StreamLoadPutTimeMs ReadDataTimeMs WriteDataTimeMs CommitAndPublishTimeMs"
	if strings.Join(got, " ") != want {
		t.Fatalf("keys %v\nwant %s", got, want)
	}
	if !strings.HasPrefix(r.raw, "{\n    \"TxnId\": ") || !strings.HasSuffix(r.raw, "\n}\n") {
		t.Fatalf("not Doris's pretty form with trailing newline: %q", r.raw)
	}
	if !strings.Contains(r.raw, `"TwoPhaseCommit": "false"`) || !strings.Contains(r.raw, `"Comment": "hi"`) || r.TxnId < 1 {
		t.Fatalf("unexpected fields: %s", r.raw)
	}

	// A label conflict adds ExistingJobStatus after Status; a filtered load adds ErrorURL last.
	r = h.load("db1", "users", map[string]string{"label": "order1"}, "1\ta\t1\n")
	if !strings.Contains(r.raw, "\"Status\": \"Label Already Exists\",\n    \"ExistingJobStatus\": \"FINISHED\",\n    \"Message\"") {
		t.Fatalf("label conflict form: %s", r.raw)
	}
	r = h.load("db1", "users", nil, "x\ta\t1\n")
	if !regexp.MustCompile(`"CommitAndPublishTimeMs": \d+,\n    "ErrorURL": "http://[^"]+"\n}\n$`).MatchString(r.raw) {
		t.Fatalf("ErrorURL must be the last field: %s", r.raw)
	}
}

func TestLoadUnknownDatabaseAndTable(t *testing.T) {
	h := newHarness(t, Options{})
	h.usersTable("db1", "users")
	r := h.load("nodb", "users", nil, "1\ta\t1\n")
	wantStatus(t, r, StatusFail, "unknown database, database=nodb")
	if r.TxnId != -1 {
		t.Fatalf("TxnId = %d, want -1 (no txn begun)", r.TxnId)
	}
	r = h.load("db1", "nosuch", nil, "1\ta\t1\n")
	wantStatus(t, r, StatusFail, "errCode = 7, detailMessage = unknown table, tableName=nosuch")
}

func TestLoadBEAuthAndHeaderChecks(t *testing.T) {
	h := newHarness(t, Options{Password: "pw"})
	h.usersTable("db1", "users")
	auth := basicAuth("root", "pw")
	cases := []struct {
		name string
		hdr  map[string]string
		want string
	}{
		{"no auth", map[string]string{"Authorization": ""}, "[NOT_AUTHORIZED]no valid Basic authorization"},
		{"wrong password", map[string]string{"Authorization": basicAuth("root", "nope")}, "Access denied for user 'root@127.0.0.1' (using password: YES)"},
		{"unknown format", map[string]string{"Authorization": auth, "format": "xml"}, "unknown data format, format=xml"},
		{"unknown compression", map[string]string{"Authorization": auth, "compress_type": "zip"}, "unknown data format, format="},
		{"bad timeout", map[string]string{"Authorization": auth, "timeout": "soon"}, "Invalid timeout format"},
		{"timeout range", map[string]string{"Authorization": auth, "timeout": "0"}, "Invalid timeout: '0'. Expected values should be between 1 and 259200 seconds"},
		{"label regex", map[string]string{"Authorization": auth, "label": "bad label!"}, "Label format error. regex: ^[-_A-Za-z0-9:]{1,128}$, label: bad label!"},
		{"label too long", map[string]string{"Authorization": auth, "label": strings.Repeat("a", 129)}, "Label format error."},
		{"strict_mode", map[string]string{"Authorization": auth, "strict_mode": "yes"}, "Invalid strict mode format. Must be bool type"},
		{"merge type", map[string]string{"Authorization": auth, "merge_type": "UPSERT"}, "Invalid merge type UPSERT"},
		{"merge without delete", map[string]string{"Authorization": auth, "merge_type": "MERGE"}, "Excepted DELETE ON clause when merge type is MERGE."},
		{"delete without merge", map[string]string{"Authorization": auth, "merge_type": "APPEND", "delete": "id=1"}, "Not support DELETE ON clause when merge type is not MERGE."},
		{"enclose", map[string]string{"Authorization": auth, "enclose": "''"}, "enclose must be single-char, actually is ''"},
		{"escape", map[string]string{"Authorization": auth, "escape": "ab"}, "escape must be single-char, actually is ab"},
		{"partitions both", map[string]string{"Authorization": auth, "partitions": "p1", "temporary_partitions": "t1"}, "Can not specify both partitions and temporary partitions"},
		{"update mode", map[string]string{"Authorization": auth, "unique_key_update_mode": "PATCH"}, "Invalid unique_key_partial_mode PATCH, must be one of 'UPSERT', 'UPDATE_FIXED_COLUMNS' or 'UPDATE_FLEXIBLE_COLUMNS'"},
		{"group commit with label", map[string]string{"Authorization": auth, "group_commit": "sync_mode", "label": "x"}, "label and group_commit can't be set at the same time"},
		{"where not modelled", map[string]string{"Authorization": auth, "where": "id > 1"}, "[NOT_IMPLEMENTED_ERROR]the Doris stand-in does not model the where header"},
		{"column expression not modelled", map[string]string{"Authorization": auth, "columns": "id,name,score=score*2"}, "does not model column expressions"},
		{"hex separator", map[string]string{"Authorization": auth, "column_separator": `\x0`}, "Hex str length error"},
		{"NOT NULL not covered", map[string]string{"Authorization": auth, "columns": "name,score"}, "Column has no default value. column: id"},
		{"sequence on table without one", map[string]string{"Authorization": auth, "function_column.sequence_col": "score"}, "There is no sequence column in the table users"},
	}
	for _, c := range cases {
		r := h.loadBE("db1", "users", c.hdr, "1\ta\t1\n")
		if r.Status != StatusFail || !strings.Contains(r.Message, c.want) {
			t.Errorf("%s: got %s %q, want Fail containing %q", c.name, r.Status, r.Message, c.want)
		}
	}
	if rows := h.rows("db1", "users"); len(rows) != 0 {
		t.Fatalf("failed loads left rows: %v", rows)
	}
	// Failed loads released their labels.
	r := h.loadBE("db1", "users", map[string]string{"Authorization": auth, "label": "x"}, "1\ta\t1\n")
	wantStatus(t, r, StatusSuccess, "OK")
}

func TestLoadBENeedsContentLengthOrChunked(t *testing.T) {
	h := newHarness(t, Options{})
	h.usersTable("db1", "users")
	// A hand-written request without Content-Length or chunked encoding.
	conn, err := netDial(h.s.BEAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT /api/db1/users/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nConnection: close\r\n\r\n", basicAuth("root", ""))
	resp, err := http.ReadResponse(bufioReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	if !strings.Contains(body, "content_length is empty and transfer-encoding!=chunked, please set content_length or transfer-encoding=chunked") {
		t.Fatalf("got %s", body)
	}
	// Chunked bodies are accepted.
	r := h.putChunked(t, "1\ta\t1\n")
	wantStatus(t, r, StatusSuccess, "OK")
}

func TestLoadNotNullAndDefaults(t *testing.T) {
	h := newHarness(t, Options{})
	tt := h.addTable(&Table{DB: "db1", Name: "t", Keys: UniqueKeys, KeyCount: 1, MergeOnWrite: true, Columns: []Column{
		col(t, "id", "INT", false),
		{Name: "status", Type: mustType(t, "VARCHAR(8)"), HasDefault: true, Default: "new"},
		col(t, "required", "INT", false),
		{Name: "note", Type: mustType(t, "VARCHAR(8)"), Nullable: true},
	}})
	_ = tt
	// JSON: a missing key takes the default; a NOT NULL column without default is filtered.
	r := h.load("db1", "t", map[string]string{"format": "json", "max_filter_ratio": "0.5"},
		`{"id":1,"required":5}`+"\n"+`{"id":2,"status":"x"}`+"\n")
	wantStatus(t, r, StatusSuccess, "OK")
	if r.NumberLoadedRows != 1 || r.NumberFilteredRows != 1 {
		t.Fatalf("want 1 loaded 1 filtered: %s", r.raw)
	}
	_, log := h.get(r.ErrorURL)
	if !strings.Contains(log, "Reason: The column `required` is not nullable, but it's not found in jsondata.. src line [{\"id\":2,\"status\":\"x\"}]; ") {
		t.Fatalf("error log: %q", log)
	}
	wantRows(t, h.rows("db1", "t"), `id=1,status=new,required=5,note=\N`)

	// columns that leave a NOT NULL column without default uncovered fail at planning.
	r = h.load("db1", "t", map[string]string{"columns": "id,note"}, "3\tx\n")
	wantStatus(t, r, StatusFail, "Column has no default value. column: required")
	// Covered by the columns list: fine, and the default fills the rest.
	r = h.load("db1", "t", map[string]string{"columns": "required,id"}, "9\t3\n")
	wantStatus(t, r, StatusSuccess, "OK")
	// NULL into NOT NULL is filtered.
	r = h.load("db1", "t", map[string]string{"columns": "required,id"}, "\\N\t4\n")
	wantStatus(t, r, StatusFail, "[DATA_QUALITY_ERROR]too many filtered rows")
	wantRows(t, h.rows("db1", "t"), `id=1,status=new,required=5,note=\N`, `id=3,status=new,required=9,note=\N`)
}

func TestLoadDataQualityStrictAndFilterRatio(t *testing.T) {
	h := newHarness(t, Options{})
	h.addTable(&Table{DB: "db1", Name: "types", Keys: DupKeys, KeyCount: 1, Columns: []Column{
		col(t, "id", "INT", false),
		col(t, "name", "VARCHAR(10)", true),
		col(t, "amount", "DECIMAL(5,2)", true),
		col(t, "day", "DATE", true),
		col(t, "at", "DATETIME(3)", true),
		col(t, "big", "LARGEINT", true),
		col(t, "flag", "BOOLEAN", true),
		col(t, "doc", "JSON", true),
		col(t, "small", "TINYINT", true),
	}})
	good := `{"id":1,"name":"abc","amount":"12.345","day":"2024-2-29","at":"2024-02-29T10:11:12.3456","big":"170141183460469231731687303715884105727","flag":true,"doc":{"k":[1, 2]},"small":"300"}`
	r := h.load("db1", "types", map[string]string{"format": "json"}, good)
	wantStatus(t, r, StatusSuccess, "OK")
	wantRows(t, h.rows("db1", "types"),
		`id=1,name=abc,amount=12.35,day=2024-02-29,at=2024-02-29 10:11:12.346,big=170141183460469231731687303715884105727,flag=1,doc={"k":[1,2]},small=\N`)

	// Each of these rows is filtered regardless of strict mode; default ratio 0 fails the load.
	bad := []string{
		`{"id":2,"name":"中文字符"}`,     // 12 bytes into VARCHAR(10)
		`{"id":3,"amount":"1000"}`,   // DECIMAL(5,2) holds at most 999.99
		`{"id":4,"name":"ok","x":1}`, // fine
		`[1,2]`,                      // not an object (read by line, no strip_outer_array)
		`{"id":5`,                    // broken JSON
	}
	r = h.load("db1", "types", map[string]string{"format": "json", "read_json_by_line": "true"}, strings.Join(bad, "\n"))
	wantStatus(t, r, StatusFail, "[DATA_QUALITY_ERROR]too many filtered rows")
	if r.NumberTotalRows != 5 || r.NumberFilteredRows != 4 || r.NumberLoadedRows != 1 || r.ErrorURL == "" {
		t.Fatalf("counts: %s", r.raw)
	}
	code, log := h.get(r.ErrorURL)
	for _, want := range []string{
		"Reason: column_name[name], the length of input is too long than schema. first 32 bytes of input str: [中文字符] schema length: 10; actual length: 12; . src line [{\"id\":2,\"name\":\"中文字符\"}]; ",
		"Reason: column_name[amount], decimal value is not valid for definition, value=1000, precision=5, scale=2, min=-999.99, max=999.99; . src line [",
		"Reason: JSON data is array-object, `strip_outer_array` must be TRUE.. src line [[1,2]]; ",
		"Reason: Parse json data for JsonDoc failed.",
	} {
		if code != http.StatusOK || !strings.Contains(log, want) {
			t.Fatalf("error log (HTTP %d) lacks %q:\n%s", code, want, log)
		}
	}
	if rows := h.rows("db1", "types"); len(rows) != 1 {
		t.Fatalf("a failed load changed the table: %v", rows)
	}

	// With a ratio that tolerates them, the good row is loaded and ErrorURL is still given.
	r = h.load("db1", "types", map[string]string{"format": "json", "max_filter_ratio": "0.8"}, strings.Join(bad, "\n"))
	wantStatus(t, r, StatusSuccess, "OK")
	if r.NumberLoadedRows != 1 || r.ErrorURL == "" {
		t.Fatalf("tolerated load: %s", r.raw)
	}
	// 4/5 = 0.8 is not above 0.8, but 0.79 is below it.
	r = h.load("db1", "types", map[string]string{"format": "json", "max_filter_ratio": "0.79"}, strings.Join(bad, "\n"))
	wantStatus(t, r, StatusFail, "too many filtered rows")

	// Unconvertible values: NULL in non-strict mode, filtered in strict mode.
	r = h.load("db1", "types", map[string]string{"format": "json"}, `{"id":10,"day":"2024-02-30","flag":"maybe","doc":"not json","big":"1e3"}`)
	wantStatus(t, r, StatusSuccess, "OK")
	r = h.load("db1", "types", map[string]string{"format": "json", "strict_mode": "true"}, `{"id":11,"day":"2024-13-01"}`)
	wantStatus(t, r, StatusFail, "too many filtered rows")
	_, log = h.get(r.ErrorURL)
	if !strings.Contains(log, "column(day) value is incorrect while strict mode is true, src value is 2024-13-01") {
		t.Fatalf("strict error log: %q", log)
	}
	// Strict mode still accepts NULL for a nullable column.
	r = h.load("db1", "types", map[string]string{"format": "json", "strict_mode": "true"}, `{"id":12,"day":null}`)
	wantStatus(t, r, StatusSuccess, "OK")
	rows := h.rows("db1", "types")
	if rows[len(rows)-2] != `id=10,name=\N,amount=\N,day=\N,at=\N,big=\N,flag=\N,doc=\N,small=\N` {
		t.Fatalf("non-strict conversion failures must load NULLs: %v", rows)
	}
}

func TestLoadCSVOptions(t *testing.T) {
	h := newHarness(t, Options{})
	h.usersTable("db1", "users")
	r := h.load("db1", "users", map[string]string{"column_separator": `\x01`, "line_delimiter": `\x02`}, "1\x01a\x011\x022\x01b\x012")
	wantStatus(t, r, StatusSuccess, "OK")
	r = h.load("db1", "users", map[string]string{"column_separator": ",", "enclose": "'", "escape": `\`},
		"3,'x,y',1\n4,'it\\'s',2\n")
	wantStatus(t, r, StatusSuccess, "OK")
	r = h.load("db1", "users", map[string]string{"format": "csv_with_names", "column_separator": ","}, "id,name,score\n5,e,5\n")
	wantStatus(t, r, StatusSuccess, "OK")
	r = h.load("db1", "users", map[string]string{"column_separator": ",", "trim_double_quotes": "true", "skip_lines": "1"}, "junk\n6,\"f\",6\n")
	wantStatus(t, r, StatusSuccess, "OK")
	r = h.load("db1", "users", map[string]string{"column_separator": ",", "columns": "score,id,name"}, "7,7,g\n")
	wantStatus(t, r, StatusSuccess, "OK")
	wantRows(t, h.rows("db1", "users"), "id=1,name=a,score=1.00", "id=2,name=b,score=2.00", "id=3,name=x,y,score=1.00",
		"id=4,name=it's,score=2.00", "id=5,name=e,score=5.00", "id=6,name=f,score=6.00", "id=7,name=g,score=7.00")

	// A wrong column count is a filtered row with Doris's reason.
	r = h.load("db1", "users", map[string]string{"column_separator": ","}, "8,h\n")
	wantStatus(t, r, StatusFail, "too many filtered rows")
	_, log := h.get(r.ErrorURL)
	if !strings.Contains(log, "actual column number in csv file is  less than  schema column number.actual number: 2, column separator: [,], line delimiter: [\n], schema column number: 3; . src line [8,h]; ") {
		t.Fatalf("error log: %q", log)
	}
}

func TestLoadGroupCommit(t *testing.T) {
	h := newHarness(t, Options{})
	h.usersTable("db1", "users")
	r := h.load("db1", "users", map[string]string{"group_commit": "async_mode"}, "1\ta\t1\n")
	wantStatus(t, r, StatusSuccess, "OK")
	if !r.GroupCommit || !strings.HasPrefix(r.Label, "group_commit_") || strings.Contains(r.raw, "TwoPhaseCommit") ||
		strings.Contains(r.raw, "BeginTxnTimeMs") || strings.Contains(r.raw, "CommitAndPublishTimeMs") {
		t.Fatalf("group commit result form: %s", r.raw)
	}
	// 2PC silently disables group commit.
	r = h.load("db1", "users", map[string]string{"group_commit": "sync_mode", "two_phase_commit": "true"}, "2\tb\t2\n")
	if r.GroupCommit || r.TwoPhaseCommit != "true" {
		t.Fatalf("2PC must fall back to a normal load: %s", r.raw)
	}
	wantRows(t, h.rows("db1", "users"), "id=1,name=a,score=1.00")
}

func TestLoadJSONPathsAndRoot(t *testing.T) {
	h := newHarness(t, Options{})
	h.usersTable("db1", "users")
	r := h.load("db1", "users", map[string]string{
		"format": "json", "strip_outer_array": "true", "json_root": "$.data",
		"jsonpaths": `["$.key", "$.info.name", "$.scores[1]"]`, "columns": "id,name,score",
	}, `{"data":[{"key":1,"info":{"name":"a"},"scores":[9,1.5]},{"key":2,"info":{}}]}`)
	wantStatus(t, r, StatusSuccess, "OK")
	wantRows(t, h.rows("db1", "users"), "id=1,name=a,score=1.50", `id=2,name=\N,score=\N`)

	r = h.load("db1", "users", map[string]string{"format": "json", "jsonpaths": `$.id`}, `{"id":3}`)
	wantStatus(t, r, StatusFail, "Invalid json path: $.id")
	r = h.load("db1", "users", map[string]string{"format": "json", "json_root": "$.nothere"}, `{"id":3}`)
	wantStatus(t, r, StatusFail, "too many filtered rows")
	_, log := h.get(r.ErrorURL)
	if !strings.Contains(log, "Reason: JSON Root not found.. src line [{\"id\":3}]; ") {
		t.Fatalf("error log: %q", log)
	}
}

func TestLoadJSONBodySizeLimit(t *testing.T) {
	h := newHarness(t, Options{})
	h.usersTable("db1", "users")
	send := func(extra string) string {
		conn, err := netDial(h.s.BEAddr())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// The BE decides from the headers alone; the body is never sent.
		fmt.Fprintf(conn, "PUT /api/db1/users/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nExpect: 100-continue\r\nformat: json\r\n%sContent-Length: 104857601\r\nConnection: close\r\n\r\n", basicAuth("root", ""), extra)
		resp, err := http.ReadResponse(bufioReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		return readAll(t, resp)
	}
	body := send("strip_outer_array: true\r\n")
	if !strings.Contains(body, "json body size 104857601 bytes (100.00 MiB) exceeds the limit of 104857600 bytes (100 MiB) set by BE's conf streaming_load_json_max_mb") {
		t.Fatalf("JSON over 100 MB: %s", body)
	}
	// read_json_by_line lifts the JSON limit (the load then waits for its body; the
	// answer here is the header-phase outcome only when it fails).
	if body := send("read_json_by_line: true\r\ntimeout: 0\r\n"); !strings.Contains(body, "Invalid timeout: '0'") {
		t.Fatalf("by-line JSON should pass the size check: %s", body)
	}
}
