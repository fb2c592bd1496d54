package mysql

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
)

// trickleConn serves a byte stream at most step bytes per Read, as a socket may.
type trickleConn struct {
	net.Conn // nil: only Read and SetReadDeadline are used
	data     []byte
	step     int
	reads    int
}

func (c *trickleConn) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	c.reads++
	n := copy(p[:min(len(p), c.step)], c.data)
	c.data = c.data[n:]
	return n, nil
}

func (c *trickleConn) SetReadDeadline(time.Time) error { return nil }

// packets frames payloads as the server does, sequence numbers from 1, splitting a
// payload of 16 MB or more into packets of maxPayload bytes and a last, shorter one.
func packets(payloads ...[]byte) []byte {
	var out []byte
	seq := byte(1)
	frame := func(p []byte) {
		out = append(out, byte(len(p)), byte(len(p)>>8), byte(len(p)>>16), seq)
		out = append(out, p...)
		seq++
	}
	for _, p := range payloads {
		for len(p) >= maxPayload {
			frame(p[:maxPayload])
			p = p[maxPayload:]
		}
		frame(p)
	}
	return out
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*7)
	}
	return b
}

// TestPacketReader: payloads come out whole whatever the socket's read sizes, including
// ones larger than the buffer and ones spread over several packets.
func TestPacketReader(t *testing.T) {
	small := [][]byte{[]byte("abc"), {}, pattern(300, 1), pattern(readBufferSize-4, 2), pattern(readBufferSize, 3), pattern(100_000, 4), []byte("end")}
	large := [][]byte{[]byte("first"), pattern(maxPayload, 5), pattern(maxPayload+10, 6), []byte("last")}
	for _, c := range []struct {
		name     string
		payloads [][]byte
		step     int
	}{
		{"byte by byte", small, 1},
		{"odd reads", small, 7},
		{"large reads", small, 3 * readBufferSize},
		{"16 MB payloads", large, 1 << 20},
		{"16 MB payloads, odd reads", large, 65_537},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn := &trickleConn{data: packets(c.payloads...), step: c.step}
			p := packetReader{conn: conn, timeout: time.Minute}
			p.begin(context.Background())
			for i, want := range c.payloads {
				got, err := p.next()
				if err != nil {
					t.Fatalf("payload %d: %v", i, err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("payload %d: got %d bytes, want %d (equal prefix: %t)", i, len(got), len(want), bytes.HasPrefix(want, got))
				}
			}
			if p.buffered() != 0 {
				t.Errorf("%d bytes left in the buffer", p.buffered())
			}
			if _, err := p.next(); !errors.Is(err, io.EOF) {
				t.Errorf("after the last packet: %v, want EOF", err)
			}
		})
	}
}

func TestPacketReaderErrors(t *testing.T) {
	stream := packets([]byte("one"), []byte("two"))
	stream[4+3+3] = 9 // the second packet's sequence number
	p := packetReader{conn: &trickleConn{data: stream, step: 100}, timeout: time.Minute}
	p.begin(context.Background())
	if got, err := p.next(); err != nil || string(got) != "one" {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := p.next(); err == nil || !strings.Contains(err.Error(), "packet sequence 9, want 2") {
		t.Errorf("out of order: got %v", err)
	}

	// A cancelled context stops the reader before it waits for the socket, not while
	// it hands out what it has already read.
	ctx, cancel := context.WithCancel(context.Background())
	conn := &trickleConn{data: packets([]byte("one"), []byte("two"), []byte("three")), step: 1 << 20}
	p = packetReader{conn: conn, timeout: time.Minute}
	p.begin(ctx)
	if _, err := p.next(); err != nil {
		t.Fatal(err)
	}
	cancel()
	if got, err := p.next(); err != nil || string(got) != "two" {
		t.Errorf("buffered packet after cancel: %q, %v", got, err)
	}
	p.r = p.w // as if the rest were not read yet
	if _, err := p.next(); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if conn.reads != 1 {
		t.Errorf("%d socket reads, want 1", conn.reads)
	}
}

func TestExecutePacket(t *testing.T) {
	got, err := executePacket(0x01020304, []any{int64(-2), uint64(math.MaxUint64), "ab", []byte{0xff}, 1.5, nil})
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0, 0, 0, 0, // header, filled in by WritePacket
		0x17, 4, 3, 2, 1, // COM_STMT_EXECUTE, statement id
		0, 1, 0, 0, 0, // no cursor, one iteration
		0x20,                                      // NULL bitmap: the sixth argument
		1,                                         // types follow
		8, 0, 8, 0x80, 254, 0, 254, 0, 5, 0, 6, 0, // LONGLONG, LONGLONG unsigned, STRING, STRING, DOUBLE, NULL
		0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		2, 'a', 'b',
		1, 0xff,
		0, 0, 0, 0, 0, 0, 0xf8, 0x3f,
	}
	if !bytes.Equal(got, want) {
		t.Errorf("got\n% x\nwant\n% x", got, want)
	}
	noArgs, err := executePacket(7, nil)
	if err != nil || !bytes.Equal(noArgs, []byte{0, 0, 0, 0, 0x17, 7, 0, 0, 0, 0, 1, 0, 0, 0}) {
		t.Errorf("no arguments: % x, %v", noArgs, err)
	}
	if _, err := executePacket(7, []any{struct{}{}}); err == nil {
		t.Error("an argument of an unknown type was accepted")
	}
}

