package streamload

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeBE answers loads with a Success result and remembers what it saw.
type fakeBE struct {
	mu      sync.Mutex
	auth    []string
	bodies  []string
	headers []http.Header
}

func (b *fakeBE) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	b.mu.Lock()
	b.auth = append(b.auth, r.Header.Get("Authorization"))
	b.bodies = append(b.bodies, string(body))
	b.headers = append(b.headers, r.Header.Clone())
	b.mu.Unlock()
	if strings.HasSuffix(r.URL.Path, "_stream_load_2pc") {
		io.WriteString(w, `{"status": "Success", "msg": "transaction [7] commit successfully."}`)
		return
	}
	io.WriteString(w, `{"TxnId": 7, "Label": "`+r.Header.Get("label")+`", "TwoPhaseCommit": "false", "Status": "Success", "Message": "OK", "NumberTotalRows": 1, "NumberLoadedRows": 1}`+"\n")
}

// The FE's 307 names a BE on another host name and carries credentials in Location;
// the client must follow it itself, with its own Authorization, and resend the body.
func TestRedirectKeepsCredentialsAcrossHosts(t *testing.T) {
	be := &fakeBE{}
	beSrv := httptest.NewServer(be)
	defer beSrv.Close()
	_, bePort, _ := net.SplitHostPort(strings.TrimPrefix(beSrv.URL, "http://"))
	var feExpect string
	fe := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		feExpect = r.Header.Get("Expect")
		// A different password in Location: the client must not use it.
		w.Header().Set("Location", "http://root:location-pass@localhost:"+bePort+r.URL.Path+"?"+r.URL.RawQuery)
		w.WriteHeader(http.StatusTemporaryRedirect)
	}))
	defer fe.Close()
	c, err := New(Config{FENodes: []string{strings.TrimPrefix(fe.URL, "http://")}, AutoRedirect: true, User: "root", Password: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	h := http.Header{}
	h.Set("label", "l1")
	res, err := c.Load(context.Background(), &Request{DB: "d", Table: "t", Header: h, Body: [][]byte{[]byte(`{"a"`), []byte(`:1}`)}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusSuccess || res.Label != "l1" {
		t.Errorf("result %+v", res)
	}
	if feExpect != "100-continue" {
		t.Errorf("FE saw Expect %q", feExpect)
	}
	want := "Basic cm9vdDpzM2NyZXQ=" // root:s3cret
	if len(be.auth) != 1 || be.auth[0] != want || be.bodies[0] != `{"a":1}` {
		t.Errorf("BE saw auth %q body %q, want our credentials and the body", be.auth, be.bodies)
	}
}

func TestErrorsNeverCarryThePassword(t *testing.T) {
	// The FE redirects to a BE that is not listening.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	deadAddr := ln.Addr().String()
	ln.Close()
	fe := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "http://root:s3cret@"+deadAddr+r.URL.Path)
		w.WriteHeader(http.StatusTemporaryRedirect)
	}))
	defer fe.Close()
	c, _ := New(Config{FENodes: []string{strings.TrimPrefix(fe.URL, "http://")}, AutoRedirect: true, User: "root", Password: "s3cret", ConnectTimeout: time.Second})
	defer c.Close()
	_, err := c.Load(context.Background(), &Request{DB: "d", Table: "t", Header: http.Header{}, Body: [][]byte{[]byte("x")}})
	var te *TransportError
	if err == nil || !asTransport(err, &te) {
		t.Fatalf("err = %v, want a TransportError", err)
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error leaks the password: %v", err)
	}
	if !strings.Contains(err.Error(), deadAddr) {
		t.Errorf("error does not say which node failed: %v", err)
	}
}

func asTransport(err error, te **TransportError) bool {
	t, ok := err.(*TransportError)
	*te = t
	return ok
}

