package sink

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/testkit/doris"
)

// standin is a running Doris stand-in with helpers to create tables and read them back.
type standin struct {
	t *testing.T
	s *doris.Server
}

func startStandin(t *testing.T, opts doris.Options) *standin {
	t.Helper()
	s, err := doris.Start(opts)
	if err != nil {
		t.Fatalf("start stand-in: %v", err)
	}
	t.Cleanup(s.Close)
	return &standin{t: t, s: s}
}

// addTable creates db.name in the stand-in's catalog from the sink's own table
// description: key columns NOT NULL, values nullable.
func (d *standin) addTable(spec Table) {
	d.t.Helper()
	tbl := &doris.Table{DB: spec.DB, Name: spec.Name, KeyCount: spec.KeyColumns, LightSchema: true, Buckets: 1}
	if spec.Model == Unique {
		tbl.Keys, tbl.MergeOnWrite = doris.UniqueKeys, true
	} else {
		tbl.Keys = doris.DupKeys
	}
	for i, c := range spec.Columns {
		typ, err := doris.ParseType(c.Type, false)
		if err != nil {
			d.t.Fatalf("stand-in type %s: %v", c.Type, err)
		}
		tbl.Columns = append(tbl.Columns, doris.Column{Name: c.Name, Type: typ, Nullable: i >= spec.KeyColumns, IsKey: i < spec.KeyColumns})
		if i < spec.KeyColumns {
			tbl.DistCols = append(tbl.DistCols, c.Name)
		}
	}
	tbl.SequenceCol = spec.SequenceColumn
	d.s.Catalog.Mu.Lock()
	defer d.s.Catalog.Mu.Unlock()
	db := d.s.Catalog.DBs[spec.DB]
	if db == nil {
		db = &doris.Database{Name: spec.DB, Tables: map[string]*doris.Table{}}
		d.s.Catalog.DBs[spec.DB] = db
	}
	db.Tables[spec.Name] = tbl
}

func (d *standin) dump(db, table string) []map[string]any {
	d.t.Helper()
	rows, err := d.s.Dump(db, table)
	if err != nil {
		d.t.Fatalf("dump: %v", err)
	}
	return rows
}

// testConfig is a configuration for the stand-in with fast retries and small timeouts.
func (d *standin) config() Config {
	c := DefaultConfig()
	c.FENodes = []string{d.s.HTTPAddr()}
	c.User = "root"
	c.LabelPrefix = "test"
	c.RetryInterval = 5 * time.Millisecond
	c.RetryMaxInterval = 20 * time.Millisecond
	c.ReadTimeout = 2 * time.Second
	c.ConnectTimeout = 2 * time.Second
	c.FlushInterval = time.Hour // tests flush explicitly unless they test the interval
	return c
}

// logBuffer collects log output so tests can assert on warnings.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func testLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func openWriter(t *testing.T, cfg Config, j Journal, log io.Writer) *Writer {
	t.Helper()
	if log == nil {
		log = io.Discard
	}
	w, err := Open(context.Background(), cfg, j, testLogger(log))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = w.Close(ctx)
	})
	return w
}

func register(t *testing.T, w *Writer, spec Table) *TableHandle {
	t.Helper()
	h, err := w.Register(spec)
	if err != nil {
		t.Fatalf("Register %s: %v", spec.Name, err)
	}
	return h
}

func write(t *testing.T, w *Writer, h *TableHandle, ch Change) {
	t.Helper()
	if err := w.Write(context.Background(), h, ch); err != nil {
		t.Fatalf("Write seq %d: %v", ch.Seq, err)
	}
}

func flushAll(t *testing.T, w *Writer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.FlushAll(ctx); err != nil {
		t.Fatalf("FlushAll: %v", err)
	}
}
