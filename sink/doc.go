// Package sink loads changes into Apache Doris through Stream Load.
//
// One Writer serves every target table. The caller registers each table (its Doris
// column types as DDL text, its model and key) and then writes changes tagged with a
// sequence number that never decreases; the Writer encodes rows at once (package
// encode), buffers them per table, and loads a table's buffer when it reaches
// sink.buffer-flush.max-rows or max-bytes, or is older than sink.buffer-flush.interval.
// At most sink.parallelism loads run at once and never two of one table, so a table's
// batches are applied in order. Buffered and in-flight bodies are bounded by
// sink.max-memory: Write blocks (never drops) when the bound is reached.
//
// An update whose row holds schema.Unchanged (a value the source did not send) is loaded
// as a partial-column update of the columns present, so Doris keeps the stored value;
// a table's batch is cut wherever the set of columns changes, which keeps every key's
// changes in order (merge-on-write UNIQUE tables only; anything else is an error).
//
// Delivery is exactly-once per batch. Each batch gets a label derived from the job's
// label prefix, the table, the journal's epoch and the batch's identity (first change
// and number of changes); the label is recorded in the Journal before the first byte is
// sent and reused by every retry, so Doris refuses a second copy. After a crash the
// Journal lets the next run cut replayed changes into the same batches with the same
// labels, and commit two-phase loads left precommitted. FlushedThrough reports the
// highest sequence durably loaded for every table; it is the only value that may drive
// checkpoints.
//
// docs/sink.md describes the guarantees, the defaults and failure handling.
package sink
