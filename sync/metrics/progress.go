package metrics

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/doris-sync/doris-sync/state"
)

// Progress modes (--progress).
const (
	ProgressAuto = "auto"
	ProgressOn   = "on"
	ProgressOff  = "off"
)

// IsTerminal reports whether f is a character device, which on a terminal it is and
// for a pipe, a file or a socket (cron, systemd, a shell redirect) it is not. It is the
// Stat test rather than a terminal ioctl, so /dev/null passes too; drawing there is
// harmless.
func IsTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// DrawProgress decides --progress: "on" draws the display, "off" never does, "auto"
// (or anything else) draws it when stderr is a terminal. Without the display, progress
// goes to the log as one line every ProgressOptions.LogEvery.
func DrawProgress(mode string, stderr *os.File) bool {
	switch mode {
	case ProgressOn:
		return true
	case ProgressOff:
		return false
	}
	return IsTerminal(stderr)
}

// ProgressOptions configure a Progress.
type ProgressOptions struct {
	// Out is where the display is drawn and, through Writer, the logs written: stderr,
	// never stdout (which carries plans and summaries).
	Out io.Writer
	// Draw redraws a per-table display on Out (a terminal); otherwise progress is
	// logged as one line every LogEvery.
	Draw bool
	// Redraw is the time between frames (default 250 ms).
	Redraw time.Duration
	// LogEvery is the time between progress log lines (default 30 s).
	LogEvery time.Duration
	// Window is the time rates (rows/s, changes/s) are averaged over on the display
	// (default 10 s); log lines average over LogEvery.
	Window time.Duration
	// MaxTables bounds the table lines of the display (default 10); the rest are
	// counted on one line.
	MaxTables int
	// Log receives the progress lines; nil: slog.Default() at the time of each line,
	// so a logger set up after Start is used.
	Log *slog.Logger
}

func (o *ProgressOptions) defaults() {
	if o.Out == nil {
		o.Out = os.Stderr
	}
	if o.Redraw <= 0 {
		o.Redraw = 250 * time.Millisecond
	}
	if o.LogEvery <= 0 {
		o.LogEvery = 30 * time.Second
	}
	if o.Window <= 0 {
		o.Window = 10 * time.Second
	}
	if o.MaxTables <= 0 {
		o.MaxTables = 10
	}
}

// Progress shows a registry's numbers as they change: a display redrawn in place on a
// terminal, or periodic log lines. Its clock is the registry's.
type Progress struct {
	r *Registry
	o ProgressOptions

	mu      sync.Mutex
	lines   []string // the frame on screen
	drawn   int      // lines of it drawn and not yet erased
	rates   map[string]*rate
	started bool
	stopped bool
	stop    chan struct{}
	done    chan struct{}
}

// NewProgress returns a Progress of r; Start begins it.
func NewProgress(r *Registry, o ProgressOptions) *Progress {
	o.defaults()
	return &Progress{r: r, o: o, rates: map[string]*rate{}, stop: make(chan struct{}), done: make(chan struct{})}
}

// Start draws the first frame (when drawing) and keeps the display or the log lines
// coming until Stop.
func (p *Progress) Start() {
	p.mu.Lock()
	if p.started || p.stopped {
		p.mu.Unlock()
		return
	}
	p.started = true
	p.mu.Unlock()
	every := p.o.LogEvery
	if p.o.Draw {
		every = p.o.Redraw
		p.Tick()
	}
	go func() {
		defer close(p.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.Tick()
			}
		}
	}()
}

// Stop ends the updates. A drawn display gets a last frame and stays on screen, so
// the lines that follow (the summary) go below it.
func (p *Progress) Stop() {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	p.stopped = true
	started := p.started
	p.mu.Unlock()
	if started {
		close(p.stop)
		<-p.done
	}
	if p.o.Draw {
		p.render()
		p.mu.Lock()
		p.drawn = 0
		p.mu.Unlock()
	}
}

