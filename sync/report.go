package sync

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/doris-sync/doris-sync/config"
	"github.com/doris-sync/doris-sync/ddl"
	"github.com/doris-sync/doris-sync/schema"
)

// writePlan prints the --dry-run plan: every planned table (its sources, Doris name,
// key model and keys, buckets, whether it exists and what would happen), the
// warnings, and the exact statements --create-table-only would run, in order, each
// ending with ';'. The order is the plan's, so the output is the same run after run.
func writePlan(w io.Writer, job *config.Job, tables []*schema.Table, plan *ddl.Plan, prep *preparation) error {
	b := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }

	p("Dry run of %s: nothing is changed in Doris.\n", job.Kind.Command())
	if prep.read {
		p("Doris was read to see which databases and tables exist.\n")
	} else {
		p("Doris was NOT read (%s): whether tables exist is unknown, so the plan creates everything.\n", oneLine(prep.readError.Error()))
	}
	p("Source tables: %d discovered, %d synced into %d Doris tables", len(tables), len(tables)-len(plan.Excluded), len(plan.Tables))
	if len(plan.Excluded) > 0 {
		p("; left out by --including-tables/--excluding-tables: %s", excludedNames(plan.Excluded))
	}
	p(".\n")

	for _, it := range prep.sequence() {
		if d := it.database; d != nil {
			p("\nDatabase %s: %s\n", d.name, databaseState(prep, d))
			continue
		}
		t := it.table
		tp := t.plan
		p("\nTable %s.%s\n", tp.Database, tp.Table)
		p("  from:        %s\n", sourceNames(tp))
		p("  key:         %s KEY(%s)\n", tp.Model, strings.Join(tp.Keys, ", "))
		p("  distributed: HASH(%s) %s\n", strings.Join(tp.DistributedBy, ", "), buckets(tp.Buckets))
		if tp.Partition != nil {
			p("  partitions:  AUTO PARTITION BY RANGE (date_trunc(%s, '%s'))\n", tp.Partition.Column, tp.Partition.Interval)
		}
		p("  columns:     %d\n", len(tp.Columns))
		p("  in Doris:    %s\n", tableState(prep, t, job.IgnoreIncompatible))
		for _, stmt := range t.statements {
			if t.action == actionAddColumns {
				p("    %s;\n", stmt)
			}
		}
		for _, pr := range t.problems {
			p("  incompatible: %s\n", pr)
		}
		for _, wn := range tp.Warnings {
			p("  warning:     %s\n", oneLine(wn.String()))
		}
	}
	if len(plan.Tables) == 0 {
		p("\nNo table would be replicated.\n")
	}
	if len(plan.Warnings) > 0 {
		p("\nWarnings:\n")
		for _, wn := range plan.Warnings {
			p("  %s\n", oneLine(wn.String()))
		}
	}

	stmts := prep.statements()
	if bad := len(prep.incompatible()); bad > 0 && !job.IgnoreIncompatible {
		p("\n%d incompatible tables: --create-table-only would stop before running any statement (with --ignore-incompatible it skips them and runs the statements below).\n", bad)
	}
	if len(stmts) == 0 {
		p("\nStatements --create-table-only would run: none, Doris is up to date.\n")
	} else {
		p("\nStatements --create-table-only would run, in order:\n")
		for _, s := range stmts {
			p("%s;\n", s)
		}
	}
	return b.Flush()
}

func databaseState(prep *preparation, d *databaseStep) string {
	switch {
	case !prep.read:
		return "not checked; CREATE DATABASE IF NOT EXISTS"
	case d.exists:
		return "exists"
	}
	return "missing: create"
}

func tableState(prep *preparation, t *tableStep, ignoreIncompatible bool) string {
	switch t.action {
	case actionCreate:
		if !prep.read {
			return "not checked: create"
		}
		return "missing: create"
	case actionAddColumns:
		return "exists, " + plural(t.added, "column") + " missing: add " + map[bool]string{true: "it", false: "them"}[t.added == 1]
	case actionUpToDate:
		return "exists, up to date: nothing to do"
	}
	if ignoreIncompatible {
		return "exists but INCOMPATIBLE: skipped (--ignore-incompatible)"
	}
	return "exists but INCOMPATIBLE: --create-table-only stops here (or skips it with --ignore-incompatible)"
}

func buckets(n int) string {
	if n == 0 {
		return "BUCKETS AUTO"
	}
	return "BUCKETS " + strconv.Itoa(n)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// oneLine folds a message onto one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
