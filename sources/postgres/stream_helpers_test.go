package postgres

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/schema"
	pgkit "github.com/doris-sync/doris-sync/testkit/postgres"
)

// replEnv is a test database with a replicator for the superuser (who owns the
// tables, so it manages the publication) and one for the least-privilege replication
// role (which reads the slot and the snapshot).
type replEnv struct {
	t    testing.TB
	srv  *pgkit.Server
	db   string
	opts ReplicationOptions
	root *Replicator
	repl *Replicator
}

func newReplEnv(t testing.TB, stmts ...string) *replEnv {
	t.Helper()
	srv := pgkit.Shared(t)
	db := srv.DB(t)
	if len(stmts) > 0 {
		srv.Exec(t, db, stmts...)
	}
	e := &replEnv{t: t, srv: srv, db: db, opts: ReplicationOptions{Slot: "s_" + db, Publication: "Pub " + db}}
	e.root = e.replicator(srv.RootUser, srv.RootPassword)
	e.repl = e.replicator(srv.ReplUser, srv.ReplPassword)
	return e
}

func (e *replEnv) config(user, password string) Config {
	return Config{Host: e.srv.Host, Port: e.srv.Port, User: user, Password: password, Database: e.db,
		Schemas: regexp.MustCompile("public"), ConnectTimeout: 10 * time.Second}
}

