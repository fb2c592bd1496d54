// Package latency measures how long a committed source row takes to become visible in
// the Doris stand-in, for scripts/bench.sh's latency scenario.
//
// The method: a writer inserts rows with increasing ids at a steady rate, one autocommit
// statement per transaction, and notes for every transaction the number of rows
// committed so far and the time COMMIT returned. A watcher polls the stand-in's record of
// finished loads (GET /_standin/loads; a load is recorded after it committed, before
// doris-sync hears the answer) and notes when the count of rows loaded into the table
// grew. doris-sync loads one table's rows in source order, one load at a time, so row n
// is visible once n rows are loaded; a transaction's latency is the first sighting that
// covers its last row minus its commit time, counted once per row. Sightings are late by
// at most one poll interval plus an HTTP round trip, so the figures are upper bounds.
package latency

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"time"
)

// Commit is one source transaction: after it, Rows rows in all were committed; At is
// when its COMMIT returned.
type Commit struct {
	Rows int64
	At   time.Time
}

// Sighting says that at At the first Rows rows were visible in the stand-in.
type Sighting struct {
	Rows int64
	At   time.Time
}

// Summary is the latency distribution over rows.
type Summary struct {
	Rows          int64
	P50, P99, Max time.Duration
}

// Measure matches each commit with the first sighting that covers it. Commits and
// sightings must be in time order, with Rows counted from the same origin.
func Measure(commits []Commit, seen []Sighting) (Summary, error) {
	type sample struct {
		lat  time.Duration
		rows int64
	}
	samples := make([]sample, 0, len(commits))
	var prev, total int64
	j := 0
	for _, c := range commits {
		for j < len(seen) && seen[j].Rows < c.Rows {
			j++
		}
		if j == len(seen) {
			return Summary{}, fmt.Errorf("row %d (committed %s) was never seen visible; last sighting covers %d rows",
				c.Rows, c.At.Format(time.RFC3339Nano), lastRows(seen))
		}
		lat := max(seen[j].At.Sub(c.At), 0) // a poll that raced the commit's return
		samples = append(samples, sample{lat, c.Rows - prev})
		total += c.Rows - prev
		prev = c.Rows
	}
	if total == 0 {
		return Summary{}, errors.New("no rows were committed")
	}
	slices.SortFunc(samples, func(a, b sample) int { return cmp.Compare(a.lat, b.lat) })
	// Nearest rank over rows: the latency that q of all rows did not exceed.
	quantile := func(q float64) time.Duration {
		rank := int64(math.Ceil(q * float64(total)))
		var acc int64
		for _, s := range samples {
			acc += s.rows
			if acc >= rank {
				return s.lat
			}
		}
		return samples[len(samples)-1].lat
	}
	return Summary{Rows: total, P50: quantile(0.50), P99: quantile(0.99), Max: samples[len(samples)-1].lat}, nil
}

func lastRows(seen []Sighting) int64 {
	if len(seen) == 0 {
		return 0
	}
	return seen[len(seen)-1].Rows
}

// loadRecord is the part of the stand-in's LoadRecord the watcher reads.
type loadRecord struct {
	DB             string `json:"db"`
	Table          string `json:"table"`
	Label          string `json:"label"`
	TwoPhaseCommit bool   `json:"two_phase_commit"`
	Status         string `json:"status"`
	Message        string `json:"message"`
	LoadedRows     int64  `json:"loaded_rows"`
	FilteredRows   int64  `json:"filtered_rows"`
}

// Watcher counts the rows loaded into one Doris table from the stand-in's load records.
type Watcher struct {
	URL    string // stand-in FE HTTP base, e.g. http://127.0.0.1:8030
	DB     string
	Table  string
	Client *http.Client

	consumed int   // load records already counted
	rows     int64 // rows loaded into DB.Table by those records
}

// Skip marks every load recorded so far as seen, so Rows counts from now.
func (w *Watcher) Skip(ctx context.Context) error {
	recs, err := w.fetch(ctx)
	if err != nil {
		return err
	}
	w.consumed = len(recs)
	return nil
}

// Rows is the number of rows loaded into the table since Skip, as of the last Poll.
func (w *Watcher) Rows() int64 { return w.rows }

// Poll reads the load records and adds the rows of the new ones. A load that failed, was
// filtered or used two-phase commit (visible only at its commit) is an error: the count
// would no longer say which rows are visible.
func (w *Watcher) Poll(ctx context.Context) (int64, error) {
	recs, err := w.fetch(ctx)
	if err != nil {
		return w.rows, err
	}
	if len(recs) < w.consumed {
		return w.rows, fmt.Errorf("the stand-in dropped load records (%d now, %d seen before): too many loads for one run", len(recs), w.consumed)
	}
	for _, r := range recs[w.consumed:] {
		if r.DB != w.DB || r.Table != w.Table {
			continue
		}
		switch {
		case r.Status != "Success" && r.Status != "Publish Timeout":
			return w.rows, fmt.Errorf("load %s into %s.%s: status %q: %s", r.Label, r.DB, r.Table, r.Status, r.Message)
		case r.TwoPhaseCommit:
			return w.rows, fmt.Errorf("load %s into %s.%s used two-phase commit: rows are visible at its commit, which the load records do not show", r.Label, r.DB, r.Table)
		case r.FilteredRows > 0:
			return w.rows, fmt.Errorf("load %s into %s.%s filtered %d rows", r.Label, r.DB, r.Table, r.FilteredRows)
		}
		w.rows += r.LoadedRows
	}
	w.consumed = len(recs)
	return w.rows, nil
}

func (w *Watcher) fetch(ctx context.Context) ([]loadRecord, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.URL+"/_standin/loads", nil)
	if err != nil {
		return nil, fmt.Errorf("read stand-in loads: %w", err)
	}
	c := w.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("read stand-in loads: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("read stand-in loads: HTTP %d: %s", resp.StatusCode, b)
	}
	var recs []loadRecord
	if err := json.NewDecoder(resp.Body).Decode(&recs); err != nil {
		return nil, fmt.Errorf("read stand-in loads: %w", err)
	}
	return recs, nil
}