// Tick draws one frame, or logs one progress line, at the registry's clock.
func (p *Progress) Tick() {
	if p.o.Draw {
		p.render()
		return
	}
	p.logLine()
}

// Writer returns a writer for log lines that share the terminal with the display: each
// write erases the display, writes the line and draws the display again below it.
// Without the display it writes straight to Out.
func (p *Progress) Writer() io.Writer { return progressWriter{p} }

type progressWriter struct{ p *Progress }

func (w progressWriter) Write(b []byte) (int, error) {
	p := w.p
	if !p.o.Draw {
		return p.o.Out.Write(b)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn == 0 {
		return p.o.Out.Write(b)
	}
	buf := appendErase(nil, p.drawn)
	buf = append(buf, b...)
	if n := len(b); n > 0 && b[n-1] != '\n' {
		buf = append(buf, '\n')
	}
	buf = appendLines(buf, p.lines)
	if _, err := p.o.Out.Write(buf); err != nil {
		return 0, err
	}
	return len(b), nil
}

// render replaces the display on screen by a new frame.
func (p *Progress) render() {
	s := p.r.Snapshot()
	p.mu.Lock()
	defer p.mu.Unlock()
	lines := p.frame(s)
	buf := appendErase(nil, p.drawn)
	buf = appendLines(buf, lines)
	if _, err := p.o.Out.Write(buf); err != nil {
		return // a closed stderr leaves nothing to show progress on
	}
	p.lines, p.drawn = lines, len(lines)
}

// appendErase moves the cursor up over n drawn lines and clears to the end of the
// screen (ANSI CUU and ED).
func appendErase(b []byte, n int) []byte {
	if n == 0 {
		return b
	}
	b = append(b, "\x1b["...)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, "A\r\x1b[J"...)
}

func appendLines(b []byte, lines []string) []byte {
	for _, l := range lines {
		b = append(b, l...)
		b = append(b, '\n')
	}
	return b
}

// rate averages how fast a number grows over a time window.
type rate struct{ samples []sample }

type sample struct {
	t time.Time
	v int64
}

// observe adds a sample and returns the growth per second over the window (0 until
// there are two samples). A number that went down (a table copied again) starts over.
func (r *rate) observe(t time.Time, v int64, window time.Duration) float64 {
	if n := len(r.samples); n > 0 && v < r.samples[n-1].v {
		r.samples = r.samples[:0]
	}
	r.samples = append(r.samples, sample{t, v})
	// Keep the newest sample at or before the window's start, so the average spans
	// the whole window once there is history for it.
	drop := 0
	for drop+1 < len(r.samples) && !r.samples[drop+1].t.After(t.Add(-window)) {
		drop++
	}
	if drop > 0 {
		r.samples = append(r.samples[:0], r.samples[drop:]...)
	}
	first := r.samples[0]
	dt := t.Sub(first.t).Seconds()
	if dt <= 0 {
		return 0
	}
	return float64(v-first.v) / dt
}

func (p *Progress) rateOf(key string, t time.Time, v int64, window time.Duration) float64 {
	r := p.rates[key]
	if r == nil {
		r = &rate{}
		p.rates[key] = r
	}
	return r.observe(t, v, window)
}

// eta is the time left at rate for remaining rows, or "" when it cannot be told.
func eta(remaining int64, rate float64) string {
	if remaining <= 0 || rate <= 0 {
		return ""
	}
	return span(time.Duration(float64(remaining) / rate * float64(time.Second)))
}

// Display geometry: the terminal's width is not known (no terminal library), and a
// line that wraps would break the redraw, which moves the cursor up one row per line.
const (
	barWidth  = 10
	nameWidth = 20 // of "db.table" on a table line
	lineWidth = 79 // every line is cut to this many characters
)

