package sync

import (
	"fmt"

	"github.com/doris-sync/doris-sync/sink"
	"github.com/doris-sync/doris-sync/state"
)

// stateJournal keeps the sink's batch records in the job's state file, so a restarted
// run cuts replayed changes into the same batches with the same labels. Its epoch is
// the state's, kept across runs. Record saves the state before it returns: the writer
// sends a batch only once its record is durable.
type stateJournal struct {
	l *ledger
}

var _ sink.Journal = stateJournal{}

// Epoch implements sink.Journal.
func (j stateJournal) Epoch() string {
	j.l.mu.Lock()
	defer j.l.mu.Unlock()
	return j.l.st.Epoch
}

// Record implements sink.Journal.
func (j stateJournal) Record(rec sink.BatchRecord) error {
	j.l.mu.Lock()
	defer j.l.mu.Unlock()
	if err := j.l.st.AddLoad(loadRecord(rec)); err != nil {
		return err
	}
	return j.l.saveLocked()
}

// Records implements sink.Journal.
func (j stateJournal) Records() ([]sink.BatchRecord, error) {
	j.l.mu.Lock()
	defer j.l.mu.Unlock()
	out := make([]sink.BatchRecord, 0, len(j.l.st.Loads))
	for _, l := range j.l.st.Loads {
		r, err := batchRecord(l)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Forget implements sink.Journal. The records go with the next save: until then a
// restart finds them, which is harmless because it replays from the saved checkpoint,
// after them.
func (j stateJournal) Forget(through uint64) error {
	j.l.mu.Lock()
	defer j.l.mu.Unlock()
	j.l.st.ForgetLoads(through)
	return nil
}

func loadRecord(r sink.BatchRecord) state.LoadRecord {
	st := state.LoadSending
	switch r.State {
	case sink.BatchPrecommitted:
		st = state.LoadPrecommitted
	case sink.BatchLoaded:
		st = state.LoadCommitted
	}
	return state.LoadRecord{
		Label: r.Label, DB: r.DB, Table: r.Table,
		FirstSeq: r.FirstSeq, FirstOrd: r.FirstOrd, LastSeq: r.LastSeq, LastOrd: r.LastOrd,
		Changes: r.Changes, TwoPhase: r.TwoPhase, TxnID: r.TxnID, State: st, Updated: r.Updated.UTC(),
	}
}

func batchRecord(l state.LoadRecord) (sink.BatchRecord, error) {
	var st sink.BatchState
	switch l.State {
	case state.LoadSending:
		st = sink.BatchSending
	case state.LoadPrecommitted:
		st = sink.BatchPrecommitted
	case state.LoadCommitted:
		st = sink.BatchLoaded
	default:
		return sink.BatchRecord{}, fmt.Errorf("journal: load %s has unknown state %q", l.Label, l.State)
	}
	return sink.BatchRecord{
		Label: l.Label, DB: l.DB, Table: l.Table,
		FirstSeq: l.FirstSeq, FirstOrd: l.FirstOrd, LastSeq: l.LastSeq, LastOrd: l.LastOrd,
		Changes: l.Changes, TwoPhase: l.TwoPhase, TxnID: l.TxnID, State: st, Updated: l.Updated,
	}, nil
}
