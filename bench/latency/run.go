package latency

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Inserter commits rows first…first+n-1 of the source table in one transaction.
type Inserter interface {
	Insert(ctx context.Context, first int64, n int) error
}

// Config is one latency run.
type Config struct {
	Rate         int           // rows per second
	Duration     time.Duration // length of the steady phase
	TxnRows      int           // rows per transaction
	PollEvery    time.Duration // how often the watcher reads the load records
	DrainTimeout time.Duration // how long to wait for the warm-up row, and for the last rows after the steady phase
}

// Result is what a run measured.
type Result struct {
	Summary
	Rate      float64       // rows per second actually committed in the steady phase
	Committed time.Duration // length of the steady phase as run
}

// Run warms up (one transaction, waited for until visible, so doris-sync is known to be
// streaming), then commits cfg.Rate rows a second for cfg.Duration starting at id
// firstID, waits until every row is visible and measures.
func Run(ctx context.Context, cfg Config, ins Inserter, w *Watcher, firstID int64, log *slog.Logger) (Result, error) {
	if cfg.Rate <= 0 || cfg.TxnRows <= 0 || cfg.Duration <= 0 || cfg.PollEvery <= 0 {
		return Result{}, fmt.Errorf("latency: rate, txn rows, duration and poll interval must be positive: %+v", cfg)
	}
	if err := w.Skip(ctx); err != nil {
		return Result{}, err
	}
	id := firstID
	if err := ins.Insert(ctx, id, cfg.TxnRows); err != nil {
		return Result{}, fmt.Errorf("latency: warm-up insert: %w", err)
	}
	id += int64(cfg.TxnRows)
	warm := int64(cfg.TxnRows)
	if err := waitRows(ctx, w, warm, cfg.PollEvery, cfg.DrainTimeout); err != nil {
		return Result{}, fmt.Errorf("latency: warm-up: %w", err)
	}
	log.Info("warm-up row visible; steady phase starts", "rate", cfg.Rate, "duration", cfg.Duration)

	// The watcher runs beside the writer; it stops once the writer is done and every
	// committed row has been seen, or on an error.
	var (
		mu       sync.Mutex
		seen     []Sighting
		target   int64 = -1 // rows to wait for, set when the writer is done
		watchErr error
	)
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(cfg.PollEvery)
		defer t.Stop()
		last := warm
		for {
			n, err := w.Poll(watchCtx)
			now := time.Now()
			mu.Lock()
			if err != nil {
				if watchCtx.Err() == nil {
					watchErr = err
				}
				mu.Unlock()
				return
			}
			if n > last { // rows counted from the end of the warm-up, like the commits
				seen = append(seen, Sighting{Rows: n - warm, At: now})
				last = n
			}
			finished := target >= 0 && n >= target
			mu.Unlock()
			if finished {
				return
			}
			select {
			case <-watchCtx.Done():
				return
			case <-t.C:
			}
		}
	}()

	period := time.Duration(float64(time.Second) * float64(cfg.TxnRows) / float64(cfg.Rate))
	var commits []Commit
	rows := warm
	start := time.Now()
	for i := 0; ; i++ {
		due := start.Add(time.Duration(i) * period)
		if due.Sub(start) >= cfg.Duration {
			break
		}
		if d := time.Until(due); d > 0 { // behind schedule: catch up without sleeping
			select {
			case <-ctx.Done():
				return Result{}, ctx.Err()
			case <-time.After(d):
			}
		}
		if err := ins.Insert(ctx, id, cfg.TxnRows); err != nil {
			return Result{}, fmt.Errorf("latency: insert rows %d…: %w", id, err)
		}
		rows += int64(cfg.TxnRows)
		id += int64(cfg.TxnRows)
		commits = append(commits, Commit{Rows: rows - warm, At: time.Now()})
		mu.Lock()
		err := watchErr
		mu.Unlock()
		if err != nil {
			return Result{}, err
		}
	}
	committed := commits[len(commits)-1].At.Sub(start)
	log.Info("steady phase done; waiting for the last rows", "rows", rows-warm, "seconds", committed.Seconds())

	mu.Lock()
	target = rows
	mu.Unlock()
	select {
	case <-done:
	case <-time.After(cfg.DrainTimeout):
		stopWatch()
		<-done
	}
	mu.Lock()
	defer mu.Unlock()
	if watchErr != nil {
		return Result{}, watchErr
	}
	if got := lastRows(seen); got < rows-warm {
		return Result{}, fmt.Errorf("latency: only %d of %d rows visible %s after the last commit", got, rows-warm, cfg.DrainTimeout)
	}
	sum, err := Measure(commits, seen)
	if err != nil {
		return Result{}, err
	}
	rate := float64(rows-warm) / committed.Seconds()
	return Result{Summary: sum, Rate: rate, Committed: committed}, nil
}

// waitRows polls until at least want rows are loaded, or timeout.
func waitRows(ctx context.Context, w *Watcher, want int64, every, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		n, err := w.Poll(ctx)
		if err != nil {
			return err
		}
		if n >= want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d rows visible after %s: is doris-sync streaming?", n, want, timeout)
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), fmt.Errorf("%d of %d rows visible", n, want))
		case <-time.After(every):
		}
	}
}
