package mysql

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/doris-sync/doris-sync/internal/slab"
	"github.com/doris-sync/doris-sync/schema"
)

// TestChunkDecoderValuesOutliveTheBuffer decodes many rows from one buffer that is
// overwritten before each row, as the reader's packet buffer is: every row decoded
// earlier must still hold its own values, across many blocks of every kind.
func TestChunkDecoderValuesOutliveTheBuffer(t *testing.T) {
	codecs := rowCodec{
		testCodec(t, "id", "bigint"), testCodec(t, "u", "bigint unsigned"), testCodec(t, "name", "varchar(100)"),
		testCodec(t, "amount", "decimal(12,2)"), testCodec(t, "ratio", "double"), testCodec(t, "created", "datetime(6)"),
		testCodec(t, "day", "date"), testCodec(t, "raw", "varbinary(20000)"), testCodec(t, "code", "char(8)"),
		testCodec(t, "n", "int"),
	}
	cols := []wireColumn{
		{typ: gomysql.MYSQL_TYPE_LONGLONG}, {typ: gomysql.MYSQL_TYPE_LONGLONG, flags: gomysql.UNSIGNED_FLAG},
		{typ: gomysql.MYSQL_TYPE_VAR_STRING}, {typ: gomysql.MYSQL_TYPE_NEWDECIMAL}, {typ: gomysql.MYSQL_TYPE_DOUBLE},
		{typ: gomysql.MYSQL_TYPE_DATETIME, decimals: 6}, {typ: gomysql.MYSQL_TYPE_DATE}, {typ: gomysql.MYSQL_TYPE_VAR_STRING},
		{typ: gomysql.MYSQL_TYPE_STRING}, {typ: gomysql.MYSQL_TYPE_LONG},
	}
	d, err := newChunkDecoder(codecs, cols)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 1<<16)
	const n = 5000
	rows := make([][]any, n)
	for i := range rows {
		var day any = binDate(1950, 1, 1+i%28)
		if i%5 == 0 {
			day = binTemporal{} // a zero date: no bytes
		}
		var name any = fmt.Sprintf("name-%d", i)
		if i%7 == 0 {
			name = nil
		}
		buf = binRow(buf[:0], int64(i)*1000, uint64(math.MaxUint64-uint64(i)*uint64(i%2)), name, fmt.Sprintf("%d.25", i),
			float64(i)/7, binDateTime(2024, 1, 1, 0, 0, i%60, i), day,
			strings.Repeat(string(rune('a'+i%26)), rawLen(i)), "", int32(i-2500))
		row, err := d.decodeRow(buf)
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		rows[i] = row
		for j := range buf[:cap(buf)] { // the reader reads the next packet over it
			buf[:cap(buf)][j] = 0xFF
		}
	}
	// Earlier blocks are reachable only through the values in the rows now: collect,
	// and fill memory a freed block would be reused for.
	runtime.GC()
	runtime.GC()
	litter := make([][]byte, 256)
	for i := range litter {
		litter[i] = bytes.Repeat([]byte{0xEE}, slab.BytesBlock)
	}
	defer runtime.KeepAlive(litter)
	for i, row := range rows {
		var name any = fmt.Sprintf("name-%d", i)
		if i%7 == 0 {
			name = nil
		}
		var day any
		if i%5 != 0 {
			day = time.Date(1950, 1, 1+i%28, 0, 0, 0, 0, time.UTC)
		}
		want := []any{int64(i) * 1000, uint64(math.MaxUint64 - uint64(i)*uint64(i%2)), name, schema.Decimal(fmt.Sprintf("%d.25", i)),
			float64(i) / 7, time.Date(2024, 1, 1, 0, 0, i%60, i*1000, time.UTC), day,
			[]byte(strings.Repeat(string(rune('a'+i%26)), rawLen(i))), "", int64(i - 2500)}
		if !reflect.DeepEqual(row, want) {
			t.Fatalf("row %d:\n got %#v\nwant %#v", i, row, want)
		}
		if b := row[7].([]byte); cap(b) != len(b) {
			t.Fatalf("row %d: a binary value has room to grow into its neighbour (len %d, cap %d)", i, len(b), cap(b))
		}
	}
}

