package mysql

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/doris-sync/doris-sync/schema"
)

// trackedTable is a streamed table's shape at the current position.
type trackedTable struct {
	t       *schema.Table
	codecs  rowCodec
	version uint64
}

// modelSet holds the shapes of the tracked tables as the stream moves, and records
// them in the schema history.
type modelSet struct {
	src        *Source
	si         serverInfo
	opts       StreamOptions
	log        *slog.Logger
	tables     map[schema.TableID]*trackedTable
	ignored    map[schema.TableID]bool
	explicit   map[schema.TableID]bool // Tables, when there is no Filter
	charsets   map[schema.TableID]string
	dbCharsets map[string]string
	collations map[uint64]string // collation id → charset name
	version    uint64
}

func newModelSet(ctx context.Context, s *Source, si serverInfo, opts StreamOptions, from Position, log *slog.Logger) (*modelSet, error) {
	m := &modelSet{
		src: s, si: si, opts: opts, log: log,
		tables:     map[schema.TableID]*trackedTable{},
		ignored:    map[schema.TableID]bool{},
		explicit:   map[schema.TableID]bool{},
		charsets:   map[schema.TableID]string{},
		dbCharsets: map[string]string{},
	}
	var err error
	if m.collations, err = s.collations(ctx); err != nil {
		return nil, err
	}
	for _, t := range opts.Tables {
		m.explicit[t.ID] = true
		shape, _, found, err := schemaAt(opts.History, t.ID, from)
		if err != nil {
			return nil, err
		}
		later, err := hasHistory(opts.History, t.ID)
		if err != nil {
			return nil, err
		}
		switch {
		case found && shape != nil:
			m.track(shape)
		case found:
			// Dropped at From.
		case later:
			// Created after From: its CREATE TABLE is ahead in the stream.
		default:
			if err := recordSchema(opts.History, t.ID, from, t, ""); err != nil {
				return nil, err
			}
			m.track(cloneTable(t))
		}
	}
	return m, nil
}

func (m *modelSet) track(t *schema.Table) *trackedTable {
	m.version++
	tt := &trackedTable{t: t, version: m.version, codecs: make(rowCodec, len(t.Columns))}
	for i, c := range t.Columns {
		tt.codecs[i] = codecForColumn(c)
	}
	m.tables[t.ID] = tt
	delete(m.ignored, t.ID)
	return tt
}

func (m *modelSet) wants(id schema.TableID) bool {
	if m.opts.Filter != nil {
		return m.opts.Filter(id)
	}
	return m.explicit[id]
}

func (m *modelSet) tracked(id schema.TableID) bool { return m.tables[id] != nil }

