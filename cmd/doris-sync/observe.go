package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/doris-sync/doris-sync/config"
	"github.com/doris-sync/doris-sync/exitcode"
	dsync "github.com/doris-sync/doris-sync/sync"
	"github.com/doris-sync/doris-sync/sync/metrics"
)

// viewStopTimeout bounds how long the metrics server may finish a scrape in progress
// once the run is over.
const viewStopTimeout = 5 * time.Second

// syncJob runs a validated job with the operator's view around a full sync: the metrics
// server (--metrics-addr) and the progress display or progress log lines (--progress),
// started before anything connects, so a port that cannot be bound is exit 2 at once.
// Logs go through logOut, which is moved onto the display while it is drawn. --dry-run
// and --create-table-only get no view; their --metrics-addr is only checked.
func syncJob(ctx context.Context, job *config.Job, out, stderr io.Writer, logOut *switchWriter, log *slog.Logger) error {
	if job.DryRun || job.CreateTableOnly {
		if err := checkMetricsAddr(job.MetricsAddr); err != nil {
			return err
		}
		return runSync(ctx, job, out, dsync.Observer{})
	}
	reg := metrics.New(job.JobName, nil)
	opts := metrics.ViewOptions{Progress: job.Progress, MetricsAddr: job.MetricsAddr, Profiler: job.Pprof, Log: log}
	file, isFile := stderr.(*os.File)
	if isFile {
		opts.Stderr = file
	}
	if !isFile || job.LogFormat == config.LogFormatJSON {
		// The display needs a terminal, and would put lines that are not JSON among
		// the JSON records: progress is logged instead.
		opts.Progress = metrics.ProgressOff
	}
	v, err := metrics.Start(reg, opts)
	if err != nil {
		return err
	}
	summary := stderr
	if isFile {
		summary = v.Output()
		logOut.set(v.Output())
	}
	err = runSync(ctx, job, out, dsync.Observer{
		Metrics: reg, Summary: summary, SummaryAsLog: job.LogFormat == config.LogFormatJSON,
	})
	reg.Finish(err)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), viewStopTimeout)
	defer cancel()
	if serr := v.Stop(sctx); serr != nil {
		log.Warn("stopping the operator's view", "err", serr.Error())
	}
	logOut.set(stderr)
	return err
}

// checkMetricsAddr makes sure --metrics-addr can be served, for the commands that do
// not serve it: the same address must work once the job runs for real.
func checkMetricsAddr(addr string) error {
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return exitcode.Usagef("--metrics-addr %s: cannot serve metrics there: %v", addr, err)
	}
	return ln.Close()
}

// switchWriter is the logger's output: stderr, moved onto the progress display while
// one is drawn so log lines appear above it.
type switchWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *switchWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *switchWriter) set(w io.Writer) {
	s.mu.Lock()
	s.w = w
	s.mu.Unlock()
}
