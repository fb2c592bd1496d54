package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/doris-sync/doris-sync/schema"
)

// fakePos is a position of the fake source: the number of transactions committed
// before it.
type fakePos struct {
	N uint64 `json:"n"`
}

func (p fakePos) Kind() string   { return "fake" }
func (p fakePos) String() string { return "txn " + strconv.FormatUint(p.N, 10) }
func (p fakePos) Compare(o schema.Position) (int, error) {
	q, ok := o.(fakePos)
	if !ok {
		return 0, schema.ErrIncomparable
	}
	switch {
	case p.N < q.N:
		return -1, nil
	case p.N > q.N:
		return 1, nil
	}
	return 0, nil
}

func init() {
	schema.RegisterPositionKind("fake", func(data json.RawMessage) (schema.Position, error) {
		var p fakePos
		err := json.Unmarshal(data, &p)
		return p, err
	})
}

// fakeDB is an in-memory source database with a transaction log. A snapshot at
// position N is the initial tables with the first N transactions applied, so reads at
// any position are exact — the property the real sources give with consistent
// snapshots. Keyed tables use their first column (BIGINT) as the primary key.
type fakeDB struct {
	mu      sync.Mutex
	base    []*fakeTable // state before the first transaction
	log     [][]schema.Change
	end     int // transactions visible (≤ len(log)); -1: all
	changed chan struct{}
	purged  uint64 // positions before this are gone
	chunk   int    // rows per snapshot chunk

	// blockAfter makes a snapshot read of a table stop after that many rows and wait
	// for its context to end (a copy interrupted half-way).
	blockAfter map[string]int

	snapshots int // BeginSnapshot calls
	streams   []uint64
	acked     []uint64
}

type fakeTable struct {
	shape *schema.Table
	rows  [][]any
}

func newFakeDB(tables ...*schema.Table) *fakeDB {
	db := &fakeDB{end: -1, changed: make(chan struct{}), chunk: 3}
	for _, t := range tables {
		db.base = append(db.base, &fakeTable{shape: t})
	}
	return db
}

func keyedTable(db, name string, extra ...schema.Column) *schema.Table {
	t := &schema.Table{ID: schema.TableID{Database: db, Name: name}, PrimaryKey: []string{"id"}}
	t.Columns = append([]schema.Column{intCol("id", false)}, extra...)
	return t
}

func keylessTable(db, name string, cols ...schema.Column) *schema.Table {
	return &schema.Table{ID: schema.TableID{Database: db, Name: name}, Columns: cols}
}

func intCol(name string, nullable bool) schema.Column {
	return schema.Column{Name: name, TypeText: "bigint", Type: schema.SourceType{Name: "bigint"}, Nullable: nullable}
}

func textCol(name string) schema.Column {
	return schema.Column{Name: name, TypeText: "varchar(64)", Type: schema.SourceType{Name: "varchar", Length: 64, HasLength: true, Charset: "utf8mb4"}, Nullable: true}
}

// seed puts rows into a table before any transaction.
func (db *fakeDB) seed(table string, rows ...[]any) {
	db.mu.Lock()
	defer db.mu.Unlock()
	for _, t := range db.base {
		if t.shape.ID.Name == table {
			t.rows = append(t.rows, rows...)
			return
		}
	}
	panic("seed: no table " + table)
}

// commit appends one transaction.
func (db *fakeDB) commit(changes ...schema.Change) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.log = append(db.log, changes)
	close(db.changed)
	db.changed = make(chan struct{})
}

func (db *fakeDB) visible() int {
	if db.end < 0 || db.end > len(db.log) {
		return len(db.log)
	}
	return db.end
}

func (db *fakeDB) id(table string) schema.TableID {
	for _, t := range db.base {
		if t.shape.ID.Name == table {
			return t.shape.ID
		}
	}
	return schema.TableID{Database: "src", Name: table}
}

func ins(id schema.TableID, row ...any) schema.Change {
	return schema.Change{Table: id, Op: schema.OpInsert, After: row}
}

func upd(id schema.TableID, before, after []any) schema.Change {
	return schema.Change{Table: id, Op: schema.OpUpdate, Before: before, After: after}
}

func del(id schema.TableID, row ...any) schema.Change {
	return schema.Change{Table: id, Op: schema.OpDelete, Before: row}
}

func ddlChange(t *schema.Table, text string) schema.Change {
	return schema.Change{Table: t.ID, Op: schema.OpDDL, DDL: text, NewSchema: t}
}

