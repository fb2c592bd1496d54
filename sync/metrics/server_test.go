package metrics

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/exitcode"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(body)
}

func TestServerServesMetricsAndHealth(t *testing.T) {
	r := goldenRegistry()
	s, err := Serve("127.0.0.1:0", r, quietLog(), false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	base := "http://" + s.Addr()

	code, h, body := get(t, base+"/metrics")
	if code != 200 || h.Get("Content-Type") != "text/plain; version=0.0.4; charset=utf-8" {
		t.Fatalf("/metrics: %d %q", code, h.Get("Content-Type"))
	}
	if body != goldenText {
		t.Errorf("/metrics body differs:\n%s", lineDiff(body, goldenText))
	}

	if code, _, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz of a running job: %d %q", code, body)
	}
	r.RecordError(errors.New("stream from binlog.000003:4: connection lost\nfor over 1m0s"))
	if code, _, body := get(t, base+"/healthz"); code != 503 || body != "stream from binlog.000003:4: connection lost for over 1m0s\n" {
		t.Fatalf("/healthz after an error: %d %q", code, body)
	}
	r.ClearError()
	if code, _, _ := get(t, base+"/healthz"); code != 200 {
		t.Fatalf("/healthz after the error cleared: %d", code)
	}
	r.Finish(nil)
	if code, _, body := get(t, base+"/healthz"); code != 503 || body != "the job is not running\n" {
		t.Fatalf("/healthz after the run: %d %q", code, body)
	}
	if code, _, _ := get(t, base+"/"); code != 404 {
		t.Errorf("/ answered %d, want 404", code)
	}
}

// --pprof adds Go's profiler on the metrics address, except its /cmdline (argv may hold
// a password); without it there is no profiler at all.
func TestServerProfiler(t *testing.T) {
	for _, profiler := range []bool{false, true} {
		s, err := Serve("127.0.0.1:0", New("j", nil), quietLog(), profiler)
		if err != nil {
			t.Fatal(err)
		}
		base := "http://" + s.Addr()
		code, _, body := get(t, base+"/debug/pprof/heap?debug=1")
		switch {
		case profiler && (code != 200 || !strings.Contains(body, "heap profile")):
			t.Errorf("profiler on: /debug/pprof/heap answered %d %.60q", code, body)
		case !profiler && code != 404:
			t.Errorf("profiler off: /debug/pprof/heap answered %d", code)
		}
		if code, _, _ := get(t, base+"/debug/pprof/goroutine?debug=1"); profiler && code != 200 {
			t.Errorf("profiler on: /debug/pprof/goroutine answered %d", code)
		}
		if code, _, body := get(t, base+"/debug/pprof/cmdline"); code != 404 || strings.Contains(body, os.Args[0]) {
			t.Errorf("profiler %v: /debug/pprof/cmdline answered %d %q", profiler, code, body)
		}
		if code, _, _ := get(t, base+"/metrics"); code != 200 {
			t.Errorf("profiler %v: /metrics answered %d", profiler, code)
		}
		if err := s.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

func TestServeBindErrorIsUsageNamingTheAddress(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()
	_, err = Serve(addr, New("j", nil), quietLog(), false)
	if err == nil {
		t.Fatal("a taken port was served")
	}
	if exitcode.Of(err) != exitcode.UsageError {
		t.Errorf("exit code %d, want 2", exitcode.Of(err))
	}
	if !strings.HasPrefix(err.Error(), "--metrics-addr "+addr+": cannot serve metrics there: ") ||
		!strings.Contains(err.Error(), "address already in use") {
		t.Errorf("message %q does not name the flag, the address and the cause", err)
	}
}

func TestServerCloseStopsServing(t *testing.T) {
	s, err := Serve("127.0.0.1:0", New("j", nil), quietLog(), false)
	if err != nil {
		t.Fatal(err)
	}
	addr := s.Addr()
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Fatal("the server still answers after Close")
	}
}
