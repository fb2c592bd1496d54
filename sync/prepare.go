package sync

import (
	"context"
	"fmt"
	"strings"

	"github.com/doris-sync/doris-sync/ddl"
	"github.com/doris-sync/doris-sync/sink/fe"
)

// action is what preparing Doris does for one planned table.
type action uint8

const (
	actionCreate       action = iota // the table is missing (or Doris was not read)
	actionAddColumns                 // the table exists and lacks columns
	actionUpToDate                   // the table exists and holds every planned column
	actionIncompatible               // the table exists and cannot hold the source's rows
)

// tableStep is one planned Doris table and what preparing Doris does to it.
type tableStep struct {
	plan       *ddl.TablePlan
	exists     bool
	action     action
	statements []string // in order, without the final ';'
	problems   []ddl.Incompatibility
	added      int // columns the ALTERs add
}

// databaseStep is one Doris database the plan uses.
type databaseStep struct {
	name       string
	exists     bool
	statements []string
}

// preparation is everything --create-table-only would do, read from Doris without
// changing it. Doris not being read (dry run with the FE unreachable) means everything
// is created.
type preparation struct {
	read      bool  // Doris was read
	readError error // why not, when it was not
	databases []*databaseStep
	tables    []*tableStep
}

// item is one entry of the order statements run in: a database or a table.
type item struct {
	database *databaseStep
	table    *tableStep
}

// sequence is the order of work: each database just before its first table.
func (p *preparation) sequence() []item {
	byName := map[string]*databaseStep{}
	for _, d := range p.databases {
		byName[d.name] = d
	}
	done := map[string]bool{}
	var out []item
	for _, t := range p.tables {
		if db := t.plan.Database; !done[db] {
			done[db] = true
			out = append(out, item{database: byName[db]})
		}
		out = append(out, item{table: t})
	}
	return out
}

// statements lists every statement in the order they run, skipping incompatible tables
// (which are either skipped or stop the run before anything runs).
func (p *preparation) statements() []string {
	var out []string
	for _, it := range p.sequence() {
		if it.database != nil {
			out = append(out, it.database.statements...)
		} else if it.table.action != actionIncompatible {
			out = append(out, it.table.statements...)
		}
	}
	return out
}

// incompatible lists the tables that exist in Doris in a shape that cannot take the
// source's rows.
func (p *preparation) incompatible() []*tableStep {
	var out []*tableStep
	for _, t := range p.tables {
		if t.action == actionIncompatible {
			out = append(out, t)
		}
	}
	return out
}

// inspect compares the plan with Doris (client nil: Doris is not read, readErr says
// why) and decides each table's action and statements.
func inspect(ctx context.Context, client *fe.Client, readErr error, plan *ddl.Plan) (*preparation, error) {
	p := &preparation{read: client != nil, readError: readErr}
	dbs := map[string]*databaseStep{}
	for _, tp := range plan.Tables {
		d := dbs[tp.Database]
		if d == nil {
			d = &databaseStep{name: tp.Database}
			if client != nil {
				exists, err := client.DatabaseExists(ctx, tp.Database)
				if err != nil {
					return nil, fmt.Errorf("check Doris database %s: %w", tp.Database, err)
				}
				d.exists = exists
			}
			if !d.exists {
				d.statements = []string{ddl.CreateDatabaseSQL(tp.Database)}
			}
			dbs[tp.Database] = d
			p.databases = append(p.databases, d)
		}
		t := &tableStep{plan: tp}
		p.tables = append(p.tables, t)
		if client != nil && d.exists {
			exists, err := client.TableExists(ctx, tp.Database, tp.Table)
			if err != nil {
				return nil, fmt.Errorf("check Doris table %s.%s: %w", tp.Database, tp.Table, err)
			}
			t.exists = exists
		}
		if !t.exists {
			t.action = actionCreate
			t.statements = fe.CreateTableStatements(tp)
			continue
		}
		existing, err := client.ExistingTable(ctx, tp.Database, tp.Table)
		if err != nil {
			return nil, fmt.Errorf("read Doris table %s.%s: %w", tp.Database, tp.Table, err)
		}
		diff := tp.Diff(existing)
		switch {
		case len(diff.Incompatible) > 0:
			t.action = actionIncompatible
			t.problems = diff.Incompatible
		case len(diff.Missing) > 0:
			t.action = actionAddColumns
			t.added = len(diff.Missing)
			for _, m := range diff.Missing {
				if m.Column.Type.Kind == ddl.KindDecimal && m.Column.Type.Precision > ddl.MaxDecimalDigits {
					t.statements = append(t.statements, fe.SetDecimal256)
					break
				}
			}
			t.statements = append(t.statements, diff.AddColumnStatements(tp.Database, tp.Table)...)
		default:
			t.action = actionUpToDate
		}
	}
	return p, nil
}

// problemText joins a table's incompatibilities into one line.
func problemText(problems []ddl.Incompatibility) string {
	parts := make([]string, len(problems))
	for i, pr := range problems {
		parts[i] = pr.String()
	}
	return strings.Join(parts, "; ")
}

// sourceNames lists a plan's source tables.
func sourceNames(tp *ddl.TablePlan) string {
	names := make([]string, len(tp.Sources))
	for i, id := range tp.Sources {
		names[i] = id.String()
	}
	return strings.Join(names, ", ")
}
