package state

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Summary is what `doris-sync status` shows of one job.
type Summary struct {
	Job  string
	File string
	// Err says why the file could not be read; the fields below are then empty.
	Err      error
	Phase    Phase
	Position string // the checkpointed position as its JSON text, "" before the first
	LastRun  *Run
	Tables   []TableSummary // by source table name
	// LoadsInFlight counts loads recorded and not yet covered by a checkpoint.
	LoadsInFlight int
	Updated       time.Time
	// SourceTime and CheckpointTime are those of the last checkpoint (see State);
	// zero when unknown.
	SourceTime, CheckpointTime time.Time
	PositionLost               string // why the saved position is gone, "" if it is not
}

// Lag is how far behind the source the job was at its last checkpoint: the checkpoint's
// wall time minus the commit time of the newest transaction it covers; false when
// either is unknown.
func (s Summary) Lag() (time.Duration, bool) {
	if s.SourceTime.IsZero() || s.CheckpointTime.IsZero() {
		return 0, false
	}
	return max(s.CheckpointTime.Sub(s.SourceTime), 0), true
}

// TableSummary is the snapshot progress of one source table.
type TableSummary struct {
	Source, Doris       string
	Rows, TotalEstimate int64
	Chunks, ChunksDone  int
	SnapshotDone        bool
}

// List summarises every job saved under dir, sorted by job name. It takes no locks and
// works while the jobs run: Save replaces files by rename, so each read sees one whole
// version. A file that cannot be read is listed with Err set; a missing dir is an error.
func List(dir string) ([]Summary, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list jobs in state directory: %w", err)
	}
	var out []Summary
	for _, e := range entries {
		name := e.Name()
		// Temp files are "<stem>.json.tmp-…", so they never end in .json.
		if e.IsDir() || !strings.HasSuffix(name, stateSuffix) {
			continue
		}
		out = append(out, summarise(filepath.Join(dir, name), strings.TrimSuffix(name, stateSuffix)))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Job < out[j].Job })
	return out, nil
}

func summarise(path, stem string) Summary {
	sum := Summary{File: path}
	sum.Job, sum.Err = jobFromStem(stem)
	if sum.Err != nil {
		sum.Job = stem
		return sum
	}
	data, err := os.ReadFile(path)
	if err != nil {
		sum.Err = fmt.Errorf("read state of job %q: %w", sum.Job, err)
		return sum
	}
	st, err := decodeState(data)
	if err != nil {
		sum.Err = fmt.Errorf("read state of job %q from %s: %w", sum.Job, path, err)
		return sum
	}
	if st.JobName != "" {
		sum.Job = st.JobName
	}
	sum.Phase = st.Phase
	sum.Position = string(st.Position)
	sum.LastRun = st.LastRun
	sum.LoadsInFlight = len(st.Loads)
	sum.Updated = st.Updated
	sum.SourceTime, sum.CheckpointTime = st.SourceTime, st.CheckpointTime
	sum.PositionLost = st.PositionLost
	for _, t := range st.Snapshot {
		sum.Tables = append(sum.Tables, TableSummary{
			Source: t.SourceTable, Doris: t.DorisTable,
			Rows: t.RowsCopied, TotalEstimate: t.TotalEstimate,
			Chunks: t.Chunks, ChunksDone: t.ChunksDone(), SnapshotDone: t.Done,
		})
	}
	sort.Slice(sum.Tables, func(i, j int) bool { return sum.Tables[i].Source < sum.Tables[j].Source })
	return sum
}
