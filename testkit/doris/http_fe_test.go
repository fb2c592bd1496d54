package doris

import (
	"net/http"
	"strings"
	"testing"
)

func TestFERedirectCarriesCredentialsAndQuery(t *testing.T) {
	h := newHarness(t, Options{User: "loader", Password: "p@ss word:1/?"})
	hdr := map[string]string{"Authorization": basicAuth("loader", "p@ss word:1/?"), "Expect": "100-continue"}
	resp, body := h.put("http://"+h.s.HTTPAddr()+"/api/db1/t1/_stream_load?x=1&y=2", hdr, []byte("ignored"))
	if resp.StatusCode != http.StatusTemporaryRedirect {
		t.Fatalf("status %d %s, want 307", resp.StatusCode, body)
	}
	want := "http://loader:p%40ss%20word:1%2F%3F@" + h.s.BEAddr() + "/api/db1/t1/_stream_load?x=1&y=2"
	if got := resp.Header.Get("Location"); got != want {
		t.Fatalf("Location = %q\nwant       %q", got, want)
	}

	// Without a query string the Location still ends with "?", as Doris builds it.
	resp, _ = h.put("http://"+h.s.HTTPAddr()+"/api/db1/t1/_stream_load", hdr, nil)
	if got := resp.Header.Get("Location"); !strings.HasSuffix(got, "/api/db1/t1/_stream_load?") {
		t.Fatalf("Location = %q, want a trailing ?", got)
	}

	// A user@cluster name loses the cluster part.
	hdr["Authorization"] = basicAuth("loader@default_cluster", "p@ss word:1/?")
	resp, _ = h.put("http://"+h.s.HTTPAddr()+"/api/db1/t1/_stream_load", hdr, nil)
	if got := resp.Header.Get("Location"); !strings.HasPrefix(got, "http://loader:p%40ss") {
		t.Fatalf("Location = %q, want user without @cluster", got)
	}
}

func TestFEWithoutAuthIsUnauthorizedWithHTTP200(t *testing.T) {
	h := newHarness(t, Options{})
	for _, auth := range []string{"", "Bearer abc", "Basic !!!"} {
		resp, body := h.put("http://"+h.s.HTTPAddr()+"/api/db1/t1/_stream_load", map[string]string{"Authorization": auth, "Expect": "100-continue"}, nil)
		want := `{"msg":"Unauthorized","code":401,"data":"Need auth information.","count":0}`
		if resp.StatusCode != http.StatusOK || body != want {
			t.Fatalf("auth %q: got %d %s, want 200 %s", auth, resp.StatusCode, body, want)
		}
	}
}

func TestFEWrongPasswordIsAccessDenied(t *testing.T) {
	h := newHarness(t, Options{Password: "secret"})
	resp, body := h.put("http://"+h.s.HTTPAddr()+"/api/db1/t1/_stream_load",
		map[string]string{"Authorization": basicAuth("root", "wrong"), "Expect": "100-continue"}, nil)
	want := `{"msg":"Unauthorized","code":401,"data":"Access denied for user 'root@127.0.0.1' (using password: YES)","count":0}`
	if resp.StatusCode != http.StatusOK || body != want {
		t.Fatalf("got %d %s\nwant 200 %s", resp.StatusCode, body, want)
	}
	if strings.Contains(body, "wrong") || strings.Contains(body, "secret") {
		t.Fatalf("a password leaked into the answer: %s", body)
	}
}

func TestFEWithoutExpectFails(t *testing.T) {
	h := newHarness(t, Options{})
	resp, body := h.put("http://"+h.s.HTTPAddr()+"/api/db1/t1/_stream_load", map[string]string{"Authorization": basicAuth("root", "")}, []byte("1\ta\n"))
	want := `{"status":"FAILED","msg":"There is no 100-continue header"}`
	if resp.StatusCode != http.StatusOK || body != want {
		t.Fatalf("got %d %s, want 200 %s", resp.StatusCode, body, want)
	}
}

func TestFEValidatesGroupCommitHeader(t *testing.T) {
	h := newHarness(t, Options{})
	resp, body := h.put("http://"+h.s.HTTPAddr()+"/api/db1/t1/_stream_load", withDefaults(map[string]string{"group_commit": "fast_mode"}), nil)
	want := "{\"status\":\"FAILED\",\"msg\":\"Header `group_commit` can only be `sync_mode`, `async_mode` or `off_mode`.\"}"
	if resp.StatusCode != http.StatusOK || body != want {
		t.Fatalf("got %d %s, want %s", resp.StatusCode, body, want)
	}
	resp, _ = h.put("http://"+h.s.HTTPAddr()+"/api/db1/t1/_stream_load", withDefaults(map[string]string{"group_commit": "SYNC_MODE"}), nil)
	if resp.StatusCode != http.StatusTemporaryRedirect {
		t.Fatalf("valid group_commit (any case) got %d, want 307", resp.StatusCode)
	}
}

func TestFE2PCRequiresTxnAndOperation(t *testing.T) {
	h := newHarness(t, Options{})
	url := "http://" + h.s.HTTPAddr() + "/api/db1/_stream_load_2pc"
	auth := basicAuth("root", "")
	cases := []struct {
		hdr  map[string]string
		want string
	}{
		{map[string]string{"Authorization": auth, "txn_operation": "commit"}, `{"status":"FAILED","msg":"No transaction id or label selected."}`},
		{map[string]string{"Authorization": auth, "txn_id": "5"}, `{"status":"FAILED","msg":"No transaction operation('commit' or 'abort') selected."}`},
		{map[string]string{"txn_id": "5", "txn_operation": "commit"}, `{"msg":"Unauthorized","code":401,"data":"Need auth information.","count":0}`},
	}
	for _, c := range cases {
		resp, body := h.put(url, c.hdr, nil)
		if resp.StatusCode != http.StatusOK || body != c.want {
			t.Errorf("headers %v: got %d %s, want %s", c.hdr, resp.StatusCode, body, c.want)
		}
	}
	resp, _ := h.put(url, map[string]string{"Authorization": auth, "label": "l1", "txn_operation": "abort"}, nil)
	if resp.StatusCode != http.StatusTemporaryRedirect || !strings.HasPrefix(resp.Header.Get("Location"), "http://root:@"+h.s.BEAddr()+"/api/db1/_stream_load_2pc?") {
		t.Fatalf("valid 2PC request: got %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}
