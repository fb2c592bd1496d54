package doris

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// harness is a running stand-in plus a client that drives Stream Load like a real
// one: PUT to the FE, take the 307 by hand (Go would drop Authorization on a
// cross-host redirect), re-send to the BE with the credentials from Location.
type harness struct {
	t      *testing.T
	s      *Server
	client *http.Client
}

func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatalf("start stand-in: %v", err)
	}
	t.Cleanup(s.Close)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// Send a body only after the server's 100 Continue (never on a timer), so a test
	// that streams a body knows the load has begun once the first bytes are taken.
	tr.ExpectContinueTimeout = time.Minute
	t.Cleanup(tr.CloseIdleConnections)
	return &harness{t: t, s: s, client: &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}}
}

// col builds a column from DDL-like parts.
func col(t *testing.T, name, typ string, nullable bool) Column {
	return Column{Name: name, Type: mustType(t, typ), Nullable: nullable}
}

// addTable registers a table (and its database) directly in the catalog.
func (h *harness) addTable(tbl *Table) *Table {
	h.s.Catalog.Mu.Lock()
	defer h.s.Catalog.Mu.Unlock()
	d := h.s.Catalog.DBs[tbl.DB]
	if d == nil {
		d = &Database{Name: tbl.DB, Tables: map[string]*Table{}}
		h.s.Catalog.DBs[tbl.DB] = d
	}
	for i := 0; i < tbl.KeyCount; i++ {
		tbl.Columns[i].IsKey = true
	}
	d.Tables[tbl.Name] = tbl
	return tbl
}

// usersTable: UNIQUE KEY(id), merge-on-write, as doris-sync creates for a table with a PK.
func (h *harness) usersTable(db, name string) *Table {
	t := h.t
	return h.addTable(&Table{DB: db, Name: name, Keys: UniqueKeys, KeyCount: 1, MergeOnWrite: true, LightSchema: true,
		DistCols: []string{"id"}, Buckets: 1, Columns: []Column{
			col(t, "id", "INT", false),
			col(t, "name", "VARCHAR(10)", true),
			col(t, "score", "DECIMAL(6,2)", true),
		}})
}

// logTable: DUPLICATE KEY(id).
func (h *harness) logTable(db, name string) *Table {
	t := h.t
	return h.addTable(&Table{DB: db, Name: name, Keys: DupKeys, KeyCount: 1, LightSchema: true, Buckets: 1,
		DistCols: []string{"id"}, Columns: []Column{
			col(t, "id", "INT", false),
			col(t, "msg", "STRING", true),
		}})
}

type loadResp struct {
	TxnId                  int64
	Label                  string
	Comment                string
	TwoPhaseCommit         string
	GroupCommit            bool
	Status                 string
	ExistingJobStatus      string
	Message                string
	NumberTotalRows        int64
	NumberLoadedRows       int64
	NumberFilteredRows     int64
	NumberUnselectedRows   int64
	LoadBytes              int64
	CommitAndPublishTimeMs int64
	ErrorURL               string
	raw                    string
}

func basicAuth(user, pass string) string {
	r, _ := http.NewRequest("GET", "http://x", nil)
	r.SetBasicAuth(user, pass)
	return r.Header.Get("Authorization")
}

// put sends one PUT with the given headers (Authorization included if given) and
// returns the response with its body read.
func (h *harness) put(rawURL string, hdr map[string]string, body []byte) (*http.Response, string) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPut, rawURL, bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatalf("PUT %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("read response: %v", err)
	}
	return resp, string(b)
}

func withDefaults(hdr map[string]string) map[string]string {
	out := map[string]string{"Authorization": basicAuth("root", ""), "Expect": "100-continue"}
	for k, v := range hdr {
		if v == "" {
			delete(out, k)
			continue
		}
		out[k] = v
	}
	return out
}

// load runs a Stream Load through the FE and returns the BE's result.
func (h *harness) load(db, table string, hdr map[string]string, body string) loadResp {
	h.t.Helper()
	return h.loadBytes(db, table, hdr, []byte(body))
}

func (h *harness) loadBytes(db, table string, hdr map[string]string, body []byte) loadResp {
	h.t.Helper()
	hdr = withDefaults(hdr)
	resp, text := h.put("http://"+h.s.HTTPAddr()+"/api/"+db+"/"+table+"/_stream_load", hdr, body)
	if resp.StatusCode != http.StatusTemporaryRedirect {
		h.t.Fatalf("FE answered %d %s, want 307", resp.StatusCode, text)
	}
	return h.followRedirect(resp.Header.Get("Location"), hdr, body)
}

// followRedirect re-sends to Location with the credentials it carries.
func (h *harness) followRedirect(loc string, hdr map[string]string, body []byte) loadResp {
	h.t.Helper()
	u, err := url.Parse(loc)
	if err != nil {
		h.t.Fatalf("bad Location %q: %v", loc, err)
	}
	next := map[string]string{}
	for k, v := range hdr {
		next[k] = v
	}
	if u.User != nil {
		pass, _ := u.User.Password()
		next["Authorization"] = basicAuth(u.User.Username(), pass)
		u.User = nil
	}
	resp, text := h.put(u.String(), next, body)
	return h.decode(resp, text)
}

// loadBE sends straight to the BE (as clients may), without the FE hop.
func (h *harness) loadBE(db, table string, hdr map[string]string, body string) loadResp {
	h.t.Helper()
	resp, text := h.put("http://"+h.s.BEAddr()+"/api/"+db+"/"+table+"/_stream_load", withDefaults(hdr), []byte(body))
	return h.decode(resp, text)
}

