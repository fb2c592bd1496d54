package latency

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/testkit/doris"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func TestMeasureWeightsRowsAndTakesFirstCoveringSighting(t *testing.T) {
	commits := []Commit{
		{Rows: 10, At: at(0)},   // seen at 100: 100 ms, 10 rows
		{Rows: 20, At: at(50)},  // seen at 100: 50 ms, 10 rows
		{Rows: 100, At: at(60)}, // seen at 1060: 1000 ms, 80 rows
	}
	seen := []Sighting{{Rows: 20, At: at(100)}, {Rows: 40, At: at(500)}, {Rows: 100, At: at(1060)}, {Rows: 100, At: at(2000)}}
	s, err := Measure(commits, seen)
	if err != nil {
		t.Fatal(err)
	}
	want := Summary{Rows: 100, P50: time.Second, P99: time.Second, Max: time.Second}
	if s != want {
		t.Errorf("Measure = %+v, want %+v (the 80-row transaction dominates)", s, want)
	}

	// Now the big transaction is fast and the two small ones slow: p50 follows the rows.
	commits = []Commit{{Rows: 98, At: at(0)}, {Rows: 99, At: at(0)}, {Rows: 100, At: at(0)}}
	seen = []Sighting{{Rows: 98, At: at(10)}, {Rows: 99, At: at(300)}, {Rows: 100, At: at(900)}}
	s, err = Measure(commits, seen)
	if err != nil {
		t.Fatal(err)
	}
	want = Summary{Rows: 100, P50: 10 * time.Millisecond, P99: 300 * time.Millisecond, Max: 900 * time.Millisecond}
	if s != want {
		t.Errorf("Measure = %+v, want %+v", s, want)
	}
}

func TestMeasureFailsOnRowsNeverSeen(t *testing.T) {
	_, err := Measure([]Commit{{Rows: 10, At: at(0)}, {Rows: 20, At: at(5)}}, []Sighting{{Rows: 15, At: at(100)}})
	if err == nil || !strings.Contains(err.Error(), "row 20") {
		t.Errorf("Measure = %v, want an error naming row 20", err)
	}
	if _, err := Measure(nil, nil); err == nil {
		t.Error("Measure of nothing succeeded")
	}
}

// fakeStandin serves GET /_standin/loads from records a test appends, in the JSON the
// real stand-in writes (doris.LoadRecord).
type fakeStandin struct {
	mu   sync.Mutex
	recs []doris.LoadRecord
}

func (f *fakeStandin) add(r doris.LoadRecord) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.recs = append(f.recs, r)
}

func (f *fakeStandin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/_standin/loads" {
		http.NotFound(w, r)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	json.NewEncoder(w).Encode(f.recs)
}

func ok(table string, rows int64) doris.LoadRecord {
	return doris.LoadRecord{DB: "ods", Table: table, Label: "l", Status: doris.StatusSuccess, TotalRows: rows, LoadedRows: rows}
}

func TestWatcherCountsOnlyNewLoadsOfItsTable(t *testing.T) {
	f := &fakeStandin{}
	f.add(ok("lat", 1000)) // before Skip: not counted
	srv := httptest.NewServer(f)
	defer srv.Close()
	w := &Watcher{URL: srv.URL, DB: "ods", Table: "lat"}
	ctx := context.Background()
	if err := w.Skip(ctx); err != nil {
		t.Fatal(err)
	}
	f.add(ok("lat", 5))
	f.add(ok("other", 7))
	if n, err := w.Poll(ctx); err != nil || n != 5 {
		t.Fatalf("Poll = %d, %v; want 5", n, err)
	}
	f.add(ok("lat", 3))
	if n, err := w.Poll(ctx); err != nil || n != 8 {
		t.Fatalf("Poll = %d, %v; want 8", n, err)
	}
	if n, err := w.Poll(ctx); err != nil || n != 8 {
		t.Fatalf("Poll again = %d, %v; want 8 (records counted once)", n, err)
	}
}

