package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
)

// Position is a place in a source's change stream: a binlog file and offset or GTID set,
// a PostgreSQL LSN, a resume token. It is opaque to everything but its source; the rest
// of the system only compares, prints and stores it.
//
// Implementations must be comparable values or pointers to immutable data, must encode
// to JSON with encoding/json, and must be registered with RegisterPositionKind so a
// stored position can be decoded again.
type Position interface {
	// Kind names the implementation ("mysql", "postgres", …); positions of different
	// kinds never compare.
	Kind() string
	// String is a human-readable form for logs and status output.
	String() string
	// Compare returns -1, 0 or +1 as the receiver is before, at or after other. other is
	// of the same kind (ComparePositions checks); an error means the two cannot be
	// ordered (for example GTID sets from different servers).
	Compare(other Position) (int, error)
}

// ErrIncomparable is returned when two positions cannot be ordered.
var ErrIncomparable = errors.New("positions cannot be compared")

// ComparePositions orders a and b, refusing positions of different kinds.
func ComparePositions(a, b Position) (int, error) {
	if a == nil || b == nil {
		return 0, fmt.Errorf("compare positions: %w: nil position", ErrIncomparable)
	}
	if a.Kind() != b.Kind() {
		return 0, fmt.Errorf("compare %s position with %s position: %w", a.Kind(), b.Kind(), ErrIncomparable)
	}
	return a.Compare(b)
}

// PositionDecoder rebuilds a position from the JSON its implementation encoded.
type PositionDecoder func(data json.RawMessage) (Position, error)

var positionKinds = struct {
	sync.RWMutex
	m map[string]PositionDecoder
}{m: map[string]PositionDecoder{}}

// RegisterPositionKind makes a position kind decodable. Sources call it from init; a
// duplicate or empty kind is a programming error and panics.
func RegisterPositionKind(kind string, decode PositionDecoder) {
	if kind == "" || decode == nil {
		panic("schema: RegisterPositionKind needs a kind and a decoder")
	}
	positionKinds.Lock()
	defer positionKinds.Unlock()
	if _, dup := positionKinds.m[kind]; dup {
		panic("schema: position kind " + kind + " registered twice")
	}
	positionKinds.m[kind] = decode
}

type positionEnvelope struct {
	Kind  string          `json:"kind"`
	Value json.RawMessage `json:"value"`
}

// MarshalPosition encodes p together with its kind: {"kind":"mysql","value":{…}}.
func MarshalPosition(p Position) ([]byte, error) {
	if p == nil {
		return nil, errors.New("marshal position: nil position")
	}
	v, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("marshal %s position: %w", p.Kind(), err)
	}
	return json.Marshal(positionEnvelope{Kind: p.Kind(), Value: v})
}

// UnmarshalPosition decodes what MarshalPosition produced, using the decoder registered
// for its kind.
func UnmarshalPosition(data []byte) (Position, error) {
	var env positionEnvelope
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("unmarshal position: %w", err)
	}
	if env.Kind == "" {
		return nil, errors.New("unmarshal position: no kind")
	}
	positionKinds.RLock()
	decode := positionKinds.m[env.Kind]
	positionKinds.RUnlock()
	if decode == nil {
		return nil, fmt.Errorf("unmarshal position: unknown kind %q", env.Kind)
	}
	p, err := decode(env.Value)
	if err != nil {
		return nil, fmt.Errorf("unmarshal %s position: %w", env.Kind, err)
	}
	return p, nil
}
