package sync

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/doris-sync/doris-sync/config"
	"github.com/doris-sync/doris-sync/exitcode"
	"github.com/doris-sync/doris-sync/sources/postgres"
	"github.com/doris-sync/doris-sync/state"
)

// DropSlotAndPublication carries out --drop-slot-and-publication for a PostgreSQL job
// that is given up or must start over: it drops the job's replication slot and, when
// doris-sync created it for this slot, its publication (postgres.Replicator.Cleanup),
// printing one line per object on out, then marks the job's state so the next run
// treats its position as lost (exit 3, or a new copy with
// --on-position-lost=resnapshot). Nothing is copied or streamed. The job's state lock
// is taken first, so a running job (exit 1) is never cleaned up under its feet.
func DropSlotAndPublication(ctx context.Context, job *config.Job, out io.Writer) error {
	if job.Kind != config.Postgres {
		return exitcode.Usagef("%s: --drop-slot-and-publication is valid only for %s", job.Kind.Command(), config.Postgres.Command())
	}
	cfg, ropts, _, err := postgresSettings(job)
	if err != nil {
		return err
	}
	repl, err := postgres.NewReplicator(cfg, ropts)
	if err != nil {
		return err
	}
	store, err := state.Open(job.StateDir, job.JobName)
	if err != nil {
		return err
	}
	defer store.Close()
	st, err := store.Load()
	if err != nil {
		return err
	}
	steps, err := repl.Cleanup(ctx)
	if err != nil {
		return fmt.Errorf("drop the slot and publication of job %q: %w", job.JobName, err)
	}
	for _, s := range steps {
		if _, err := fmt.Fprintln(out, s.String()); err != nil {
			return err
		}
	}
	line, err := markPositionLost(store, st, ropts.Slot)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, line)
	return err
}

// markPositionLost records in the job's state that its slot is gone; the line says
// what was done.
func markPositionLost(store *state.Store, st *state.State, slot string) (string, error) {
	switch {
	case st.Job == nil:
		return fmt.Sprintf("state of job %q: none saved (%s), nothing to mark", store.Job(), store.Path()), nil
	case st.Position == nil && len(st.Snapshot) == 0:
		return fmt.Sprintf("state of job %q: no position saved yet, nothing to mark", store.Job()), nil
	case st.PositionLost != "":
		return fmt.Sprintf("state of job %q: already marked: %s", store.Job(), st.PositionLost), nil
	}
	st.PositionLost = fmt.Sprintf("replication slot %s was dropped by --drop-slot-and-publication at %s",
		slot, time.Now().UTC().Format(time.RFC3339))
	if err := store.Save(st); err != nil {
		return "", fmt.Errorf("mark the state of job %q: %w", store.Job(), err)
	}
	return fmt.Sprintf("state of job %q: marked: its position is gone; the next run exits 3 unless run with --on-position-lost=resnapshot (%s)", store.Job(), store.Path()), nil
}

// positionLostMark is the error of a run whose state says its position is gone.
func (e *engine) positionLostMark() error {
	var mark string
	e.l.read(func(st *state.State) { mark = st.PositionLost })
	if mark == "" {
		return nil
	}
	return exitcode.PositionLost(fmt.Errorf("job %q cannot resume: %s, so the changes after its saved position are lost to this job: run again with --on-position-lost=resnapshot to copy every table again (tables without a key are emptied first), or start over with another --job-name or by deleting %s",
		e.opts.JobName, mark, e.l.store.Path()))
}
