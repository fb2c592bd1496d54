package postgres

import (
	"context"
	"fmt"
	"testing"

	"github.com/doris-sync/doris-sync/schema"
)

// BenchmarkSnapshotRead compares reading chunks through COPY … TO STDOUT (ReadChunk)
// with reading the same SELECT row by row (text results), on a 200,000-row table of
// common types, in 8096-row chunks, values decoded either way:
//
//	go test -run '^$' -bench SnapshotRead -benchtime 5x ./sources/postgres/
func BenchmarkSnapshotRead(b *testing.B) {
	e := newReplEnv(b,
		"CREATE TABLE bench (id bigint PRIMARY KEY, qty integer, price numeric(12,2), name text, ok boolean, "+
			"at timestamptz, doc jsonb, note varchar(64))",
		"INSERT INTO bench SELECT g, g % 1000, g * 1.25, 'name ' || g, g % 2 = 0, "+
			"'2024-01-01'::timestamptz + g * interval '1 minute', jsonb_build_object('k', g, 'tag', 'x'), md5(g::text) "+
			"FROM generate_series(1, 200000) g",
		"ANALYZE bench",
	)
	table := e.tables("bench")[0]
	ctx := context.Background()
	sr, err := e.repl.OpenReader(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer sr.Close()
	chunks, err := sr.PlanChunks(ctx, table, nil, 8096)
	if err != nil {
		b.Fatal(err)
	}
	for _, m := range []struct {
		name string
		read func(context.Context, *schema.Table, Chunk, func([]any) error) (int64, error)
	}{{"copy", sr.ReadChunk}, {"rows", sr.readChunkRows}} {
		b.Run(m.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				var n int64
				for _, c := range chunks {
					rows, err := m.read(ctx, table, c, func([]any) error { return nil })
					if err != nil {
						b.Fatal(err)
					}
					n += rows
				}
				if n != 200000 {
					b.Fatalf("read %d rows", n)
				}
			}
			b.ReportMetric(float64(200000*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// readChunkRows is ReadChunk through an ordinary query read row by row (text result
// format): the alternative to COPY the benchmark measures, and a second path the
// every-type test checks against.
func (sr *SnapshotReader) readChunkRows(ctx context.Context, t *schema.Table, c Chunk, emit func(row []any) error) (int64, error) {
	p, err := sr.plan(ctx, t)
	if err != nil {
		return 0, err
	}
	sql, err := c.selectSQL(p)
	if err != nil {
		return 0, err
	}
	res := sr.s.conn.PgConn().ExecParams(ctx, sql, nil, nil, nil, nil)
	var n int64
	for res.NextRow() {
		vals := res.Values()
		row := make([]any, len(p.codecs))
		for i, v := range vals {
			if v == nil {
				continue
			}
			if row[i], err = p.codecs[i].decode(v); err != nil {
				res.Close()
				return n, fmt.Errorf("column %s: %w", p.columns[i], err)
			}
		}
		if err := emit(row); err != nil {
			res.Close()
			return n, err
		}
		n++
	}
	if _, err := res.Close(); err != nil {
		return n, err
	}
	return n, nil
}
