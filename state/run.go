package state

import (
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/doris-sync/doris-sync/exitcode"
)

// Run is the record of the latest run. Finished is zero while it runs, and stays zero
// when it was killed before it could record its outcome.
type Run struct {
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
	Duration Duration  `json:"duration,omitempty"`
	OK       bool      `json:"ok"`
	ExitCode int       `json:"exit_code"`
	// Error is the run's final error message (error messages carry no secrets).
	Error string `json:"error,omitempty"`
	// Rows counts the rows loaded in this run per Doris table ("db.table").
	Rows map[string]int64 `json:"rows,omitempty"`
}

// StartRun records that a run began at started (its outcome is not known yet).
func (s *State) StartRun(started time.Time) {
	s.LastRun = &Run{Started: started.UTC()}
}

// FinishRun records the outcome of the run StartRun began: err nil is success, else its
// message and exit code (package exitcode). rows is copied.
func (s *State) FinishRun(finished time.Time, err error, rows map[string]int64) {
	if s.LastRun == nil {
		s.LastRun = &Run{Started: finished.UTC()}
	}
	r := s.LastRun
	r.Finished = finished.UTC()
	r.Duration = Duration(r.Finished.Sub(r.Started))
	r.OK = err == nil
	r.ExitCode = exitcode.Of(err)
	r.Error = ""
	if err != nil {
		r.Error = err.Error()
	}
	r.Rows = maps.Clone(rows)
}

// Duration is a time.Duration written as text ("1m30.5s") for people reading the file.
type Duration time.Duration

// MarshalJSON writes the duration as Go duration text, rounded to milliseconds.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).Round(time.Millisecond).String())
}

// UnmarshalJSON reads Go duration text.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	*d = Duration(v)
	return nil
}
