package metrics

import (
	"bytes"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/sink"
	"github.com/doris-sync/doris-sync/state"
)

// goldenRegistry is a small registry with awkward names: a table named we"ird, one
// with a backslash, and a database with a line feed.
func goldenRegistry() *Registry {
	c := newClock(time.Unix(1_700_000_000, 500_000_000))
	r := New("shop\"sync", c.now)
	r.SetPhase(state.PhaseStreaming)
	w := r.Table("shop", `we"ird`)
	w.RowsCopied().Set(1500)
	w.RowsEstimated().Set(2000)
	w.ChunksDone().Set(3)
	w.ChunksTotal().Set(4)
	w.Changes().Add(42)
	b := r.Table("sh\nop", `back\slash`)
	b.SetSnapshotDone(true)
	c.advance(90 * time.Second)
	r.Checkpointed()
	r.SetLag(1500 * time.Millisecond)
	r.DDLApplied()
	r.AttachSink(&fakeSink{
		stats: []sink.TableStats{{
			DB: "shop", Table: `we"ird`, Rows: 1540, Bytes: 123456, Loads: 3, Retries: 1, Failures: 2,
			FilteredRows: 0, DeletesIgnored: 5, ReplaySkipped: 6, PartialRows: 7,
			LoadTime: 2500 * time.Millisecond, MaxLoadTime: 1250 * time.Millisecond,
			BufferedRows: 2, BufferedBytes: 80,
		}},
		inUse: 80, peak: 4096, waits: 1,
	})
	return r
}