func (m *modelSet) tablesOf(db string) []schema.TableID {
	var out []schema.TableID
	for id := range m.tables {
		if id.Database == db {
			out = append(out, id)
		}
	}
	slices.SortFunc(out, func(a, b schema.TableID) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// fromHistory loads a wanted table's shape at p from the history.
func (m *modelSet) fromHistory(id schema.TableID, p Position) (*trackedTable, bool, error) {
	shape, _, found, err := schemaAt(m.opts.History, id, p)
	if err != nil || !found || shape == nil {
		return nil, found, err
	}
	return m.track(shape), true, nil
}

// get returns the shape of a table whose rows arrive at position p; nil when the table
// is not streamed. A wanted table the stream has no shape for (created before From but
// not among Tables) is read from the server, with a warning, and recorded.
func (m *modelSet) get(ctx context.Context, id schema.TableID, p Position) (*trackedTable, error) {
	if tt := m.tables[id]; tt != nil {
		return tt, nil
	}
	if m.ignored[id] {
		return nil, nil
	}
	if !m.wants(id) {
		m.ignored[id] = true
		return nil, nil
	}
	if tt, _, err := m.fromHistory(id, p); err != nil || tt != nil {
		return tt, err
	}
	t, err := m.src.liveTable(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("table %s has rows at %s but its shape there is not known: %w", id, p, err)
	}
	m.log.Warn("no recorded shape for a streamed table; using its current definition on the server", "table", id.String(), "at", p.String())
	if err := recordSchema(m.opts.History, id, p, t, ""); err != nil {
		return nil, err
	}
	return m.track(t), nil
}

// env gives the DDL code its view of the models.
func (m *modelSet) env(ctx context.Context, defaultDB string, at Position) ddlEnv {
	return ddlEnv{
		flavor:    m.si.flavor,
		defaultDB: defaultDB,
		model: func(id schema.TableID) *schema.Table {
			if tt := m.tables[id]; tt != nil {
				return tt.t
			}
			if !m.wants(id) {
				return nil
			}
			// Never the server here: for a CREATE TABLE it would already show the
			// new table.
			tt, _, err := m.fromHistory(id, at)
			if err != nil || tt == nil {
				return nil
			}
			return tt.t
		},
		want: m.wants,
		live: func(id schema.TableID) (*schema.Table, error) { return m.src.liveTable(ctx, id) },
		dbCharset: func(db string) string {
			return m.dbCharset(ctx, db)
		},
		tableCharset: func(id schema.TableID) string { return m.charsets[id] },
		tablesOf:     m.tablesOf,
	}
}

// apply takes the models after a DDL event's steps and records them at pos.
func (m *modelSet) apply(steps []ddlStep, pos Position) error {
	final := map[schema.TableID]*schema.Table{}
	var order []schema.TableID
	set := func(id schema.TableID, t *schema.Table) {
		if _, ok := final[id]; !ok {
			order = append(order, id)
		}
		final[id] = t
	}
	ddl := ""
	for _, s := range steps {
		c := s.change
		ddl = c.DDL
		if c.Op != schema.OpDDL {
			continue
		}
		if c.NewSchema == nil {
			set(c.Table, nil)
			continue
		}
		if c.NewSchema.ID != c.Table {
			set(c.Table, nil)
		}
		if m.wants(c.NewSchema.ID) {
			set(c.NewSchema.ID, cloneTable(c.NewSchema))
		} else {
			set(c.NewSchema.ID, nil)
		}
		if s.charset != "" {
			m.charsets[c.NewSchema.ID] = s.charset
		}
	}
	for _, id := range order {
		t := final[id]
		if t == nil {
			if m.tables[id] == nil {
				continue // never tracked: nothing to record
			}
			delete(m.tables, id)
		} else {
			m.track(t)
		}
		if err := recordSchema(m.opts.History, id, pos, t, ddl); err != nil {
			return err
		}
	}
	return nil
}

func (m *modelSet) dbCharset(ctx context.Context, db string) string {
	if cs, ok := m.dbCharsets[db]; ok {
		return cs
	}
	var cs sql.NullString
	err := m.src.db.QueryRowContext(ctx, "SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", db).Scan(&cs)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		m.log.Warn("cannot read a database's default charset; assuming utf8mb4", "database", db, "error", err.Error())
	}
	v := strings.ToLower(cs.String)
	if v == "" {
		v = "utf8mb4"
	}
	m.dbCharsets[db] = v
	return v
}

// collations maps the server's collation ids to their charsets, to read the binlog's
// column metadata.
func (s *Source) collations(ctx context.Context) (map[uint64]string, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT ID, CHARACTER_SET_NAME FROM information_schema.COLLATIONS")
	if err != nil {
		return nil, s.queryError("read collations", err)
	}
	defer rows.Close()
	out := map[uint64]string{}
	for rows.Next() {
		var id sql.NullInt64
		var cs sql.NullString
		if err := rows.Scan(&id, &cs); err != nil {
			return nil, s.queryError("read collations", err)
		}
		if id.Valid {
			out[uint64(id.Int64)] = strings.ToLower(cs.String)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.queryError("read collations", err)
	}
	return out, nil
}

// liveTable reads one table's current definition the way Discover does.
func (s *Source) liveTable(ctx context.Context, id schema.TableID) (*schema.Table, error) {
	t := &schema.Table{ID: id}
	byKey := map[tableKey]*schema.Table{{id.Database, id.Name}: t}
	if err := s.columns(ctx, []string{id.Database}, byKey); err != nil {
		return nil, err
	}
	if len(t.Columns) == 0 {
		return nil, fmt.Errorf("table %s does not exist on the server (any more)", id)
	}
	if err := s.keys(ctx, []string{id.Database}, byKey); err != nil {
		return nil, err
	}
	return t, nil
}

// mappedTable is how the rows of one table-map event decode: a codec per binlog
// column and where its value goes in the tracked shape's row.
type mappedTable struct {
	tm      *replication.TableMapEvent
	tt      *trackedTable // nil: not streamed
	version uint64
	codecs  []columnCodec
	target  []int // binlog column → index in the row (-1: not in the tracked shape)
}

func (st *streamer) tableMap(ctx context.Context, tm *replication.TableMapEvent) error {
	id := schema.TableID{Database: string(tm.Schema), Name: string(tm.Table)}
	tt, err := st.models.get(ctx, id, st.committed)
	if err != nil {
		return err
	}
	if tt == nil {
		st.maps[tm.TableID] = &mappedTable{tm: tm}
		return nil
	}
	if m := st.maps[tm.TableID]; m != nil && m.tt == tt && m.version == tt.version && sameLayout(m.tm, tm) {
		m.tm = tm
		return nil
	}
	m, err := st.buildMapping(tm, tt)
	if err != nil {
		return err
	}
	st.maps[tm.TableID] = m
	return nil
}

func sameLayout(a, b *replication.TableMapEvent) bool {
	if !bytes.Equal(a.ColumnType, b.ColumnType) || !slices.Equal(a.ColumnMeta, b.ColumnMeta) || len(a.ColumnName) != len(b.ColumnName) {
		return false
	}
	for i := range a.ColumnName {
		if !bytes.Equal(a.ColumnName[i], b.ColumnName[i]) {
			return false
		}
	}
	return bytes.Equal(a.SignednessBitmap, b.SignednessBitmap) && slices.Equal(a.DefaultCharset, b.DefaultCharset) && slices.Equal(a.ColumnCharset, b.ColumnCharset)
}

func (st *streamer) buildMapping(tm *replication.TableMapEvent, tt *trackedTable) (*mappedTable, error) {
	n := int(tm.ColumnCount)
	m := &mappedTable{tm: tm, tt: tt, version: tt.version, codecs: make([]columnCodec, n), target: make([]int, n)}
	names := tm.ColumnNameString()
	if len(names) == n {
		// binlog_row_metadata=FULL: the event names its columns.
		var extra []string
		seen := make([]bool, len(tt.t.Columns))
		for i := 0; i < n; i++ {
			bc := codecForBinlog(tm, i, names[i], st.models.collations)
			j := findColumn(tt.t, names[i])
			m.target[i] = j
			if j < 0 {
				m.codecs[i] = bc
				extra = append(extra, names[i])
				continue
			}
			seen[j] = true
			m.codecs[i] = mergeCodec(bc, tt.codecs[j])
		}
		var missing []string
		for j, ok := range seen {
			if !ok {
				missing = append(missing, tt.t.Columns[j].Name)
			}
		}
		if len(extra) > 0 || len(missing) > 0 {
			st.log.Warn("binlog rows do not have the tracked shape of the table (a DDL the stream did not see?); columns are matched by name",
				"table", tt.t.ID.String(), "at", st.committed.String(), "only_in_binlog", strings.Join(extra, ","), "only_in_shape", strings.Join(missing, ","))
		}
		return m, nil
	}
	if n != len(tt.t.Columns) {
		return nil, fmt.Errorf("rows of %s at %s have %d columns but its shape there has %d (%s): the schema history is missing a DDL; set binlog_row_metadata=FULL on the server or re-snapshot the table",
			tt.t.ID, st.committed, n, len(tt.t.Columns), columnNames(tt.t))
	}
	for i := 0; i < n; i++ {
		bc := codecForBinlog(tm, i, tt.t.Columns[i].Name, st.models.collations)
		if binlogFamily(bc.kind) != binlogFamily(tt.codecs[i].kind) {
			return nil, fmt.Errorf("rows of %s at %s do not match its shape there: column %s is %s in the binlog but %s (%s) in the shape: the schema history is missing a DDL; set binlog_row_metadata=FULL on the server or re-snapshot the table",
				tt.t.ID, st.committed, tt.t.Columns[i].Name, bc.kind, tt.codecs[i].kind, tt.t.Columns[i].TypeText)
		}
		m.codecs[i] = tt.codecs[i]
		m.target[i] = i
	}
	return m, nil
}

func (st *streamer) rows(ctx context.Context, e *replication.RowsEvent) error {
	m := st.maps[e.TableID]
	if m == nil {
		return fmt.Errorf("mysql stream: rows for table id %d without its table map at %s", e.TableID, st.committed)
	}
	if m.tt == nil {
		return nil
	}
	if !st.inTxn {
		st.inTxn, st.emitted, st.txnPos = true, 0, st.committed
	}
	id := m.tt.t.ID
	for _, sk := range e.SkippedColumns {
		if len(sk) > 0 {
			return fmt.Errorf("rows of %s at %s leave columns out: binlog_row_image is not FULL; set binlog_row_image=FULL and re-snapshot the table", id, st.committed)
		}
	}
	var op schema.Op
	switch e.Type() {
	case replication.EnumRowsEventTypeInsert:
		op = schema.OpInsert
	case replication.EnumRowsEventTypeUpdate:
		op = schema.OpUpdate
	case replication.EnumRowsEventTypeDelete:
		op = schema.OpDelete
	default:
		return nil
	}
	step := 1
	if op == schema.OpUpdate {
		step = 2
	}
	for k := 0; k+step <= len(e.Rows); k += step {
		row, err := st.decodeRow(m, e.Rows[k])
		if err != nil {
			return err
		}
		c := schema.Change{Table: id, Op: op, Position: st.txnPos}
		switch op {
		case schema.OpInsert:
			c.After = row
		case schema.OpDelete:
			c.Before = row
		case schema.OpUpdate:
			c.Before = row
			if c.After, err = st.decodeRow(m, e.Rows[k+1]); err != nil {
				return err
			}
		}
		if err := st.emit(c); err != nil {
			return err
		}
	}
	return nil
}

func (st *streamer) decodeRow(m *mappedTable, raw []any) ([]any, error) {
	out := make([]any, len(m.tt.t.Columns))
	for i, v := range raw {
		j := m.target[i]
		if j < 0 {
			continue
		}
		d, err := m.codecs[i].fromBinlog(v)
		if err != nil {
			return nil, fmt.Errorf("decode %s.%s at %s: %w", m.tt.t.ID, m.codecs[i].name, st.committed, err)
		}
		out[j] = d
	}
	return out, nil
}
