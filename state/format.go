package state

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// FormatVersion is the version of the state file format this build writes and reads.
// Bump it when a change would make an older build misread a newer file, and add the
// migration from the previous version to decodeState.
const FormatVersion = 1

// Phase is where a job stands.
type Phase string

// The phases of a job, in order.
const (
	PhasePlanning  Phase = "planning"  // discovering tables, creating Doris tables
	PhaseSnapshot  Phase = "snapshot"  // copying existing rows
	PhaseStreaming Phase = "streaming" // applying the change stream
	PhaseDone      Phase = "done"      // nothing left to do (create-table-only, or a finished one-off)
)

func (p Phase) valid() bool {
	switch p {
	case PhasePlanning, PhaseSnapshot, PhaseStreaming, PhaseDone:
		return true
	}
	return false
}

// State is everything a job saves. It is plain data: fields are exported so the sync
// engine can read and set them; the helpers keep the invariants of the nested parts.
// A State is not safe for concurrent use: its owner serialises changes and Save.
type State struct {
	FormatVersion int    `json:"format_version"`
	JobName       string `json:"job_name"`
	// Job identifies the job; nil until Store.Resume gives it one.
	Job *Identity `json:"job"`
	// Epoch names this state's lifetime in load labels (the sink journal's epoch): kept
	// across resumes, new for a new state, so a fresh start never reuses labels Doris
	// still remembers from an earlier one.
	Epoch string `json:"epoch"`
	Phase Phase  `json:"phase"`
	// Position is the stream position of the last checkpoint, as its source encoded it
	// (schema.MarshalPosition); nil before the first checkpoint.
	Position json.RawMessage `json:"position,omitempty"`
	// PositionSeq is the change sequence number the sync engine gave Position, so a
	// replay from it numbers the same changes (and cuts the same batches) again.
	PositionSeq uint64 `json:"position_seq,omitempty"`
	// Snapshot holds per source table ("db.table" as the source names it) the snapshot
	// progress.
	Snapshot map[string]*TableProgress `json:"snapshot"`
	// Loads are the loads in flight: recorded before sending, dropped once a checkpoint
	// covers them. In the order they were first recorded.
	Loads []LoadRecord `json:"loads"`
	// SchemaHistory holds per source table its schema versions in stream order, for
	// sources whose change stream does not carry column names (MySQL without
	// binlog_row_metadata=FULL).
	SchemaHistory map[string][]SchemaVersion `json:"schema_history,omitempty"`
	LastRun       *Run                       `json:"last_run,omitempty"`
	// SourceTime is the source commit time of the newest transaction the last
	// checkpoint covers, and CheckpointTime when that checkpoint was saved: their
	// difference is how far behind the job was then. Zero (and absent from the file)
	// until a checkpoint with a known commit time.
	SourceTime     time.Time `json:"source_time,omitzero"`
	CheckpointTime time.Time `json:"checkpoint_time,omitzero"`
	// PositionLost says why the saved position is gone upstream (a cleanup dropped the
	// replication slot); the next run answers it as a lost position: exit 3, or a new
	// copy with --on-position-lost=resnapshot, which clears it.
	PositionLost string `json:"position_lost,omitempty"`
	// SnapshotBegun is set before a first snapshot asks the source for its start (which
	// may create something upstream, e.g. a PostgreSQL slot) and stays until a position
	// is saved. A run that finds it set with no position knows that whatever the source
	// made for that start belongs to this job and was never used.
	SnapshotBegun bool      `json:"snapshot_begun,omitempty"`
	Created       time.Time `json:"created"`
	Updated       time.Time `json:"updated"`
}

// newState is the state of a job that has never saved one.
func newState(job string) (*State, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("new state of job %q: epoch: %w", job, err)
	}
	return &State{
		FormatVersion: FormatVersion,
		JobName:       job,
		Epoch:         hex.EncodeToString(b[:]),
		Phase:         PhasePlanning,
		Snapshot:      map[string]*TableProgress{},
		Loads:         []LoadRecord{},
	}, nil
}

// SetPosition records the checkpointed stream position. pos must be valid JSON; it is
// stored compacted.
func (s *State) SetPosition(pos json.RawMessage) error {
	c, err := compactJSON(pos)
	if err != nil {
		return fmt.Errorf("set position: %w", err)
	}
	s.Position = c
	return nil
}

// decodeState reads a state file, refusing versions this build does not know.
func decodeState(data []byte) (*State, error) {
	var head struct {
		FormatVersion *int `json:"format_version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("not a valid state file (damaged or edited by hand?): %w", err)
	}
	switch {
	case head.FormatVersion == nil:
		return nil, errors.New("not a doris-sync state file: it has no format_version")
	case *head.FormatVersion > FormatVersion:
		return nil, fmt.Errorf("state format version %d was written by a newer doris-sync (this one reads version %d): run the newer doris-sync, or delete the file to start the job from scratch",
			*head.FormatVersion, FormatVersion)
	case *head.FormatVersion < FormatVersion:
		return nil, fmt.Errorf("state format version %d is not supported by this doris-sync (it reads version %d) and no migration exists: run the doris-sync that wrote it, or delete the file to start the job from scratch",
			*head.FormatVersion, FormatVersion)
	}
	var st State
	dec := json.NewDecoder(bytes.NewReader(data))
	// A misspelt key in a hand-repaired file must not be ignored silently.
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("not a valid state file (damaged or edited by hand?): %w", err)
	}
	if err := st.normalize(); err != nil {
		return nil, fmt.Errorf("not a valid state file (damaged or edited by hand?): %w", err)
	}
	if err := st.validate(); err != nil {
		return nil, fmt.Errorf("inconsistent state file (edited by hand?): %w", err)
	}
	if st.Snapshot == nil {
		st.Snapshot = map[string]*TableProgress{}
	}
	if st.Loads == nil {
		st.Loads = []LoadRecord{}
	}
	return &st, nil
}

// normalize compacts the opaque JSON values the file holds (an indented file spreads
// them over lines), so bounds and positions compare byte for byte again.
func (s *State) normalize() error {
	var err error
	compact := func(r *json.RawMessage) {
		if err == nil {
			*r, err = compactJSON(*r)
		}
	}
	compact(&s.Position)
	for _, t := range s.Snapshot {
		if t == nil {
			continue
		}
		compact(&t.Position)
		for i := range t.Segments {
			compact(&t.Segments[i].Start)
		}
	}
	for _, h := range s.SchemaHistory {
		for i := range h {
			compact(&h[i].Position)
			compact(&h[i].Table)
		}
	}
	return err
}

func (s *State) validate() error {
	if !s.Phase.valid() {
		return fmt.Errorf("unknown phase %q", s.Phase)
	}
	if s.Epoch == "" {
		return errors.New("no epoch")
	}
	for name, t := range s.Snapshot {
		if t == nil {
			return fmt.Errorf("snapshot of %s: empty entry", name)
		}
		if err := t.validate(); err != nil {
			return fmt.Errorf("snapshot of %s: %w", name, err)
		}
	}
	for _, l := range s.Loads {
		if !l.State.valid() {
			return fmt.Errorf("load %s: unknown state %q", l.Label, l.State)
		}
	}
	return nil
}

// compactJSON checks raw is one JSON value and removes insignificant space, so equal
// values compare equal byte for byte. Empty and "null" become nil.
func compactJSON(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if b.String() == "null" {
		return nil, nil
	}
	return b.Bytes(), nil
}
