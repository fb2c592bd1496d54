package metrics

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/doris-sync/doris-sync/sink"
	"github.com/doris-sync/doris-sync/state"
)

// copyJob is a job copying three tables, with the clock at its start.
func copyJob() (*Registry, *clock, *fakeSink) {
	c := newClock(t0)
	r := New("shop", c.now)
	r.SetPhase(state.PhaseSnapshot)
	r.Table("ods", "orders").RowsEstimated().Set(2_700_000)
	r.Table("ods", "customers").RowsEstimated().Set(120_000)
	r.Table("ods", "items").RowsEstimated().Set(10_000)
	fs := &fakeSink{}
	r.AttachSink(fs)
	return r, c, fs
}

func TestProgressFrames(t *testing.T) {
	r, c, fs := copyJob()
	var out bytes.Buffer
	p := NewProgress(r, ProgressOptions{Out: &out, Draw: true})

	p.Tick()
	frame1 := "" +
		"shop · snapshot · 0s · 0 rows loaded in 0 loads\n" +
		"copy   0/3 tables · 0 of ~2.83M rows · 0.0 rows/s\n" +
		"  ods.customers  [----------] waiting ~120k rows\n" +
		"  ods.items      [----------] waiting ~10.0k rows\n" +
		"  ods.orders     [----------] waiting ~2.70M rows\n"
	if got := out.String(); got != frame1 {
		t.Fatalf("first frame:\n%s\nwant:\n%s", got, frame1)
	}

	c.advance(10 * time.Second)
	r.Table("ods", "orders").RowsCopied().Set(523_000)
	cu := r.Table("ods", "customers")
	cu.RowsCopied().Set(120_000)
	cu.SetSnapshotDone(true)
	fs.mu.Lock()
	fs.stats = []sink.TableStats{{DB: "ods", Table: "orders", Rows: 523_000, Loads: 11, Retries: 1},
		{DB: "ods", Table: "customers", Rows: 120_000, Loads: 1}}
	fs.mu.Unlock()
	out.Reset()
	p.Tick()
	frame2 := "\x1b[5A\r\x1b[J" +
		"shop · snapshot · 10s · 643k rows loaded in 12 loads · 1 retry\n" +
		"copy   1/3 tables · 643k of ~2.83M rows · 64.3k rows/s · ETA 34s\n" +
		"  ods.orders     [#---------] 19%     523k/2.70M  52.3k/s  ETA 42s\n" +
		"  ods.items      [----------] waiting ~10.0k rows\n" +
		"  ods.customers  [##########] done    120k rows\n"
	if got := out.String(); got != frame2 {
		t.Fatalf("second frame:\n%q\nwant:\n%q", got, frame2)
	}

	// A log line goes above the display, which is drawn again below it.
	out.Reset()
	if _, err := p.Writer().Write([]byte("level=INFO msg=\"table copied\"\n")); err != nil {
		t.Fatal(err)
	}
	want := "\x1b[5A\r\x1b[J" + "level=INFO msg=\"table copied\"\n" + strings.TrimPrefix(frame2, "\x1b[5A\r\x1b[J")
	if got := out.String(); got != want {
		t.Fatalf("log write through the display:\n%q\nwant:\n%q", got, want)
	}

	// Streaming, copy done: the copy lines give way to the stream's.
	r.SetPhase(state.PhaseStreaming)
	r.Table("ods", "orders").SetSnapshotDone(true)
	r.Table("ods", "items").SetSnapshotDone(true)
	r.Table("ods", "orders").Changes().Add(1000)
	c.advance(10 * time.Second)
	out.Reset()
	p.Tick()
	r.Table("ods", "orders").Changes().Add(3000)
	r.SetLag(2100 * time.Millisecond)
	r.RecordError(errors.New("x"))
	c.advance(10 * time.Second)
	out.Reset()
	p.Tick()
	frame4 := "\x1b[2A\r\x1b[J" +
		"shop · streaming · 30s · 643k rows loaded in 12 loads · 1 retry · 1 error\n" +
		"stream 300 changes/s · 4000 changes · lag 2.1s\n"
	if got := out.String(); got != frame4 {
		t.Fatalf("streaming frame:\n%q\nwant:\n%q", got, frame4)
	}

	// Stop draws a last frame and leaves it: later writes do not erase it.
	out.Reset()
	p.Stop()
	if got := out.String(); !strings.HasPrefix(got, "\x1b[2A\r\x1b[J") || !strings.HasSuffix(got, "lag 2.1s\n") {
		t.Fatalf("final frame %q", got)
	}
	out.Reset()
	if _, err := p.Writer().Write([]byte("summary\n")); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "summary\n" {
		t.Fatalf("a write after Stop erased the display: %q", got)
	}
}