// columnDef is a column definition packet.
func columnDef(name string, typ uint8, flags uint16, decimals uint8) []byte {
	var b []byte
	for _, s := range []string{"def", "db", "t", "t", name, name} {
		b = append(appendLenencInt(b, uint64(len(s))), s...)
	}
	b = append(b, 0x0c, 45, 0)
	b = binary.LittleEndian.AppendUint32(b, 20)
	b = append(b, typ)
	b = binary.LittleEndian.AppendUint16(b, flags)
	return append(b, decimals, 0, 0)
}

var eofPacket = []byte{0xfe, 0, 0, 0x22, 0}

func errPacket(code uint16, state, msg string) []byte {
	b := binary.LittleEndian.AppendUint16([]byte{0xff}, code)
	return append(append(append(b, '#'), state...), msg...)
}

func TestResultReader(t *testing.T) {
	cols := []wireColumn{
		{name: "id", typ: gomysql.MYSQL_TYPE_LONGLONG, flags: gomysql.UNSIGNED_FLAG | gomysql.NOT_NULL_FLAG},
		{name: "naïve", typ: gomysql.MYSQL_TYPE_DATETIME, decimals: 6},
	}
	header := [][]byte{{2}, columnDef("id", cols[0].typ, cols[0].flags, 0), columnDef("naïve", cols[1].typ, 0, 6), eofPacket}
	row1 := binRow(nil, uint64(1), binDateTime(2024, 1, 2, 3, 4, 5, 6))
	row2 := binRow(nil, uint64(2), nil)
	read := func(payloads ...[]byte) ([]wireColumn, [][]byte, error) {
		p := packetReader{conn: &trickleConn{data: packets(payloads...), step: 5}, timeout: time.Minute}
		p.begin(context.Background())
		rr := resultReader{&p}
		got, err := rr.columns()
		if err != nil {
			return nil, nil, err
		}
		var rows [][]byte
		for {
			row, err := rr.row()
			if err != nil || row == nil {
				return got, rows, err
			}
			rows = append(rows, bytes.Clone(row))
		}
	}

	got, rows, err := read(append(header, row1, row2, eofPacket)...)
	if err != nil || fmt.Sprint(got) != fmt.Sprint(cols) || len(rows) != 2 || !bytes.Equal(rows[0], row1) || !bytes.Equal(rows[1], row2) {
		t.Errorf("got %v, %d rows, %v", got, len(rows), err)
	}

	_, rows, err = read(append(header, row1, errPacket(1969, "70100", "Query execution was interrupted"))...)
	var me *gomysql.MyError
	if !errors.As(err, &me) || me.Code != 1969 || me.State != "70100" || me.Message != "Query execution was interrupted" || len(rows) != 1 {
		t.Errorf("an error after a row: %d rows, %v", len(rows), err)
	}

	_, _, err = read(errPacket(1146, "42S02", "Table 'db.t' doesn't exist"))
	if !errors.As(err, &me) || me.Code != 1146 {
		t.Errorf("an error instead of a result: %v", err)
	}

	_, _, err = read([]byte{0, 0, 0, 2, 0, 0, 0})
	if err == nil || !strings.Contains(err.Error(), "no result set") {
		t.Errorf("an OK instead of a result: %v", err)
	}

	_, _, err = read(append(header, row1, []byte{0xfe, 0, 0, 0x0a, 0})...)
	if err == nil || !strings.Contains(err.Error(), "more than one result set") {
		t.Errorf("more results: %v", err)
	}

	for _, bad := range [][][]byte{
		{{2}, columnDef("id", 8, 0, 0), eofPacket},                // a column definition missing
		{{2}, columnDef("id", 8, 0, 0), {3, 'd', 'e'}, eofPacket}, // a truncated one
		append(header, []byte{0x07, 1}),                           // not a row
	} {
		if _, _, err := read(bad...); err == nil {
			t.Errorf("malformed result %q accepted", bad)
		}
	}
}
