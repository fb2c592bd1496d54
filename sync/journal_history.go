package sync

import (
	"encoding/json"

	"github.com/doris-sync/doris-sync/state"
)

// stateHistory is the job's schema history in its state file, for sources that decode
// a resumed stream with the shapes in force where each row was written. Appends are
// saved at once: a checkpoint after a DDL must never find its shape missing.
type stateHistory struct {
	l *ledger
}

var _ SchemaHistory = stateHistory{}

// AppendSchema implements SchemaHistory. A version at the position of the table's
// newest one is already there (recorded by the engine or an earlier run).
func (h stateHistory) AppendSchema(table string, pos, shape json.RawMessage, ddl string) error {
	return h.l.update(func(st *state.State) error {
		v := st.SchemaHistory[table]
		if n := len(v); n > 0 && string(v[n-1].Position) == string(pos) {
			return nil
		}
		return st.AppendSchema(table, state.SchemaVersion{Position: pos, Table: shape, DDL: ddl})
	})
}

// SchemaAt implements SchemaHistory.
func (h stateHistory) SchemaAt(table string, atOrBefore func(json.RawMessage) (bool, error)) (json.RawMessage, json.RawMessage, bool, error) {
	var v state.SchemaVersion
	var found bool
	var err error
	h.l.read(func(st *state.State) { v, found, err = st.SchemaAt(table, atOrBefore) })
	if err != nil || !found {
		return nil, nil, false, err
	}
	shape := v.Table
	if shape == nil {
		shape = json.RawMessage("null")
	}
	return v.Position, shape, true, nil
}
