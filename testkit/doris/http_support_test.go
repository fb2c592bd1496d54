package doris

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestFaultsFailHTTP500ResetAndCount(t *testing.T) {
	h := newHarness(t, Options{})
	h.usersTable("db1", "users")
	beURL := "http://" + h.s.BEAddr() + "/api/db1/users/_stream_load"

	h.s.InjectFault(Fault{Match: FaultMatch{Table: "users"}, Action: FaultFail, Count: 2})
	for i := 0; i < 2; i++ {
		r := h.load("db1", "users", map[string]string{"label": "f1"}, "1\ta\t1\n")
		if r.Status != StatusFail || r.Message != FaultMessage || r.TxnId != -1 {
			t.Fatalf("load %d under fail fault: %s", i, r.raw)
		}
	}
	wantStatus(t, h.load("db1", "users", map[string]string{"label": "f1"}, "1\ta\t1\n"), StatusSuccess, "OK")

	h.s.InjectFault(Fault{Action: FaultHTTP500})
	resp, body := h.put(beURL, withDefaults(nil), []byte("2\tb\t2\n"))
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("http500 fault: %d %s", resp.StatusCode, body)
	}

	h.s.InjectFault(Fault{Action: FaultReset})
	req, _ := http.NewRequest(http.MethodPut, beURL, strings.NewReader("2\tb\t2\n"))
	for k, v := range withDefaults(nil) {
		req.Header.Set(k, v)
	}
	if resp, err := h.client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("reset fault answered %d", resp.StatusCode)
	}
	wantRows(t, h.rows("db1", "users"), "id=1,name=a,score=1.00")

	// Faults match by database, table and label prefix.
	h.s.InjectFault(Fault{Match: FaultMatch{DB: "db1", Table: "users", Label: "x-"}, Action: FaultFail})
	wantStatus(t, h.load("db1", "users", map[string]string{"label": "y-1"}, "3\tc\t3\n"), StatusSuccess, "OK")
	wantStatus(t, h.load("db1", "users", map[string]string{"label": "x-1"}, "3\tc\t3\n"), StatusFail, FaultMessage)
}

func TestFaultsAfterCommitPublishTimeoutLabelRunningSlow(t *testing.T) {
	h := newHarness(t, Options{})
	h.usersTable("db1", "users")

	// reset_after_commit: the answer is lost but the data is in; the label says FINISHED.
	h.s.InjectFault(Fault{Action: FaultResetAfterCommit})
	req, _ := http.NewRequest(http.MethodPut, "http://"+h.s.BEAddr()+"/api/db1/users/_stream_load", strings.NewReader("1\ta\t1\n"))
	for k, v := range withDefaults(map[string]string{"label": "lost"}) {
		req.Header.Set(k, v)
	}
	if resp, err := h.client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("reset_after_commit answered %d", resp.StatusCode)
	}
	wantRows(t, h.rows("db1", "users"), "id=1,name=a,score=1.00")
	if d := h.load("db1", "users", map[string]string{"label": "lost"}, "1\ta\t1\n"); d.ExistingJobStatus != "FINISHED" {
		t.Fatalf("retry after a lost answer: %s", d.raw)
	}

	h.s.InjectFault(Fault{Action: FaultPublishTimeout})
	r := h.load("db1", "users", map[string]string{"label": "pt"}, "2\tb\t2\n")
	wantStatus(t, r, StatusPublishTimeout, "transaction commit successfully, BUT data will be visible later")
	wantRows(t, h.rows("db1", "users"), "id=1,name=a,score=1.00", "id=2,name=b,score=2.00")
	got := h.twoPC("db1", map[string]string{"txn_id": fmt.Sprint(r.TxnId), "txn_operation": "commit"})
	if got["msg"] != fmt.Sprintf("errCode = 2, detailMessage = transaction [%d] is already committed, not pre-committed.", r.TxnId) {
		t.Fatalf("commit of a committed txn: %v", got)
	}

	h.s.InjectFault(Fault{Action: FaultLabelRunning})
	r = h.load("db1", "users", map[string]string{"label": "lr"}, "3\tc\t3\n")
	if r.Status != StatusLabelExists || r.ExistingJobStatus != "RUNNING" || r.TxnId != -1 || !strings.Contains(r.Message, "Label [lr] has already been used, relate to txn [") {
		t.Fatalf("label_running fault: %s", r.raw)
	}

	h.s.InjectFault(Fault{Action: FaultSlow, DelayMs: 20})
	wantStatus(t, h.load("db1", "users", map[string]string{"label": "lr"}, "3\tc\t3\n"), StatusSuccess, "OK")

	var faults []string
	for _, rec := range h.s.Loads() {
		if rec.Fault != "" {
			faults = append(faults, rec.Fault)
		}
	}
	if strings.Join(faults, ",") != "reset_after_commit,publish_timeout,label_running,slow" {
		t.Fatalf("faults recorded: %v", faults)
	}
}