func (h *harness) decode(resp *http.Response, text string) loadResp {
	h.t.Helper()
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("BE answered HTTP %d %s, want 200 for every load outcome", resp.StatusCode, text)
	}
	var r loadResp
	if err := json.Unmarshal([]byte(text), &r); err != nil {
		h.t.Fatalf("load result is not JSON: %v\n%s", err, text)
	}
	r.raw = text
	return r
}

// twoPC sends a _stream_load_2pc request through the FE and returns the BE's body.
func (h *harness) twoPC(db string, hdr map[string]string) map[string]string {
	h.t.Helper()
	hdr = withDefaults(hdr)
	delete(hdr, "Expect")
	resp, text := h.put("http://"+h.s.HTTPAddr()+"/api/"+db+"/_stream_load_2pc", hdr, nil)
	if resp.StatusCode != http.StatusTemporaryRedirect {
		h.t.Fatalf("FE answered %d %s, want 307", resp.StatusCode, text)
	}
	u, _ := url.Parse(resp.Header.Get("Location"))
	u.User = nil
	resp, text = h.put(u.String(), hdr, nil)
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("2PC answered HTTP %d %s", resp.StatusCode, text)
	}
	var out map[string]string
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		h.t.Fatalf("2PC result is not JSON: %v\n%s", err, text)
	}
	return out
}

// rows dumps db.table through the HTTP endpoint as "col=val,col=val" lines (NULL as \N).
func (h *harness) rows(db, table string) []string {
	h.t.Helper()
	resp, err := h.client.Get("http://" + h.s.HTTPAddr() + "/_standin/dump/" + db + "/" + table)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		h.t.Fatalf("dump %s.%s: HTTP %d %s", db, table, resp.StatusCode, b)
	}
	var out []string
	dec := json.NewDecoder(resp.Body)
	for {
		var m orderedRow
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			h.t.Fatalf("dump line: %v", err)
		}
		out = append(out, m.text)
	}
	return out
}

// orderedRow keeps a dump line's key order: "k=v,k=v".
type orderedRow struct{ text string }

func (o *orderedRow) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return err
	}
	var parts []string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return err
		}
		var v *string
		if err := dec.Decode(&v); err != nil {
			return err
		}
		val := `\N`
		if v != nil {
			val = *v
		}
		parts = append(parts, k.(string)+"="+val)
	}
	o.text = strings.Join(parts, ",")
	return nil
}

func (h *harness) get(rawURL string) (int, string) {
	h.t.Helper()
	resp, err := h.client.Get(rawURL)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func gzipBytes(t *testing.T, s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func wantRows(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func wantStatus(t *testing.T, r loadResp, status, msgPart string) {
	t.Helper()
	if r.Status != status || !strings.Contains(r.Message, msgPart) {
		t.Fatalf("got Status=%q Message=%q, want %q containing %q\n%s", r.Status, r.Message, status, msgPart, r.raw)
	}
}

func netDial(addr string) (net.Conn, error) { return net.DialTimeout("tcp", addr, 10*time.Second) }

func bufioReader(c net.Conn) *bufio.Reader { return bufio.NewReader(c) }

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// putChunked sends a CSV load straight to the BE with a body of unknown length, which
// Go sends with chunked transfer encoding.
func (h *harness) putChunked(t *testing.T, body string) loadResp {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, "http://"+h.s.BEAddr()+"/api/db1/users/_stream_load", io.NopCloser(strings.NewReader(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", basicAuth("root", ""))
	req.Header.Set("Expect", "100-continue")
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return h.decode(resp, readAll(t, resp))
}

// fakeClock is a settable clock for Server.SetClock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock(s *Server) *fakeClock {
	c := &fakeClock{t: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	s.SetClock(c.Now)
	return c
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// streamingLoad starts a load straight to the BE whose body the test writes; it
// returns once the BE has taken the first bytes (so the txn is begun), a writer for
// the rest, and a channel with the result after the writer is closed (closed without
// a value if the connection is dropped).
func (h *harness) streamingLoad(db, table string, hdr map[string]string, first string) (*io.PipeWriter, <-chan loadResp) {
	h.t.Helper()
	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodPut, "http://"+h.s.BEAddr()+"/api/"+db+"/"+table+"/_stream_load", pr)
	if err != nil {
		h.t.Fatal(err)
	}
	for k, v := range withDefaults(hdr) {
		req.Header.Set(k, v)
	}
	done := make(chan loadResp, 1)
	errs := make(chan error, 1)
	go func() {
		resp, err := h.client.Do(req)
		if err != nil {
			errs <- err
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			errs <- err
			return
		}
		var r loadResp
		if err := json.Unmarshal(b, &r); err != nil {
			errs <- fmt.Errorf("%v: %s", err, b)
			return
		}
		r.raw = string(b)
		done <- r
	}()
	if _, err := pw.Write([]byte(first)); err != nil {
		h.t.Fatalf("write first bytes: %v", err)
	}
	out := make(chan loadResp, 1)
	go func() {
		select {
		case r := <-done:
			out <- r
		case <-errs:
			close(out) // no answer: the connection was dropped
		}
	}()
	return pw, out
}

// result waits for a streaming load's answer.
func (h *harness) result(ch <-chan loadResp) loadResp {
	h.t.Helper()
	r, ok := <-ch
	if !ok {
		h.t.Fatal("streaming load got no answer")
	}
	return r
}
