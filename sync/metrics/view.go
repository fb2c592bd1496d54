package metrics

import (
	"context"
	"io"
	"log/slog"
	"os"
	"time"
)

// ViewOptions configure the operator's view of one run.
type ViewOptions struct {
	Progress    string        // --progress: auto (default), on, off
	Stderr      *os.File      // where the display and the logs go (default os.Stderr)
	MetricsAddr string        // --metrics-addr HOST:PORT; "" serves nothing
	Profiler    bool          // --pprof: also serve /debug/pprof/ on MetricsAddr
	LogEvery    time.Duration // between progress log lines without the display (default 30 s)
	// Log receives the progress lines and the server's messages; nil: slog.Default()
	// at the time of each line.
	Log *slog.Logger
}

// View is the operator's view of one run: the metrics server and the progress display
// or log lines, started and stopped with the job.
type View struct {
	progress *Progress
	server   *Server
	out      io.Writer
}

// Start serves the registry on MetricsAddr (a port that cannot be bound is an exit-2
// error naming the address) and starts the progress display or log lines. Build the
// logger on Output() afterwards, so logs and the display share the terminal cleanly.
func Start(r *Registry, o ViewOptions) (*View, error) {
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	v := &View{out: o.Stderr}
	if o.MetricsAddr != "" {
		log := o.Log
		if log == nil {
			log = slog.Default()
		}
		s, err := Serve(o.MetricsAddr, r, log, o.Profiler)
		if err != nil {
			return nil, err
		}
		v.server = s
	}
	draw := DrawProgress(o.Progress, o.Stderr)
	v.progress = NewProgress(r, ProgressOptions{Out: o.Stderr, Draw: draw, LogEvery: o.LogEvery, Log: o.Log})
	if draw {
		v.out = v.progress.Writer()
	}
	v.progress.Start()
	return v, nil
}

// Output is where the job's logs should be written: stderr, through the display when
// one is drawn.
func (v *View) Output() io.Writer { return v.out }

// MetricsAddr is the address metrics are served on, "" when they are not.
func (v *View) MetricsAddr() string {
	if v.server == nil {
		return ""
	}
	return v.server.Addr()
}

// Stop leaves the last frame of the display on screen and stops the metrics server
// (requests in progress may finish until ctx ends). Call Registry.Finish first, so a
// last scrape sees the outcome.
func (v *View) Stop(ctx context.Context) error {
	v.progress.Stop()
	if v.server != nil {
		return v.server.Close(ctx)
	}
	return nil
}
