package state

import (
	"encoding/json"
	"fmt"
)

// SchemaVersion is a source table's shape from Position on, until the next version.
type SchemaVersion struct {
	// Position is where this shape takes effect (the DDL's position), as the source
	// encoded it.
	Position json.RawMessage `json:"position"`
	// Table is the table's shape as the source serialised it (e.g. a schema.Table).
	Table json.RawMessage `json:"table,omitempty"`
	// DDL is the statement that produced this shape, for operators.
	DDL string `json:"ddl,omitempty"`
}

// AtOrBefore reports whether a stored position is at or before some reference position
// (typically the checkpoint); the source that encoded the positions decides.
type AtOrBefore func(pos json.RawMessage) (bool, error)

// AppendSchema adds the newest shape of a source table. Versions must be appended in
// stream order; that order is what SchemaAt and PruneSchemaHistory rely on.
func (s *State) AppendSchema(table string, v SchemaVersion) error {
	pos, err := compactJSON(v.Position)
	if err != nil || pos == nil {
		return fmt.Errorf("schema history of %s: position is not a JSON value", table)
	}
	shape, err := compactJSON(v.Table)
	if err != nil {
		return fmt.Errorf("schema history of %s: table shape: %w", table, err)
	}
	v.Position, v.Table = pos, shape
	if s.SchemaHistory == nil {
		s.SchemaHistory = map[string][]SchemaVersion{}
	}
	s.SchemaHistory[table] = append(s.SchemaHistory[table], v)
	return nil
}

// SchemaAt returns the shape of a source table in force at a position: the newest
// version at or before it (atOrBefore compares against that position).
func (s *State) SchemaAt(table string, atOrBefore AtOrBefore) (SchemaVersion, bool, error) {
	h := s.SchemaHistory[table]
	for i := len(h) - 1; i >= 0; i-- {
		ok, err := atOrBefore(h[i].Position)
		if err != nil {
			return SchemaVersion{}, false, fmt.Errorf("schema history of %s: %w", table, err)
		}
		if ok {
			return h[i], true, nil
		}
	}
	return SchemaVersion{}, false, nil
}

// PruneSchemaHistory keeps, per table, the versions after the checkpoint and the last
// one at or before it (the shape in force at the checkpoint); atOrBefore compares
// against the checkpoint. Call it after saving a checkpoint so the history stays
// bounded.
func (s *State) PruneSchemaHistory(atOrBefore AtOrBefore) error {
	for table, h := range s.SchemaHistory {
		inForce := -1
		for i := len(h) - 1; i >= 0; i-- {
			ok, err := atOrBefore(h[i].Position)
			if err != nil {
				return fmt.Errorf("prune schema history of %s: %w", table, err)
			}
			if ok {
				inForce = i
				break
			}
		}
		if inForce > 0 {
			s.SchemaHistory[table] = append([]SchemaVersion(nil), h[inForce:]...)
		}
	}
	return nil
}
