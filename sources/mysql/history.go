package mysql

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/doris-sync/doris-sync/schema"
)

// SchemaHistory keeps the shape of each tracked table over time, so a stream resumed
// from an old position decodes every row with the shape in force where it was written.
// The job's state store implements it (state.State.AppendSchema/SchemaAt, through a
// thin adapter in sync); MemoryHistory is an in-memory one.
//
// Tables are named by schema.TableID.String(); positions are encoded with
// schema.MarshalPosition, shapes with encoding/json of schema.Table.
type SchemaHistory interface {
	// AppendSchema records that table has shape from pos on. Versions arrive in stream
	// order.
	AppendSchema(table string, pos, shape json.RawMessage, ddl string) error
	// SchemaAt returns the newest version of table whose position atOrBefore accepts
	// (the shape in force at the position atOrBefore compares against).
	SchemaAt(table string, atOrBefore func(pos json.RawMessage) (bool, error)) (pos, shape json.RawMessage, found bool, err error)
}

// MemoryHistory is a SchemaHistory in memory, for tests and runs without a state.
type MemoryHistory struct {
	mu       sync.Mutex
	versions map[string][]memoryVersion
}

type memoryVersion struct {
	pos, shape json.RawMessage
	ddl        string
}

// AppendSchema implements SchemaHistory.
func (h *MemoryHistory) AppendSchema(table string, pos, shape json.RawMessage, ddl string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.versions == nil {
		h.versions = map[string][]memoryVersion{}
	}
	h.versions[table] = append(h.versions[table], memoryVersion{pos: pos, shape: shape, ddl: ddl})
	return nil
}

// SchemaAt implements SchemaHistory.
func (h *MemoryHistory) SchemaAt(table string, atOrBefore func(json.RawMessage) (bool, error)) (json.RawMessage, json.RawMessage, bool, error) {
	h.mu.Lock()
	vs := append([]memoryVersion(nil), h.versions[table]...)
	h.mu.Unlock()
	for i := len(vs) - 1; i >= 0; i-- {
		ok, err := atOrBefore(vs[i].pos)
		if err != nil {
			return nil, nil, false, err
		}
		if ok {
			return vs[i].pos, vs[i].shape, true, nil
		}
	}
	return nil, nil, false, nil
}

// Versions returns how many shapes are recorded for table.
func (h *MemoryHistory) Versions(table string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.versions[table])
}

// atOrBefore returns the comparison SchemaAt needs for position p.
func atOrBefore(p Position) func(json.RawMessage) (bool, error) {
	return func(raw json.RawMessage) (bool, error) {
		q, err := schema.UnmarshalPosition(raw)
		if err != nil {
			return false, err
		}
		c, err := schema.ComparePositions(q, p)
		if err != nil {
			return false, err
		}
		return c <= 0, nil
	}
}

// schemaAt reads the shape of table id in force at p from h.
func schemaAt(h SchemaHistory, id schema.TableID, p Position) (*schema.Table, Position, bool, error) {
	if h == nil {
		return nil, Position{}, false, nil
	}
	rawPos, shape, found, err := h.SchemaAt(id.String(), atOrBefore(p))
	if err != nil || !found {
		return nil, Position{}, false, err
	}
	var t schema.Table
	if len(shape) == 0 || string(shape) == "null" {
		return nil, Position{}, true, nil // dropped at that point
	}
	if err := json.Unmarshal(shape, &t); err != nil {
		return nil, Position{}, false, fmt.Errorf("schema history of %s: %w", id, err)
	}
	vp, err := schema.UnmarshalPosition(rawPos)
	if err != nil {
		return nil, Position{}, false, fmt.Errorf("schema history of %s: %w", id, err)
	}
	pos, _ := vp.(Position)
	return &t, pos, true, nil
}

// recordSchema appends t (nil: the table was dropped) as table id's shape from p on,
// unless the history already holds a version at p (a replay after a restart).
func recordSchema(h SchemaHistory, id schema.TableID, p Position, t *schema.Table, ddl string) error {
	if h == nil {
		return nil
	}
	rawPos, _, found, err := h.SchemaAt(id.String(), atOrBefore(p))
	if err != nil {
		return fmt.Errorf("schema history of %s: %w", id, err)
	}
	if found {
		if q, err := schema.UnmarshalPosition(rawPos); err == nil {
			if c, err := schema.ComparePositions(q, p); err == nil && c == 0 {
				return nil
			}
		}
	}
	pos, err := schema.MarshalPosition(p)
	if err != nil {
		return err
	}
	shape := json.RawMessage("null")
	if t != nil {
		if shape, err = json.Marshal(t); err != nil {
			return fmt.Errorf("schema history of %s: %w", id, err)
		}
	}
	if err := h.AppendSchema(id.String(), pos, shape, ddl); err != nil {
		return fmt.Errorf("schema history of %s: %w", id, err)
	}
	return nil
}

// hasHistory reports whether the history holds any version of table id.
func hasHistory(h SchemaHistory, id schema.TableID) (bool, error) {
	if h == nil {
		return false, nil
	}
	_, _, found, err := h.SchemaAt(id.String(), func(json.RawMessage) (bool, error) { return true, nil })
	return found, err
}
