package mysql

import (
	"bytes"
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/schema"
)

// TestBoxes checks that a value boxed in place is the same interface value an ordinary
// conversion gives, for every type the snapshot boxes that way.
func TestBoxes(t *testing.T) {
	var a rowAlloc
	when := time.Date(2024, 2, 29, 23, 59, 58, 123456000, time.UTC)
	cases := []struct{ boxed, plain any }{
		{a.strings.box("héllo"), any("héllo")},
		{a.strings.box(""), any("")},
		{a.decimals.box(schema.Decimal("-12.50")), any(schema.Decimal("-12.50"))},
		{a.times.box(when), any(when)},
		{a.uints.box(math.MaxUint64), any(uint64(math.MaxUint64))},
		{a.bytes.box([]byte{0, 1, 2}), any([]byte{0, 1, 2})},
	}
	for _, c := range cases {
		if reflect.TypeOf(c.boxed) != reflect.TypeOf(c.plain) || !reflect.DeepEqual(c.boxed, c.plain) {
			t.Errorf("boxed %#v (%T), want %#v (%T)", c.boxed, c.boxed, c.plain, c.plain)
		}
		if _, isBytes := c.plain.([]byte); !isBytes && c.boxed != c.plain {
			t.Errorf("boxed %#v != %#v", c.boxed, c.plain)
		}
	}
	if got := a.times.box(when).(time.Time); !got.Equal(when) || got.Location() != time.UTC {
		t.Errorf("time %v (%v), want %v", got, got.Location(), when)
	}
}

// TestChunkDecoderValuesOutliveTheBuffer decodes many rows from one buffer that is
// overwritten before each row, as the driver's packet buffer is: every row decoded
// earlier must still hold its own values, across many blocks of every kind.
func TestChunkDecoderValuesOutliveTheBuffer(t *testing.T) {
	codecs := rowCodec{
		testCodec(t, "id", "bigint"), testCodec(t, "u", "bigint unsigned"), testCodec(t, "name", "varchar(100)"),
		testCodec(t, "amount", "decimal(12,2)"), testCodec(t, "ratio", "double"), testCodec(t, "created", "datetime(6)"),
		testCodec(t, "day", "date"), testCodec(t, "raw", "varbinary(20000)"), testCodec(t, "code", "char(8)"),
	}
	d := chunkDecoder{codecs: codecs}
	buf := make([]byte, 0, 1<<16)
	const n = 5000
	rows := make([][]any, n)
	for i := range rows {
		buf = buf[:0]
		field := func(s string) []byte { // a slice of the shared buffer
			start := len(buf)
			buf = append(buf, s...)
			return buf[start:len(buf):len(buf)]
		}
		raw := field(strings.Repeat(string(rune('a'+i%26)), rawLen(i)))
		vals := []driver.Value{
			int64(i), unsignedValue(i, field), field(fmt.Sprintf("name-%d", i)), field(fmt.Sprintf("%d.25", i)),
			float64(i) / 7, []byte(fmt.Sprintf("2024-01-01 00:00:%02d.%06d", i%60, i)), dateValue(i, field), raw, field(""),
		}
		if i%7 == 0 {
			vals[2] = nil
		}
		row, err := d.decodeRow(vals)
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		rows[i] = row
		for j := range buf[:cap(buf)] { // the driver reads the next packet over it
			buf[:cap(buf)][j] = 0xFF
		}
	}
	// Earlier blocks are reachable only through the values in the rows now: collect,
	// and fill memory a freed block would be reused for.
	runtime.GC()
	runtime.GC()
	litter := make([][]byte, 256)
	for i := range litter {
		litter[i] = bytes.Repeat([]byte{0xEE}, arenaBlock)
	}
	defer runtime.KeepAlive(litter)
	for i, row := range rows {
		var name any = fmt.Sprintf("name-%d", i)
		if i%7 == 0 {
			name = nil
		}
		var u any = uint64(i)
		if i%2 == 1 {
			u = uint64(math.MaxUint64 - uint64(i))
		}
		var day any
		if i%5 != 0 {
			day = time.Date(1950, 1, 1+i%28, 0, 0, 0, 0, time.UTC)
		}
		want := []any{int64(i), u, name, schema.Decimal(fmt.Sprintf("%d.25", i)), float64(i) / 7,
			time.Date(2024, 1, 1, 0, 0, i%60, i*1000, time.UTC), day,
			[]byte(strings.Repeat(string(rune('a'+i%26)), rawLen(i))), ""}
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
		return arenaMaxValue + 1
	}
	return 1 + i%40
}

// unsignedValue is a BIGINT UNSIGNED as the binary protocol sends it: int64 up to
// MaxInt64, decimal text above.
func unsignedValue(i int, field func(string) []byte) driver.Value {
	if i%2 == 0 {
		return int64(i)
	}
	return field(fmt.Sprint(uint64(math.MaxUint64 - uint64(i))))
}

// dateValue is a DATE, a zero date every fifth row.
func dateValue(i int, field func(string) []byte) driver.Value {
	if i%5 == 0 {
		return field("0000-00-00")
	}
	return field(fmt.Sprintf("1950-01-%02d", 1+i%28))
}

func testCodec(t *testing.T, name, typeText string) columnCodec {
	t.Helper()
	st, err := schema.ParseType(typeText)
	if err != nil {
		t.Fatal(err)
	}
	return codecForColumn(schema.Column{Name: name, TypeText: typeText, Type: st})
}

// TestChunkDecoderErrorNamesTheColumn: a value the column's type cannot hold is an
// error naming the column.
func TestChunkDecoderErrorNamesTheColumn(t *testing.T) {
	d := chunkDecoder{codecs: rowCodec{testCodec(t, "id", "int"), testCodec(t, "created", "datetime")}}
	_, err := d.decodeRow([]driver.Value{int64(1), []byte("yesterday")})
	if err == nil || !strings.Contains(err.Error(), `column created: cannot read "yesterday" as a date or time`) {
		t.Errorf("got %v", err)
	}
	_, err = d.decodeRow([]driver.Value{float64(1.5), nil})
	if err == nil || !strings.Contains(err.Error(), "column id: unexpected float64 for a signed integer column") {
		t.Errorf("got %v", err)
	}
}

// TestReadChunkErrors reads through the real driver: a bad value names the chunk and
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
