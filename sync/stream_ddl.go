package sync

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/doris-sync/doris-sync/ddl"
	"github.com/doris-sync/doris-sync/schema"
	"github.com/doris-sync/doris-sync/state"
)

// DDL policy:
//
//   - ALTER of a replicated table (ADD, DROP, RENAME, MODIFY COLUMN): a barrier. The
//     table's buffered rows are loaded in the old shape, the ALTER runs in Doris, and
//     only then do rows of the new shape follow. What Doris cannot do (a key change, a
//     type change outside its schema-change rules) stops the job with the table, the
//     source DDL and the reason, or with OnDDLErrorSkip is skipped with a loud error
//     line (rows that no longer fit then fail to load).
//   - CREATE TABLE matching the filters: planned, created in Doris and replicated from
//     the stream, which carries every row of a table from its creation on (MySQL/MariaDB
//     log CREATE … SELECT rows as row events; a PostgreSQL publication must cover the
//     table). No copy is needed, and none is made: a copy read now, ahead of the
//     stream, would double the rows of a table without a key.
//   - DROP TABLE, TRUNCATE, RENAME TABLE: logged loudly; the Doris table and its rows
//     are left alone (a renamed table's new name is replicated as a new table when it
//     matches the filters).
//
// A DDL the job acts on is wrapped in checkpoints: everything before it is loaded and
// checkpointed first, and the boundary right after it is checkpointed at once. A crash
// in between replays the DDL as the first change, with no row of another shape around
// it, and replaying it is harmless: ALTERs are derived by comparing the Doris table as
// it is with the shape the source reports, so a change Doris already has produces no
// statement.

// applyDDL handles a DDL change of the stream.
func (e *engine) applyDDL(ctx context.Context, ch *schema.Change) error {
	rt := e.r.byID[ch.Table]
	if rt == nil && (ch.NewSchema == nil || ch.NewSchema.ID != ch.Table || !e.planner.Namer().Includes(ch.Table.Name)) {
		return nil // not a table of this job
	}
	if err := e.handleDDL(ctx, rt, ch); err != nil {
		return err
	}
	e.reg.DDLApplied()
	return nil
}

// handleDDL acts on a DDL of one of the job's tables (rt nil: a table created upstream).
func (e *engine) handleDDL(ctx context.Context, rt *route, ch *schema.Change) error {
	if err := e.ddlBarrier(ctx); err != nil {
		return err
	}
	if rt == nil {
		return e.addTable(ctx, ch)
	}
	if ch.NewSchema == nil {
		e.log.Warn("source table dropped: its Doris table and rows are kept, and nothing more is loaded into it from this table",
			"source", ch.Table.String(), "doris", rt.target.name(), "ddl", oneLine(ch.DDL))
		e.r.remove(rt)
		return nil
	}
	if ch.NewSchema.ID != ch.Table {
		e.log.Warn("source table renamed: the Doris table keeps the rows loaded so far; the new name is replicated only if it matches the filters, into its own Doris table",
			"source", ch.Table.String(), "new_name", ch.NewSchema.ID.String(), "doris", rt.target.name(), "ddl", oneLine(ch.DDL))
		e.r.remove(rt)
		renamed := *ch
		renamed.Table = ch.NewSchema.ID
		return e.addTable(ctx, &renamed)
	}
	return e.alterTable(ctx, rt, ch)
}

// ddlBarrier loads every change before the DDL and checkpoints the boundary before it.
func (e *engine) ddlBarrier(ctx context.Context) error {
	if err := e.w.FlushAll(ctx); err != nil {
		return err
	}
	if err := e.checkpoint(ctx); err != nil {
		return err
	}
	e.ddlPending = true
	return nil
}

// addTable starts replicating a table created upstream while streaming.
func (e *engine) addTable(ctx context.Context, ch *schema.Change) error {
	t := ch.NewSchema
	if !e.planner.Namer().Includes(t.ID.Name) {
		return nil
	}
	if _, dup := e.r.byID[t.ID]; dup {
		return nil
	}
	tp, err := e.planner.PlanTable(t)
	if err != nil {
		return e.ddlFailed(ch, "", fmt.Errorf("plan the new table: %w", err))
	}
	for _, w := range tp.Warnings {
		e.log.Warn(w.String())
	}
	if existing := e.r.findTarget(tp.Database, tp.Table); existing != nil {
		// Another shard of a multi-to-one target.
		rt := e.r.attach(existing, t)
		e.log.Info("new source table joins a Doris table", "source", t.ID.String(), "doris", existing.name())
		return e.alterTable(ctx, rt, ch)
	}
	plans, err := e.prepareTables(ctx, []*ddl.TablePlan{tp})
	if err != nil || len(plans) == 0 {
		if err == nil {
			err = errors.New("the Doris table exists in an incompatible shape")
		}
		return e.ddlFailed(ch, tp.Database+"."+tp.Table, err)
	}
	if tp, err = e.asInDoris(ctx, plans[0]); err != nil {
		return err
	}
	tgt, err := e.r.addTarget(tp, map[schema.TableID]*schema.Table{t.ID: t})
	if err != nil {
		return err
	}
	e.track(tgt)
	if tgt.handle, err = e.w.Register(tgt.spec()); err != nil {
		return err
	}
	if err := e.recordDDL(tgt.routes[0], ch); err != nil {
		return err
	}
	e.log.Info("new source table replicated", "source", t.ID.String(), "doris", tgt.name())
	return nil
}

