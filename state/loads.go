package state

import (
	"fmt"
	"time"
)

// LoadState is where a recorded load stands.
type LoadState string

// The states of a load in flight.
const (
	// LoadSending: recorded, about to be or being sent; Doris may or may not have it.
	LoadSending LoadState = "sending"
	// LoadPrecommitted: a two-phase load was precommitted as TxnID, not yet visible.
	// Doris aborts it one hour after the precommit unless it is committed.
	LoadPrecommitted LoadState = "precommitted"
	// LoadCommitted: Doris confirmed the rows are in; kept until a checkpoint covers it.
	LoadCommitted LoadState = "committed"
)

func (s LoadState) valid() bool {
	return s == LoadSending || s == LoadPrecommitted || s == LoadCommitted
}

// LoadRecord is one Stream Load of one Doris table, recorded before it is sent so a
// restarted run cuts replayed changes into the same batch (same label, refused by Doris
// as a duplicate) or resolves its two-phase transaction. The batch holds the table's
// changes from (FirstSeq, FirstOrd) through (LastSeq, LastOrd), Changes of them.
type LoadRecord struct {
	Label    string    `json:"label"`
	DB       string    `json:"db"`
	Table    string    `json:"table"`
	FirstSeq uint64    `json:"first_seq"`
	FirstOrd uint32    `json:"first_ord"`
	LastSeq  uint64    `json:"last_seq"`
	LastOrd  uint32    `json:"last_ord"`
	Changes  int       `json:"changes"`
	TwoPhase bool      `json:"two_phase,omitempty"`
	TxnID    int64     `json:"txn_id,omitempty"`
	State    LoadState `json:"state"`
	// Updated is when the record last changed. Doris forgets a label 12 h after its
	// load finished and aborts a precommitted transaction after 1 h; a resumed run
	// compares against it to know what Doris can still answer for.
	Updated time.Time `json:"updated"`
}

// AddLoad records l, replacing the record with the same label in place (keeping the
// order in which loads were first recorded). The label and state are required; a zero
// Updated is set to now.
func (s *State) AddLoad(l LoadRecord) error {
	if l.Label == "" {
		return fmt.Errorf("record load of %s.%s: no label", l.DB, l.Table)
	}
	if !l.State.valid() {
		return fmt.Errorf("record load %s: unknown state %q", l.Label, l.State)
	}
	if l.Updated.IsZero() {
		l.Updated = time.Now().UTC()
	}
	for i := range s.Loads {
		if s.Loads[i].Label == l.Label {
			s.Loads[i] = l
			return nil
		}
	}
	s.Loads = append(s.Loads, l)
	return nil
}

// ResolveLoad drops the record of label and reports whether there was one.
func (s *State) ResolveLoad(label string) bool {
	for i := range s.Loads {
		if s.Loads[i].Label == label {
			s.Loads = append(s.Loads[:i], s.Loads[i+1:]...)
			return true
		}
	}
	return false
}

// ForgetLoads drops the records whose LastSeq ≤ through: a checkpoint at sequence
// through was saved, so those changes are never replayed.
func (s *State) ForgetLoads(through uint64) {
	kept := s.Loads[:0]
	for _, l := range s.Loads {
		if l.LastSeq > through {
			kept = append(kept, l)
		}
	}
	clear(s.Loads[len(kept):]) // drop references held past the new length
	s.Loads = kept
}

// LoadsOf returns the records of one Doris table, in recording order.
func (s *State) LoadsOf(db, table string) []LoadRecord {
	var out []LoadRecord
	for _, l := range s.Loads {
		if l.DB == db && l.Table == table {
			out = append(out, l)
		}
	}
	return out
}