func TestProgressBoundsTableLines(t *testing.T) {
	r, _, _ := copyJob()
	r.Table("ods", "orders").SetSnapshotDone(true)
	var out bytes.Buffer
	p := NewProgress(r, ProgressOptions{Out: &out, Draw: true, MaxTables: 2})
	p.Tick()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d lines, want head, copy, 2 tables and the rest:\n%s", len(lines), out.String())
	}
	if want := "  … 1 more table: 0 copying, 0 waiting, 1 done"; lines[4] != want {
		t.Errorf("last line %q, want %q", lines[4], want)
	}
	if !strings.HasPrefix(lines[2], "  ods.customers ") || !strings.HasPrefix(lines[3], "  ods.items ") {
		t.Errorf("the waiting tables are not shown before the done one:\n%s", out.String())
	}
}

func TestProgressUnknownEstimateAndLongNames(t *testing.T) {
	c := newClock(t0)
	r := New("j", c.now)
	r.SetPhase(state.PhaseSnapshot)
	long := r.Table("a_database_with_a_long_name", "and_a_table_with_an_even_longer_name")
	long.RowsCopied().Set(5)
	var out bytes.Buffer
	p := NewProgress(r, ProgressOptions{Out: &out, Draw: true})
	p.Tick()
	want := "" +
		"j · snapshot · 0s\n" +
		"copy   0/1 tables · 5 rows · 0.0 rows/s\n" +
		"  a_database_with_a_l…  [----------] ?%      5 rows  0.0/s\n"
	if got := out.String(); got != want {
		t.Fatalf("frame:\n%q\nwant:\n%q", got, want)
	}
}

// No line is longer than 79 characters, so none wraps and breaks the redraw.
func TestProgressLinesFitTheTerminal(t *testing.T) {
	r, c, _ := copyJob()
	r = New(strings.Repeat("a-very-long-job-name-", 5), c.now)
	r.SetPhase(state.PhaseSnapshot)
	tb := r.Table(strings.Repeat("d", 40), strings.Repeat("t", 40))
	tb.RowsEstimated().Set(999_000_000_000)
	p := NewProgress(r, ProgressOptions{Out: io.Discard, Draw: true})
	p.Tick()
	c.advance(5 * time.Second)
	tb.RowsCopied().Set(123_456_789)
	r.RecordError(errors.New("x"))
	var out bytes.Buffer
	p.o.Out = &out
	p.Tick()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("frame %q", out.String())
	}
	for _, l := range lines {
		if n := utf8.RuneCountInString(strings.TrimPrefix(l, "\x1b[3A\r\x1b[J")); n > 79 {
			t.Errorf("line of %d characters: %q", n, l)
		}
	}
	if !strings.HasSuffix(lines[0], "…") {
		t.Errorf("the long head line was not cut: %q", lines[0])
	}
	if want := "  " + strings.Repeat("d", 19) + "…  [----------] 0%      123M/999G  24.7M/s  ETA 11h14m"; lines[2] != want {
		t.Errorf("table line\n%q\nwant\n%q", lines[2], want)
	}
}

func TestProgressLogLine(t *testing.T) {
	r, c, fs := copyJob()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	var out bytes.Buffer
	p := NewProgress(r, ProgressOptions{Out: &out, Draw: false, Log: log})
	p.Tick()
	c.advance(30 * time.Second)
	r.Table("ods", "orders").RowsCopied().Set(900_000)
	fs.mu.Lock()
	fs.stats = []sink.TableStats{{DB: "ods", Table: "orders", Rows: 850_000, Loads: 9, Retries: 2, Failures: 2}}
	fs.mu.Unlock()
	logs.Reset()
	p.Tick()
	want := "level=INFO msg=progress job=shop phase=snapshot elapsed=30s tables_copied=0/3 rows_copied=900000 " +
		"rows_estimated=2830000 copy_rows_per_s=30000 eta=1m4s rows_loaded=850000 loads=9 retries=2 failures=2 errors=0\n"
	if got := logs.String(); got != want {
		t.Fatalf("log line:\n%s\nwant:\n%s", got, want)
	}
	if out.Len() != 0 {
		t.Errorf("the log mode drew on Out: %q", out.String())
	}

	r.SetPhase(state.PhaseStreaming)
	for _, n := range []string{"orders", "customers", "items"} {
		r.Table("ods", n).SetSnapshotDone(true)
	}
	r.Table("ods", "orders").Changes().Add(600)
	r.SetLag(1234 * time.Millisecond)
	c.advance(30 * time.Second)
	logs.Reset()
	p.Tick()
	want = "level=INFO msg=progress job=shop phase=streaming elapsed=1m0s changes=600 changes_per_s=0 lag=1.2s " +
		"rows_loaded=850000 loads=9 retries=2 failures=2 errors=0\n"
	if got := logs.String(); got != want {
		t.Fatalf("streaming log line:\n%s\nwant:\n%s", got, want)
	}
	r.Table("ods", "orders").Changes().Add(1500)
	c.advance(30 * time.Second)
	logs.Reset()
	p.Tick()
	if got := logs.String(); !strings.Contains(got, " changes=2100 changes_per_s=50 ") {
		t.Fatalf("changes per second over the log interval: %s", got)
	}
}