// rawLen: mostly short values, an empty one, and now and then one too large for the arena.
func rawLen(i int) int {
	switch {
	case i%10 == 3:
		return 0
	case i%500 == 1:
		return slab.BytesMaxValue + 1
	}
	return 1 + i%40
}

// binTemporal is the binary protocol's form of a DATE, DATETIME, TIMESTAMP or TIME.
type binTemporal []byte

func binDate(y, m, d int) binTemporal {
	return binTemporal{byte(y), byte(y >> 8), byte(m), byte(d)}
}

func binDateTime(y, mo, d, h, mi, s, micros int) binTemporal {
	b := append(binDate(y, mo, d), byte(h), byte(mi), byte(s))
	return binary.LittleEndian.AppendUint32(b, uint32(micros))
}

// binTime is a TIME: sign, days, hours, minutes, seconds, microseconds.
func binTime(neg bool, days uint32, h, m, s int, micros uint32) binTemporal {
	b := binTemporal{0}
	if neg {
		b[0] = 1
	}
	b = binary.LittleEndian.AppendUint32(b, days)
	b = append(b, byte(h), byte(m), byte(s))
	return binary.LittleEndian.AppendUint32(b, micros)
}

// binRow appends a binary-protocol row packet to buf, each value in the wire form of its
// Go type: int8/int16/int32/int64 (and uint64) as 1/2/4/8 bytes, float32/float64 as 4/8,
// string and []byte length-encoded, binTemporal as its length and bytes, nil as NULL.
func binRow(buf []byte, vals ...any) []byte {
	buf = append(buf, 0x00)
	nulls := len(buf)
	buf = append(buf, make([]byte, (len(vals)+9)/8)...)
	for i, v := range vals {
		switch x := v.(type) {
		case nil:
			buf[nulls+(i+2)/8] |= 1 << ((i + 2) % 8)
		case int8:
			buf = append(buf, byte(x))
		case int16:
			buf = binary.LittleEndian.AppendUint16(buf, uint16(x))
		case int32:
			buf = binary.LittleEndian.AppendUint32(buf, uint32(x))
		case int64:
			buf = binary.LittleEndian.AppendUint64(buf, uint64(x))
		case uint64:
			buf = binary.LittleEndian.AppendUint64(buf, x)
		case float32:
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(x))
		case float64:
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(x))
		case string:
			buf = append(appendLenencInt(buf, uint64(len(x))), x...)
		case []byte:
			buf = append(appendLenencInt(buf, uint64(len(x))), x...)
		case binTemporal:
			buf = append(append(buf, byte(len(x))), x...)
		default:
			panic(fmt.Sprintf("binRow: %T", v))
		}
	}
	return buf
}

func testCodec(t *testing.T, name, typeText string) columnCodec {
	t.Helper()
	st, err := schema.ParseType(typeText)
	if err != nil {
		t.Fatal(err)
	}
	return codecForColumn(schema.Column{Name: name, TypeText: typeText, Type: st})
}

