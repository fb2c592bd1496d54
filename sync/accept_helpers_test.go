package sync

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/config"
	"github.com/doris-sync/doris-sync/testkit/doris"
)

// Helpers of the acceptance tests (accept_*_test.go): real source servers, the Doris
// stand-in, and jobs built the way the command line builds them.

// startStandInWith starts a stand-in with the given options (the password is the one
// sinkConf sends).
func startStandInWith(t *testing.T, opts doris.Options) standIn {
	t.Helper()
	opts.Password = "doris-pw"
	s, err := doris.Start(opts)
	if err != nil {
		t.Fatalf("start the Doris stand-in: %v", err)
	}
	t.Cleanup(s.Close)
	db, err := sql.Open("mysql", fmt.Sprintf("root:doris-pw@tcp(%s)/?interpolateParams=true", s.MySQLAddr()))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return standIn{srv: s, db: db}
}

// captureLogs sends the default logger (which ReplicateJob logs to) into a buffer for
// the rest of the test.
func captureLogs(t *testing.T) *syncBuffer {
	t.Helper()
	buf := &syncBuffer{}
	saved := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelInfo})))
	t.Cleanup(func() { slog.SetDefault(saved) })
	return buf
}

// liveJob is a full sync running in the background until stop.
type liveJob struct {
	t      *testing.T
	cancel context.CancelFunc
	done   chan error
	ended  bool
	err    error
	logs   *syncBuffer
}

// backgroundJob runs a full sync of the job until stop is called. logs (may be nil) is
// what the job logs to, shown when it fails.
func backgroundJob(t *testing.T, kind config.Kind, a args, logs *syncBuffer) *liveJob {
	t.Helper()
	job := buildJob(t, kind, a)
	ctx, cancel := context.WithCancel(context.Background())
	j := &liveJob{t: t, cancel: cancel, done: make(chan error, 1), logs: logs}
	go func() { j.done <- ReplicateJob(ctx, job, nil) }()
	t.Cleanup(func() { _ = j.stop() })
	return j
}

// stop cancels the job and returns its error.
func (j *liveJob) stop() error {
	j.t.Helper()
	j.cancel()
	if !j.ended {
		select {
		case j.err = <-j.done:
			j.ended = true
		case <-time.After(60 * time.Second):
			j.t.Fatalf("the job did not stop within 60 s of its context ending")
		}
	}
	return j.err
}

// mustStop stops the job and fails the test unless it ends cleanly.
func (j *liveJob) mustStop() {
	j.t.Helper()
	if err := j.stop(); err != nil {
		j.t.Fatalf("a stop by signal must end cleanly: %v%s", err, j.logTail())
	}
}

// waitFor polls cond like waitFor, failing at once when the job ends by itself.
func (j *liveJob) waitFor(what string, cond func() bool) {
	j.t.Helper()
	waitFor(j.t, what, func() bool {
		if !j.ended {
			select {
			case j.err = <-j.done:
				j.ended = true
			default:
			}
		}
		if j.ended {
			j.t.Fatalf("the job ended while waiting for %s: %v%s", what, j.err, j.logTail())
		}
		return cond()
	})
}

func (j *liveJob) logTail() string {
	if j.logs == nil {
		return ""
	}
	return "\nlog:\n" + lastLines(j.logs.String(), 40)
}

// runUntilCaughtUp runs the job once with --stop-when-caught-up and fails the test on
// an error, with the captured log when there is one.
func runUntilCaughtUp(t *testing.T, kind config.Kind, a args, logs *syncBuffer) {
	t.Helper()
	b := a
	b.flags = map[string]string{"stop-when-caught-up": "true"}
	for k, v := range a.flags {
		b.flags[k] = v
	}
	if err := replicate(t, kind, b); err != nil {
		if logs != nil {
			t.Fatalf("%v\nlog:\n%s", err, lastLines(logs.String(), 40))
		}
		t.Fatal(err)
	}
}

// dumpByKey reads a stand-in table as rows keyed by the value of column key.
func dumpByKey(t testing.TB, s *doris.Server, db, table, key string) map[string]map[string]any {
	t.Helper()
	rows, err := s.Dump(db, table)
	if err != nil {
		t.Fatalf("dump %s.%s: %v", db, table, err)
	}
	out := make(map[string]map[string]any, len(rows))
	for _, r := range rows {
		k := fmt.Sprint(r[key])
		if _, dup := out[k]; dup {
			t.Fatalf("%s.%s holds two rows with %s=%s", db, table, key, k)
		}
		out[k] = r
	}
	return out
}

// rowCount is how many rows the stand-in's table holds (0 while it does not exist).
func rowCount(s *doris.Server, db, table string) int {
	rows, err := s.Dump(db, table)
	if err != nil {
		return 0
	}
	return len(rows)
}

// hasRow reports whether the stand-in's table holds a row whose column col reads want.
func hasRow(s *doris.Server, db, table, col, want string) bool {
	rows, err := s.Dump(db, table)
	if err != nil {
		return false
	}
	for _, r := range rows {
		if fmt.Sprint(r[col]) == want {
			return true
		}
	}
	return false
}

// digest is the SHA-256 of s in hex with its length, to compare large values.
func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return fmt.Sprintf("sha256:%s len:%d", hex.EncodeToString(sum[:]), len(s))
}

// cell is one column of a row of a round-trip test: the SQL literal inserted and the
// text Doris prints for it (nil for NULL).
type cell struct {
	col  string
	lit  string
	want any
}

// roundTripRow is one row of a round-trip test.
type roundTripRow struct {
	name  string
	cells []cell
}

// insertSQL is the INSERT of the row under the given id.
func (r roundTripRow) insertSQL(table string, id int, quote func(string) string) string {
	cols := []string{quote("id")}
	vals := []string{fmt.Sprint(id)}
	for _, c := range r.cells {
		cols = append(cols, quote(c.col))
		vals = append(vals, c.lit)
	}
	return fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", table, strings.Join(cols, ", "), strings.Join(vals, ", "))
}

// checkRoundTrip compares the stand-in's row (keyed by id) with the expected Doris text of
// every cell, column by column, and fails naming each difference.
func checkRoundTrip(t *testing.T, path string, got map[string]any, id int, r roundTripRow, columns []string) {
	t.Helper()
	if got == nil {
		t.Errorf("%s row %q (id %d) is missing in Doris", path, r.name, id)
		return
	}
	want := map[string]any{"id": fmt.Sprint(id)}
	for _, c := range columns {
		want[c] = nil
	}
	for _, c := range r.cells {
		want[c.col] = c.want
	}
	var names []string
	for k := range want {
		names = append(names, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		w, ok := want[k]
		if !ok {
			t.Errorf("%s row %q: Doris has an unexpected column %s", path, r.name, k)
			continue
		}
		g, ok := got[k]
		if !ok {
			t.Errorf("%s row %q: Doris lacks column %s", path, r.name, k)
			continue
		}
		if gs, isText := g.(string); isText && len(gs) > 4096 {
			g = digest(gs)
		}
		if fmt.Sprint(g) != fmt.Sprint(w) || (g == nil) != (w == nil) {
			t.Errorf("%s row %q column %s: Doris has %s, want %s", path, r.name, k, show(g), show(w))
		}
	}
}

func show(v any) string {
	if v == nil {
		return "NULL"
	}
	return fmt.Sprintf("%q", v)
}

// withoutID is the row without its id, to compare two rows of equal values.
func withoutID(row map[string]any) string {
	m := make(map[string]any, len(row))
	for k, v := range row {
		if k != "id" {
			m[k] = v
		}
	}
	return canonical(m)
}
