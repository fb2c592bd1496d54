package postgres

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/bench/datagen"
	"github.com/doris-sync/doris-sync/schema"
)

// The CDC benchmarks use the table and workload of scripts/bench.sh scenario 4
// (bench/datagen): 12 columns, transactions of 60 inserts, 25 updates, 15 deletes.
//
//	go test -run '^$' -bench 'StreamDecode|StreamFromSlot' -benchmem -cpu 1 -count 5 ./sources/postgres/

const benchTxns = 200 // recorded transactions: 20,000 changes

// cdcBenchEnv is a database with the bench table, its seed rows and the workload
// procedure, published.
func cdcBenchEnv(b *testing.B) (*replEnv, *schema.Table) {
	b.Helper()
	stmts := []string{datagen.CreateTable(datagen.Postgres, "cdc")}
	stmts = append(stmts, datagen.Seed(datagen.Postgres, "cdc")...)
	stmts = append(stmts, datagen.CreateChangesProc(datagen.Postgres, "cdc"))
	e := newReplEnv(b, stmts...)
	table := e.tables("cdc")[0]
	e.publish([]*schema.Table{table})
	return e, table
}

// recordPgoutput writes n workload transactions (from transaction first) and returns
// the pgoutput messages a slot created just before hands out for them: the XLogData
// payloads the stream receives, byte for byte (protocol 1; protocol 2 sends the same
// bytes outside streamed transactions).
func recordPgoutput(b *testing.B, e *replEnv, first, n int64) [][]byte {
	b.Helper()
	ctx := context.Background()
	conn := e.srv.Conn(b, e.db)
	slot := "rec_" + e.db
	if _, err := conn.Exec(ctx, "SELECT pg_create_logical_replication_slot($1, 'pgoutput')", slot); err != nil {
		b.Fatal(err)
	}
	defer conn.Exec(ctx, "SELECT pg_drop_replication_slot($1)", slot)
	e.exec(datagen.CallChanges("cdc", first, n))
	rows, err := conn.Query(ctx, "SELECT data FROM pg_logical_slot_peek_binary_changes($1, NULL, NULL, 'proto_version', '1', 'publication_names', $2)",
		slot, quoteIdent(e.opts.Publication))
	if err != nil {
		b.Fatal(err)
	}
	var msgs [][]byte
	for rows.Next() {
		var m []byte
		if err := rows.Scan(&m); err != nil {
			b.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return msgs
}

// BenchmarkStreamDecode measures the parse + decode of recorded pgoutput messages
// (session.wal: from the payload bytes to the emitted schema.Change), without the
// network or the walsender. One op is one transaction: Begin, 100 changes, Commit.
func BenchmarkStreamDecode(b *testing.B) {
	e, table := cdcBenchEnv(b)
	msgs := recordPgoutput(b, e, 0, benchTxns)
	if want := benchTxns*(datagen.TxnChanges+2) + 1; len(msgs) != want {
		b.Fatalf("recorded %d messages, want %d", len(msgs), want)
	}
	ctx := context.Background()
	catalog, err := e.root.openSession(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer catalog.Close()
	var changes int64
	st := e.root.NewStreamer(StreamOptions{Tables: []*schema.Table{table}})
	ss := &session{s: st, catalog: catalog, types: newTypeResolver(catalog), spills: map[uint32]*spillFile{},
		emit: func(c schema.Change) error { changes++; return nil }}
	for _, m := range msgs { // the first pass takes in the Relation message
		if err := ss.wal(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	if changes != benchTxns*datagen.TxnChanges {
		b.Fatalf("decoded %d changes, want %d", changes, benchTxns*datagen.TxnChanges)
	}
	var txns [][][]byte
	for i := 0; i < len(msgs); {
		if msgs[i][0] != 'B' {
			i++
			continue
		}
		txns = append(txns, msgs[i:i+datagen.TxnChanges+2])
		i += datagen.TxnChanges + 2
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%len(txns) == 0 {
			st.last = Position{} // replay the recording: positions repeat
		}
		for _, m := range txns[i%len(txns)] {
			if err := ss.wal(ctx, m); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	perChange := float64(b.N * datagen.TxnChanges)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/perChange, "ns/change")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/perChange, "B/change")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/perChange, "allocs/change")
}

// BenchmarkStreamFromSlot streams workload transactions already in the slot through a
// real replication connection (receive, parse, decode, emit): the walsender is part of
// what it measures, as in scripts/bench.sh. One op is 20,000 changes.
func BenchmarkStreamFromSlot(b *testing.B) {
	e, table := cdcBenchEnv(b)
	ctx := context.Background()
	conn := e.srv.Conn(b, e.db)
	next := int64(0)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		slot := fmt.Sprintf("fs%d_%s", i, e.db)
		if _, err := conn.Exec(ctx, "SELECT pg_create_logical_replication_slot($1, 'pgoutput')", slot); err != nil {
			b.Fatal(err)
		}
		e.exec(datagen.CallChanges("cdc", next, benchTxns))
		next += benchTxns
		r, err := NewReplicator(e.config(e.srv.ReplUser, e.srv.ReplPassword), ReplicationOptions{Slot: slot, Publication: e.opts.Publication})
		if err != nil {
			b.Fatal(err)
		}
		st := r.NewStreamer(StreamOptions{Tables: []*schema.Table{table}})
		runCtx, cancel := context.WithCancel(ctx)
		var got atomic.Int64
		b.StartTimer()
		err = st.Run(runCtx, 0, func(c schema.Change) error {
			if c.Op != schema.OpDDL && got.Add(1) == benchTxns*datagen.TxnChanges {
				cancel()
			}
			return nil
		})
		b.StopTimer()
		cancel()
		if !errors.Is(err, context.Canceled) || got.Load() != benchTxns*datagen.TxnChanges {
			b.Fatalf("streamed %d changes, then %v", got.Load(), err)
		}
		dropSlotWhenReleased(b, e, slot)
		b.StartTimer()
	}
	b.ReportMetric(float64(b.N*benchTxns*datagen.TxnChanges)/b.Elapsed().Seconds(), "changes/s")
}

// dropSlotWhenReleased drops a slot once the walsender of a closed stream has let go of
// it (a moment after the connection closed); the deadline only bounds a broken run.
func dropSlotWhenReleased(b *testing.B, e *replEnv, slot string) {
	b.Helper()
	conn := e.srv.Conn(b, e.db)
	defer conn.Close(context.Background())
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := conn.Exec(context.Background(), "SELECT pg_drop_replication_slot($1)", slot)
		if err == nil {
			return
		}
		if pgCode(err) != "55006" || time.Now().After(deadline) {
			b.Fatalf("drop slot %s: %v", slot, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