func (e *replEnv) replicator(user, password string) *Replicator {
	e.t.Helper()
	r, err := NewReplicator(e.config(user, password), e.opts)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func (e *replEnv) exec(stmts ...string) { e.t.Helper(); e.srv.Exec(e.t, e.db, stmts...) }

// tables discovers the named public tables.
func (e *replEnv) tables(names ...string) []*schema.Table {
	e.t.Helper()
	s, err := Open(context.Background(), e.config(e.srv.RootUser, e.srv.RootPassword))
	if err != nil {
		e.t.Fatal(err)
	}
	defer s.Close()
	all, err := s.Discover(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	byName := map[string]*schema.Table{}
	for _, t := range all {
		byName[t.ID.Name] = t
	}
	var out []*schema.Table
	for _, n := range names {
		if byName[n] == nil {
			e.t.Fatalf("table %s not discovered", n)
		}
		out = append(out, byName[n])
	}
	return out
}

func ids(tables []*schema.Table) []schema.TableID {
	out := make([]schema.TableID, len(tables))
	for i, t := range tables {
		out[i] = t.ID
	}
	return out
}

// publish creates the publication as the tables' owner.
func (e *replEnv) publish(tables []*schema.Table) {
	e.t.Helper()
	if err := e.root.EnsurePublication(context.Background(), ids(tables)); err != nil {
		e.t.Fatal(err)
	}
}

// createSlot creates the slot as the replication role.
func (e *replEnv) createSlot() *ExportedSnapshot {
	e.t.Helper()
	snap, err := e.repl.CreateSlot(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { snap.Close() })
	return snap
}

// readAll reads a table through one reader, chunk by chunk.
func readAll(t *testing.T, sr *SnapshotReader, table *schema.Table, chunkRows int) [][]any {
	t.Helper()
	ctx := context.Background()
	chunks, err := sr.PlanChunks(ctx, table, nil, chunkRows)
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]any
	for _, c := range chunks {
		if _, err := sr.ReadChunk(ctx, table, c, func(r []any) error { rows = append(rows, r); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	return rows
}

// streamRun is a Streamer running in the background.
type streamRun struct {
	st      *Streamer
	changes chan schema.Change
	cancel  context.CancelFunc
	done    chan error

	mu       sync.Mutex
	progress []Position
}

func startStream(t *testing.T, r *Replicator, opts StreamOptions, snap *ExportedSnapshot, from LSN) *streamRun {
	t.Helper()
	sr := &streamRun{changes: make(chan schema.Change, 100000), done: make(chan error, 1)}
	if opts.Progress == nil {
		opts.Progress = func(p Position) { sr.mu.Lock(); sr.progress = append(sr.progress, p); sr.mu.Unlock() }
	}
	if opts.StatusInterval == 0 {
		opts.StatusInterval = 500 * time.Millisecond
	}
	sr.st = r.NewStreamer(opts)
	ctx, cancel := context.WithCancel(context.Background())
	sr.cancel = cancel
	emit := func(c schema.Change) error {
		select {
		case sr.changes <- c:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	go func() {
		if snap != nil {
			sr.done <- sr.st.RunFromSnapshot(ctx, snap, emit)
		} else {
			sr.done <- sr.st.Run(ctx, from, emit)
		}
	}()
	t.Cleanup(func() { sr.stop(t) })
	return sr
}

// next waits for n changes; the deadline only bounds a broken test.
func (sr *streamRun) next(t *testing.T, n int) []schema.Change {
	t.Helper()
	var out []schema.Change
	deadline := time.After(60 * time.Second)
	for len(out) < n {
		select {
		case c := <-sr.changes:
			out = append(out, c)
		case err := <-sr.done:
			sr.done <- err
			t.Fatalf("stream ended after %d of %d changes: %v", len(out), n, err)
		case <-deadline:
			t.Fatalf("got %d of %d changes: %v", len(out), n, describe(out))
		}
	}
	return out
}

// until reads changes until one satisfies stop, returning all of them.
func (sr *streamRun) until(t *testing.T, stop func(schema.Change) bool) []schema.Change {
	t.Helper()
	var out []schema.Change
	for {
		c := sr.next(t, 1)[0]
		out = append(out, c)
		if stop(c) {
			return out
		}
	}
}

func (sr *streamRun) stop(t *testing.T) {
	sr.cancel()
	select {
	case err := <-sr.done:
		sr.done <- err
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("stream ended with %v", err)
		}
		checkNoStreamGoroutines(t)
	case <-time.After(30 * time.Second):
		t.Error("the stream did not stop")
	}
}

// checkNoStreamGoroutines fails the test if a goroutine of a stream outlives its Run
// (tests run one at a time, so none of another test's streams is running). A goroutine
// that has done its work may take a moment to exit; the deadline only bounds a leak.
func checkNoStreamGoroutines(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := streamGoroutines()
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%d goroutines of the stream outlived Run:\n%s", len(left), strings.Join(left, "\n\n"))
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func streamGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "sources/postgres.(*session)") || strings.Contains(g, "sources/postgres.(*Streamer)") {
			out = append(out, g)
		}
	}
	return out
}

// lastBoundary is the End of the last change that has one.
func lastBoundary(changes []schema.Change) LSN {
	var end LSN
	for _, c := range changes {
		if l, ok := c.Position.(Position).Boundary(); ok {
			end = l
		}
	}
	return end
}

func describe(changes []schema.Change) string {
	s := ""
	for _, c := range changes {
		s += fmt.Sprintf("\n  %s %s %v before=%v after=%v", c.Op, c.Table.Name, c.Position, c.Before, c.After)
	}
	return s
}

// applied keeps the state the changes lead to, by the first column as key.
type applied map[string][]any

func (a applied) apply(t *testing.T, c schema.Change) {
	t.Helper()
	switch c.Op {
	case schema.OpInsert:
		a[fmt.Sprint(c.After[0])] = c.After
	case schema.OpUpdate:
		if c.Before != nil {
			delete(a, fmt.Sprint(c.Before[0]))
		}
		a[fmt.Sprint(c.After[0])] = c.After
	case schema.OpDelete:
		delete(a, fmt.Sprint(c.Before[0]))
	case schema.OpTruncate:
		clear(a)
	default:
		t.Fatalf("unexpected %s", c.Op)
	}
}

func (a applied) keys() []string {
	out := make([]string, 0, len(a))
	for k := range a {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// slotConfirmed reads the slot's confirmed_flush_lsn.
func (e *replEnv) slotConfirmed() LSN {
	e.t.Helper()
	st, err := e.root.SlotStatus(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return st.ConfirmedFlush
}