func TestHTTPSRedirectToHTTPIsRefused(t *testing.T) {
	fe := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", "http://127.0.0.1:1/api/d/t/_stream_load")
		w.WriteHeader(http.StatusTemporaryRedirect)
	}))
	defer fe.Close()
	tc := fe.Client().Transport.(*http.Transport).TLSClientConfig
	c, _ := New(Config{FENodes: []string{strings.TrimPrefix(fe.URL, "https://")}, AutoRedirect: true, User: "u", TLS: tc})
	defer c.Close()
	_, err := c.Load(context.Background(), &Request{DB: "d", Table: "t", Header: http.Header{}, Body: [][]byte{[]byte("x")}})
	if _, ok := err.(*PermanentError); !ok || !strings.Contains(err.Error(), "refused") {
		t.Errorf("err = %v, want a refused redirect", err)
	}
}

func TestBackendsFromFEWhenAutoRedirectIsOff(t *testing.T) {
	be := &fakeBE{}
	beSrv := httptest.NewServer(be)
	defer beSrv.Close()
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(beSrv.URL, "http://"))
	fe := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/backends" || r.URL.Query().Get("is_alive") != "true" {
			t.Errorf("FE got %s", r.URL)
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, `{"msg":"success","code":0,"data":{"backends":[{"ip":"`+host+`","http_port":`+port+`,"is_alive":true},{"ip":"10.255.255.1","http_port":8040,"is_alive":false}]},"count":0}`)
	}))
	defer fe.Close()
	c, _ := New(Config{FENodes: []string{strings.TrimPrefix(fe.URL, "http://")}, AutoRedirect: false, User: "u"})
	defer c.Close()
	for i := 0; i < 2; i++ {
		if _, err := c.Load(context.Background(), &Request{DB: "d", Table: "t", Header: http.Header{}, Body: [][]byte{[]byte("x")}}); err != nil {
			t.Fatal(err)
		}
	}
	if len(be.bodies) != 2 {
		t.Errorf("BE got %d loads, want 2 (straight, no redirect)", len(be.bodies))
	}
}

func TestTwoPhaseRequest(t *testing.T) {
	be := &fakeBE{}
	srv := httptest.NewServer(be)
	defer srv.Close()
	c, _ := New(Config{BENodes: []string{strings.TrimPrefix(srv.URL, "http://")}, User: "u"})
	defer c.Close()
	r, err := c.TwoPhase(context.Background(), "d", "commit", 7, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if ClassifyTxn("commit", r) != TxnDone {
		t.Errorf("reply %+v not done", r)
	}
	h := be.headers[0]
	if h.Get("txn_id") != "7" || h.Get("txn_operation") != "commit" || h.Get("label") != "" {
		t.Errorf("2PC headers %v", h)
	}
	if _, err := c.TwoPhase(context.Background(), "d", "abort", 0, "lbl", 0); err != nil {
		t.Fatal(err)
	}
	if h := be.headers[1]; h.Get("label") != "lbl" || h.Get("txn_id") != "" || h.Get("txn_operation") != "abort" {
		t.Errorf("2PC by label headers %v", h)
	}
}

func TestErrorLogFirstLines(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "Reason: too long. src line [1];\n\nReason: bad. src line [2];\nReason: three\nReason: "+strings.Repeat("z", 500)+"\n")
	}))
	defer srv.Close()
	c, _ := New(Config{BENodes: []string{"127.0.0.1:1"}, User: "u"})
	got, err := c.ErrorLog(context.Background(), srv.URL+"/api/_load_error_log?file=x", 3)
	if err != nil {
		t.Fatal(err)
	}
	if got != "Reason: too long. src line [1];\nReason: bad. src line [2];\nReason: three" {
		t.Errorf("ErrorLog = %q", got)
	}
	got, _ = c.ErrorLog(context.Background(), srv.URL+"/x", 10)
	if lines := strings.Split(got, "\n"); len(lines[3]) > 310 {
		t.Errorf("long line not truncated: %d bytes", len(lines[3]))
	}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		r    Result
		want Outcome
	}{
		{Result{Status: "Success", TwoPhaseCommit: "false"}, Loaded},
		{Result{Status: "Success", TwoPhaseCommit: "true", TxnID: 5}, Precommitted},
		{Result{Status: "Publish Timeout"}, Loaded},
		{Result{Status: "Label Already Exists", ExistingJobStatus: "FINISHED"}, AlreadyLoaded},
		{Result{Status: "Label Already Exists", ExistingJobStatus: "RUNNING"}, LabelRunning},
		{Result{Status: "Label Already Exists", ExistingJobStatus: "PRECOMMITTED"}, LabelPrecommitted},
		{Result{Status: "Fail", Message: "[DATA_QUALITY_ERROR]too many filtered rows"}, Rejected},
		{Result{Status: "Fail", Message: "[INTERNAL_ERROR]too many filtered rows"}, Rejected},
		{Result{Status: "Fail", Message: "errCode = 7, detailMessage = unknown table, tableName=t"}, Rejected},
		{Result{Status: "Fail", Message: "Access denied; you need (at least one of) the (LOAD) privilege(s) for this operation"}, Rejected},
		{Result{Status: "Fail", Message: "errCode = 2, detailMessage = load by PARTIAL_COLUMNS is only supported in unique table MoW"}, Rejected},
		{Result{Status: "Fail", Message: "[INVALID_ARGUMENT]Can't append new rows in partial update when partial_update_new_key_behavior is ERROR. Row with key=[1] is not in table."}, Rejected},
		{Result{Status: "Fail", Message: "[INTERNAL_ERROR]cancelled: closed"}, Retry},
		{Result{Status: "Fail", Message: "current running txns on db 10 is 1000, larger than limit 1000"}, Retry},
		{Result{FEStatus: "FAILED", FEMsg: "There is no 100-continue header"}, Rejected},
		{Result{FEStatus: "FAILED", FEMsg: "No backend load available"}, Retry},
		{Result{FEMsg: "Unauthorized", FECode: 401, FEData: []byte(`"Need auth information."`)}, Rejected},
		{Result{FEMsg: "Internal Error", FECode: 500}, Retry},
		{Result{}, Retry},
		{Result{Status: "Mystery"}, Retry},
	}
	for _, c := range cases {
		if got, _ := Classify(&c.r); got != c.want {
			t.Errorf("Classify(%+v) = %v, want %v", c.r, got, c.want)
		}
	}
	if id := ExistingTxnID("[LABEL_ALREADY_EXISTS]errCode = 2, detailMessage = Label [x] has already been used, relate to txn [602531767123968]"); id != 602531767123968 {
		t.Errorf("ExistingTxnID = %d", id)
	}
	if id := ExistingTxnID("no id"); id != 0 {
		t.Errorf("ExistingTxnID without id = %d", id)
	}
}

