package postgres

import (
	"encoding/binary"
	"reflect"
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/schema"
)

// tupleCol is one column of a TupleData built for a test: kind 'n', 'u', 't' or 'b'.
type tupleCol struct {
	kind byte
	data string
}

func text(s string) tupleCol { return tupleCol{'t', s} }

var (
	null      = tupleCol{kind: 'n'}
	unchanged = tupleCol{kind: 'u'}
)

func appendTuple(b []byte, cols ...tupleCol) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(cols)))
	for _, c := range cols {
		b = append(b, c.kind)
		if c.kind == 't' || c.kind == 'b' {
			b = binary.BigEndian.AppendUint32(b, uint32(len(c.data)))
			b = append(b, c.data...)
		}
	}
	return b
}

// rowMsg builds a row message: typ, the xid when not 0, the relation id, then tagged
// tuples ("K", "O" or "N" followed by the columns).
func rowMsg(typ byte, xid uint32, parts ...any) []byte {
	b := []byte{typ}
	if xid != 0 {
		b = binary.BigEndian.AppendUint32(b, xid)
	}
	b = binary.BigEndian.AppendUint32(b, 16385)
	var cols []tupleCol
	flush := func() {
		if cols != nil {
			b = appendTuple(b, cols...)
			cols = nil
		}
	}
	for _, p := range parts {
		switch p := p.(type) {
		case string:
			flush()
			b = append(b, p[0])
			cols = []tupleCol{}
		case tupleCol:
			cols = append(cols, p)
		}
	}
	flush()
	return b
}

func testRelation() *relation {
	return &relation{
		id:     schema.TableID{Database: "db", Schema: "public", Name: "t"},
		follow: true,
		cols:   []relColumn{{name: "id", oid: oidInt8}, {name: "v", oid: oidText}, {name: "doc", oid: oidJSONB}},
		codecs: []codec{builtinCodec(oidInt8, -1), builtinCodec(oidText, -1), builtinCodec(oidJSONB, -1)},
	}
}

func TestParseRowMessages(t *testing.T) {
	rel := testRelation()
	var d rowDecoder
	decode := func(tuple []byte, before []any) []any {
		t.Helper()
		if tuple == nil {
			return nil
		}
		row, err := d.row(rel, tuple, before)
		if err != nil {
			t.Fatal(err)
		}
		return row
	}
	cases := []struct {
		name          string
		msg           []byte
		inStream      bool
		op            schema.Op
		xid           uint32
		oldType       byte
		before, after []any
	}{
		{"insert", rowMsg('I', 0, "N", text("1"), text("a"), null), false, schema.OpInsert, 0, 0,
			nil, []any{int64(1), "a", nil}},
		{"streamed insert", rowMsg('I', 7, "N", text("2"), text(""), text(`{"k": 1}`)), true, schema.OpInsert, 7, 0,
			nil, []any{int64(2), "", schema.JSON(`{"k": 1}`)}},
		{"update", rowMsg('U', 0, "N", text("1"), text("b"), unchanged), false, schema.OpUpdate, 0, 0,
			nil, []any{int64(1), "b", schema.Unchanged}},
		{"update of the key", rowMsg('U', 0, "K", text("1"), null, null, "N", text("10"), text("b"), unchanged), false, schema.OpUpdate, 0, 'K',
			[]any{int64(1), nil, nil}, []any{int64(10), "b", schema.Unchanged}},
		{"streamed delete", rowMsg('D', 9, "K", text("3"), null, null), true, schema.OpDelete, 9, 'K',
			[]any{int64(3), nil, nil}, nil},
		{"delete, replica identity full", rowMsg('D', 0, "O", text("3"), text("c"), text("[]")), false, schema.OpDelete, 0, 'O',
			[]any{int64(3), "c", schema.JSON("[]")}, nil},
	}
	for _, c := range cases {
		m, err := parseRowMessage(c.msg, c.inStream)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if m.op != c.op || m.xid != c.xid || m.relID != 16385 || m.oldType != c.oldType {
			t.Errorf("%s: got %s xid %d rel %d old %q", c.name, m.op, m.xid, m.relID, m.oldType)
		}
		if before, after := decode(m.old, nil), decode(m.new, nil); !reflect.DeepEqual(before, c.before) || !reflect.DeepEqual(after, c.after) {
			t.Errorf("%s: got before %#v after %#v, want %#v and %#v", c.name, before, after, c.before, c.after)
		}
	}

	// REPLICA IDENTITY FULL: an unchanged TOAST value is the old row's; an old value
	// that is itself missing (null or unchanged) leaves the marker.
	m, err := parseRowMessage(rowMsg('U', 0, "O", text("1"), text("big"), null, "N", text("1"), unchanged, unchanged), false)
	if err != nil {
		t.Fatal(err)
	}
	before := decode(m.old, nil)
	if after := decode(m.new, before); !reflect.DeepEqual(after, []any{int64(1), "big", schema.Unchanged}) {
		t.Errorf("unchanged TOAST under REPLICA IDENTITY FULL: got %#v", after)
	}
}

func TestRowDecodeErrors(t *testing.T) {
	rel := testRelation()
	var d rowDecoder
	for _, c := range []struct {
		tuple []byte
		want  string
	}{
		{appendTuple(nil, text("1"), text("a")), "has 2 columns, its Relation message 3"},
		{appendTuple(nil, text("x"), text("a"), null), `column id: integer "x"`},
		{appendTuple(nil, text("1"), tupleCol{'b', "\x00"}, null), `column v arrived in format 'b', not text`},
	} {
		if _, err := d.row(rel, c.tuple, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error with %q", err, c.want)
		}
	}
}

// TestParseRowMessageRejectsDamage: a message cut short anywhere, or with something
// where a tuple type belongs, is an error, never a panic or a row read out of bounds.
func TestParseRowMessageRejectsDamage(t *testing.T) {
	whole := [][]byte{
		rowMsg('I', 0, "N", text("1"), text("abc"), null),
		rowMsg('U', 5, "O", text("1"), text("abc"), null, "N", text("1"), unchanged, null),
		rowMsg('D', 0, "K", text("1"), null, null),
	}
	for _, msg := range whole {
		inStream := msg[0] == 'U'
		if _, err := parseRowMessage(msg, inStream); err != nil {
			t.Fatalf("%q: %v", msg, err)
		}
		for n := 1; n < len(msg); n++ {
			if m, err := parseRowMessage(msg[:n], inStream); err == nil {
				t.Errorf("%q cut to %d bytes: parsed as %+v, want an error", msg, n, m)
			}
		}
		if _, err := parseRowMessage(append(msg[:len(msg):len(msg)], 0), inStream); err == nil {
			t.Errorf("%q with a trailing byte: want an error", msg)
		}
	}
	for _, bad := range [][]byte{
		rowMsg('I', 0, "K", text("1"), null, null),            // an insert has no old tuple
		rowMsg('D', 0, "N", text("1"), null, null),            // a delete has no new tuple
		rowMsg('U', 0, "X", text("1"), null, null),            // no such tuple type
		rowMsg('I', 0, "N", tupleCol{'?', ""}, null, null),    // no such column kind
		rowMsg('U', 0, "K", text("1"), null, null, "K", null), // two old tuples
	} {
		if m, err := parseRowMessage(bad, false); err == nil {
			t.Errorf("%q: parsed as %+v, want an error", bad, m)
		}
	}
}
