package sync

import (
	"fmt"
	"sort"
	"strings"

	"github.com/doris-sync/doris-sync/ddl"
	"github.com/doris-sync/doris-sync/schema"
	"github.com/doris-sync/doris-sync/sink"
	"github.com/doris-sync/doris-sync/sync/metrics"
)

// target is one Doris table the job loads, fed by one or more source tables
// (multi-to-one).
type target struct {
	plan *ddl.TablePlan // Columns are the Doris table's columns as they are now
	// load are the columns rows are loaded with: the key and every column some source
	// table has. Columns only Doris has are left out, so Doris fills their defaults.
	load   []ddl.Column
	handle *sink.TableHandle
	routes []*route
	stats  *metrics.Table // its numbers in the operator's view (engine.tableStats)
}

func (t *target) name() string { return t.plan.Database + "." + t.plan.Table }

// spec describes the target to the sink.
func (t *target) spec() sink.Table {
	return sinkTable(t.plan, t.load)
}

// refresh recomputes the loaded columns and every route's mapping after a source or
// the Doris table changed shape, and reports whether the loaded columns changed.
func (t *target) refresh() bool {
	var load []ddl.Column
	for _, c := range t.plan.Columns {
		has := c.Key
		for _, rt := range t.routes {
			has = has || sourceIndex(rt.shape, c.Name) >= 0
		}
		if has {
			load = append(load, c)
		}
	}
	changed := len(load) != len(t.load)
	for i := 0; !changed && i < len(load); i++ {
		changed = load[i].Name != t.load[i].Name || !load[i].Type.Equal(t.load[i].Type)
	}
	t.load = load
	for _, rt := range t.routes {
		rt.remap()
	}
	return changed
}

// route is one source table and where its rows go. Rows are mapped onto the Doris
// columns by name, so a source table whose shape drifts from its Doris table (a DDL
// not applied yet, a sharding merge where one shard gained a column) still lands
// column by column; Doris columns the source lacks get NULL.
type route struct {
	id     schema.TableID
	key    string        // id.String(): the state's key for the table
	shape  *schema.Table // the source table's shape in force at the stream position
	target *target
	// colMap holds, per Doris column, the index of the source column it takes, or -1.
	colMap   []int
	identity bool // colMap is 0..n-1 over a row of n values: rows pass unchanged
	// skipThrough, when set, is the snapshot position the table was copied at: stream
	// changes at or before it are already in the copy.
	skipThrough schema.Position
	row, before []any // reused projections (the sink encodes a row before Write returns)
}

// router maps source tables to Doris tables.
type router struct {
	byID    map[schema.TableID]*route
	targets []*target // in plan order
}

func newRouter() *router { return &router{byID: map[schema.TableID]*route{}} }

// addTarget adds a Doris table and a route for each of its source tables; shapes holds
// the source tables by id.
func (r *router) addTarget(tp *ddl.TablePlan, shapes map[schema.TableID]*schema.Table) (*target, error) {
	t := &target{plan: tp}
	for _, id := range tp.Sources {
		shape := shapes[id]
		if shape == nil {
			return nil, fmt.Errorf("route %s: the source table was not discovered", id)
		}
		if _, dup := r.byID[id]; dup {
			return nil, fmt.Errorf("route %s: the source table is routed twice", id)
		}
		rt := &route{id: id, key: id.String(), target: t, shape: shape}
		t.routes = append(t.routes, rt)
		r.byID[id] = rt
	}
	t.refresh()
	r.targets = append(r.targets, t)
	return t, nil
}

// attach routes another source table into an existing Doris table.
func (r *router) attach(t *target, shape *schema.Table) *route {
	rt := &route{id: shape.ID, key: shape.ID.String(), target: t, shape: shape}
	t.routes = append(t.routes, rt)
	r.byID[shape.ID] = rt
	return rt
}

// remove forgets a source table (dropped upstream); its Doris table stays.
func (r *router) remove(rt *route) {
	delete(r.byID, rt.id)
	t := rt.target
	for i, x := range t.routes {
		if x == rt {
			t.routes = append(t.routes[:i], t.routes[i+1:]...)
			break
		}
	}
}

// findTarget returns the Doris table db.name if the job already loads it.
func (r *router) findTarget(db, name string) *target {
	for _, t := range r.targets {
		if t.plan.Database == db && t.plan.Table == name {
			return t
		}
	}
	return nil
}

// routes lists every route in a stable order: by Doris table (plan order), then by
// source table name.
func (r *router) routes() []*route {
	var out []*route
	for _, t := range r.targets {
		rs := append([]*route(nil), t.routes...)
		sort.Slice(rs, func(i, j int) bool { return rs[i].key < rs[j].key })
		out = append(out, rs...)
	}
	return out
}

// remap recomputes the column mapping after the source or the Doris table changed.
func (rt *route) remap() {
	cols := rt.target.load
	rt.colMap = make([]int, len(cols))
	rt.identity = len(cols) == len(rt.shape.Columns)
	for i, c := range cols {
		rt.colMap[i] = sourceIndex(rt.shape, c.Name)
		if rt.colMap[i] != i {
			rt.identity = false
		}
	}
	rt.row = make([]any, len(cols))
	rt.before = make([]any, len(cols))
}

// sourceIndex finds a Doris column in the source table: the exact name first, then
// ignoring case (Doris column names are case-insensitive).
func sourceIndex(t *schema.Table, name string) int {
	if i := t.ColumnIndex(name); i >= 0 {
		return i
	}
	for i, c := range t.Columns {
		if strings.EqualFold(c.Name, name) {
			return i
		}
	}
	return -1
}

// project maps a source row onto the Doris columns, into buf. A row of the wrong width
// means the stream and the engine disagree on the table's shape: loading it would put
// values into the wrong columns, so it is an error.
func (rt *route) project(row, buf []any) ([]any, error) {
	if row == nil {
		return nil, nil
	}
	if len(row) != len(rt.shape.Columns) {
		return nil, fmt.Errorf("a row of %s has %d values but the table has %d columns (%s); the source's schema and the change stream disagree",
			rt.id, len(row), len(rt.shape.Columns), columnNames(rt.shape))
	}
	if rt.identity {
		return row, nil
	}
	for i, j := range rt.colMap {
		if j < 0 {
			buf[i] = nil
		} else {
			buf[i] = row[j]
		}
	}
	return buf, nil
}

func columnNames(t *schema.Table) string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

// sinkTable describes a Doris table to the sink: the columns loaded with their Doris
// types, its model, and how many leading columns form the key.
func sinkTable(tp *ddl.TablePlan, cols []ddl.Column) sink.Table {
	t := sink.Table{DB: tp.Database, Name: tp.Table, Model: sink.Duplicate}
	if tp.Model == ddl.ModelUnique {
		t.Model = sink.Unique
	}
	keys := 0
	for i, c := range cols {
		t.Columns = append(t.Columns, sink.Column{Name: c.Name, Type: c.Type.String()})
		if c.Key && keys == i {
			keys++
		}
	}
	t.KeyColumns = keys
	return t
}
