package mysql

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/doris-sync/doris-sync/bench/datagen"
	"github.com/doris-sync/doris-sync/schema"
)

// streamBenchRows is the number of inserted rows each round of BenchmarkStreamRows
// decodes.
const streamBenchRows = 50_000

// streamBench is a binlog stretch holding streamBenchRows inserts of the bench/datagen
// table (the shape of scripts/bench.sh), written once per test binary.
var streamBench struct {
	once     sync.Once
	db       string
	from, to Position
	ready    bool
}

// writeStreamBench writes the benchmark's binlog stretch once and returns the server.
func writeStreamBench(b *testing.B) cdcServer {
	srv := mariaDBFull(b)
	streamBench.once.Do(func() {
		streamBench.db = "bench_stream_rows"
		srv.exec(b, "", "DROP DATABASE IF EXISTS "+streamBench.db, "CREATE DATABASE "+streamBench.db)
		srv.exec(b, streamBench.db, datagen.CreateTable(datagen.MariaDB, "cdc"))
		src := srv.source(b, streamBench.db)
		streamBench.from = currentPosition(b, src)
		srv.exec(b, streamBench.db, datagen.Fill(datagen.MariaDB, "cdc", 1, streamBenchRows, 5_000)...)
		streamBench.to = currentPosition(b, src)
		streamBench.ready = true
	})
	if !streamBench.ready {
		b.Fatal("the benchmark binlog could not be written")
	}
	return srv
}

// BenchmarkStreamRows streams a recorded stretch of binlog (inserts of the benchmark
// table, in transactions of 5,000 rows) through Source.Stream, keeping the changes as
// the sync engine does, and reports per row: wall ns, CPU ns of this process (the
// server is another process), bytes and allocations.
func BenchmarkStreamRows(b *testing.B) {
	srv := writeStreamBench(b)
	src := srv.source(b, streamBench.db)
	tables := discoverTables(b, src)
	tb := tables["cdc"]
	if tb == nil {
		b.Fatal("benchmark table cdc not discovered")
	}
	stream := func() int64 {
		var rows int64
		batch := make([]schema.Change, 0, 256)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		err := src.Stream(ctx, StreamOptions{
			From: streamBench.from, Until: streamBench.to, Tables: []*schema.Table{tb},
			JobName: "bench-stream-rows", Heartbeat: time.Second, Logger: quietLogger(),
			Emit: func(c schema.Change) error {
				batch = append(batch, c)
				if len(batch) == cap(batch) {
					batch = make([]schema.Change, 0, 256)
				}
				rows++
				return nil
			},
			Commit: func(Position) error { return nil },
		})
		if err != nil {
			b.Fatal(err)
		}
		if rows != streamBenchRows {
			b.Fatalf("streamed %d rows, want %d", rows, streamBenchRows)
		}
		return rows
	}
	stream() // warm up: the binlog in the page cache, the code paths

	measurePerRow(b, stream)
}

// BenchmarkBinlogRowsDecode decodes the benchmark's recorded rows events in memory, as
// the stream does (go-mysql's parser, then fromBinlog per value), with go-mysql's
// ParseTime off (DATETIME as text, parsed back) and on (as the stream runs it): the
// difference is the cost of the text round trip. Reports ns, bytes and allocations
// per row.
func BenchmarkBinlogRowsDecode(b *testing.B) {
	srv := writeStreamBench(b)
	events := recordBinlog(b, srv)
	for _, parseTime := range []bool{false, true} {
		b.Run(fmt.Sprintf("ParseTime=%v", parseTime), func(b *testing.B) {
			var rows int64
			for b.Loop() {
				rows += decodeBinlog(b, events, parseTime)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(rows), "ns/row")
		})
	}
}

// decodeBinlog parses the recorded events with a fresh parser and decodes every row
// value of the table; it returns the number of rows.
func decodeBinlog(b *testing.B, events [][]byte, parseTime bool) int64 {
	p := replication.NewBinlogParser()
	p.SetFlavor(FlavorMariaDB)
	p.SetParseTime(parseTime)
	p.SetTimestampStringLocation(time.UTC)
	p.SetRenderJSONAsMySQLText(true)
	var codecs rowCodec
	var rows int64
	for _, raw := range events {
		ev, err := p.Parse(raw)
		if err != nil {
			b.Fatal(err)
		}
		switch e := ev.Event.(type) {
		case *replication.TableMapEvent:
			codecs = make(rowCodec, e.ColumnCount)
			for i := range codecs {
				codecs[i] = codecForBinlog(e, i, string(e.ColumnName[i]), nil)
			}
		case *replication.RowsEvent:
			for _, r := range e.Rows {
				out := make([]any, len(r))
				for i, v := range r {
					if out[i], err = codecs[i].fromBinlog(v); err != nil {
						b.Fatal(err)
					}
				}
				rows++
			}
		}
	}
	if rows != streamBenchRows {
		b.Fatalf("decoded %d rows, want %d", rows, streamBenchRows)
	}
	return rows
}

// recordBinlog reads the benchmark's binlog stretch from the server as raw events: the
// format description (the parser needs it for checksums), then the table maps and
// rows events.
func recordBinlog(b *testing.B, srv cdcServer) [][]byte {
	syncer := replication.NewBinlogSyncer(replication.BinlogSyncerConfig{
		ServerID: 3_999_999_999, Flavor: FlavorMariaDB, Host: srv.host, Port: uint16(srv.port),
		User: srv.user, Password: srv.password, Logger: quietLogger(),
	})
	defer syncer.Close()
	from, to := streamBench.from, streamBench.to
	streamer, err := syncer.StartSync(gomysql.Position{Name: from.File, Pos: from.Pos})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var events [][]byte
	for {
		ev, err := streamer.GetEvent(ctx)
		if err != nil {
			b.Fatal(err)
		}
		switch ev.Header.EventType {
		case replication.FORMAT_DESCRIPTION_EVENT, replication.TABLE_MAP_EVENT,
			replication.WRITE_ROWS_EVENTv1, replication.WRITE_ROWS_EVENTv2:
			events = append(events, bytes.Clone(ev.RawData))
		}
		if ev.Header.LogPos >= to.Pos && syncer.GetNextPosition().Name == to.File {
			return events
		}
	}
}
