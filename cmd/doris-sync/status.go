package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/doris-sync/doris-sync/exitcode"
	"github.com/doris-sync/doris-sync/state"
)

// showStatus prints what the state files under stateDir say about one job (jobName
// non-empty) or about every job: phase, checkpointed position, last run, snapshot
// progress per table. It reads without locking, so it works while a job runs.
func showStatus(_ context.Context, stateDir, jobName string, out io.Writer) error {
	jobs, err := state.List(stateDir)
	if errors.Is(err, fs.ErrNotExist) {
		return exitcode.Usagef("status: no state directory %s (no job has run with this --state-dir)", stateDir)
	}
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	if jobName != "" {
		var one []state.Summary
		for _, j := range jobs {
			if j.Job == jobName {
				one = append(one, j)
			}
		}
		if len(one) == 0 {
			return exitcode.Usagef("status: no job %q in %s (jobs there: %s)", jobName, stateDir, jobNames(jobs))
		}
		jobs = one
	}
	if len(jobs) == 0 {
		fmt.Fprintf(out, "no jobs in %s\n", stateDir)
		return nil
	}
	for i, j := range jobs {
		if i > 0 {
			fmt.Fprintln(out)
		}
		writeJobStatus(out, j, time.Now())
	}
	return nil
}

func jobNames(jobs []state.Summary) string {
	if len(jobs) == 0 {
		return "none"
	}
	names := make([]string, len(jobs))
	for i, j := range jobs {
		names[i] = j.Job
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func writeJobStatus(out io.Writer, j state.Summary, now time.Time) {
	fmt.Fprintf(out, "job %s\n", j.Job)
	if j.Err != nil {
		fmt.Fprintf(out, "  unreadable: %v\n", j.Err)
		return
	}
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "  phase\t%s\n", orDash(string(j.Phase)))
	fmt.Fprintf(w, "  position\t%s\n", orDash(j.Position))
	if !j.Updated.IsZero() {
		fmt.Fprintf(w, "  checkpointed\t%s (%s ago)\n", j.Updated.UTC().Format(time.RFC3339), now.Sub(j.Updated).Round(time.Second))
	}
	if lag, ok := j.Lag(); ok {
		fmt.Fprintf(w, "  lag\t%s behind the source at the checkpoint of %s (newest change it covers committed %s)\n",
			lag.Round(time.Millisecond), j.CheckpointTime.UTC().Format(time.RFC3339), j.SourceTime.UTC().Format(time.RFC3339))
	}
	if j.PositionLost != "" {
		fmt.Fprintf(w, "  position lost\t%s: the next run exits 3 unless run with --on-position-lost=resnapshot\n", j.PositionLost)
	}
	if r := j.LastRun; r != nil {
		outcome := "running or killed"
		switch {
		case r.OK:
			outcome = "ok"
		case !r.Finished.IsZero():
			outcome = fmt.Sprintf("failed (exit %d): %s", r.ExitCode, r.Error)
		}
		fmt.Fprintf(w, "  last run\t%s, started %s", outcome, r.Started.UTC().Format(time.RFC3339))
		if !r.Finished.IsZero() {
			fmt.Fprintf(w, ", took %s", r.Finished.Sub(r.Started).Round(time.Millisecond))
		}
		fmt.Fprintln(w)
		if len(r.Rows) > 0 {
			keys := make([]string, 0, len(r.Rows))
			for k := range r.Rows {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Fprintf(w, "  rows loaded\t%s\t%d\n", k, r.Rows[k])
			}
		}
	}
	if j.LoadsInFlight > 0 {
		fmt.Fprintf(w, "  loads in flight\t%d (resolved by the next run)\n", j.LoadsInFlight)
	}
	w.Flush()
	if len(j.Tables) == 0 {
		return
	}
	fmt.Fprintln(out, "  snapshot:")
	w = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "    source\tdoris\trows\tof about\tchunks\tstate")
	for _, t := range j.Tables {
		st := "copying"
		if t.SnapshotDone {
			st = "done"
		}
		fmt.Fprintf(w, "    %s\t%s\t%d\t%d\t%d/%d\t%s\n", t.Source, t.Doris, t.Rows, t.TotalEstimate, t.ChunksDone, t.Chunks, st)
	}
	w.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
