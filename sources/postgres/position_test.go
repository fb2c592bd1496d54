package postgres

import (
	"errors"
	"testing"

	"github.com/doris-sync/doris-sync/schema"
)

func TestPositionJSONRoundTrip(t *testing.T) {
	for _, p := range []Position{
		{Commit: 0x16B374D848, Seq: 3},
		{Commit: 0x16B374D848, Seq: 7, End: 0x16B374D900},
		BoundaryPosition(0x1000),
	} {
		data, err := schema.MarshalPosition(p)
		if err != nil {
			t.Fatal(err)
		}
		back, err := schema.UnmarshalPosition(data)
		if err != nil {
			t.Fatalf("%s: %v", data, err)
		}
		if back != schema.Position(p) {
			t.Errorf("%s: got %#v, want %#v", data, back, p)
		}
	}
	data, _ := schema.MarshalPosition(Position{Commit: 0x16B374D848, Seq: 2, End: 0x16B374D900})
	if want := `{"kind":"postgres","value":{"commit":"16/B374D848","seq":2,"end":"16/B374D900"}}`; string(data) != want {
		t.Errorf("encoded as %s, want %s", data, want)
	}
	for _, bad := range []string{`{"kind":"postgres","value":{"seq":1}}`, `{"kind":"postgres","value":{"commit":"x/y"}}`} {
		if _, err := schema.UnmarshalPosition([]byte(bad)); err == nil {
			t.Errorf("%s: want an error", bad)
		}
	}
}

func TestPositionOrderAndBoundary(t *testing.T) {
	ordered := []Position{
		BoundaryPosition(100), // the snapshot at the consistent point
		{Commit: 100, Seq: 1},
		{Commit: 100, Seq: 2},
		{Commit: 100, Seq: 3, End: 180},
		{Commit: 200, Seq: 1, End: 260},
	}
	for i := range ordered {
		for j := range ordered {
			got, err := schema.ComparePositions(ordered[i], ordered[j])
			want := lessToOrder(i < j)
			if i == j {
				want = 0
			}
			if err != nil || got != want {
				t.Errorf("compare %v with %v: got %d %v, want %d", ordered[i], ordered[j], got, err, want)
			}
		}
	}
	if _, ok := (Position{Commit: 100, Seq: 2}).Boundary(); ok {
		t.Error("a change inside a transaction is not a boundary")
	}
	if lsn, ok := (Position{Commit: 100, Seq: 3, End: 180}).Boundary(); !ok || lsn != 180 {
		t.Errorf("the last change of a transaction: got %v %v, want 180", lsn, ok)
	}
	if _, err := (Position{Commit: 1}).Compare(otherKind{}); !errors.Is(err, schema.ErrIncomparable) {
		t.Errorf("another kind: got %v", err)
	}
}

type otherKind struct{}

func (otherKind) Kind() string                         { return "other" }
func (otherKind) String() string                       { return "other" }
func (otherKind) Compare(schema.Position) (int, error) { return 0, nil }

func TestParseLSN(t *testing.T) {
	l, err := ParseLSN("16/B374D848")
	if err != nil || l != 0x16B374D848 || l.String() != "16/B374D848" {
		t.Errorf("got %v %v", l, err)
	}
	if _, err := ParseLSN("nope"); err == nil {
		t.Error("want an error")
	}
}
