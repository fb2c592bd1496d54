package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/ddl"
	"github.com/doris-sync/doris-sync/schema"
	"github.com/doris-sync/doris-sync/sink"
	"github.com/doris-sync/doris-sync/sink/fe"
	"github.com/doris-sync/doris-sync/state"
	"github.com/doris-sync/doris-sync/testkit/doris"
)

// engineRig runs the engine against a fake source and the Doris stand-in, with one
// state directory shared by every run (so runs resume one another).
type engineRig struct {
	t        *testing.T
	db       *fakeDB
	doris    standIn
	stateDir string
	naming   ddl.NamingRules
	logs     *syncBuffer
	summary  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newEngineRig(t *testing.T, db *fakeDB) *engineRig {
	t.Helper()
	return &engineRig{
		t: t, db: db, doris: startStandIn(t), stateDir: t.TempDir(),
		naming: ddl.NamingRules{Database: "dst"},
		logs:   &syncBuffer{}, summary: &syncBuffer{},
	}
}

func rigSinkConfig(httpAddr string) sink.Config {
	c := sink.DefaultConfig()
	c.FENodes = []string{httpAddr}
	c.User, c.Password = "root", "doris-pw"
	c.LabelPrefix = "job"
	c.FlushInterval = 30 * time.Millisecond
	c.RetryInterval = 5 * time.Millisecond
	c.RetryMaxInterval = 20 * time.Millisecond
	c.ReadTimeout = 3 * time.Second
	c.ConnectTimeout = 2 * time.Second
	return c
}

func rigOptions(t testing.TB, src Source, naming ddl.NamingRules, httpAddr, mysqlAddr, stateDir string, log, summary *syncBuffer) Options {
	planner, err := ddl.NewPlanner(ddl.Options{Source: ddl.SourceMySQL, Naming: naming})
	if err != nil {
		t.Fatal(err)
	}
	client, err := fe.Open(context.Background(), fe.Config{JDBCURL: "jdbc:mysql://" + mysqlAddr, User: "root", Password: "doris-pw"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	return Options{
		JobName:  "job",
		StateDir: stateDir,
		Identity: state.Identity{SourceKind: "fake", Source: state.SourceAddress{Hosts: []string{"fake:1"}}},
		Source:   src, Planner: planner, FE: client,
		Sink:                rigSinkConfig(httpAddr),
		SnapshotParallelism: 2,
		ChunksAhead:         2,
		ShutdownTimeout:     10 * time.Second,
		CheckpointInterval:  10 * time.Millisecond,
		Log:                 slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Summary:             summary,
	}
}

func (r *engineRig) options(mutate ...func(*Options)) Options {
	o := rigOptions(r.t, &fakeSource{db: r.db}, r.naming, r.doris.srv.HTTPAddr(), r.doris.srv.MySQLAddr(), r.stateDir, r.logs, r.summary)
	for _, m := range mutate {
		m(&o)
	}
	return o
}

// run runs the engine once to completion.
func (r *engineRig) run(ctx context.Context, mutate ...func(*Options)) error {
	return Replicate(ctx, r.options(mutate...))
}

func caughtUp(o *Options) { o.StopWhenCaughtUp = true }

// mustRun runs until caught up and fails the test on an error.
func (r *engineRig) mustRun(mutate ...func(*Options)) {
	r.t.Helper()
	if err := r.run(context.Background(), append([]func(*Options){caughtUp}, mutate...)...); err != nil {
		r.t.Fatalf("run: %v\nlog:\n%s", err, r.logs.String())
	}
}

// state reads the saved state file.
func (r *engineRig) state() *state.State {
	r.t.Helper()
	return readState(r.t, r.stateDir, "job")
}

func readState(t testing.TB, dir, job string) *state.State {
	t.Helper()
	st, err := loadStateFile(dir, job)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// loadStateFile reads a job's state file without taking its lock (Save replaces the
// file by rename, so a read sees one whole version).
func loadStateFile(dir, job string) (*state.State, error) {
	data, err := os.ReadFile(filepath.Join(dir, job+".json"))
	if err != nil {
		return nil, err
	}
	var st state.State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// dorisRows are the stand-in's rows of dst.table as sorted canonical lines.
func (r *engineRig) dorisRows(table string) []string {
	r.t.Helper()
	return dumpRows(r.t, r.doris.srv, "dst", table)
}

func dumpRows(t testing.TB, s *doris.Server, db, table string) []string {
	t.Helper()
	rows, err := s.Dump(db, table)
	if err != nil {
		t.Fatalf("dump %s.%s: %v", db, table, err)
	}
	var out []string
	for _, row := range rows {
		out = append(out, canonical(row))
	}
	sort.Strings(out)
	return out
}

// canonical renders a row (column → value text or nil) as one comparable line.
func canonical(row map[string]any) string {
	keys := make([]string, 0, len(row))
	for k := range row {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		v := row[k]
		if v == nil {
			fmt.Fprintf(&b, "%s=NULL;", k)
		} else {
			fmt.Fprintf(&b, "%s=%v;", k, v)
		}
	}
	return b.String()
}

// sourceRows are the fake source's rows of the given tables (their current state),
// rendered like dorisRows.
func (r *engineRig) sourceRows(tables ...string) []string {
	r.t.Helper()
	return fakeRows(r.db, tables...)
}

func fakeRows(db *fakeDB, tables ...string) []string {
	db.mu.Lock()
	st := db.stateAt(db.visible())
	db.mu.Unlock()
	var out []string
	for _, name := range tables {
		t := st[db.id(name)]
		if t == nil {
			continue
		}
		for _, row := range t.rows {
			m := map[string]any{}
			for i, c := range t.shape.Columns {
				switch v := row[i].(type) {
				case nil:
					m[c.Name] = nil
				case int64:
					m[c.Name] = strconv.FormatInt(v, 10)
				default:
					m[c.Name] = fmt.Sprint(v)
				}
			}
			out = append(out, canonical(m))
		}
	}
	sort.Strings(out)
	return out
}

// sameRows fails the test when Doris's rows differ from the source's.
func (r *engineRig) sameRows(doris string, sources ...string) {
	r.t.Helper()
	got, want := r.dorisRows(doris), r.sourceRows(sources...)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		r.t.Fatalf("Doris table %s differs from source %v:\n got %d rows:\n  %s\nwant %d rows:\n  %s\nlog:\n%s",
			doris, sources, len(got), strings.Join(got, "\n  "), len(want), strings.Join(want, "\n  "), lastLines(r.logs.String(), 40))
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// waitFor polls cond until it holds, failing the test after a generous deadline (the
// deadline only catches a hang; no assertion depends on timing).
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// background runs the engine until its context is cancelled; stop cancels it and
// returns the run's error.
func (r *engineRig) background(mutate ...func(*Options)) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.run(ctx, mutate...) }()
	return func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(60 * time.Second):
			r.t.Fatalf("the engine did not stop within 60 s after its context ended")
			return nil
		}
	}
}

// phase reads the saved phase ("" before the first save).
func (r *engineRig) phase() state.Phase {
	st, err := loadStateFile(r.stateDir, "job")
	if err != nil {
		return ""
	}
	return st.Phase
}

// savedPosition is the checkpoint's fake position number.
func savedPosition(t testing.TB, st *state.State) uint64 {
	t.Helper()
	if st.Position == nil {
		return 0
	}
	p, err := schema.UnmarshalPosition(st.Position)
	if err != nil {
		t.Fatal(err)
	}
	return p.(fakePos).N
}

func writeJSON(t testing.TB, path string, v any) {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Clean(path), data, 0o600); err != nil {
		t.Fatal(err)
	}
}