func TestRateAveragesOverTheWindow(t *testing.T) {
	var r rate
	w := 10 * time.Second
	if got := r.observe(t0, 0, w); got != 0 {
		t.Fatalf("one sample gives %v", got)
	}
	// 100/s for 20 s, then 0/s: after 10 s of 0/s the window holds only the stall.
	for i := 1; i <= 20; i++ {
		r.observe(t0.Add(time.Duration(i)*time.Second), int64(100*i), w)
	}
	if got := r.observe(t0.Add(21*time.Second), 2000, w); got != 90 {
		t.Fatalf("rate one second into a stall %v, want 90 (900 rows over the 10 s window)", got)
	}
	if got := r.observe(t0.Add(31*time.Second), 2000, w); got != 0 {
		t.Fatalf("rate after a 10 s stall %v, want 0", got)
	}
	if len(r.samples) > 12 {
		t.Errorf("the window keeps %d samples", len(r.samples))
	}
	// A number that went down (the table is copied again) starts over.
	if got := r.observe(t0.Add(32*time.Second), 10, w); got != 0 {
		t.Fatalf("rate after a reset %v, want 0", got)
	}
}

func TestDrawProgressChoice(t *testing.T) {
	dir := t.TempDir()
	file, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	// /dev/null is a character device like a terminal: the Stat test takes it for one.
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()

	for _, tt := range []struct {
		name string
		mode string
		f    *os.File
		want bool
	}{
		{"on draws even into a file", ProgressOn, file, true},
		{"off never draws", ProgressOff, devNull, false},
		{"auto: a file (cron >> log)", ProgressAuto, file, false},
		{"auto: a pipe (| tee, systemd)", ProgressAuto, pw, false},
		{"auto: a character device", ProgressAuto, devNull, true},
		{"auto: no stderr", ProgressAuto, nil, false},
		{"unknown mode behaves as auto", "", pw, false},
	} {
		if got := DrawProgress(tt.mode, tt.f); got != tt.want {
			t.Errorf("%s: DrawProgress = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestViewStartsAndStops(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := New("j", nil)
	v, err := Start(r, ViewOptions{Progress: ProgressAuto, Stderr: f, MetricsAddr: "127.0.0.1:0", Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	if v.Output() != io.Writer(f) {
		t.Error("without a display, logs do not go straight to stderr")
	}
	addr := v.MetricsAddr()
	if code, _, _ := get(t, "http://"+addr+"/healthz"); code != 200 {
		t.Fatalf("healthz %d", code)
	}
	r.Finish(nil)
	if err := v.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.ReadFile(f.Name()); err != nil {
		t.Fatal(err)
	}

	// The same address again while it is taken: a usage error, nothing started.
	busy, err := Start(New("j", nil), ViewOptions{Progress: ProgressOff, Stderr: f, MetricsAddr: "127.0.0.1:0", Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Stop(context.Background())
	if _, err := Start(New("j", nil), ViewOptions{Stderr: f, MetricsAddr: busy.MetricsAddr(), Log: quietLog()}); err == nil {
		t.Fatal("a second view bound a taken address")
	}

	drawn, err := Start(New("j", nil), ViewOptions{Progress: ProgressOn, Stderr: f})
	if err != nil {
		t.Fatal(err)
	}
	if drawn.Output() == io.Writer(f) || drawn.MetricsAddr() != "" {
		t.Error("with the display, logs must go through it; without --metrics-addr nothing is served")
	}
	if err := drawn.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}
