package postgres

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/schema"
)

func TestBuiltinDecoders(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	cases := []struct {
		oid    uint32
		typmod int32
		in     string
		want   any
	}{
		{oidInt2, -1, "-32768", int64(-32768)},
		{oidInt8, -1, "-9223372036854775808", int64(math.MinInt64)},
		{oidOID, -1, "4294967295", int64(4294967295)},
		{oidXID8, -1, "18446744073709551615", uint64(math.MaxUint64)},
		{oidBool, -1, "t", true},
		{oidBool, -1, "f", false},
		{oidBit, 1, "1", true},
		{oidBit, 1, "0", false},
		{oidBit, 8, "10100101", "10100101"},
		{oidFloat8, -1, "0.1", 0.1},
		{oidFloat8, -1, "-Infinity", math.Inf(-1)},
		{oidFloat4, -1, "1.1", float64(float32(1.1))},
		{oidNumeric, -1, "-12.50", schema.Decimal("-12.50")},
		{oidNumeric, -1, "NaN", schema.Decimal("NaN")},
		{oidNumeric, -1, "-Infinity", schema.Decimal("-Infinity")},
		{oidMoney, -1, "$1,234.56", schema.Decimal("1234.56")},
		{oidMoney, -1, "-$92,233,720,368,547,758.08", schema.Decimal("-92233720368547758.08")},
		{oidMoney, -1, "($0.01)", schema.Decimal("-0.01")},
		{oidBytea, -1, `\x00ff5c0a`, []byte{0, 0xff, '\\', '\n'}},
		{oidBytea, -1, `a\\b\001`, []byte{'a', '\\', 'b', 1}},
		{oidText, -1, "it's €", "it's €"},
		{oidJSONB, -1, `{"a": 1}`, schema.JSON(`{"a": 1}`)},
		{oidDate, -1, "2024-02-29", utc(2024, 2, 29, 0, 0, 0, 0)},
		{oidDate, -1, "0044-03-15 BC", utc(-43, 3, 15, 0, 0, 0, 0)},
		{oidDate, -1, "12345-01-02", utc(12345, 1, 2, 0, 0, 0, 0)},
		{oidDate, -1, "infinity", utc(9999, 12, 31, 0, 0, 0, 0)},
		{oidDate, -1, "-infinity", utc(0, 1, 1, 0, 0, 0, 0)},
		{oidTimestamp, -1, "2024-06-04 18:03:37.123456", utc(2024, 6, 4, 18, 3, 37, 123456000)},
		{oidTimestamp, -1, "2024-06-04 18:03:37.5", utc(2024, 6, 4, 18, 3, 37, 500000000)},
		{oidTimestamp, -1, "infinity", utc(9999, 12, 31, 23, 59, 59, 999999000)},
		{oidTimestamptz, -1, "2024-06-04 18:03:37.5+02", utc(2024, 6, 4, 16, 3, 37, 500000000)},
		{oidTimestamptz, -1, "1900-01-01 00:00:00+05:53:28", utc(1899, 12, 31, 18, 6, 32, 0)},
		{oidTimestamptz, -1, "0001-01-01 00:00:00-01:30 BC", utc(0, 1, 1, 1, 30, 0, 0)},
		{1083, -1, "23:59:59.999999", "23:59:59.999999"}, // time: text
		{1186, -1, "1 year 2 mons", "1 year 2 mons"},     // interval: text
		{1007, -1, "{1,NULL,3}", "{1,NULL,3}"},           // int4[]: array text
	}
	for _, c := range cases {
		got, err := builtinDecoder(c.oid, c.typmod)([]byte(c.in))
		if err != nil {
			t.Errorf("oid %d %q: %v", c.oid, c.in, err)
			continue
		}
		if gt, ok := got.(time.Time); ok {
			if wt := c.want.(time.Time); !gt.Equal(wt) || gt.Location() != time.UTC {
				t.Errorf("oid %d %q: got %v, want %v", c.oid, c.in, gt, wt)
			}
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("oid %d %q: got %#v, want %#v", c.oid, c.in, got, c.want)
		}
	}
	if v, err := decodeFloat8([]byte("NaN")); err != nil || !math.IsNaN(v.(float64)) {
		t.Errorf("NaN: %v %v", v, err)
	}
}

