package slab

import (
	"fmt"
	"math"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/doris-sync/doris-sync/schema"
)

// stamp stands for a source's position: a struct boxed into an interface with methods.
type stamp struct {
	Commit, Seq uint64
	End         uint64
}

func (s stamp) Key() uint64    { return s.Commit<<20 | s.Seq }
func (s stamp) String() string { return fmt.Sprintf("%d/%d/%d", s.Commit, s.Seq, s.End) }

type keyed interface {
	Key() uint64
	String() string
}

// boxCase boxes n values of one type in place and the ordinary way.
type boxCase struct {
	name       string
	comparable bool
	// box returns n values boxed in place by a boxer of its own (dropped on return),
	// and the same values boxed by ordinary conversions.
	box func(n int) (got, want []any)
}

// boxAll boxes value(i) for i < n with box, and the ordinary way. value is called
// twice, so that what a boxed value points to (a string's bytes) is reachable only
// through the box.
func boxAll[T any](n int, box func(T) any, value func(i int) T) (got, want []any) {
	for i := range n {
		got = append(got, box(value(i)))
		want = append(want, any(value(i)))
	}
	return got, want
}

// withBoxer boxes with a Boxer[I, T], and returns the results as any.
func withBoxer[I, T any]() func(T) any {
	b := new(Boxer[I, T])
	return func(v T) any { return b.Box(v) }
}

var when = time.Date(2024, 2, 29, 23, 59, 58, 123456000, time.UTC)

func name(i int) string            { return fmt.Sprintf("héllo-%d", i) }
func big(i int) int64              { return math.MinInt64 + int64(i)*7919 }
func bigU(i int) uint64            { return math.MaxUint64 - uint64(i)*7919 }
func ratio(i int) float64          { return float64(i) / -7 }
func instant(i int) time.Time      { return when.Add(time.Duration(i) * time.Second) }
func raw(i int) []byte             { return fmt.Appendf(nil, "\x00\xff%d", i) }
func decimal(i int) schema.Decimal { return schema.Decimal(fmt.Sprintf("-%d.50", i)) }
func doc(i int) schema.JSON        { return schema.JSON(fmt.Sprintf(`{"a": [%d]}`, i)) }
func mark(i int) stamp             { return stamp{Commit: uint64(i), Seq: uint64(i % 3), End: 9} }

var zone = time.FixedZone("X", 5*3600)

// boxCases are the types the sources box, through every boxer that takes them.
var boxCases = []boxCase{
	{"Strings[string]", true, func(n int) ([]any, []any) { return boxAll(n, new(Strings[string]).Box, name) }},
	{"Strings[string] empty", true, func(n int) ([]any, []any) {
		return boxAll(n, new(Strings[string]).Box, func(int) string { return "" })
	}},
	{"Strings[schema.Decimal]", true, func(n int) ([]any, []any) { return boxAll(n, new(Strings[schema.Decimal]).Box, decimal) }},
	{"Strings[schema.JSON]", true, func(n int) ([]any, []any) { return boxAll(n, new(Strings[schema.JSON]).Box, doc) }},
	{"Int64s", true, func(n int) ([]any, []any) { return boxAll(n, new(Int64s).Box, big) }},
	{"Uint64s", true, func(n int) ([]any, []any) { return boxAll(n, new(Uint64s).Box, bigU) }},
	{"Float64s", true, func(n int) ([]any, []any) { return boxAll(n, new(Float64s).Box, ratio) }},
	{"Times", true, func(n int) ([]any, []any) { return boxAll(n, new(Times).Box, instant) }},
	{"Times, fixed zone", true, func(n int) ([]any, []any) {
		return boxAll(n, new(Times).Box, func(i int) time.Time { return instant(i).In(zone) })
	}},
	{"ByteSlices", false, func(n int) ([]any, []any) { return boxAll(n, new(ByteSlices).Box, raw) }},
	{"Boxer[any, string]", true, func(n int) ([]any, []any) { return boxAll(n, withBoxer[any, string](), name) }},
	{"Boxer[any, schema.Decimal]", true, func(n int) ([]any, []any) { return boxAll(n, withBoxer[any, schema.Decimal](), decimal) }},
	{"Boxer[any, int64]", true, func(n int) ([]any, []any) { return boxAll(n, withBoxer[any, int64](), big) }},
	{"Boxer[any, float64]", true, func(n int) ([]any, []any) { return boxAll(n, withBoxer[any, float64](), ratio) }},
	{"Boxer[any, time.Time]", true, func(n int) ([]any, []any) { return boxAll(n, withBoxer[any, time.Time](), instant) }},
	{"Boxer[any, []byte]", false, func(n int) ([]any, []any) { return boxAll(n, withBoxer[any, []byte](), raw) }},
	{"Boxer[keyed, stamp]", true, func(n int) ([]any, []any) { return boxAll(n, withBoxer[keyed, stamp](), mark) }},
	{"Boxer[any, stamp]", true, func(n int) ([]any, []any) { return boxAll(n, withBoxer[any, stamp](), mark) }},
}

