// Package sync runs a replication job: plan the Doris tables, prepare Doris (create
// databases and tables, add missing columns), then copy a consistent snapshot and follow
// the change stream, checkpointing only what Doris holds. Run is the entry point;
// --dry-run and --create-table-only stop after the prepare phase.
package sync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/doris-sync/doris-sync/config"
	"github.com/doris-sync/doris-sync/ddl"
	"github.com/doris-sync/doris-sync/schema"
	"github.com/doris-sync/doris-sync/sink/fe"
)

// Run runs a validated job with the zero Observer: see RunObserved.
func Run(ctx context.Context, job *config.Job, out io.Writer) error {
	return RunObserved(ctx, job, out, Observer{})
}

// RunObserved runs a validated job: the PostgreSQL cleanup alone for
// --drop-slot-and-publication (DropSlotAndPublication); the prepare phase alone for --dry-run (the plan on
// out) and --create-table-only (a per-table summary on out), otherwise the whole
// replication (ReplicateJobObserved, reporting to obs). Progress goes to the default
// slog logger.
func RunObserved(ctx context.Context, job *config.Job, out io.Writer, obs Observer) error {
	if job.DropSlotAndPublication {
		return DropSlotAndPublication(ctx, job, out)
	}
	if !job.DryRun && !job.CreateTableOnly {
		return ReplicateJobObserved(ctx, job, out, obs)
	}
	_, err := run(ctx, job, out)
	return err
}

// outcome is what a run did, for tests: the statements it ran in Doris, in order.
type outcome struct {
	executed []string
}

func run(ctx context.Context, job *config.Job, out io.Writer) (*outcome, error) {
	if !job.DryRun && !job.CreateTableOnly {
		return nil, fmt.Errorf("%s: the prepare phase runs for --dry-run or --create-table-only only", job.Kind.Command())
	}
	mode := "--create-table-only"
	if job.DryRun {
		mode = "--dry-run"
	}
	if job.Kind != config.MySQL && job.Kind != config.Postgres {
		return nil, fmt.Errorf("%s %s: not implemented yet (table discovery for %s comes later)", job.Kind.Command(), mode, job.Kind.Title())
	}
	planner, err := newPlanner(job)
	if err != nil {
		return nil, err
	}

	// Doris first: --create-table-only should fail on an unreachable Doris before a
	// long discovery; a dry run goes on without it.
	client, feErr := fe.Open(ctx, feConfig(job))
	if feErr != nil && !job.DryRun {
		return nil, feErr
	}
	if client != nil {
		defer client.Close()
		slog.Info("connected to the Doris FE", "addr", client.Addr())
	} else {
		slog.Warn("Doris is not reachable: the dry run cannot tell which tables exist", "err", feErr.Error())
	}

	src, err := openSource(ctx, job)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	tables, err := src.Discover(ctx)
	if err != nil {
		return nil, err
	}
	slog.Info("discovered source tables", "tables", len(tables))
	plan, err := planner.Plan(tables)
	if err != nil {
		return nil, err
	}

	prep, err := inspect(ctx, client, feErr, plan)
	if err != nil {
		return nil, err
	}
	if job.DryRun {
		return &outcome{}, writePlan(out, job, tables, plan, prep)
	}
	if len(plan.Tables) == 0 {
		return nil, fmt.Errorf("no source table to replicate: %d discovered, all left out by --including-tables/--excluding-tables", len(tables))
	}
	return createTables(ctx, client, job, plan, prep, out)
}

