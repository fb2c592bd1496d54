package doris

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
)

// GET /api/backends lists the BE a client without auto-redirect loads into; like every
// FE REST call it needs Basic auth.
func TestBackendsListsTheBE(t *testing.T) {
	s, err := Start(Options{Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	get := func(user, pass string) map[string]any {
		req, _ := http.NewRequest(http.MethodGet, "http://"+s.HTTPAddr()+"/api/backends?is_alive=true", nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var out map[string]any
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("not JSON: %s", raw)
		}
		return out
	}
	if got := get("", ""); got["code"] != float64(401) || got["data"] != "Need auth information." {
		t.Fatalf("no auth: %v", got)
	}
	got := get("root", "pw")
	host, port, _ := net.SplitHostPort(s.BEAddr())
	bes := got["data"].(map[string]any)["backends"].([]any)
	be := bes[0].(map[string]any)
	if len(bes) != 1 || be["ip"] != host || be["http_port"] != mustFloat(port) || be["is_alive"] != true || got["code"] != float64(0) {
		t.Fatalf("backends: %v", got)
	}
}

func mustFloat(s string) float64 {
	n, _ := strconv.Atoi(s)
	return float64(n)
}