const goldenText = `# HELP doris_sync_info The job this process runs; always 1.
# TYPE doris_sync_info gauge
doris_sync_info{job_name="shop\"sync"} 1
# HELP doris_sync_start_time_seconds When the run started, in seconds since the Unix epoch.
# TYPE doris_sync_start_time_seconds gauge
doris_sync_start_time_seconds 1700000000.5
# HELP doris_sync_healthy 1 while the job runs without error (what /healthz answers 200 for), else 0.
# TYPE doris_sync_healthy gauge
doris_sync_healthy 1
# HELP doris_sync_phase 1 for the phase the job is in, 0 for the others.
# TYPE doris_sync_phase gauge
doris_sync_phase{phase="planning"} 0
doris_sync_phase{phase="snapshot"} 0
doris_sync_phase{phase="streaming"} 1
doris_sync_phase{phase="done"} 0
# HELP doris_sync_replication_lag_seconds Time from the source's commit of the newest change Doris holds to its load.
# TYPE doris_sync_replication_lag_seconds gauge
doris_sync_replication_lag_seconds 1.5
# HELP doris_sync_checkpoints_total Checkpoints saved in this run.
# TYPE doris_sync_checkpoints_total counter
doris_sync_checkpoints_total 1
# HELP doris_sync_last_checkpoint_timestamp_seconds When the last checkpoint was saved, in seconds since the Unix epoch.
# TYPE doris_sync_last_checkpoint_timestamp_seconds gauge
doris_sync_last_checkpoint_timestamp_seconds 1700000090.5
# HELP doris_sync_ddl_applied_total Source DDL statements applied to Doris in this run.
# TYPE doris_sync_ddl_applied_total counter
doris_sync_ddl_applied_total 1
# HELP doris_sync_errors_total Errors the job met in this run.
# TYPE doris_sync_errors_total counter
doris_sync_errors_total 0
# HELP doris_sync_snapshot_rows_copied Snapshot rows copied into the table, earlier runs included.
# TYPE doris_sync_snapshot_rows_copied gauge
doris_sync_snapshot_rows_copied{db="sh\nop",table="back\\slash"} 0
doris_sync_snapshot_rows_copied{db="shop",table="we\"ird"} 1500
# HELP doris_sync_snapshot_rows_estimated Rows the source estimates the snapshot of the table has to copy.
# TYPE doris_sync_snapshot_rows_estimated gauge
doris_sync_snapshot_rows_estimated{db="sh\nop",table="back\\slash"} 0
doris_sync_snapshot_rows_estimated{db="shop",table="we\"ird"} 2000
# HELP doris_sync_snapshot_chunks_done Snapshot chunks of the table loaded completely.
# TYPE doris_sync_snapshot_chunks_done gauge
doris_sync_snapshot_chunks_done{db="sh\nop",table="back\\slash"} 0
doris_sync_snapshot_chunks_done{db="shop",table="we\"ird"} 3
# HELP doris_sync_snapshot_chunks_total Snapshot chunks of the table planned so far.
# TYPE doris_sync_snapshot_chunks_total gauge
doris_sync_snapshot_chunks_total{db="sh\nop",table="back\\slash"} 0
doris_sync_snapshot_chunks_total{db="shop",table="we\"ird"} 4
# HELP doris_sync_snapshot_done 1 when the snapshot of the table is finished, else 0.
# TYPE doris_sync_snapshot_done gauge
doris_sync_snapshot_done{db="sh\nop",table="back\\slash"} 1
doris_sync_snapshot_done{db="shop",table="we\"ird"} 0
# HELP doris_sync_changes_total Streamed source changes routed to the table in this run.
# TYPE doris_sync_changes_total counter
doris_sync_changes_total{db="sh\nop",table="back\\slash"} 0
doris_sync_changes_total{db="shop",table="we\"ird"} 42
# HELP doris_sync_rows_loaded_total Rows durably loaded into the table (delete rows included).
# TYPE doris_sync_rows_loaded_total counter
doris_sync_rows_loaded_total{db="shop",table="we\"ird"} 1540
# HELP doris_sync_bytes_loaded_total Stream Load body bytes durably loaded into the table, before compression.
# TYPE doris_sync_bytes_loaded_total counter
doris_sync_bytes_loaded_total{db="shop",table="we\"ird"} 123456
# HELP doris_sync_loads_total Stream Load batches durably loaded into the table.
# TYPE doris_sync_loads_total counter
doris_sync_loads_total{db="shop",table="we\"ird"} 3
# HELP doris_sync_load_retries_total Re-sends of a batch of the table with the same label.
# TYPE doris_sync_load_retries_total counter
doris_sync_load_retries_total{db="shop",table="we\"ird"} 1
# HELP doris_sync_load_failures_total Failed Stream Load attempts of the table, transient or not.
# TYPE doris_sync_load_failures_total counter
doris_sync_load_failures_total{db="shop",table="we\"ird"} 2
# HELP doris_sync_rows_filtered_total Rows of the table Doris filtered out within max_filter_ratio.
# TYPE doris_sync_rows_filtered_total counter
doris_sync_rows_filtered_total{db="shop",table="we\"ird"} 0
# HELP doris_sync_deletes_ignored_total Source deletes not applied to the table (DUPLICATE KEY table, or sink.enable-delete=false).
# TYPE doris_sync_deletes_ignored_total counter
doris_sync_deletes_ignored_total{db="shop",table="we\"ird"} 5
# HELP doris_sync_replay_skipped_total Replayed changes of the table skipped because their batch was already loaded.
# TYPE doris_sync_replay_skipped_total counter
doris_sync_replay_skipped_total{db="shop",table="we\"ird"} 6
# HELP doris_sync_partial_rows_loaded_total Rows of the table loaded as partial-column updates.
# TYPE doris_sync_partial_rows_loaded_total counter
doris_sync_partial_rows_loaded_total{db="shop",table="we\"ird"} 7
# HELP doris_sync_load_seconds_total Time from first send to confirmed load, summed over the table's loads.
# TYPE doris_sync_load_seconds_total counter
doris_sync_load_seconds_total{db="shop",table="we\"ird"} 2.5
# HELP doris_sync_load_seconds_max Longest time from first send to confirmed load of one batch of the table.
# TYPE doris_sync_load_seconds_max gauge
doris_sync_load_seconds_max{db="shop",table="we\"ird"} 1.25
# HELP doris_sync_buffered_rows Rows of the table waiting in memory (buffered, queued or in flight).
# TYPE doris_sync_buffered_rows gauge
doris_sync_buffered_rows{db="shop",table="we\"ird"} 2
# HELP doris_sync_buffered_bytes Body bytes of the table waiting in memory.
# TYPE doris_sync_buffered_bytes gauge
doris_sync_buffered_bytes{db="shop",table="we\"ird"} 80
# HELP doris_sync_sink_memory_bytes Body bytes the Doris sink holds now.
# TYPE doris_sync_sink_memory_bytes gauge
doris_sync_sink_memory_bytes 80
# HELP doris_sync_sink_memory_peak_bytes Most body bytes the Doris sink held at once.
# TYPE doris_sync_sink_memory_peak_bytes gauge
doris_sync_sink_memory_peak_bytes 4096
# HELP doris_sync_sink_memory_waits_total Writes that waited for sink memory (back-pressure).
# TYPE doris_sync_sink_memory_waits_total counter
doris_sync_sink_memory_waits_total 1
`

func TestExpositionGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := goldenRegistry().WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != goldenText {
		t.Errorf("exposition differs from the golden text:\n%s", lineDiff(got, goldenText))
	}
}

// A registry the engine has not fed and with no sink shows only the job's families.
func TestExpositionLeavesOutEmptyFamilies(t *testing.T) {
	r := New("j", func() time.Time { return time.Unix(10, 0) })
	got := string(AppendText(nil, r.Snapshot()))
	for _, absent := range []string{"doris_sync_replication_lag_seconds", "doris_sync_last_checkpoint_timestamp_seconds",
		"doris_sync_snapshot_rows_copied", "doris_sync_rows_loaded_total", "doris_sync_sink_memory_bytes"} {
		if strings.Contains(got, absent) {
			t.Errorf("empty family %s is written:\n%s", absent, got)
		}
	}
	if !strings.Contains(got, "doris_sync_phase{phase=\"planning\"} 1\n") {
		t.Errorf("a new job is not in the planning phase:\n%s", got)
	}
	if !strings.Contains(got, "doris_sync_start_time_seconds 10\n") {
		t.Errorf("an integral value is not written as an integer:\n%s", got)
	}
}

func TestExpositionMarksUnhealthy(t *testing.T) {
	r := New("j", nil)
	r.Finish(nil)
	if got := string(AppendText(nil, r.Snapshot())); !strings.Contains(got, "\ndoris_sync_healthy 0\n") {
		t.Errorf("a finished job is written as healthy:\n%s", got)
	}
}

func TestAppendFloat(t *testing.T) {
	for _, tt := range []struct {
		v    float64
		want string
	}{
		{0, "0"}, {1, "1"}, {-3, "-3"}, {1.5, "1.5"}, {0.000125, "0.000125"},
		{1e15, "1e+15"}, {math.NaN(), "NaN"}, {math.Inf(1), "+Inf"}, {math.Inf(-1), "-Inf"},
	} {
		if got := string(appendFloat(nil, tt.v)); got != tt.want {
			t.Errorf("appendFloat(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestEscaping(t *testing.T) {
	if got := string(appendEscaped(nil, "a\\b\"c\nd", true)); got != `a\\b\"c\nd` {
		t.Errorf("label value escaped as %q", got)
	}
	// HELP text keeps double quotes.
	if got := string(appendEscaped(nil, "a\\b\"c\nd", false)); got != `a\\b"c\nd` {
		t.Errorf("help text escaped as %q", got)
	}
}

// lineDiff shows the first differing line of two texts.
func lineDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + strconv.Itoa(i+1) + ":\n got  " + gl + "\n want " + wl
		}
	}
	return "(no line differs)"
}

// docs/operations.md lists every metric; a metric added here must be documented there.
func TestOperationsDocListsEveryMetric(t *testing.T) {
	doc, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(goldenText, "\n") {
		name, ok := strings.CutPrefix(line, "# TYPE ")
		if !ok {
			continue
		}
		name = strings.Fields(name)[0]
		n++
		if !bytes.Contains(doc, []byte("`"+name+"`")) && !bytes.Contains(doc, []byte("`"+name+"{")) {
			t.Errorf("docs/operations.md does not list the metric %s", name)
		}
	}
	if n != 9+len(tableMetrics)+3 {
		t.Errorf("the golden text has %d families; the registry writes %d", n, 9+len(tableMetrics)+3)
	}
}