// createTables carries out --create-table-only: refuse incompatible tables before
// changing anything (or skip them with --ignore-incompatible), then run the statements
// in order and print one summary line per table.
func createTables(ctx context.Context, client *fe.Client, job *config.Job, plan *ddl.Plan, prep *preparation, out io.Writer) (*outcome, error) {
	for _, w := range allWarnings(plan) {
		slog.Warn(w.String())
	}
	bad := prep.incompatible()
	if len(bad) > 0 && !job.IgnoreIncompatible {
		t := bad[0]
		more := ""
		if len(bad) > 1 {
			more = fmt.Sprintf(" (and %d more incompatible tables)", len(bad)-1)
		}
		return nil, fmt.Errorf("Doris table %s.%s (from %s) exists but is incompatible: %s%s; nothing was changed: fix or drop the Doris table, or run with --ignore-incompatible to skip it",
			t.plan.Database, t.plan.Table, sourceNames(t.plan), problemText(t.problems), more)
	}

	res := &outcome{}
	results := map[*tableStep]string{}
	for _, it := range prep.sequence() {
		if d := it.database; d != nil {
			if len(d.statements) == 0 {
				continue
			}
			if err := client.Exec(ctx, d.statements...); err != nil {
				return nil, fmt.Errorf("create Doris database %s: %w", d.name, refused(err))
			}
			res.executed = append(res.executed, d.statements...)
			slog.Info("created the Doris database", "database", d.name)
			continue
		}
		t := it.table
		name := t.plan.Database + "." + t.plan.Table
		switch t.action {
		case actionIncompatible:
			reason := "incompatible: " + problemText(t.problems)
			slog.Warn("SKIPPED: the Doris table exists but is incompatible; its source tables will not be replicated", "table", name, "reason", reason)
			results[t] = "skipped: " + reason
			continue
		case actionUpToDate:
			results[t] = "up to date"
			continue
		}
		if err := client.Exec(ctx, t.statements...); err != nil {
			verb := "create"
			if t.action == actionAddColumns {
				verb = "add columns to"
			}
			if !job.IgnoreIncompatible {
				return nil, fmt.Errorf("%s Doris table %s (from %s): %w", verb, name, sourceNames(t.plan), refused(err))
			}
			slog.Warn("SKIPPED: Doris refused the table; its source tables will not be replicated", "table", name, "err", refused(err).Error())
			results[t] = fmt.Sprintf("skipped: Doris refused to %s it: %s", verb, oneLine(dorisMessage(err)))
			continue
		}
		res.executed = append(res.executed, t.statements...)
		if t.action == actionCreate {
			results[t] = "created"
		} else {
			results[t] = fmt.Sprintf("altered (+%d columns)", t.added)
		}
		slog.Info("prepared the Doris table", "table", name, "result", results[t])
	}

	counts := map[string]int{}
	for _, t := range prep.tables {
		r := results[t]
		if _, err := fmt.Fprintf(out, "%s → %s.%s: %s\n", sourceNames(t.plan), t.plan.Database, t.plan.Table, r); err != nil {
			return nil, err
		}
		counts[strings.SplitN(strings.SplitN(r, ":", 2)[0], " (", 2)[0]]++
	}
	_, err := fmt.Fprintf(out, "%d Doris tables: %d created, %d altered, %d up to date, %d skipped\n",
		len(prep.tables), counts["created"], counts["altered"], counts["up to date"], counts["skipped"])
	return res, err
}

// refused words a statement error: Doris's own message when it refused one.
func refused(err error) error {
	var se *fe.StatementError
	if errors.As(err, &se) {
		return fmt.Errorf("Doris refused it: %w", se)
	}
	return err
}

// dorisMessage is Doris's own message for a refused statement, else the error.
func dorisMessage(err error) string {
	var se *fe.StatementError
	if errors.As(err, &se) {
		return se.Message
	}
	return err.Error()
}

// allWarnings lists the plan's warnings and every table's, in plan order.
func allWarnings(plan *ddl.Plan) []ddl.Warning {
	out := append([]ddl.Warning(nil), plan.Warnings...)
	for _, tp := range plan.Tables {
		out = append(out, tp.Warnings...)
	}
	return out
}

// excludedNames lists the source tables the include/exclude rules left out.
func excludedNames(ids []schema.TableID) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = id.String()
	}
	return strings.Join(names, ", ")
}