// TestChunkDecoderValues pins what each pair of column type and wire type decodes to:
// the value go-sql-driver's binary rows gave through fromText, the contract of values.go.
func TestChunkDecoderValues(t *testing.T) {
	w := func(typ uint8, flags uint16, decimals uint8) wireColumn {
		return wireColumn{typ: typ, flags: flags, decimals: decimals}
	}
	const u = gomysql.UNSIGNED_FLAG
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	cases := []struct {
		typeText string
		wire     wireColumn
		value    any // in binRow's form
		want     any
		err      string
	}{
		{"tinyint", w(gomysql.MYSQL_TYPE_TINY, 0, 0), int8(-128), int64(-128), ""},
		{"tinyint unsigned", w(gomysql.MYSQL_TYPE_TINY, u, 0), int8(-1), uint64(255), ""},
		{"smallint unsigned", w(gomysql.MYSQL_TYPE_SHORT, u, 0), int16(-1), uint64(65535), ""},
		{"mediumint", w(gomysql.MYSQL_TYPE_INT24, 0, 0), int32(-8388608), int64(-8388608), ""},
		{"int unsigned", w(gomysql.MYSQL_TYPE_LONG, u, 0), int32(-1), uint64(math.MaxUint32), ""},
		{"int", w(gomysql.MYSQL_TYPE_LONG, 0, 0), int32(math.MinInt32), int64(math.MinInt32), ""},
		{"bigint", w(gomysql.MYSQL_TYPE_LONGLONG, 0, 0), int64(math.MinInt64), int64(math.MinInt64), ""},
		{"bigint", w(gomysql.MYSQL_TYPE_LONGLONG, 0, 0), int64(255), int64(255), ""},
		{"bigint unsigned", w(gomysql.MYSQL_TYPE_LONGLONG, u, 0), uint64(math.MaxUint64), uint64(math.MaxUint64), ""},
		{"bigint unsigned", w(gomysql.MYSQL_TYPE_LONGLONG, u, 0), uint64(3), uint64(3), ""},
		// The column's type changed after discovery: the value is kept exact.
		{"bigint", w(gomysql.MYSQL_TYPE_LONGLONG, u, 0), uint64(math.MaxUint64), uint64(math.MaxUint64), ""},
		{"bigint unsigned", w(gomysql.MYSQL_TYPE_LONGLONG, 0, 0), int64(-1), nil, "unsigned column holds -1"},
		{"year", w(gomysql.MYSQL_TYPE_YEAR, u, 0), int16(2155), int64(2155), ""},
		{"float", w(gomysql.MYSQL_TYPE_DOUBLE, 0, 31), float64(float32(0.1)), float64(float32(0.1)), ""},
		{"float", w(gomysql.MYSQL_TYPE_FLOAT, 0, 31), float32(0.1), float64(float32(0.1)), ""},
		{"double", w(gomysql.MYSQL_TYPE_DOUBLE, 0, 31), 5e-324, 5e-324, ""},
		{"double", w(gomysql.MYSQL_TYPE_FLOAT, 0, 31), float32(-0.5), -0.5, ""},
		{"decimal(5,2)", w(gomysql.MYSQL_TYPE_NEWDECIMAL, 0, 2), "-1.50", schema.Decimal("-1.50"), ""},
		{"datetime(6)", w(gomysql.MYSQL_TYPE_DATETIME, 0, 6), binDateTime(9999, 12, 31, 23, 59, 59, 999999), utc(9999, 12, 31, 23, 59, 59, 999999000), ""},
		{"datetime(3)", w(gomysql.MYSQL_TYPE_DATETIME, 0, 3), binDateTime(2020, 1, 2, 3, 4, 5, 123456), utc(2020, 1, 2, 3, 4, 5, 123000000), ""},
		{"datetime", w(gomysql.MYSQL_TYPE_DATETIME, 0, 0), binTemporal(binDateTime(2020, 1, 2, 3, 4, 5, 0)[:7]), utc(2020, 1, 2, 3, 4, 5, 0), ""},
		{"datetime", w(gomysql.MYSQL_TYPE_DATETIME, 0, 0), binDate(2020, 1, 2), utc(2020, 1, 2, 0, 0, 0, 0), ""},
		{"datetime", w(gomysql.MYSQL_TYPE_DATETIME, 0, 0), binTemporal{}, nil, ""},
		{"datetime", w(gomysql.MYSQL_TYPE_DATETIME, 0, 0), binDate(2024, 0, 10), nil, ""},
		{"timestamp(6)", w(gomysql.MYSQL_TYPE_TIMESTAMP, 0, 6), binDateTime(1970, 1, 1, 0, 0, 1, 1), utc(1970, 1, 1, 0, 0, 1, 1000), ""},
		{"date", w(gomysql.MYSQL_TYPE_DATE, 0, 0), binDate(1000, 1, 1), utc(1000, 1, 1, 0, 0, 0, 0), ""},
		{"date", w(gomysql.MYSQL_TYPE_DATE, 0, 0), binDate(0, 1, 1), utc(0, 1, 1, 0, 0, 0, 0), ""},
		{"date", w(gomysql.MYSQL_TYPE_DATE, 0, 0), binDate(2024, 2, 0), nil, ""},
		{"date", w(gomysql.MYSQL_TYPE_DATE, 0, 0), binTemporal{1, 2, 3}, nil, "illegal DATE packet length 3"},
		{"time(6)", w(gomysql.MYSQL_TYPE_TIME, 0, 6), binTime(false, 34, 22, 59, 59, 0), "838:59:59.000000", ""},
		{"time", w(gomysql.MYSQL_TYPE_TIME, 0, 0), binTime(true, 34, 22, 59, 59, 0)[:8], "-838:59:59", ""},
		{"time(6)", w(gomysql.MYSQL_TYPE_TIME, 0, 6), binTime(true, 0, 0, 0, 0, 500000), "-00:00:00.500000", ""},
		{"time(3)", w(gomysql.MYSQL_TYPE_TIME, 0, 3), binTemporal{}, "00:00:00.000", ""},
		// A DATETIME column that became text, and the reverse: the text read as it was printed.
		{"varchar(30)", w(gomysql.MYSQL_TYPE_DATETIME, 0, 6), binDateTime(2024, 2, 29, 1, 2, 3, 4), "2024-02-29 01:02:03.000004", ""},
		{"varchar(30)", w(gomysql.MYSQL_TYPE_DATETIME, 0, 2), binDate(2024, 2, 29), "2024-02-29 00:00:00.00", ""},
		{"varchar(30)", w(gomysql.MYSQL_TYPE_DATE, 0, 0), binTemporal{}, "0000-00-00", ""},
		{"datetime", w(gomysql.MYSQL_TYPE_VAR_STRING, 0, 0), "2024-02-29 01:02:03", utc(2024, 2, 29, 1, 2, 3, 0), ""},
		{"datetime", w(gomysql.MYSQL_TYPE_VAR_STRING, 0, 0), "garbage", nil, `cannot read "garbage" as a date or time`},
		{"varchar(30)", w(gomysql.MYSQL_TYPE_LONG, 0, 0), int32(-7), nil, "unexpected int64 for a text column"},
		{"varchar(30)", w(gomysql.MYSQL_TYPE_LONGLONG, u, 0), uint64(math.MaxUint64), "18446744073709551615", ""},
		{"int", w(gomysql.MYSQL_TYPE_DOUBLE, 0, 31), 1.5, nil, "unexpected float64 for a signed integer column"},
		{"int", w(gomysql.MYSQL_TYPE_VAR_STRING, 0, 0), "-12", int64(-12), ""},
		{"bigint unsigned", w(gomysql.MYSQL_TYPE_VAR_STRING, 0, 0), "18446744073709551615", uint64(math.MaxUint64), ""},
		{"bit(1)", w(gomysql.MYSQL_TYPE_BIT, u, 0), []byte{1}, true, ""},
		{"bit(64)", w(gomysql.MYSQL_TYPE_BIT, u, 0), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, uint64(math.MaxUint64), ""},
		{"enum('a','b')", w(gomysql.MYSQL_TYPE_STRING, gomysql.ENUM_FLAG, 0), "b", "b", ""},
		{"set('a','b','c')", w(gomysql.MYSQL_TYPE_STRING, gomysql.SET_FLAG, 0), "a,c", "a,c", ""},
		{"char(5)", w(gomysql.MYSQL_TYPE_STRING, 0, 0), "café", "café", ""},
		{"binary(4)", w(gomysql.MYSQL_TYPE_STRING, gomysql.BINARY_FLAG, 0), "ab\x00\x00", []byte("ab\x00\x00"), ""},
		{"blob", w(gomysql.MYSQL_TYPE_BLOB, gomysql.BINARY_FLAG, 0), "", []byte{}, ""},
		{"json", w(gomysql.MYSQL_TYPE_JSON, 0, 0), `{"a": 1.0}`, schema.JSON(`{"a":1.0}`), ""},
		{"vector", w(gomysql.MYSQL_TYPE_VECTOR, 0, 0), []byte{0, 0, 128, 63}, []byte{0, 0, 128, 63}, ""},
		{"int", w(0x99, 0, 0), int8(0), nil, "unknown field type 153"},
		{"int", w(gomysql.MYSQL_TYPE_NULL, 0, 0), int8(0), nil, ""}, // no bytes: the int8 is the next column's
	}
	for _, c := range cases {
		codec := testCodec(t, "c", c.typeText)
		d, err := newChunkDecoder(rowCodec{codec, testCodec(t, "next", "tinyint")}, []wireColumn{c.wire, w(gomysql.MYSQL_TYPE_TINY, 0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("%s from type %d %#v", c.typeText, c.wire.typ, c.value)
		vals := []any{c.value, int8(42)}
		if c.wire.typ == gomysql.MYSQL_TYPE_NULL {
			vals = vals[1:]
		}
		row, err := d.decodeRow(binRow(nil, vals...))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), "column c: "+c.err) {
				t.Errorf("%s: got %#v, %v; want error %q", name, row, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(row[0], c.want) || row[1] != any(int64(42)) {
			t.Errorf("%s: got %#v (%T) then %#v; want %#v (%T) then 42", name, row[0], row[0], row[1], c.want, c.want)
		}
	}
}

// TestChunkDecoderRejectsBadPackets: a row that does not fit the result's columns is an
// error, never a panic or a value read from the wrong bytes.
func TestChunkDecoderRejectsBadPackets(t *testing.T) {
	d, err := newChunkDecoder(rowCodec{testCodec(t, "id", "bigint"), testCodec(t, "name", "varchar(10)")},
		[]wireColumn{{typ: gomysql.MYSQL_TYPE_LONGLONG}, {typ: gomysql.MYSQL_TYPE_VAR_STRING}})
	if err != nil {
		t.Fatal(err)
	}
	good := binRow(nil, int64(7), "seven")
	for _, p := range [][]byte{nil, {0x00}, {0x01, 0, 0}, good[:5], good[:len(good)-1]} {
		if row, err := d.decodeRow(p); err == nil {
			t.Errorf("% x: got %v, want an error", p, row)
		}
	}
	if row, err := d.decodeRow(good); err != nil || !reflect.DeepEqual(row, []any{int64(7), "seven"}) {
		t.Errorf("got %v, %v", row, err)
	}
	if _, err := newChunkDecoder(rowCodec{testCodec(t, "id", "bigint")}, nil); err == nil {
		t.Error("a result without the table's columns was accepted")
	}
}

// TestReadChunkErrors reads through a real server: a bad value names the chunk and
// the column, an error of emit comes back as it is, and the reader connection is
// still usable after a read that stopped early.
func TestReadChunkErrors(t *testing.T) {
	srv := mariaDBFull(t)
	db := srv.newDB(t)
	var vals []string
	for i := 1; i <= 300; i++ {
		vals = append(vals, fmt.Sprintf("(%d, '2024-01-01 00:00:%02d')", i, i%60))
	}
	srv.exec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, created DATETIME)", "INSERT INTO t VALUES "+strings.Join(vals, ","))
	src := srv.source(t, db)
	tb := discoverTables(t, src)["t"]
	// The column changes type after discovery: its values no longer read as DATETIME.
	srv.exec(t, db, "ALTER TABLE t MODIFY created VARCHAR(30)", "UPDATE t SET created = 'garbage' WHERE id = 250")
	ctx := context.Background()
	sn, err := src.BeginSnapshot(ctx, SnapshotOptions{Readers: 1, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer sn.Close()
	key := []string{"id"}
	chunk := Chunk{Index: 7, Start: json.RawMessage("[200]")}

	n, err := sn.ReadChunk(ctx, tb, key, chunk, func([]any) error { return nil })
	want := fmt.Sprintf(`read chunk 7 of %s: column created: cannot read "garbage" as a date or time`, tb.ID)
	if err == nil || err.Error() != want || n != 50 {
		t.Errorf("got %d rows, %v; want 50 rows, %s", n, err, want)
	}

	stop := errors.New("stop")
	n, err = sn.ReadChunk(ctx, tb, key, Chunk{}, func(row []any) error {
		if row[0].(int64) == 10 {
			return stop
		}
		return nil
	})
	if err != stop || n != 9 {
		t.Errorf("got %d rows, %v; want 9 rows and emit's error as it is", n, err)
	}

	// The only reader read the rest of the stopped result away: it reads on.
	n, err = sn.ReadChunk(ctx, tb, key, Chunk{End: json.RawMessage("[101]")}, func(row []any) error {
		if got, want := row[1], any(time.Date(2024, 1, 1, 0, 0, int(row[0].(int64))%60, 0, time.UTC)); got != want {
			return fmt.Errorf("row %v: created %v, want %v", row[0], got, want)
		}
		return nil
	})
	if err != nil || n != 100 {
		t.Errorf("after a stopped read: %d rows, %v; want 100", n, err)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := sn.ReadChunk(cctx, tb, key, Chunk{}, func([]any) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: got %v", err)
	}
}

// TestReadChunkStopAndCancel reads a chunk much larger than the reader's buffer: a read
// stopped by emit reads the rest away and leaves the session usable; a cancelled context
// ends the read with the context's error without reading the chunk to its end, and the
// session, whose view is gone, then refuses to read on.
func TestReadChunkStopAndCancel(t *testing.T) {
	srv := mariaDBFull(t)
	db := srv.newDB(t)
	const rows = 20_000
	srv.exec(t, db, "CREATE TABLE big (id INT PRIMARY KEY, s VARCHAR(200))",
		fmt.Sprintf("INSERT INTO big SELECT seq, REPEAT('x', 150) FROM seq_1_to_%d", rows))
	src := srv.source(t, db)
	tb := discoverTables(t, src)["big"]
	ctx := context.Background()
	sn, err := src.BeginSnapshot(ctx, SnapshotOptions{Readers: 1, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer sn.Close()
	key := []string{"id"}
	whole := Chunk{Start: json.RawMessage("[0]")}

	stop := errors.New("stop")
	n, err := sn.ReadChunk(ctx, tb, key, whole, func(row []any) error {
		if row[0].(int64) == 10 {
			return stop
		}
		return nil
	})
	if err != stop || n != 9 {
		t.Fatalf("got %d rows, %v; want 9 rows and emit's error as it is", n, err)
	}
	var sum int64
	n, err = sn.ReadChunk(ctx, tb, key, whole, func(row []any) error { sum += row[0].(int64); return nil })
	if err != nil || n != rows || sum != rows*(rows+1)/2 {
		t.Fatalf("after a stopped read: %d rows (id sum %d), %v; want %d rows", n, sum, err, rows)
	}

	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n, err = sn.ReadChunk(cctx, tb, key, whole, func(row []any) error {
		if row[0].(int64) == 10 {
			cancel()
		}
		return nil
	})
	// After the cancel, at most what the reader had buffered (64 KB, ~400 rows here).
	if !errors.Is(err, context.Canceled) || n >= 2_000 {
		t.Fatalf("cancelled mid-read: %d rows, %v; want context.Canceled well before the end", n, err)
	}
	_, err = sn.ReadChunk(ctx, tb, key, whole, func([]any) error { return nil })
	if err == nil || errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "was lost earlier: context canceled") {
		t.Errorf("a read on the cut session: %v", err)
	}
}