func TestDecoderErrors(t *testing.T) {
	for _, c := range []struct {
		dec valueDecoder
		in  string
	}{
		{decodeBool, "yes"}, {decodeInt, "1.5"}, {decodeFloat8, "abc"}, {decodeMoney, "€"}, {decodeMoney, "$"},
		{decodeBytea, `\xzz`}, {decodeBytea, `a\q`}, {decodeDate, "2024-13-01"}, {decodeDate, "24-01-01x"},
		{decodeTimestamp, "2024-01-01"}, {decodeTimestamptz, "2024-01-01 00:00:00"}, {decodeBit1, "10"}, {decodeNumeric, ""},
	} {
		if v, err := c.dec([]byte(c.in)); err == nil {
			t.Errorf("%q: got %#v, want an error", c.in, v)
		}
	}
}

func TestTypeDecoderFollowsDomainsAndNames(t *testing.T) {
	types := map[uint32]*pgType{
		20000: {name: "flag", typtype: "d", base: oidBit, baseTypmod: 1},
		20001: {name: "price", typtype: "d", base: 20002, baseTypmod: -1},
		20002: {name: "amount", typtype: "d", base: oidNumeric, baseTypmod: 786438},
		20003: {name: "geometry", typtype: "b", category: "U"},
		20004: {name: "mood", typtype: "e"},
		20005: {name: "_geometry", typtype: "b", category: "A", elem: 20003},
	}
	check := func(oid uint32, in string, want any) {
		t.Helper()
		got, err := typeDecoder(types, oid, -1)([]byte(in))
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("oid %d %q: got %#v %v, want %#v", oid, in, got, err, want)
		}
	}
	check(20000, "1", true)
	check(20001, "5.50", schema.Decimal("5.50"))
	check(20003, "0101000000000000000000F03F0000000000000040", "POINT(1 2)")
	check(20004, "it's", "it's")
	check(20005, "{0101000000000000000000F03F0000000000000040}", "{0101000000000000000000F03F0000000000000040}")
	check(99999, "anything", "anything") // unknown: text
}

// ewkb builds little-endian (E)WKB for the tests.
type ewkb struct{ bytes.Buffer }

func (w *ewkb) header(typ uint32, srid uint32) *ewkb {
	w.WriteByte(1)
	if srid != 0 {
		typ |= 0x20000000
	}
	binary.Write(&w.Buffer, binary.LittleEndian, typ)
	if srid != 0 {
		binary.Write(&w.Buffer, binary.LittleEndian, srid)
	}
	return w
}

func (w *ewkb) n(n uint32) *ewkb { binary.Write(&w.Buffer, binary.LittleEndian, n); return w }

func (w *ewkb) pts(fs ...float64) *ewkb {
	for _, f := range fs {
		binary.Write(&w.Buffer, binary.LittleEndian, f)
	}
	return w
}

func (w *ewkb) hex() string { return strings.ToUpper(hex.EncodeToString(w.Bytes())) }

