package metrics

import (
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/doris-sync/doris-sync/state"
)

// ContentType is the media type of the Prometheus text exposition format 0.0.4.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// phases lists every phase for the enum-style doris_sync_phase gauge, in job order.
var phases = []state.Phase{state.PhasePlanning, state.PhaseSnapshot, state.PhaseStreaming, state.PhaseDone}

// tableMetric is one per-table family: the value of a table, or false when the table
// has no sample in it.
type tableMetric struct {
	name, typ, help string
	value           func(TableSnapshot) (float64, bool)
}

func fed(f func(TableSnapshot) int64) func(TableSnapshot) (float64, bool) {
	return func(ts TableSnapshot) (float64, bool) { return float64(f(ts)), ts.Fed }
}

func loaded(f func(TableSnapshot) float64) func(TableSnapshot) (float64, bool) {
	return func(ts TableSnapshot) (float64, bool) { return f(ts), ts.InSink }
}

func seconds(d time.Duration) float64 { return d.Seconds() }

var tableMetrics = []tableMetric{
	{"doris_sync_snapshot_rows_copied", "gauge", "Snapshot rows copied into the table, earlier runs included.",
		fed(func(t TableSnapshot) int64 { return t.RowsCopied })},
	{"doris_sync_snapshot_rows_estimated", "gauge", "Rows the source estimates the snapshot of the table has to copy.",
		fed(func(t TableSnapshot) int64 { return t.RowsEstimated })},
	{"doris_sync_snapshot_chunks_done", "gauge", "Snapshot chunks of the table loaded completely.",
		fed(func(t TableSnapshot) int64 { return t.ChunksDone })},
	{"doris_sync_snapshot_chunks_total", "gauge", "Snapshot chunks of the table planned so far.",
		fed(func(t TableSnapshot) int64 { return t.ChunksTotal })},
	{"doris_sync_snapshot_done", "gauge", "1 when the snapshot of the table is finished, else 0.",
		fed(func(t TableSnapshot) int64 { return b2i(t.SnapshotDone) })},
	{"doris_sync_changes_total", "counter", "Streamed source changes routed to the table in this run.",
		fed(func(t TableSnapshot) int64 { return t.Changes })},
	{"doris_sync_rows_loaded_total", "counter", "Rows durably loaded into the table (delete rows included).",
		loaded(func(t TableSnapshot) float64 { return float64(t.Sink.Rows) })},
	{"doris_sync_bytes_loaded_total", "counter", "Stream Load body bytes durably loaded into the table, before compression.",
		loaded(func(t TableSnapshot) float64 { return float64(t.Sink.Bytes) })},
	{"doris_sync_loads_total", "counter", "Stream Load batches durably loaded into the table.",
		loaded(func(t TableSnapshot) float64 { return float64(t.Sink.Loads) })},
	{"doris_sync_load_retries_total", "counter", "Re-sends of a batch of the table with the same label.",
		loaded(func(t TableSnapshot) float64 { return float64(t.Sink.Retries) })},
	{"doris_sync_load_failures_total", "counter", "Failed Stream Load attempts of the table, transient or not.",
		loaded(func(t TableSnapshot) float64 { return float64(t.Sink.Failures) })},
	{"doris_sync_rows_filtered_total", "counter", "Rows of the table Doris filtered out within max_filter_ratio.",
		loaded(func(t TableSnapshot) float64 { return float64(t.Sink.FilteredRows) })},
	{"doris_sync_deletes_ignored_total", "counter", "Source deletes not applied to the table (DUPLICATE KEY table, or sink.enable-delete=false).",
		loaded(func(t TableSnapshot) float64 { return float64(t.Sink.DeletesIgnored) })},
	{"doris_sync_replay_skipped_total", "counter", "Replayed changes of the table skipped because their batch was already loaded.",
		loaded(func(t TableSnapshot) float64 { return float64(t.Sink.ReplaySkipped) })},
	{"doris_sync_partial_rows_loaded_total", "counter", "Rows of the table loaded as partial-column updates.",
		loaded(func(t TableSnapshot) float64 { return float64(t.Sink.PartialRows) })},
	{"doris_sync_load_seconds_total", "counter", "Time from first send to confirmed load, summed over the table's loads.",
		loaded(func(t TableSnapshot) float64 { return seconds(t.Sink.LoadTime) })},
	{"doris_sync_load_seconds_max", "gauge", "Longest time from first send to confirmed load of one batch of the table.",
		loaded(func(t TableSnapshot) float64 { return seconds(t.Sink.MaxLoadTime) })},
	{"doris_sync_buffered_rows", "gauge", "Rows of the table waiting in memory (buffered, queued or in flight).",
		loaded(func(t TableSnapshot) float64 { return float64(t.Sink.BufferedRows) })},
	{"doris_sync_buffered_bytes", "gauge", "Body bytes of the table waiting in memory.",
		loaded(func(t TableSnapshot) float64 { return float64(t.Sink.BufferedBytes) })},
}