// TestBoxedValuesAreOrdinaryValues: values boxed in place behave like the runtime's own
// boxes in every way the engine and the sink use them (==, type switches, reflection,
// formatting, method calls), across several blocks, and stay intact after the boxer and
// every other reference to its blocks are gone and the collector has run, with the
// memory a wrongly freed block would go to filled with other data.
func TestBoxedValuesAreOrdinaryValues(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(1)) // collect all the time
	const n = 3*blockBytes/8 + 5                    // at least three blocks of every type
	got := make([][]any, len(boxCases))
	want := make([][]any, len(boxCases))
	for i, c := range boxCases {
		got[i], want[i] = c.box(n)
	}
	runtime.GC()
	runtime.GC()
	litter()
	for i, c := range boxCases {
		for j := range got[i] {
			if err := sameValue(got[i][j], want[i][j], c.comparable); err != nil {
				t.Fatalf("%s, value %d: %v", c.name, j, err)
			}
		}
	}
}

// sameValue reports how g, boxed in place, differs from w, boxed by the runtime.
func sameValue(g, w any, comparable bool) error {
	if reflect.TypeOf(g) != reflect.TypeOf(w) {
		return fmt.Errorf("type %v, want %v", reflect.TypeOf(g), reflect.TypeOf(w))
	}
	if !reflect.DeepEqual(g, w) {
		return fmt.Errorf("DeepEqual: %#v, want %#v", g, w)
	}
	if fmt.Sprint(g) != fmt.Sprint(w) || fmt.Sprintf("%#v", g) != fmt.Sprintf("%#v", w) {
		return fmt.Errorf("printed %#v, want %#v", g, w)
	}
	if comparable {
		if g != w || w != g {
			return fmt.Errorf("%#v != %#v", g, w)
		}
	} else if gp, wp := comparePanics(g), comparePanics(w); gp != wp || gp == "" {
		return fmt.Errorf("comparing panics with %q, the runtime's box with %q", gp, wp)
	}
	switch v := g.(type) {
	case string:
		if v != w.(string) {
			return fmt.Errorf("string %q", v)
		}
	case []byte:
		if string(v) != string(w.([]byte)) || cap(v) != cap(w.([]byte)) {
			return fmt.Errorf("[]byte %q (cap %d)", v, cap(v))
		}
	case int64, uint64, float64, schema.Decimal, schema.JSON:
		if v != w {
			return fmt.Errorf("%T %v", v, v)
		}
	case time.Time:
		wt := w.(time.Time)
		if !v.Equal(wt) || v.Location() != wt.Location() || v.String() != wt.String() {
			return fmt.Errorf("time %v (%v)", v, v.Location())
		}
	case keyed: // stamp, through the interface's methods
		wk := w.(keyed)
		if v.Key() != wk.Key() || v.String() != wk.String() || v.(stamp) != wk.(stamp) {
			return fmt.Errorf("stamp %v, key %d", v, v.Key())
		}
		var asIface keyed = w.(stamp)
		if v != asIface {
			return fmt.Errorf("as keyed: %v != %v", v, asIface)
		}
	default:
		return fmt.Errorf("unexpected %T", g)
	}
	return nil
}

// comparePanics compares v with itself and returns the panic's message.
func comparePanics(v any) (msg string) {
	defer func() { msg = fmt.Sprint(recover()) }()
	_ = v == v
	return ""
}

// litter fills the memory freed blocks would be reused for with other data.
func litter() {
	var keep [][]byte
	var rows [][]any
	for range 512 {
		keep = append(keep, []byte(strings.Repeat("\xEE", BytesBlock)), []byte(strings.Repeat("\xDD", blockBytes-mallocHeader)))
		row := make([]any, RowBlock)
		for i := range row {
			row[i] = &keep
		}
		rows = append(rows, row)
	}
	runtime.KeepAlive(keep)
	runtime.KeepAlive(rows)
}

// TestBoxesHandedToAnotherGoroutine: values boxed on one goroutine are read on another
// while the Boxer goes on boxing; under -race any write to memory already handed out is
// reported.
func TestBoxesHandedToAnotherGoroutine(t *testing.T) {
	batches := make(chan []keyed, 4)
	go func() {
		var b Boxer[keyed, stamp]
		for i := range 50 {
			batch := make([]keyed, 100)
			for j := range batch {
				batch[j] = b.Box(stamp{Commit: uint64(i), Seq: uint64(j)})
			}
			batches <- batch
		}
		close(batches)
	}()
	i := 0
	for batch := range batches {
		for j, v := range batch {
			if v != keyed(stamp{Commit: uint64(i), Seq: uint64(j)}) {
				t.Fatalf("batch %d, value %d: %v", i, j, v)
			}
		}
		i++
	}
	if i != 50 {
		t.Fatalf("%d batches", i)
	}
}