func TestEWKBToWKT(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		in   *ewkb
		want string
	}{
		{new(ewkb).header(1, 0).pts(1, 2), "POINT(1 2)"},
		{new(ewkb).header(1, 4326).pts(-71.06, 42.3584), "POINT(-71.06 42.3584)"},
		{new(ewkb).header(1|0x80000000, 0).pts(1, 2, 3), "POINT Z (1 2 3)"},
		{new(ewkb).header(1|0xC0000000, 0).pts(1, 2, 3, 4), "POINT ZM (1 2 3 4)"},
		{new(ewkb).header(1001, 0).pts(1, 2, 3), "POINT Z (1 2 3)"},
		{new(ewkb).header(1, 0).pts(nan, nan), "POINT EMPTY"},
		{new(ewkb).header(2, 0).n(2).pts(0, 0, 1.5, 1e20), "LINESTRING(0 0,1.5 100000000000000000000)"},
		{new(ewkb).header(3, 0).n(1).n(4).pts(0, 0, 1, 0, 1, 1, 0, 0), "POLYGON((0 0,1 0,1 1,0 0))"},
		{new(ewkb).header(3, 0).n(0), "POLYGON EMPTY"},
		{new(ewkb).header(4, 0).n(2).header(1, 0).pts(1, 2).header(1, 0).pts(3, 4), "MULTIPOINT(1 2,3 4)"},
		{new(ewkb).header(5, 0).n(2).header(2, 0).n(2).pts(0, 0, 1, 1).header(2, 0).n(2).pts(2, 2, 3, 3), "MULTILINESTRING((0 0,1 1),(2 2,3 3))"},
		{new(ewkb).header(6, 0).n(1).header(3, 0).n(1).n(4).pts(0, 0, 1, 0, 1, 1, 0, 0), "MULTIPOLYGON(((0 0,1 0,1 1,0 0)))"},
		{new(ewkb).header(7, 4326).n(2).header(1, 0).pts(1, 2).header(2, 0).n(2).pts(0, 0, 1, 1), "GEOMETRYCOLLECTION(POINT(1 2),LINESTRING(0 0,1 1))"},
		{new(ewkb).header(7, 0).n(0), "GEOMETRYCOLLECTION EMPTY"},
		{new(ewkb).header(8, 0).n(3).pts(0, 0, 1, 1, 2, 0), ""}, // CIRCULARSTRING: kept as hex
	}
	for _, c := range cases {
		in := c.in.hex()
		want := c.want
		if want == "" {
			want = in
		}
		got, err := decodeEWKB([]byte(in))
		if err != nil || got != want {
			t.Errorf("%s: got %#v %v, want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"zz", "0101000000000000000000F03F", "02", new(ewkb).header(1, 0).pts(1, 2, 3).hex()} {
		if v, err := decodeEWKB([]byte(bad)); err == nil {
			t.Errorf("%s: got %#v, want an error", bad, v)
		}
	}
}

func TestUnescapeCopy(t *testing.T) {
	got, err := unescapeCopy(nil, []byte(`a\tb\nc\\d\r\b\f\v\101\x41\q`))
	if err != nil || string(got) != "a\tb\nc\\d\r\b\f\vAAq" {
		t.Errorf("got %q %v", got, err)
	}
	if _, err := unescapeCopy(nil, []byte(`ab\`)); err == nil {
		t.Error("a trailing backslash: want an error")
	}
}

func TestCopyRowWriterSplitsRowsAcrossWrites(t *testing.T) {
	var rows [][]any
	w := &copyRowWriter{
		codecs: []codec{builtinCodec(oidInt8, -1), textCodec, builtinCodec(oidBytea, -1)},
		emit:   func(r []any) error { rows = append(rows, r); return nil },
	}
	data := "1\ta\\tb\t\\\\x00ff\n2\t\\N\t\\N\n3\tline\\nbreak\t\\\\x\n"
	for i := 0; i < len(data); i += 3 { // three bytes per write: rows and escapes split anywhere
		end := min(i+3, len(data))
		if _, err := w.Write([]byte(data[i:end])); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.finish(); err != nil {
		t.Fatal(err)
	}
	want := [][]any{{int64(1), "a\tb", []byte{0, 0xff}}, {int64(2), nil, nil}, {int64(3), "line\nbreak", []byte{}}}
	if !reflect.DeepEqual(rows, want) || w.rows != 3 {
		t.Errorf("got %#v (%d rows), want %#v", rows, w.rows, want)
	}
	bad := &copyRowWriter{codecs: []codec{builtinCodec(oidInt8, -1)}, emit: func([]any) error { return nil }}
	if _, err := bad.Write([]byte("1\t2\n")); err == nil {
		t.Error("a row with too many columns: want an error")
	}
	if _, err := bad.Write([]byte("1")); err != nil || bad.finish() == nil {
		t.Error("data ending inside a row: want an error from finish")
	}
}