// tableStage orders the display's table lines: copying first, then waiting, then done.
func tableStage(ts TableSnapshot) int {
	switch {
	case ts.SnapshotDone:
		return 2
	case ts.RowsCopied > 0 || ts.ChunksDone > 0:
		return 0
	}
	return 1
}

// copying reports whether the display shows the copy: the job is in its snapshot
// phase, or a table's copy is not done.
func copying(s Snapshot, tot Totals) bool {
	return s.Phase == state.PhaseSnapshot || tot.TablesCopied < tot.SnapshotTables
}

// frame lays out the display for a snapshot, updating the rates.
func (p *Progress) frame(s Snapshot) []string {
	now := s.Taken
	tot := s.Totals()
	head := s.Job + " · " + string(s.Phase) + " · " + span(now.Sub(s.Started))
	if s.SinkAttached {
		head += " · " + count(tot.RowsLoaded) + " rows loaded in " + plural(tot.Loads, "load", "loads")
		if tot.Retries > 0 {
			head += " · " + plural(tot.Retries, "retry", "retries")
		}
	}
	if s.Errors > 0 {
		head += " · " + plural(s.Errors, "error", "errors")
	}
	lines := []string{head}

	if copying(s, tot) {
		copyRate := p.rateOf("copy", now, tot.RowsCopied, p.o.Window)
		l := "copy   " + strconv.Itoa(tot.TablesCopied) + "/" + strconv.Itoa(tot.SnapshotTables) + " tables · " + count(tot.RowsCopied)
		if tot.RowsEstimated > 0 {
			l += " of ~" + count(tot.RowsEstimated)
		}
		l += " rows · " + perSecond(copyRate) + " rows/s"
		if e := eta(tot.RowsToCopy, copyRate); e != "" {
			l += " · ETA " + e
		}
		lines = append(lines, l)
		lines = append(lines, p.tableLines(s, now)...)
	}
	if s.Phase == state.PhaseStreaming {
		changeRate := p.rateOf("changes", now, tot.Changes, p.o.Window)
		l := "stream " + perSecond(changeRate) + " changes/s · " + count(tot.Changes) + " changes"
		if s.LagKnown {
			l += " · lag " + lagText(s.Lag)
		}
		lines = append(lines, l)
	}
	for i, l := range lines {
		lines[i] = clip(l, lineWidth)
	}
	return lines
}

// tableLines are the display's per-table copy lines: at most MaxTables, copying ones
// first, the rest counted on one line.
func (p *Progress) tableLines(s Snapshot, now time.Time) []string {
	var tables []TableSnapshot
	for _, ts := range s.Tables {
		if ts.hasSnapshot() {
			tables = append(tables, ts)
		}
	}
	// Stable by stage; within a stage the snapshot's name order stays.
	ordered := make([]TableSnapshot, 0, len(tables))
	for stage := 0; stage < 3; stage++ {
		for _, ts := range tables {
			if tableStage(ts) == stage {
				ordered = append(ordered, ts)
			}
		}
	}
	shown := ordered
	if len(shown) > p.o.MaxTables {
		shown = shown[:p.o.MaxTables]
	}
	width := 0
	for _, ts := range shown {
		width = max(width, utf8.RuneCountInString(ts.DB+"."+ts.Table))
	}
	width = min(width, nameWidth)

	var lines []string
	for _, ts := range ordered {
		// Rates of hidden tables are kept too, so a table that comes into view
		// shows its real speed at once.
		r := p.rateOf("copy:"+ts.DB+"."+ts.Table, now, ts.RowsCopied, p.o.Window)
		if len(lines) >= len(shown) {
			continue
		}
		lines = append(lines, "  "+fit(ts.DB+"."+ts.Table, width)+"  "+tableProgress(ts, r))
	}
	if rest := ordered[len(shown):]; len(rest) > 0 {
		var n [3]int
		for _, ts := range rest {
			n[tableStage(ts)]++
		}
		lines = append(lines, "  … "+plural(int64(len(rest)), "more table", "more tables")+": "+
			strconv.Itoa(n[0])+" copying, "+strconv.Itoa(n[1])+" waiting, "+strconv.Itoa(n[2])+" done")
	}
	return lines
}