// WriteText writes every metric of the registry in the Prometheus text exposition
// format 0.0.4, reading the sink's counters now.
func (r *Registry) WriteText(w io.Writer) error {
	_, err := w.Write(AppendText(nil, r.Snapshot()))
	return err
}

// AppendText appends a snapshot in the Prometheus text exposition format 0.0.4:
// families in a fixed order, tables sorted, a family without samples left out.
func AppendText(b []byte, s Snapshot) []byte {
	e := expo{b: b}
	e.single("doris_sync_info", "gauge", "The job this process runs; always 1.", 1, "job_name", s.Job)
	e.single("doris_sync_start_time_seconds", "gauge", "When the run started, in seconds since the Unix epoch.",
		float64(s.Started.UnixNano())/1e9)
	e.single("doris_sync_healthy", "gauge", "1 while the job runs without error (what /healthz answers 200 for), else 0.",
		float64(b2i(s.Health == nil)))
	e.family("doris_sync_phase", "gauge", "1 for the phase the job is in, 0 for the others.")
	for _, p := range phases {
		e.sample("doris_sync_phase", float64(b2i(s.Phase == p)), "phase", string(p))
	}
	if s.LagKnown {
		e.single("doris_sync_replication_lag_seconds", "gauge",
			"Time from the source's commit of the newest change Doris holds to its load.", s.Lag.Seconds())
	}
	e.single("doris_sync_checkpoints_total", "counter", "Checkpoints saved in this run.", float64(s.Checkpoints))
	if !s.LastCheckpoint.IsZero() {
		e.single("doris_sync_last_checkpoint_timestamp_seconds", "gauge",
			"When the last checkpoint was saved, in seconds since the Unix epoch.", float64(s.LastCheckpoint.UnixNano())/1e9)
	}
	e.single("doris_sync_ddl_applied_total", "counter", "Source DDL statements applied to Doris in this run.", float64(s.DDL))
	e.single("doris_sync_errors_total", "counter", "Errors the job met in this run.", float64(s.Errors))

	for _, m := range tableMetrics {
		header := false
		for _, ts := range s.Tables {
			v, ok := m.value(ts)
			if !ok {
				continue
			}
			if !header {
				e.family(m.name, m.typ, m.help)
				header = true
			}
			e.sample(m.name, v, "db", ts.DB, "table", ts.Table)
		}
	}
	if s.SinkAttached {
		e.single("doris_sync_sink_memory_bytes", "gauge", "Body bytes the Doris sink holds now.", float64(s.MemInUse))
		e.single("doris_sync_sink_memory_peak_bytes", "gauge", "Most body bytes the Doris sink held at once.", float64(s.MemPeak))
		e.single("doris_sync_sink_memory_waits_total", "counter", "Writes that waited for sink memory (back-pressure).", float64(s.MemWait))
	}
	return e.b
}

type expo struct{ b []byte }

func (e *expo) family(name, typ, help string) {
	e.b = append(e.b, "# HELP "...)
	e.b = append(e.b, name...)
	e.b = append(e.b, ' ')
	e.b = appendEscaped(e.b, help, false)
	e.b = append(e.b, "\n# TYPE "...)
	e.b = append(e.b, name...)
	e.b = append(e.b, ' ')
	e.b = append(e.b, typ...)
	e.b = append(e.b, '\n')
}

// sample writes one line; labels are name, value pairs.
func (e *expo) sample(name string, v float64, labels ...string) {
	e.b = append(e.b, name...)
	if len(labels) > 0 {
		e.b = append(e.b, '{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = append(e.b, labels[i]...)
			e.b = append(e.b, `="`...)
			e.b = appendEscaped(e.b, labels[i+1], true)
			e.b = append(e.b, '"')
		}
		e.b = append(e.b, '}')
	}
	e.b = append(e.b, ' ')
	e.b = appendFloat(e.b, v)
	e.b = append(e.b, '\n')
}

func (e *expo) single(name, typ, help string, v float64, labels ...string) {
	e.family(name, typ, help)
	e.sample(name, v, labels...)
}

// appendEscaped escapes as the format asks: backslash and line feed everywhere, and
// the double quote inside label values.
func appendEscaped(b []byte, s string, quote bool) []byte {
	if !strings.ContainsAny(s, "\\\n\"") {
		return append(b, s...)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '"' && quote:
			b = append(b, `\"`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendFloat writes a sample value: integers without a fraction, other numbers in
// the shortest decimal form, and the format's spellings of infinities and NaN.
func appendFloat(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	case math.Abs(v) < 1e15:
		return strconv.AppendFloat(b, v, 'f', -1, 64)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
