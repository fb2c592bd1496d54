package mysql

import (
	"context"
	"encoding/json"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/bench/datagen"
	"github.com/doris-sync/doris-sync/schema"
)

// benchRows is the size of the benchmark table: one chunk of this many rows is read per
// iteration.
const benchRows = 100_000

// benchTable is the bench/datagen table (the shape of scripts/bench.sh scenario 1) with
// benchRows rows in the shared MariaDB, made once per test binary.
var benchTable struct {
	once  sync.Once
	db    string
	ready bool // false after a failed fill: the later benchmarks fail too
}

func benchSource(b *testing.B) (*Source, *schema.Table) {
	srv := mariaDBFull(b)
	benchTable.once.Do(func() {
		// A database of its own that outlives the benchmark's b.Cleanup (b.N rounds
		// share it); the server and its files go when the test binary ends.
		benchTable.db = "bench_read_chunk"
		srv.exec(b, "", "DROP DATABASE IF EXISTS "+benchTable.db, "CREATE DATABASE "+benchTable.db)
		srv.exec(b, benchTable.db, append([]string{datagen.CreateTable(datagen.MariaDB, "snap")},
			datagen.Fill(datagen.MariaDB, "snap", 1, benchRows, 50_000)...)...)
		benchTable.ready = true
	})
	if !benchTable.ready {
		b.Fatal("the benchmark table could not be made")
	}
	src := srv.source(b, benchTable.db)
	tb := discoverTables(b, src)["snap"]
	if tb == nil {
		b.Fatal("benchmark table snap not discovered")
	}
	return src, tb
}

// BenchmarkReadChunk reads the benchmark table as one chunk through Snapshot.ReadChunk and
// keeps the rows the way the sync engine does: in batches of 256 that outlive emit (the
// engine's writer encodes them later), then dropped. "binary" has a lower bound, like
// every chunk of a table with more than one; "text" has no bounds, like the only chunk of
// a small or keyless table. (Both run as prepared statements over the binary protocol
// now; until the readers read the protocol themselves, a query without arguments ran
// over the text protocol, hence the names.)
//
// Besides ns/op it reports, per row: wall ns, CPU ns of this process (the server runs in
// its own process, so this is doris-sync's side alone), bytes and allocations.
func BenchmarkReadChunk(b *testing.B) {
	for _, c := range []struct {
		name  string
		chunk Chunk
	}{
		{"binary", Chunk{Start: json.RawMessage("[0]")}},
		{"text", Chunk{}},
	} {
		b.Run(c.name, func(b *testing.B) {
			src, tb := benchSource(b)
			key, err := ChunkKey(tb, "")
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			sn, err := src.BeginSnapshot(ctx, SnapshotOptions{Readers: 1, Logger: quietLogger()})
			if err != nil {
				b.Fatal(err)
			}
			defer sn.Close()
			read := func() int64 {
				batch := make([][]any, 0, 256)
				n, err := sn.ReadChunk(ctx, tb, key, c.chunk, func(row []any) error {
					batch = append(batch, row)
					if len(batch) == cap(batch) {
						batch = make([][]any, 0, 256)
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
				if n != benchRows {
					b.Fatalf("read %d rows, want %d", n, benchRows)
				}
				return n
			}
			read() // warm the buffer pool and the connection

			measurePerRow(b, read)
		})
	}
}

// processCPU is this process's user + system CPU time.
// measurePerRow runs one (which returns the rows it handled) in the benchmark loop and
// reports wall and process CPU time, bytes and allocations per row.
func measurePerRow(b *testing.B, one func() int64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	cpu0 := processCPU(b)
	start := time.Now()
	var rows int64
	b.ResetTimer()
	for b.Loop() {
		rows += one()
	}
	b.StopTimer()
	wall := time.Since(start)
	cpu := processCPU(b) - cpu0
	runtime.ReadMemStats(&after)
	r := float64(rows)
	b.ReportMetric(float64(wall.Nanoseconds())/r, "ns/row")
	b.ReportMetric(float64(cpu.Nanoseconds())/r, "cpu-ns/row")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/r, "B/row")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/r, "allocs/row")
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