// TestBoxersAllocatePerBlock: boxing costs an allocation per block, not per value.
func TestBoxersAllocatePerBlock(t *testing.T) {
	var out any
	var general Boxer[keyed, stamp]
	var times Times
	var strs Strings[schema.Decimal]
	for name, box := range map[string]func(){
		"Boxer":   func() { out = general.Box(stamp{Commit: 1}) },
		"Times":   func() { out = times.Box(when) },
		"Strings": func() { out = strs.Box("1.5") },
	} {
		if avg := testing.AllocsPerRun(5000, box); avg >= 0.01 {
			t.Errorf("%s: %.3f allocations per value", name, avg)
		}
	}
	runtime.KeepAlive(out)
}

func TestIntegerHelpers(t *testing.T) {
	var ints Int64s
	var uints Uint64s
	for _, n := range []int64{0, 1, 255, 256, -1, -256, math.MinInt64, math.MaxInt64} {
		if g, w := ints.Box(n), any(n); g != w || reflect.TypeOf(g) != reflect.TypeOf(w) {
			t.Errorf("Int64s.Box(%d) = %#v", n, g)
		}
	}
	for _, u := range []uint64{0, 255, 256, math.MaxInt64 + 1, math.MaxUint64} {
		if g, w := uints.Box(u), any(u); g != w || reflect.TypeOf(g) != reflect.TypeOf(w) {
			t.Errorf("Uint64s.Box(%d) = %#v", u, g)
		}
	}
	// 0 to 255 take Go's own boxes: not even a block.
	var fresh Int64s
	var out any
	if avg := testing.AllocsPerRun(100, func() { out = fresh.Box(200) }); avg != 0 || fresh.slots.block != nil {
		t.Errorf("boxing 200: %.2f allocations per value, block %v", avg, fresh.slots.block != nil)
	}
	runtime.KeepAlive(out)
}

// TestBoxerRefuses: types the runtime stores in the data word, and impossible pairs,
// panic at the first Box; look-alikes that are not pointer-shaped are boxed.
func TestBoxerRefuses(t *testing.T) {
	x := 1
	refused := []struct {
		name string
		box  func()
	}{
		{"pointer", func() { new(Boxer[any, *int]).Box(&x) }},
		{"map", func() { new(Boxer[any, map[string]int]).Box(nil) }},
		{"chan", func() { new(Boxer[any, chan int]).Box(nil) }},
		{"func", func() { new(Boxer[any, func()]).Box(nil) }},
		{"unsafe.Pointer", func() { new(Boxer[any, unsafe.Pointer]).Box(nil) }},
		{"struct of a pointer", func() { new(Boxer[any, struct{ p *int }]).Box(struct{ p *int }{&x}) }},
		{"struct of a pointer and a zero-size field", func() {
			new(Boxer[any, struct {
				_ [0]int64
				m map[int]int
			}]).Box(struct {
				_ [0]int64
				m map[int]int
			}{})
		}},
		{"array of one pointer", func() { new(Boxer[any, [1]*int]).Box([1]*int{&x}) }},
		{"array of a struct of a pointer", func() { new(Boxer[any, [1]struct{ c chan int }]).Box([1]struct{ c chan int }{}) }},
		{"interface T", func() { new(Boxer[any, fmt.Stringer]).Box(stamp{}) }},
		{"non-interface I", func() { new(Boxer[int64, int64]).Box(1) }},
		{"T not implementing I", func() { new(Boxer[keyed, int64]).Box(1) }},
	}
	for _, c := range refused {
		if msg := panicOf(c.box); !strings.HasPrefix(msg, "slab: Boxer[") {
			t.Errorf("%s: panic %q, want slab's refusal", c.name, msg)
		}
	}
	y := 2
	accepted := []struct{ got, want any }{
		{new(Boxer[any, struct {
			p *int
			n int
		}]).Box(struct {
			p *int
			n int
		}{&x, 3}), struct {
			p *int
			n int
		}{&x, 3}},
		{new(Boxer[any, [2]*int]).Box([2]*int{&x, &y}), [2]*int{&x, &y}},
		{new(Boxer[any, [1]int64]).Box([1]int64{-5}), [1]int64{-5}},
		{new(Boxer[any, struct{ a, b int32 }]).Box(struct{ a, b int32 }{1, 2}), struct{ a, b int32 }{1, 2}},
		{new(Boxer[any, struct{}]).Box(struct{}{}), struct{}{}},
		{new(Boxer[fmt.Stringer, stamp]).Box(stamp{Commit: 4}), fmt.Stringer(stamp{Commit: 4})},
	}
	runtime.GC()
	for i, c := range accepted {
		if reflect.TypeOf(c.got) != reflect.TypeOf(c.want) || !reflect.DeepEqual(c.got, c.want) || c.got != c.want ||
			fmt.Sprintf("%#v", c.got) != fmt.Sprintf("%#v", c.want) {
			t.Errorf("accepted %d: %#v, want %#v", i, c.got, c.want)
		}
	}
	if s := accepted[len(accepted)-1].got.(fmt.Stringer).String(); s != "4/0/0" {
		t.Errorf("a stamp boxed as a fmt.Stringer prints %q", s)
	}
}

func panicOf(f func()) (msg string) {
	defer func() { msg = fmt.Sprint(recover()) }()
	f()
	return "no panic"
}