// stateAt replays the first n transactions onto the initial tables.
func (db *fakeDB) stateAt(n int) map[schema.TableID]*fakeTable {
	out := map[schema.TableID]*fakeTable{}
	for _, t := range db.base {
		c := &fakeTable{shape: t.shape}
		for _, r := range t.rows {
			c.rows = append(c.rows, append([]any(nil), r...))
		}
		out[t.shape.ID] = c
	}
	for _, txn := range db.log[:n] {
		for _, ch := range txn {
			applyFake(out, ch)
		}
	}
	return out
}

func applyFake(tables map[schema.TableID]*fakeTable, ch schema.Change) {
	t := tables[ch.Table]
	if ch.Op == schema.OpDDL {
		if ch.NewSchema == nil {
			delete(tables, ch.Table)
			return
		}
		if t == nil {
			tables[ch.Table] = &fakeTable{shape: ch.NewSchema}
			return
		}
		// Columns matched by name, like a database keeps them; a renamed column keeps
		// its values under the new name.
		from, to := renamedColumn(ch.DDL)
		for i, r := range t.rows {
			nr := make([]any, len(ch.NewSchema.Columns))
			for j, c := range ch.NewSchema.Columns {
				name := c.Name
				if name == to {
					name = from
				}
				if k := t.shape.ColumnIndex(name); k >= 0 {
					nr[j] = r[k]
				}
			}
			t.rows[i] = nr
		}
		t.shape = ch.NewSchema
		return
	}
	find := func(row []any) int {
		for i, r := range t.rows {
			if len(t.shape.PrimaryKey) > 0 && r[0] == row[0] || len(t.shape.PrimaryKey) == 0 && fmt.Sprint(r) == fmt.Sprint(row) {
				return i
			}
		}
		return -1
	}
	switch ch.Op {
	case schema.OpInsert:
		t.rows = append(t.rows, append([]any(nil), ch.After...))
	case schema.OpUpdate:
		if i := find(ch.Before); i >= 0 {
			t.rows[i] = append([]any(nil), ch.After...)
		}
	case schema.OpDelete:
		if i := find(ch.Before); i >= 0 {
			t.rows = append(t.rows[:i], t.rows[i+1:]...)
		}
	case schema.OpTruncate:
		t.rows = nil
	}
}

// renamedColumn reads "… RENAME COLUMN a TO b".
func renamedColumn(ddl string) (from, to string) {
	f := strings.Fields(ddl)
	for i := 0; i+4 < len(f); i++ {
		if strings.EqualFold(f[i], "RENAME") && strings.EqualFold(f[i+1], "COLUMN") && strings.EqualFold(f[i+3], "TO") {
			return f[i+2], f[i+4]
		}
	}
	return "", ""
}

// fakeSource serves a fakeDB through the engine's Source interface.
type fakeSource struct {
	db *fakeDB
}

func (s *fakeSource) Discover(ctx context.Context) ([]*schema.Table, error) {
	s.db.mu.Lock()
	defer s.db.mu.Unlock()
	tables := s.db.stateAt(s.db.visible())
	var out []*schema.Table
	for _, t := range tables {
		out = append(out, t.shape)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID.String() < out[j].ID.String() })
	return out, nil
}

func (s *fakeSource) Preflight(ctx context.Context, tables []*schema.Table) error { return nil }

func (s *fakeSource) CurrentPosition(ctx context.Context) (schema.Position, error) {
	s.db.mu.Lock()
	defer s.db.mu.Unlock()
	return fakePos{N: uint64(s.db.visible())}, nil
}

func (s *fakeSource) BeginSnapshot(ctx context.Context, tables []*schema.Table, resume bool) (Snapshot, error) {
	s.db.mu.Lock()
	defer s.db.mu.Unlock()
	s.db.snapshots++
	n := s.db.visible()
	return &fakeSnapshot{pos: fakePos{N: uint64(n)}, tables: s.db.stateAt(n), chunk: s.db.chunk, blockAfter: s.db.blockAfter}, nil
}

func (s *fakeSource) StartStream(ctx context.Context, from schema.Position, shapes []*schema.Table, history SchemaHistory) (Stream, error) {
	s.db.mu.Lock()
	defer s.db.mu.Unlock()
	n := from.(fakePos).N
	if n < s.db.purged {
		return nil, fmt.Errorf("fake: position %d was purged: %w", n, ErrPositionLost)
	}
	s.db.streams = append(s.db.streams, n)
	return &fakeStream{db: s.db, next: int(n)}, nil
}

func (s *fakeSource) Close() error { return nil }