func TestClassifyTxn(t *testing.T) {
	cases := []struct {
		op   string
		r    TxnReply
		want TxnOutcome
	}{
		{"commit", TxnReply{"Success", "transaction [1] commit successfully."}, TxnDone},
		{"commit", TxnReply{"Fail", "errCode = 2, detailMessage = transaction [2] is already visible, not pre-committed."}, TxnDone},
		{"commit", TxnReply{"ANALYSIS_ERROR", "transaction [2] is already COMMITTED, not pre-committed."}, TxnDone},
		{"commit", TxnReply{"ANALYSIS_ERROR", "transaction [25] is already aborted. abort reason: User Abort"}, TxnGone},
		{"commit", TxnReply{"ANALYSIS_ERROR", "transaction [25] not found"}, TxnGone},
		{"commit", TxnReply{"ANALYSIS_ERROR", "transaction not found, label=x"}, TxnGone},
		{"commit", TxnReply{"ANALYSIS_ERROR", "transaction [3] is prepare, not pre-committed."}, TxnRetry},
		{"commit", TxnReply{"ANALYSIS_ERROR", "errCode = 2, detailMessage = unknown database, database=gone"}, TxnGone},
		{"commit", TxnReply{"INTERNAL_ERROR", "rpc failed"}, TxnRetry},
		{"abort", TxnReply{"Success", "transaction [1] abort successfully."}, TxnDone},
		{"abort", TxnReply{"ANALYSIS_ERROR", "transaction [1] is already aborted, abort reason: x"}, TxnDone},
		{"abort", TxnReply{"ANALYSIS_ERROR", "transaction [1] is already VISIBLE, could not abort."}, TxnCommitted},
	}
	for _, c := range cases {
		if got := ClassifyTxn(c.op, &c.r); got != c.want {
			t.Errorf("ClassifyTxn(%s, %q) = %v, want %v", c.op, c.r.Msg, got, c.want)
		}
	}
}