func TestFaultTimeoutHoldsUntilClientGivesUp(t *testing.T) {
	h := newHarness(t, Options{})
	h.usersTable("db1", "users")
	h.s.InjectFault(Fault{Action: FaultTimeout})
	client := &http.Client{Timeout: 200 * time.Millisecond}
	req, _ := http.NewRequest(http.MethodPut, "http://"+h.s.BEAddr()+"/api/db1/users/_stream_load", strings.NewReader("1\ta\t1\n"))
	for k, v := range withDefaults(nil) {
		req.Header.Set(k, v)
	}
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("timeout fault answered %d", resp.StatusCode)
	}
	if rows := h.rows("db1", "users"); len(rows) != 0 {
		t.Fatalf("a held load stored rows: %v", rows)
	}
}

func TestCloseReleasesHeldRequests(t *testing.T) {
	s, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, s: s, client: &http.Client{Transport: &http.Transport{ExpectContinueTimeout: time.Minute}}}
	h.usersTable("db1", "users")
	s.InjectFault(Fault{Action: FaultTimeout})
	pw, res := h.streamingLoad("db1", "users", nil, "1\ta\t1\n")
	pw.Close()
	s.Close() // must return although the request is being held
	if r, ok := <-res; ok {
		t.Fatalf("held request got an answer: %s", r.raw)
	}
}

