package metrics

import (
	"errors"
	"sync"
	"time"

	"github.com/doris-sync/doris-sync/sink"
)

// fakeSink stands in for *sink.Writer: fixed stats the test sets.
type fakeSink struct {
	mu                   sync.Mutex
	stats                []sink.TableStats
	inUse, peak, waits   int64
	err                  error
	statsCalls, errCalls int
}

func (f *fakeSink) Stats() []sink.TableStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statsCalls++
	return append([]sink.TableStats(nil), f.stats...)
}

func (f *fakeSink) MemoryStats() (int64, int64, int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.inUse, f.peak, f.waits
}

func (f *fakeSink) Err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errCalls++
	return f.err
}

func (f *fakeSink) setErr(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

// clock is a settable time for the registry.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var t0 = time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)

var errTest = errors.New("test failure")