// tableProgress is the bar and numbers of one table's copy, short enough that a
// table line fits 79 columns.
func tableProgress(ts TableSnapshot, r float64) string {
	switch tableStage(ts) {
	case 2:
		return "[" + strings.Repeat("#", barWidth) + "] done    " + count(ts.RowsCopied) + " rows"
	case 1:
		l := "[" + strings.Repeat("-", barWidth) + "] waiting"
		if ts.RowsEstimated > 0 {
			l += " ~" + count(ts.RowsEstimated) + " rows"
		}
		return l
	}
	pct := -1
	if ts.RowsEstimated > 0 {
		// Estimates come from table statistics and can be short: a table not done
		// never shows 100%.
		pct = int(min(ts.RowsCopied*100/ts.RowsEstimated, 99))
	}
	fill := max(pct, 0) * barWidth / 100
	l := "[" + strings.Repeat("#", fill) + strings.Repeat("-", barWidth-fill) + "] "
	if pct >= 0 {
		l += fit(strconv.Itoa(pct)+"%", 7) + " " + count(ts.RowsCopied) + "/" + count(ts.RowsEstimated)
	} else {
		l += fit("?%", 7) + " " + count(ts.RowsCopied) + " rows"
	}
	l += "  " + perSecond(r) + "/s"
	if e := eta(ts.RowsEstimated-ts.RowsCopied, r); e != "" {
		l += "  ETA " + e
	}
	return l
}

// logLine logs one line of totals, with rates over the time since the last line.
func (p *Progress) logLine() {
	s := p.r.Snapshot()
	p.mu.Lock()
	attrs := p.logAttrs(s)
	p.mu.Unlock()
	log := p.o.Log
	if log == nil {
		log = slog.Default()
	}
	log.LogAttrs(context.Background(), slog.LevelInfo, "progress", attrs...)
}

func (p *Progress) logAttrs(s Snapshot) []slog.Attr {
	now := s.Taken
	tot := s.Totals()
	window := p.o.LogEvery
	attrs := []slog.Attr{
		slog.String("job", s.Job),
		slog.String("phase", string(s.Phase)),
		slog.Duration("elapsed", now.Sub(s.Started).Round(time.Second)),
	}
	if copying(s, tot) {
		copyRate := p.rateOf("log:copy", now, tot.RowsCopied, window)
		attrs = append(attrs,
			slog.String("tables_copied", strconv.Itoa(tot.TablesCopied)+"/"+strconv.Itoa(tot.SnapshotTables)),
			slog.Int64("rows_copied", tot.RowsCopied),
			slog.Int64("rows_estimated", tot.RowsEstimated),
			slog.Int64("copy_rows_per_s", int64(copyRate+0.5)))
		if tot.RowsToCopy > 0 && copyRate > 0 {
			attrs = append(attrs, slog.Duration("eta", time.Duration(float64(tot.RowsToCopy)/copyRate*float64(time.Second)).Round(time.Second)))
		}
	}
	if s.Phase == state.PhaseStreaming {
		changeRate := p.rateOf("log:changes", now, tot.Changes, window)
		attrs = append(attrs, slog.Int64("changes", tot.Changes), slog.Int64("changes_per_s", int64(changeRate+0.5)))
	}
	if s.LagKnown {
		attrs = append(attrs, slog.Duration("lag", s.Lag.Round(100*time.Millisecond)))
	}
	if s.SinkAttached {
		attrs = append(attrs,
			slog.Int64("rows_loaded", tot.RowsLoaded),
			slog.Int64("loads", tot.Loads),
			slog.Int64("retries", tot.Retries),
			slog.Int64("failures", tot.Failures))
	}
	attrs = append(attrs, slog.Int64("errors", s.Errors))
	return attrs
}
