package sync

import (
	"context"
	"fmt"

	"github.com/doris-sync/doris-sync/ddl"
)

// prepareDoris creates the databases and tables the plan needs and adds missing
// columns to existing tables (the same steps as --create-table-only), and returns the
// table plans the job loads. An existing table that cannot take the source's rows stops
// the job, or with --ignore-incompatible is left out with a warning.
func (e *engine) prepareDoris(ctx context.Context, plan *ddl.Plan) ([]*ddl.TablePlan, error) {
	for _, w := range allWarnings(plan) {
		e.log.Warn(w.String())
	}
	return e.prepareTables(ctx, plan.Tables)
}

// prepareTables brings the Doris side of the given table plans up to date.
func (e *engine) prepareTables(ctx context.Context, tables []*ddl.TablePlan) ([]*ddl.TablePlan, error) {
	if e.fe == nil {
		return nil, fmt.Errorf("prepare Doris: no FE connection (jdbc-url)")
	}
	prep, err := inspect(ctx, e.fe, nil, &ddl.Plan{Tables: tables})
	if err != nil {
		return nil, err
	}
	if bad := prep.incompatible(); len(bad) > 0 && !e.opts.IgnoreIncompatible {
		t := bad[0]
		return nil, fmt.Errorf("Doris table %s.%s (from %s) exists but is incompatible: %s; fix or drop the Doris table, or run with --ignore-incompatible to skip it",
			t.plan.Database, t.plan.Table, sourceNames(t.plan), problemText(t.problems))
	}
	skipped := map[*tableStep]bool{}
	for _, it := range prep.sequence() {
		if d := it.database; d != nil {
			if len(d.statements) > 0 {
				if err := e.fe.Exec(ctx, d.statements...); err != nil {
					return nil, fmt.Errorf("create Doris database %s: %w", d.name, refused(err))
				}
				e.log.Info("created the Doris database", "database", d.name)
			}
			continue
		}
		t := it.table
		name := t.plan.Database + "." + t.plan.Table
		switch t.action {
		case actionIncompatible:
			e.log.Warn("SKIPPED: the Doris table exists but is incompatible; its source tables are not replicated",
				"table", name, "reason", problemText(t.problems))
			skipped[t] = true
			continue
		case actionUpToDate:
			continue
		}
		if err := e.fe.Exec(ctx, t.statements...); err != nil {
			if !e.opts.IgnoreIncompatible {
				return nil, fmt.Errorf("prepare Doris table %s (from %s): %w", name, sourceNames(t.plan), refused(err))
			}
			e.log.Warn("SKIPPED: Doris refused the table; its source tables are not replicated", "table", name, "err", refused(err).Error())
			skipped[t] = true
			continue
		}
		e.log.Info("prepared the Doris table", "table", name, "created", t.action == actionCreate, "columns_added", t.added)
	}
	var out []*ddl.TablePlan
	for _, t := range prep.tables {
		if !skipped[t] {
			out = append(out, t.plan)
		}
	}
	return out, nil
}

// asInDoris returns the plan with its columns as the Doris table has them now (DESC):
// the Doris types, nullability and key flags, in Doris order, with the planned
// definitions (defaults, comments) where a column was planned. An existing table may
// differ from the plan in ways that still take the rows (wider types, extra columns);
// loads and ALTERs must follow the real table.
func (e *engine) asInDoris(ctx context.Context, tp *ddl.TablePlan) (*ddl.TablePlan, error) {
	et, err := e.fe.ExistingTable(ctx, tp.Database, tp.Table)
	if err != nil {
		return nil, fmt.Errorf("read Doris table %s.%s: %w", tp.Database, tp.Table, err)
	}
	out := *tp
	out.Columns = nil
	for _, ec := range et.Columns {
		typ, err := ddl.ParseType(ec.Type)
		if err != nil {
			return nil, fmt.Errorf("Doris table %s.%s column %s: %w", tp.Database, tp.Table, ec.Name, err)
		}
		c := ddl.Column{Name: ec.Name, SourceIndex: -1}
		if pc, ok := tp.Column(ec.Name); ok {
			c = pc
			c.Name = ec.Name
		}
		c.Type, c.Nullable, c.Key = typ, ec.Nullable, ec.Key
		out.Columns = append(out.Columns, c)
	}
	if len(out.Columns) == 0 {
		return nil, fmt.Errorf("Doris table %s.%s has no columns", tp.Database, tp.Table)
	}
	return &out, nil
}
