package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/testkit"
	"github.com/doris-sync/doris-sync/testkit/doris"
	"github.com/doris-sync/doris-sync/testkit/mariadb"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// lockedBuffer is stderr for a run that logs from several goroutines while the test
// reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A --metrics-addr that cannot be bound is a configuration error found before the job
// connects anywhere: the engine (which opens every connection) never runs.
func TestMetricsAddrInUseExits2BeforeConnecting(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()
	for _, mode := range [][]string{nil, {"--dry-run"}, {"--create-table-only"}} {
		t.Run(strings.Join(append([]string{"full"}, mode...), " "), func(t *testing.T) {
			jobs := captureJob(t)
			r := run(t, withArgs(append([]string{"--metrics-addr", addr}, mode...)...)...)
			want := "doris-sync: --metrics-addr " + addr + ": cannot serve metrics there: "
			if r.code != 2 || !strings.HasPrefix(lastLine(r.stderr), want) || !strings.Contains(r.stderr, "address already in use") {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q… address already in use", r.code, r.stderr, want)
			}
			if len(*jobs) != 0 {
				t.Errorf("the job ran (and connected) although --metrics-addr was unusable")
			}
		})
	}
}

var servingMetrics = regexp.MustCompile(`msg="serving metrics" addr=(\S+)`)

// get fetches a URL of the metrics server; ok is false when it does not answer.
func get(url string) (code int, body string, ok bool) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err == nil
}