func TestHTTPFaultEndpointsAndLoadsLog(t *testing.T) {
	h := newHarness(t, Options{})
	h.usersTable("db1", "users")
	base := "http://" + h.s.HTTPAddr()

	post := func(body string) int {
		resp, err := h.client.Post(base+"/_standin/faults", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(`{"match":{"table":"users"},"action":"explode","count":1}`); code != http.StatusBadRequest {
		t.Fatalf("unknown action accepted: %d", code)
	}
	if code := post(`{"match":{"table":"users","label":"a"},"action":"fail","count":5}`); code != http.StatusOK {
		t.Fatalf("fault rejected: %d", code)
	}
	wantStatus(t, h.load("db1", "users", map[string]string{"label": "a1"}, "1\ta\t1\n"), StatusFail, FaultMessage)
	req, _ := http.NewRequest(http.MethodDelete, base+"/_standin/faults", nil)
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	wantStatus(t, h.load("db1", "users", map[string]string{"label": "a1", "format": "csv"}, "1\ta\t1\nx\tb\t2\n"), StatusFail, "too many filtered rows")
	wantStatus(t, h.load("db1", "users", map[string]string{"label": "a1"}, "1\ta\t1\n"), StatusSuccess, "OK")

	code, body := h.get(base + "/_standin/loads")
	var loads []LoadRecord
	if err := json.Unmarshal([]byte(body), &loads); err != nil || code != http.StatusOK {
		t.Fatalf("loads endpoint: %d %v %s", code, err, body)
	}
	if len(loads) != 3 {
		t.Fatalf("want 3 loads, got %d: %s", len(loads), body)
	}
	second := loads[1]
	if second.Label != "a1" || second.DB != "db1" || second.Table != "users" || second.Status != StatusFail ||
		second.TotalRows != 2 || second.FilteredRows != 1 || second.Headers["format"] != "csv" || second.TxnID < 1 {
		t.Fatalf("load record: %+v", second)
	}
	if loads[0].Fault != "fail" || loads[2].Status != StatusSuccess {
		t.Fatalf("records: %+v", loads)
	}
	if strings.Contains(body, "Authorization") || strings.Contains(body, "Basic ") {
		t.Fatalf("credentials recorded: %s", body)
	}

	rows, err := h.s.Dump("db1", "users")
	if err != nil || len(rows) != 1 || rows[0]["id"] != "1" || rows[0]["score"] != "1.00" {
		t.Fatalf("Dump: %v %v", rows, err)
	}
	if _, err := h.s.Dump("db1", "nope"); err == nil {
		t.Fatal("Dump of an unknown table succeeded")
	}
	if code, _ := h.get(base + "/_standin/dump/db1/nope"); code != http.StatusNotFound {
		t.Fatalf("dump of unknown table: HTTP %d", code)
	}
}

func TestDumpPrintsNullAndKeyOrder(t *testing.T) {
	h := newHarness(t, Options{})
	h.addTable(&Table{DB: "db1", Name: "k", Keys: UniqueKeys, KeyCount: 2, MergeOnWrite: true, Columns: []Column{
		col(t, "b", "INT", false), col(t, "a", "VARCHAR(5)", false), col(t, "v", "INT", true),
	}})
	wantStatus(t, h.load("db1", "k", nil, "10\tx\t\\N\n9\ty\t1\n10\ta\t2\n"), StatusSuccess, "OK")
	code, body := h.get("http://" + h.s.HTTPAddr() + "/_standin/dump/db1/k")
	want := `{"b":"9","a":"y","v":"1"}` + "\n" + `{"b":"10","a":"a","v":"2"}` + "\n" + `{"b":"10","a":"x","v":null}` + "\n"
	if code != http.StatusOK || body != want {
		t.Fatalf("dump:\n%s\nwant:\n%s", body, want)
	}
}

func TestDiscardModeCountsButStoresNothing(t *testing.T) {
	h := newHarness(t, Options{Discard: true, Password: "pw"})
	h.usersTable("db1", "users")
	auth := map[string]string{"Authorization": basicAuth("root", "pw")}
	with := func(extra map[string]string) map[string]string {
		out := map[string]string{"Authorization": auth["Authorization"]}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	r := h.load("db1", "users", with(map[string]string{"label": "d1"}), "1\ta\t1\nnot-an-int\tb\n\n3\tc\t3")
	wantStatus(t, r, StatusSuccess, "OK")
	if r.NumberTotalRows != 3 || r.NumberLoadedRows != 3 {
		t.Fatalf("discard counts: %s", r.raw)
	}
	r = h.load("db1", "users", with(map[string]string{"format": "json", "strip_outer_array": "true"}), `[{"id":1},{"id":2}]`)
	if r.NumberLoadedRows != 2 {
		t.Fatalf("discard JSON array: %s", r.raw)
	}
	r = h.loadBytes("db1", "users", with(map[string]string{"compress_type": "gz", "line_delimiter": `\x0A`}), gzipBytes(t, "1\n2\n"))
	if r.NumberLoadedRows != 2 {
		t.Fatalf("discard gz: %s", r.raw)
	}
	if rows := h.rows("db1", "users"); len(rows) != 0 {
		t.Fatalf("discard stored rows: %v", rows)
	}
	// Labels and auth still apply.
	if d := h.load("db1", "users", with(map[string]string{"label": "d1"}), "1\n"); d.ExistingJobStatus != "FINISHED" {
		t.Fatalf("discard label dedup: %s", d.raw)
	}
	r = h.loadBE("db1", "users", map[string]string{"Authorization": basicAuth("root", "bad")}, "1\n")
	wantStatus(t, r, StatusFail, "Access denied")
}

func TestSameModeServesBothRolesOnOnePort(t *testing.T) {
	h := newHarness(t, Options{BEAddr: "same"})
	h.usersTable("db1", "users")
	if h.s.BEAddr() != h.s.HTTPAddr() {
		t.Fatalf("BEAddr %s != HTTPAddr %s", h.s.BEAddr(), h.s.HTTPAddr())
	}
	// A PUT to the only port executes directly, like a PUT to a BE.
	resp, body := h.put("http://"+h.s.HTTPAddr()+"/api/db1/users/_stream_load", withDefaults(map[string]string{"two_phase_commit": "true"}), []byte("1\ta\t1\n"))
	r := h.decode(resp, body)
	wantStatus(t, r, StatusSuccess, "OK")
	resp, body = h.put("http://"+h.s.HTTPAddr()+"/api/db1/_stream_load_2pc", withDefaults(map[string]string{"txn_id": fmt.Sprint(r.TxnId), "txn_operation": "commit"}), nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "commit successfully.") {
		t.Fatalf("2PC on the same port: %d %s", resp.StatusCode, body)
	}
	resp, body = h.put("http://"+h.s.HTTPAddr()+"/api/db1/users/_stream_load", withDefaults(nil), []byte("bad\n"))
	r = h.decode(resp, body)
	if code, log := h.get(r.ErrorURL); code != http.StatusOK || !strings.Contains(log, "src line [bad]") {
		t.Fatalf("error log on the same port: %d %s", code, log)
	}
	wantRows(t, h.rows("db1", "users"), "id=1,name=a,score=1.00")
}

func TestBodyCountMismatchIsNetworkError(t *testing.T) {
	h := newHarness(t, Options{})
	h.usersTable("db1", "users")
	conn, err := netDial(h.s.BEAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var req bytes.Buffer
	fmt.Fprintf(&req, "PUT /api/db1/users/_stream_load HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Length: 100\r\n\r\n1\ta\t1\n", basicAuth("root", ""))
	conn.Write(req.Bytes())
	conn.(interface{ CloseWrite() error }).CloseWrite()
	b, _ := io.ReadAll(conn)
	if !strings.Contains(string(b), "[NETWORK_ERROR]receive body don't equal with body bytes") {
		t.Fatalf("short body: %s", b)
	}
	if rows := h.rows("db1", "users"); len(rows) != 0 {
		t.Fatalf("short body stored rows: %v", rows)
	}
}
