package main

import (
	"context"
	"fmt"
	"io"

	"github.com/doris-sync/doris-sync/config"
)

// runSync runs a validated job until it finishes, catches up (cron mode) or
// ctx is cancelled (SIGINT/SIGTERM). Its error decides the exit code through
// package exitcode. It is a variable so the sync engine can be plugged in
// here without touching the command-line code.
var runSync = func(ctx context.Context, job *config.Job) error {
	return fmt.Errorf("%s: not implemented yet", job.Kind.Command())
}

// runStatus prints the saved state of one job (jobName != "") or of every job
// under stateDir.
var runStatus = func(ctx context.Context, stateDir, jobName string, out io.Writer) error {
	return fmt.Errorf("status: not implemented yet")
}