func TestWatcherRefusesLoadsThatHideVisibility(t *testing.T) {
	for name, rec := range map[string]doris.LoadRecord{
		"failed":   {DB: "ods", Table: "lat", Status: doris.StatusFail, Message: "boom"},
		"2pc":      {DB: "ods", Table: "lat", Status: doris.StatusSuccess, TwoPhaseCommit: true, LoadedRows: 5},
		"filtered": {DB: "ods", Table: "lat", Status: doris.StatusSuccess, LoadedRows: 4, FilteredRows: 1},
	} {
		t.Run(name, func(t *testing.T) {
			f := &fakeStandin{}
			srv := httptest.NewServer(f)
			defer srv.Close()
			w := &Watcher{URL: srv.URL, DB: "ods", Table: "lat"}
			f.add(rec)
			if _, err := w.Poll(context.Background()); err == nil {
				t.Errorf("Poll accepted a %s load", name)
			}
		})
	}
}

// loadingInserter "loads" every committed transaction into the fake stand-in at once, as
// one load per transaction.
type loadingInserter struct {
	f      *fakeStandin
	mu     sync.Mutex
	firsts []int64
}

func (l *loadingInserter) Insert(_ context.Context, first int64, n int) error {
	l.mu.Lock()
	l.firsts = append(l.firsts, first)
	l.mu.Unlock()
	l.f.add(ok("lat", int64(n)))
	return nil
}

func TestRunCommitsThePlannedRowsAndMeasuresThemAll(t *testing.T) {
	f := &fakeStandin{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	ins := &loadingInserter{f: f}
	w := &Watcher{URL: srv.URL, DB: "ods", Table: "lat"}
	cfg := Config{Rate: 1000, Duration: 100 * time.Millisecond, TxnRows: 10, PollEvery: time.Millisecond, DrainTimeout: 10 * time.Second}
	res, err := Run(context.Background(), cfg, ins, w, 101, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	// One transaction every 10 ms for 100 ms: 10 transactions of 10 rows, after the warm-up.
	if res.Rows != 100 {
		t.Errorf("measured %d rows, want 100", res.Rows)
	}
	if len(ins.firsts) != 11 || ins.firsts[0] != 101 || ins.firsts[1] != 111 || ins.firsts[10] != 201 {
		t.Errorf("transactions started at ids %v, want 101, 111, … 201", ins.firsts)
	}
	if res.P50 > res.P99 || res.P99 > res.Max {
		t.Errorf("percentiles out of order: %+v", res.Summary)
	}
}

func TestRunFailsWhenRowsNeverArrive(t *testing.T) {
	f := &fakeStandin{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	w := &Watcher{URL: srv.URL, DB: "ods", Table: "lat"}
	cfg := Config{Rate: 1000, Duration: 20 * time.Millisecond, TxnRows: 10, PollEvery: time.Millisecond, DrainTimeout: 50 * time.Millisecond}
	_, err := Run(context.Background(), cfg, nopInserter{}, w, 1, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), "warm-up") {
		t.Errorf("Run = %v, want a warm-up error", err)
	}
}

type nopInserter struct{}

func (nopInserter) Insert(context.Context, int64, int) error { return nil }

// warmOnlyInserter loads the warm-up transaction and loses every later one.
type warmOnlyInserter struct{ f *fakeStandin }

func (w *warmOnlyInserter) Insert(_ context.Context, first int64, n int) error {
	if first == 1 {
		w.f.add(ok("lat", int64(n)))
	}
	return nil
}

func TestRunFailsWhenSteadyRowsGoMissing(t *testing.T) {
	f := &fakeStandin{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	w := &Watcher{URL: srv.URL, DB: "ods", Table: "lat"}
	cfg := Config{Rate: 1000, Duration: 20 * time.Millisecond, TxnRows: 10, PollEvery: time.Millisecond, DrainTimeout: 100 * time.Millisecond}
	_, err := Run(context.Background(), cfg, &warmOnlyInserter{f}, w, 1, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), "only 0 of 20 rows visible") {
		t.Errorf("Run = %v, want an error saying 0 of 20 rows became visible", err)
	}
}
