// Package metrics is the operator's view of a running job: a small registry of
// counters and gauges the engine feeds, served as Prometheus metrics with /healthz
// (--metrics-addr), drawn as a progress display on a terminal or logged as a periodic
// one-line summary (--progress), and summed up in one line when the run ends.
//
// # Who counts what
//
// Every number has exactly one owner, so nothing is counted twice:
//
//   - The engine owns what only it knows and feeds it through the registry: per
//     Doris table the snapshot progress (rows copied, estimated total, chunks done and
//     planned, copy done) and the streamed changes; per job the phase, the replication
//     lag, checkpoints, applied DDL and errors. Counters are atomics behind handles the
//     engine looks up once per table (Registry.Table), so an increment per row costs a
//     few nanoseconds and no lock.
//   - The sink owns what it loads: rows, bytes, loads, retries, failed attempts,
//     filtered rows, buffered rows, memory. The registry does not copy these: it reads
//     sink.Writer.Stats() and MemoryStats() at the moment a scrape, a redraw or the
//     summary asks (Registry.AttachSink), so the sink's atomics are the only counters.
//
// Tables are named by their Doris database and table, the names the sink uses; with
// --multi-to-one-* several source tables feed one Doris table, and the engine adds
// their snapshot numbers into that table's gauges.
//
// A nil *Registry, *Table, *Counter or *Gauge is valid and does nothing, so the engine
// needs no checks when it runs without an operator's view (tests, --dry-run).
package metrics