// alterTable is the schema-change barrier for one replicated table.
func (e *engine) alterTable(ctx context.Context, rt *route, ch *schema.Change) error {
	tgt := rt.target
	want, err := e.planner.PlanTable(ch.NewSchema)
	if err != nil {
		return e.ddlFailed(ch, tgt.name(), fmt.Errorf("plan the new shape: %w", err))
	}
	stmts, cols, err := alterStatements(tgt, rt, want, ch.DDL)
	if err != nil {
		if ferr := e.ddlFailed(ch, tgt.name(), err); ferr != nil {
			return ferr
		}
		stmts = nil
	}
	if len(stmts) > 0 {
		// Rows of the old shape first.
		if err := e.w.Flush(ctx, tgt.handle); err != nil {
			return err
		}
		if err := e.execDDL(ctx, stmts...); err != nil {
			if ferr := e.ddlFailed(ch, tgt.name(), refused(err)); ferr != nil {
				return ferr
			}
		} else {
			next := *tgt.plan
			next.Columns = cols
			tgt.plan = &next
			e.log.Info("schema change applied", "source", rt.id.String(), "doris", tgt.name(), "ddl", oneLine(ch.DDL), "statements", strings.Join(stmts, "; "))
		}
	}
	rt.shape = ch.NewSchema
	if tgt.refresh() {
		// Alter loads what is buffered in the old shape before the new one applies.
		if err := e.w.Alter(ctx, tgt.handle, tgt.spec()); err != nil {
			return err
		}
	}
	return e.recordDDL(rt, ch)
}

// recordDDL keeps the table's new shape in the schema history at the DDL's position.
func (e *engine) recordDDL(rt *route, ch *schema.Change) error {
	if ch.Position == nil {
		return fmt.Errorf("stream: the DDL on %s has no position", ch.Table)
	}
	raw, err := schema.MarshalPosition(ch.Position)
	if err != nil {
		return err
	}
	return e.l.update(func(st *state.State) error {
		return appendShape(st, rt.key, raw, ch.NewSchema, ch.DDL)
	})
}

// ddlFailed applies the DDL error policy: stop (an error naming the table, the source
// DDL and the reason) or skip with a loud error line.
func (e *engine) ddlFailed(ch *schema.Change, doris string, reason error) error {
	where := ch.Table.String()
	if doris != "" {
		where += " (Doris table " + doris + ")"
	}
	err := fmt.Errorf("cannot apply the source DDL on %s to Doris: %w; source DDL: %s", where, reason, oneLine(ch.DDL))
	if e.opts.OnDDLError != OnDDLErrorSkip {
		return err
	}
	e.log.Error("SKIPPED a source DDL (on DDL error: skip); rows that no longer fit the Doris table will fail to load", "err", err.Error())
	return nil
}

