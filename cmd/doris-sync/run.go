package main

import (
	"context"
	"io"

	"github.com/doris-sync/doris-sync/config"
	dsync "github.com/doris-sync/doris-sync/sync"
)

// runSync runs a validated job until it finishes, catches up (cron mode) or
// ctx is cancelled (SIGINT/SIGTERM), writing plans and summaries to out and
// reporting a full sync to obs. Its error decides the exit code through package
// exitcode. It is a variable so tests can capture the job the command line builds.
var runSync = func(ctx context.Context, job *config.Job, out io.Writer, obs dsync.Observer) error {
	return dsync.RunObserved(ctx, job, out, obs)
}

// runStatus prints the saved state of one job (jobName != "") or of every job
// under stateDir (status.go).
var runStatus = showStatus