type fakeSnapshot struct {
	pos        fakePos
	tables     map[schema.TableID]*fakeTable
	chunk      int
	blockAfter map[string]int
}

func (s *fakeSnapshot) Position() schema.Position { return s.pos }

func (s *fakeSnapshot) Exact() bool { return true }

func (s *fakeSnapshot) EstimateRows(ctx context.Context, t *schema.Table) (int64, error) {
	if ft := s.tables[t.ID]; ft != nil {
		return int64(len(ft.rows)), nil
	}
	return 0, nil
}

func (s *fakeSnapshot) keys(t *schema.Table) []int64 {
	var ks []int64
	for _, r := range s.tables[t.ID].rows {
		ks = append(ks, r[0].(int64))
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
	return ks
}

func bound(b json.RawMessage) (int64, bool) {
	if b == nil {
		return 0, false
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		panic(err)
	}
	return v, true
}

func (s *fakeSnapshot) PlanChunks(ctx context.Context, t *schema.Table, after json.RawMessage, max int) ([]json.RawMessage, bool, error) {
	ft := s.tables[t.ID]
	if ft == nil {
		return nil, false, errors.New("fake: no table " + t.ID.String())
	}
	if len(ft.shape.PrimaryKey) == 0 {
		return nil, true, nil
	}
	var ks []int64
	a, has := bound(after)
	for _, k := range s.keys(t) {
		if !has || k >= a {
			ks = append(ks, k)
		}
	}
	var out []json.RawMessage
	i := s.chunk
	for ; i < len(ks) && len(out) < max; i += s.chunk {
		out = append(out, json.RawMessage(strconv.FormatInt(ks[i], 10)))
	}
	return out, i >= len(ks), nil
}

func (s *fakeSnapshot) ReadChunk(ctx context.Context, t *schema.Table, start, end json.RawMessage, emit func(row []any) error) error {
	ft := s.tables[t.ID]
	if ft == nil {
		return errors.New("fake: no table " + t.ID.String())
	}
	rows := append([][]any(nil), ft.rows...)
	if len(ft.shape.PrimaryKey) > 0 {
		sort.Slice(rows, func(i, j int) bool { return rows[i][0].(int64) < rows[j][0].(int64) })
	}
	lo, hasLo := bound(start)
	hi, hasHi := bound(end)
	limit, block := s.blockAfter[t.ID.Name]
	for _, r := range rows {
		if block && limit == 0 {
			<-ctx.Done()
			return ctx.Err()
		}
		limit--
		if len(ft.shape.PrimaryKey) > 0 {
			k := r[0].(int64)
			if hasLo && k < lo || hasHi && k >= hi {
				continue
			}
		}
		// Columns by name in the shape asked for, as a SELECT of named columns reads them.
		out := make([]any, len(t.Columns))
		for i, c := range t.Columns {
			if k := ft.shape.ColumnIndex(c.Name); k >= 0 {
				out[i] = r[k]
			}
		}
		if err := emit(out); err != nil {
			return err
		}
	}
	return nil
}

func (s *fakeSnapshot) Close() error { return nil }

// fakeStream delivers the log after a position: each transaction's changes, then a
// boundary; at the end of the visible log one heartbeat boundary, then it waits.
type fakeStream struct {
	db      *fakeDB
	next    int // transaction to deliver (0-based)
	pending []Event
	beat    int // 1 + the position of the last heartbeat sent, 0 none
}

func (s *fakeStream) Next(ctx context.Context) (Event, error) {
	for {
		if len(s.pending) > 0 {
			ev := s.pending[0]
			s.pending = s.pending[1:]
			return ev, nil
		}
		s.db.mu.Lock()
		vis := s.db.visible()
		if s.next < vis {
			txn := s.db.log[s.next]
			s.next++
			pos := fakePos{N: uint64(s.next)}
			for _, ch := range txn {
				c := ch
				c.Position = pos
				s.pending = append(s.pending, Event{Change: &c})
			}
			s.pending = append(s.pending, Event{Position: pos})
			s.db.mu.Unlock()
			continue
		}
		wait := s.db.changed
		beat := s.beat != vis+1
		s.beat = vis + 1
		s.db.mu.Unlock()
		if beat {
			return Event{Position: fakePos{N: uint64(vis)}}, nil
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return Event{}, ctx.Err()
		}
	}
}

func (s *fakeStream) Ack(ctx context.Context, pos schema.Position) error {
	s.db.mu.Lock()
	defer s.db.mu.Unlock()
	s.db.acked = append(s.db.acked, pos.(fakePos).N)
	return nil
}

func (s *fakeStream) Close() error { return nil }