// alterStatements compares the Doris table with the shape planned for the source
// table's new schema and returns the ALTERs (renames, drops, type changes, then
// additions) and the Doris columns after them.
func alterStatements(tgt *target, rt *route, want *ddl.TablePlan, ddlText string) ([]string, []ddl.Column, error) {
	cur := tgt.plan
	db, table := cur.Database, cur.Table
	if want.Model != cur.Model {
		return nil, nil, fmt.Errorf("the table now needs a %s KEY table but the Doris table is %s KEY; Doris cannot change a table's key model", want.Model, cur.Model)
	}
	if cur.Model == ddl.ModelUnique && !sameFold(want.Keys, cur.Keys) {
		return nil, nil, fmt.Errorf("the primary key changed from (%s) to (%s); Doris cannot change a UNIQUE KEY", strings.Join(cur.Keys, ", "), strings.Join(want.Keys, ", "))
	}
	// Columns other source tables of a multi-to-one target still have stay.
	othersHave := map[string]bool{}
	for _, o := range tgt.routes {
		if o == rt {
			continue
		}
		for _, c := range o.shape.Columns {
			othersHave[strings.ToLower(c.Name)] = true
		}
	}
	cols := append([]ddl.Column(nil), cur.Columns...)
	find := func(list []ddl.Column, name string) int {
		for i := range list {
			if strings.EqualFold(list[i].Name, name) {
				return i
			}
		}
		return -1
	}
	var removed, added []ddl.Column
	for _, c := range cur.Columns {
		if find(want.Columns, c.Name) < 0 && !othersHave[strings.ToLower(c.Name)] {
			removed = append(removed, c)
		}
	}
	for _, c := range want.Columns {
		if find(cur.Columns, c.Name) < 0 {
			added = append(added, c)
		}
	}
	var stmts []string
	// A rename looks like a drop plus an add; the DDL text naming both tells it apart.
	renamedTo := map[string]bool{}
	for i := 0; i < len(removed); i++ {
		old := removed[i]
		for j, nw := range added {
			if renamedTo[strings.ToLower(nw.Name)] || !mentions(ddlText, old.Name) || !mentions(ddlText, nw.Name) {
				continue
			}
			stmts = append(stmts, ddl.RenameColumnSQL(db, table, old.Name, nw.Name))
			cols[find(cols, old.Name)].Name = nw.Name
			renamedTo[strings.ToLower(nw.Name)] = true
			added = append(added[:j], added[j+1:]...)
			removed = append(removed[:i], removed[i+1:]...)
			i--
			break
		}
	}
	for _, c := range removed {
		if c.Key {
			return nil, nil, fmt.Errorf("key column %q was dropped; Doris cannot drop a key column", c.Name)
		}
		stmts = append(stmts, ddl.DropColumnSQL(db, table, c.Name))
		k := find(cols, c.Name)
		cols = append(cols[:k], cols[k+1:]...)
	}
	for _, to := range want.Columns {
		k := find(cols, to.Name)
		if k < 0 || renamedTo[strings.ToLower(to.Name)] && cols[k].Type.Equal(to.Type) {
			continue
		}
		from := cols[k]
		to.Name, to.Key, to.Default, to.SourceIndex = from.Name, from.Key, from.Default, from.SourceIndex
		to.Nullable = to.Nullable || from.Nullable // Doris cannot make a column NOT NULL
		if to.Comment == "" {
			to.Comment = from.Comment
		}
		sql, err := ddl.ModifyColumnSQL(db, table, from, to)
		if errors.Is(err, ddl.ErrNothingChanged) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		stmts = append(stmts, sql)
		cols[k] = to
	}
	for _, c := range added {
		c.Key = false
		if c.Default == nil || len(tgt.routes) > 1 {
			// Rows already in Doris (and other shards' rows) have no value for it.
			c.Nullable = true
		}
		after := ""
		if i := find(want.Columns, c.Name); i > 0 {
			for p := i - 1; p >= 0; p-- {
				if find(cols, want.Columns[p].Name) >= 0 {
					after = cols[find(cols, want.Columns[p].Name)].Name
					break
				}
			}
		}
		stmts = append(stmts, ddl.AddColumnSQL(db, table, c, after))
		pos := len(cols) // without AFTER, Doris adds it at the end
		if after != "" {
			pos = find(cols, after) + 1
		}
		cols = append(cols[:pos], append([]ddl.Column{c}, cols[pos:]...)...)
	}
	return stmts, cols, nil
}

func sameFold(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !strings.EqualFold(a[i], b[i]) {
			return false
		}
	}
	return true
}

// mentions reports whether a DDL statement names an identifier (as a whole word,
// quoted or not, any case).
func mentions(ddlText, name string) bool {
	re, err := regexp.Compile(`(?i)(^|[^A-Za-z0-9_$])` + regexp.QuoteMeta(name) + `($|[^A-Za-z0-9_$])`)
	return err == nil && re.MatchString(ddlText)
}

// execDDL runs Doris DDL, waiting while an earlier schema change of the table is still
// running (Doris refuses a second ALTER until the first job finishes).
func (e *engine) execDDL(ctx context.Context, stmts ...string) error {
	delay := 200 * time.Millisecond
	deadline := time.Now().Add(30 * time.Minute)
	for i := 0; i < len(stmts); {
		err := e.fe.Exec(ctx, stmts[i])
		if err == nil {
			i++
			continue
		}
		if !strings.Contains(err.Error(), "is not NORMAL") || time.Now().After(deadline) {
			return err
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return ctx.Err()
		}
		delay = min(2*delay, 5*time.Second)
	}
	return nil
}