// A full sync run from the command line serves /metrics and /healthz for as long as it
// runs, logs its progress, and ends with one summary line; with --log-format json every
// line on stderr is a JSON record, the summary included.
func TestMetricsServedDuringARealRun(t *testing.T) {
	srv := mariadb.Shared(t)
	db := srv.DB(t)
	srv.Exec(t, db,
		"CREATE TABLE orders (id INT PRIMARY KEY, note VARCHAR(20))",
		"CREATE TABLE events (a INT, b VARCHAR(20))",
		"INSERT INTO orders VALUES (1, 'a'), (2, 'b'), (3, 'c')",
		"INSERT INTO events VALUES (1, 'x'), (1, 'x')",
	)
	dorisSrv, err := doris.Start(doris.Options{Password: "doris-pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer dorisSrv.Close()
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	args := []string{
		"mysql-sync-database",
		"--mysql-conf", "hostname=" + srv.Host, "--mysql-conf", fmt.Sprint("port=", srv.Port),
		"--mysql-conf", "username=" + srv.ReplUser, "--mysql-conf", "password=" + srv.ReplPassword,
		"--mysql-conf", "database-name=" + db, "--mysql-conf", "connect.max-retries=0",
		"--sink-conf", "fenodes=" + dorisSrv.HTTPAddr(), "--sink-conf", "jdbc-url=jdbc:mysql://" + dorisSrv.MySQLAddr(),
		"--sink-conf", "username=root", "--sink-conf", "password=doris-pw", "--sink-conf", "sink.buffer-flush.interval=50ms",
		"--database", "dst", "--job-name", "shop", "--metrics-addr", "127.0.0.1:0",
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout bytes.Buffer
	stderr := &lockedBuffer{}
	done := make(chan int, 1)
	go func() { done <- execute(ctx, args, &stdout, stderr) }()
	var base string
	waitUntil(t, "the metrics server", func() bool {
		if m := servingMetrics.FindStringSubmatch(stderr.String()); m != nil {
			base = "http://" + m[1]
			return true
		}
		return false
	})
	waitUntil(t, "the copy and the stream in /metrics", func() bool {
		code, body, ok := get(base + "/metrics")
		return ok && code == 200 &&
			strings.Contains(body, `doris_sync_snapshot_rows_copied{db="dst",table="orders"} 3`+"\n") &&
			strings.Contains(body, `doris_sync_snapshot_done{db="dst",table="events"} 1`+"\n") &&
			strings.Contains(body, `doris_sync_phase{phase="streaming"} 1`+"\n")
	})
	if code, body, _ := get(base + "/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz while the job runs: %d %q", code, body)
	}
	srv.Exec(t, db, "INSERT INTO orders VALUES (4, 'live')")
	waitUntil(t, "the streamed change in /metrics", func() bool {
		_, body, ok := get(base + "/metrics")
		return ok && strings.Contains(body, `doris_sync_changes_total{db="dst",table="orders"} 1`+"\n") &&
			strings.Contains(body, `doris_sync_rows_loaded_total{db="dst",table="orders"} 4`+"\n") &&
			strings.Contains(body, "doris_sync_replication_lag_seconds ")
	})
	_, body, _ := get(base + "/metrics")
	for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
		if !strings.HasPrefix(line, "doris_sync_") && !strings.HasPrefix(line, "# HELP doris_sync_") && !strings.HasPrefix(line, "# TYPE doris_sync_") {
			t.Errorf("a /metrics line that is not doris-sync's: %q", line)
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("a stop by signal must exit 0, got %d:\n%s", code, stderr.String())
	}
	if _, _, ok := get(base + "/metrics"); ok {
		t.Errorf("the metrics server must stop with the run")
	}
	text := stderr.String()
	if n := strings.Count(text, "doris-sync: job shop "); n != 1 {
		t.Errorf("want exactly one summary line, got %d:\n%s", n, text)
	}
	if !strings.Contains(text, "doris-sync: job shop stopped after ") || !strings.Contains(text, "5 rows copied, 1 change streamed") {
		t.Errorf("summary line:\n%s", text)
	}
	if stdout.Len() != 0 {
		t.Errorf("a sync run writes nothing on stdout: %q", stdout.String())
	}

	// The same job as a cron run with JSON logs into a file, as cron redirects them:
	// nothing but JSON records, even with --progress on.
	srv.Exec(t, db, "INSERT INTO events VALUES (2, 'y')")
	var out bytes.Buffer
	jsonText, code := runToFile(t, append(args, "--log-format", "json", "--stop-when-caught-up", "--progress", "on"))
	if code != 0 {
		t.Fatalf("cron run: exit %d:\n%s", code, jsonText)
	}
	summaries := 0
	for _, line := range strings.Split(strings.TrimSpace(jsonText), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("not a JSON record on stderr with --log-format json: %q", line)
			continue
		}
		if rec["summary"] == true {
			summaries++
			msg, _ := rec["msg"].(string)
			if !strings.HasPrefix(msg, "doris-sync: job shop caught up after ") || rec["outcome"] != "caught up" || rec["level"] != "INFO" {
				t.Errorf("the summary record: %v", rec)
			}
		}
	}
	if summaries != 1 {
		t.Errorf("want exactly one summary record, got %d:\n%s", summaries, jsonText)
	}
	if out.Len() != 0 {
		t.Errorf("stdout: %q", out.String())
	}

	// Text logs with the progress display drawn into the file: the log lines and the
	// one summary line come above the display's frames.
	srv.Exec(t, db, "INSERT INTO events VALUES (3, 'z')")
	drawn, code := runToFile(t, append(args, "--stop-when-caught-up", "--progress", "on"))
	if code != 0 {
		t.Fatalf("run with the display: exit %d:\n%s", code, drawn)
	}
	if n := strings.Count(drawn, "doris-sync: job shop caught up after "); n != 1 {
		t.Errorf("want exactly one summary line with the display drawn, got %d:\n%s", n, drawn)
	}
	if !strings.Contains(drawn, "shop · ") || !strings.Contains(drawn, `msg="serving metrics"`) {
		t.Errorf("the display and the log lines should both be there:\n%s", drawn)
	}
}

// runToFile runs the command line with stderr on a file and returns what it wrote.
func runToFile(t *testing.T, args []string) (string, int) {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	code := execute(context.Background(), args, &out, f)
	data, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(data), code
}

// waitUntil polls cond, failing after a deadline that only catches a hang.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
