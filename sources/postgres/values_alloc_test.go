package postgres

import (
	"fmt"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/internal/slab"
	"github.com/doris-sync/doris-sync/schema"
)

// allocCases are texts of every kind valueAlloc boxes itself, and of some it leaves to
// the decoder.
var allocCases = []struct {
	oid  uint32
	text string
}{
	{oidText, "it's €"}, {oidText, ""}, {oidVarchar, strings.Repeat("x", slab.BytesMaxValue+1)},
	{oidJSONB, `{"a": [1, 2]}`}, {oidNumeric, "-12.50"}, {oidNumeric, "NaN"},
	{oidInt8, "-9223372036854775808"}, {oidInt4, "7"}, {oidInt2, "300"},
	{oidFloat4, "1.1"}, {oidFloat8, "-Infinity"}, {oidFloat8, "0.1"},
	{oidDate, "2024-02-29"}, {oidDate, "infinity"}, {oidTimestamp, "2024-06-04 18:03:37.123456"},
	{oidTimestamptz, "2024-06-04 18:03:37.5+02"},
	{oidBool, "t"}, {oidBytea, `\x00ff`}, {oidMoney, "$1.50"}, {oidXID8, "18446744073709551615"},
}

// TestValueAllocMatchesDecoders: valueAlloc makes the very values the decoders make,
// and fails where they fail.
func TestValueAllocMatchesDecoders(t *testing.T) {
	var a valueAlloc
	for round := 0; round < 2*slab.RowBlock+1; round++ { // across the blocks of every kind
		for _, c := range allocCases {
			cd := builtinCodec(c.oid, -1)
			want, err := cd.decode([]byte(c.text))
			if err != nil {
				t.Fatalf("oid %d %q: %v", c.oid, c.text, err)
			}
			got, err := a.decode(cd, []byte(c.text))
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("oid %d %q: got %#v %v, want %#v", c.oid, c.text, got, err, want)
			}
		}
	}
	for _, c := range []struct {
		oid  uint32
		text string
	}{{oidInt8, "1.5"}, {oidFloat8, "abc"}, {oidDate, "2024-13-01"}, {oidTimestamp, "2024-01-01"}, {oidTimestamptz, "2024-01-01 00:00:00"}, {oidNumeric, ""}} {
		cd := builtinCodec(c.oid, -1)
		_, want := cd.decode([]byte(c.text))
		got, err := a.decode(cd, []byte(c.text))
		if err == nil || want == nil || err.Error() != want.Error() {
			t.Errorf("oid %d %q: got %#v, %v; the decoder says %v", c.oid, c.text, got, err, want)
		}
	}
}

// TestDecodedValuesOutliveTheBuffer: values decoded from an input buffer that is reused
// for the next one, as the stream's is, keep their own contents across blocks, after the
// allocator is gone and the collector has run.
func TestDecodedValuesOutliveTheBuffer(t *testing.T) {
	a := new(valueAlloc)
	var got, want []any
	in := make([]byte, 0, 64)
	for i := 0; i < 3000; i++ {
		in = fmt.Appendf(in[:0], "%d", i*1000003)
		got = append(got, must(a.decode(builtinCodec(oidInt8, -1), in)))
		want = append(want, int64(i*1000003))
		in = fmt.Appendf(in[:0], "name-%d", i)
		got = append(got, must(a.decode(builtinCodec(oidText, -1), in)))
		want = append(want, fmt.Sprintf("name-%d", i))
		in = fmt.Appendf(in[:0], "%d.25", i)
		got = append(got, must(a.decode(builtinCodec(oidNumeric, -1), in)))
		want = append(want, schema.Decimal(fmt.Sprintf("%d.25", i)))
		in = fmt.Appendf(in[:0], `{"k": %d}`, i)
		got = append(got, must(a.decode(builtinCodec(oidJSONB, -1), in)))
		want = append(want, schema.JSON(fmt.Sprintf(`{"k": %d}`, i)))
		got = append(got, must(a.decode(builtinCodec(oidFloat8, -1), []byte("0.5"))))
		want = append(want, 0.5)
		in = fmt.Appendf(in[:0], "2024-01-01 00:00:%02d.123456", i%60)
		got = append(got, must(a.decode(builtinCodec(oidTimestamp, -1), in)))
		want = append(want, time.Date(2024, 1, 1, 0, 0, i%60, 123456000, time.UTC))
		for j := range in[:cap(in)] {
			in[:cap(in)][j] = 0xFF
		}
	}
	a = nil
	runtime.GC()
	runtime.GC()
	for i := range got {
		if g, w := got[i], want[i]; g != w || reflect.TypeOf(g) != reflect.TypeOf(w) {
			t.Fatalf("value %d: got %#v, want %#v", i, g, w)
		}
	}
	if v := must(new(valueAlloc).decode(builtinCodec(oidFloat8, -1), []byte("NaN"))); !math.IsNaN(v.(float64)) {
		t.Errorf("NaN: %v", v)
	}
}

// TestRowDecoderPosition: a position boxed by the decoder is the Position, with its
// methods.
func TestRowDecoderPosition(t *testing.T) {
	var d rowDecoder
	p := Position{Commit: 5, Seq: 2, End: 9}
	pos := d.position(p)
	if got, ok := pos.(Position); !ok || got != p || pos != schema.Position(p) {
		t.Errorf("boxed position: got %#v", pos)
	}
	if order, err := pos.Compare(Position{Commit: 5, Seq: 4}); err != nil || order >= 0 {
		t.Errorf("a boxed position's methods: Compare = %d, %v", order, err)
	}
}

func must(v any, err error) any {
	if err != nil {
		panic(err)
	}
	return v
}
