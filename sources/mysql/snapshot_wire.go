package mysql

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
)

// The chunk SELECT's result is read off the socket here rather than through go-mysql's
// client: its streaming API formats every DATE/DATETIME with fmt and copies each packet
// three times through pooled buffers (~1.7 µs/row before any decoding, measured on the
// benchmark table), where this reader hands out each row packet in place and the
// decoder reads dates from their binary form. go-mysql still does everything else on
// the connection (login, TLS, statements, PREPARE); the two never read at the same
// time, and each starts with nothing buffered: the server sends only answers, so once
// go-mysql has read an answer to its end its buffer is empty, and this reader checks
// that it has consumed the result to its last byte (see readResult).

// readBufferSize is the reader's socket buffer: a read syscall fetches up to this much.
const readBufferSize = 64 << 10

// maxPayload is the largest payload of one protocol packet; a payload of exactly this
// size continues in the next packet.
const maxPayload = 1<<24 - 1

// packetReader reads protocol packets from the connection. The payload next returns
// lies in its buffer (or in big, for a packet larger than the buffer) and is valid
// until the following call.
type packetReader struct {
	conn    net.Conn
	timeout time.Duration // how long a read waits for the server
	buf     []byte
	r, w    int // unread bytes are buf[r:w]
	seq     uint8
	big     []byte
	ctx     context.Context
	// refreshAt: the read deadline is moved on at the first read after this. Setting
	// it on every read would cost more than the read of a small row; refreshing it at
	// most once a second still gives each read at least timeout−1s, however long the
	// caller spent between reads (blocked in emit, say).
	refreshAt time.Time
}

// begin prepares for the answer to a command just written with sequence number 0.
func (p *packetReader) begin(ctx context.Context) {
	if p.buf == nil {
		p.buf = make([]byte, readBufferSize)
	}
	p.ctx, p.seq, p.refreshAt = ctx, 1, time.Time{}
}

// buffered is the number of bytes read from the socket and not yet handed out.
func (p *packetReader) buffered() int { return p.w - p.r }

// next returns the next packet's payload, joined from several packets when it is
// 16 MB or larger.
func (p *packetReader) next() ([]byte, error) {
	p.big = nil // a large payload is kept only until the next call
	n, err := p.header()
	if err != nil {
		return nil, err
	}
	if n < maxPayload && n <= len(p.buf) {
		if err := p.fill(n); err != nil {
			return nil, err
		}
		b := p.buf[p.r : p.r+n : p.r+n]
		p.r += n
		return b, nil
	}
	big := make([]byte, 0, n)
	for {
		if big, err = p.appendN(big, n); err != nil {
			return nil, err
		}
		if n < maxPayload {
			break
		}
		if n, err = p.header(); err != nil {
			return nil, err
		}
	}
	p.big = big
	return big, nil
}

// header reads a packet header and returns the payload length.
func (p *packetReader) header() (int, error) {
	if err := p.fill(4); err != nil {
		return 0, err
	}
	h := p.buf[p.r : p.r+4]
	if h[3] != p.seq {
		return 0, fmt.Errorf("protocol error: packet sequence %d, want %d", h[3], p.seq)
	}
	p.seq++
	p.r += 4
	return int(h[0]) | int(h[1])<<8 | int(h[2])<<16, nil
}

// appendN appends the next n bytes of the stream to dst.
func (p *packetReader) appendN(dst []byte, n int) ([]byte, error) {
	for n > 0 {
		if err := p.fill(1); err != nil {
			return nil, err
		}
		k := min(n, p.w-p.r)
		dst = append(dst, p.buf[p.r:p.r+k]...)
		p.r += k
		n -= k
	}
	return dst, nil
}

// fill makes at least need (≤ len(buf)) bytes available.
func (p *packetReader) fill(need int) error {
	if p.w-p.r >= need {
		return nil
	}
	if len(p.buf)-p.r < need {
		p.w = copy(p.buf, p.buf[p.r:p.w])
		p.r = 0
	}
	for p.w-p.r < need {
		if err := p.ctx.Err(); err != nil {
			return err
		}
		if now := time.Now(); now.After(p.refreshAt) {
			if err := p.conn.SetReadDeadline(now.Add(p.timeout)); err != nil {
				return err
			}
			p.refreshAt = now.Add(time.Second)
		}
		k, err := p.conn.Read(p.buf[p.w:])
		p.w += k
		if err != nil && p.w-p.r < need {
			return err
		}
	}
	return nil
}

// wireColumn is what a result's column definition says about the values on the wire.
type wireColumn struct {
	name     string
	typ      uint8 // gomysql.MYSQL_TYPE_*
	flags    uint16
	decimals uint8
}

func (c wireColumn) unsigned() bool { return c.flags&gomysql.UNSIGNED_FLAG != 0 }

// parseColumn reads a column definition packet (Protocol::ColumnDefinition41).
func parseColumn(p []byte) (wireColumn, error) {
	var c wireColumn
	pos := 0
	// catalog, schema, table, org_table, name, org_name
	for i := 0; i < 6; i++ {
		s, n, ok := lenencBytes(p[pos:])
		if !ok {
			return c, errMalformed
		}
		if i == 4 {
			c.name = string(s)
		}
		pos += n
	}
	// length of the fixed fields (0x0c), charset (2), column length (4), type (1),
	// flags (2), decimals (1)
	if len(p) < pos+11 {
		return c, errMalformed
	}
	pos += 7
	c.typ = p[pos]
	c.flags = binary.LittleEndian.Uint16(p[pos+1:])
	c.decimals = p[pos+3]
	return c, nil
}

var errMalformed = errors.New("protocol error: malformed packet")

// lenencInt reads a length-encoded integer; null is the NULL marker (0xFB). ok is false
// when b is too short.
func lenencInt(b []byte) (v uint64, null bool, n int, ok bool) {
	if len(b) == 0 {
		return 0, false, 0, false
	}
	switch b[0] {
	case 0xFB:
		return 0, true, 1, true
	case 0xFC:
		if len(b) < 3 {
			return 0, false, 0, false
		}
		return uint64(binary.LittleEndian.Uint16(b[1:])), false, 3, true
	case 0xFD:
		if len(b) < 4 {
			return 0, false, 0, false
		}
		return uint64(b[1]) | uint64(b[2])<<8 | uint64(b[3])<<16, false, 4, true
	case 0xFE:
		if len(b) < 9 {
			return 0, false, 0, false
		}
		return binary.LittleEndian.Uint64(b[1:]), false, 9, true
	}
	return uint64(b[0]), false, 1, true
}

// lenencBytes reads a length-encoded string: its bytes (in b) and the length read.
func lenencBytes(b []byte) ([]byte, int, bool) {
	v, _, n, ok := lenencInt(b)
	if !ok || v > uint64(len(b)-n) {
		return nil, 0, false
	}
	end := n + int(v)
	return b[n:end:end], end, true
}

func appendLenencInt(b []byte, v uint64) []byte {
	switch {
	case v < 0xFB:
		return append(b, byte(v))
	case v <= 0xFFFF:
		return append(b, 0xFC, byte(v), byte(v>>8))
	case v <= 0xFFFFFF:
		return append(b, 0xFD, byte(v), byte(v>>8), byte(v>>16))
	}
	return binary.LittleEndian.AppendUint64(append(b, 0xFE), v)
}

// executePacket is COM_STMT_EXECUTE of statement id with args (the connection does not
// negotiate query attributes, so this is the classic layout), with 4 bytes of room for
// the packet header in front.
func executePacket(id uint32, args []any) ([]byte, error) {
	b := make([]byte, 4, 64)
	b = append(b, gomysql.COM_STMT_EXECUTE)
	b = binary.LittleEndian.AppendUint32(b, id)
	b = append(b, gomysql.CURSOR_TYPE_NO_CURSOR)
	b = binary.LittleEndian.AppendUint32(b, 1) // iteration count
	if len(args) == 0 {
		return b, nil
	}
	nulls := len(b)
	b = append(b, make([]byte, (len(args)+7)/8)...)
	b = append(b, 1) // new-params-bound: the types follow
	types := len(b)
	b = append(b, make([]byte, 2*len(args))...)
	for i, a := range args {
		var typ, flag byte
		switch v := a.(type) {
		case nil:
			b[nulls+i/8] |= 1 << (i % 8)
			typ = gomysql.MYSQL_TYPE_NULL
		case int64:
			typ = gomysql.MYSQL_TYPE_LONGLONG
			b = binary.LittleEndian.AppendUint64(b, uint64(v))
		case uint64:
			typ, flag = gomysql.MYSQL_TYPE_LONGLONG, 0x80 // unsigned
			b = binary.LittleEndian.AppendUint64(b, v)
		case float64:
			typ = gomysql.MYSQL_TYPE_DOUBLE
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		case string:
			typ = gomysql.MYSQL_TYPE_STRING
			b = append(appendLenencInt(b, uint64(len(v))), v...)
		case []byte:
			typ = gomysql.MYSQL_TYPE_STRING
			b = append(appendLenencInt(b, uint64(len(v))), v...)
		default:
			return nil, fmt.Errorf("argument %d: cannot send a %T", i+1, a)
		}
		b[types+2*i], b[types+2*i+1] = typ, flag
	}
	return b, nil
}

// serverError reads an ERR packet.
func serverError(p []byte) error {
	if len(p) < 3 {
		return errMalformed
	}
	e := &gomysql.MyError{Code: binary.LittleEndian.Uint16(p[1:])}
	rest := p[3:]
	if len(rest) >= 6 && rest[0] == '#' {
		e.State, rest = string(rest[1:6]), rest[6:]
	}
	e.Message = string(rest)
	return e
}

// isEOF tells the EOF packet that ends column definitions and rows (the connection does
// not negotiate CLIENT_DEPRECATE_EOF). A row of the binary protocol starts with 0x00,
// so no row can look like one.
func isEOF(p []byte) bool { return len(p) > 0 && p[0] == 0xFE && len(p) < 9 }

// resultReader reads one binary-protocol result set from a packetReader.
type resultReader struct {
	p *packetReader
}

// columns reads the result's header: the column count and definitions. A statement
// that returns no result set is an error.
func (rr resultReader) columns() ([]wireColumn, error) {
	first, err := rr.p.next()
	if err != nil {
		return nil, err
	}
	switch {
	case len(first) == 0:
		return nil, errMalformed
	case first[0] == 0xFF:
		return nil, serverError(first)
	case first[0] == 0x00:
		return nil, errors.New("the statement returned no result set")
	}
	count, _, _, ok := lenencInt(first)
	if !ok || count == 0 || count > 4096 {
		return nil, errMalformed
	}
	cols := make([]wireColumn, count)
	for i := range cols {
		p, err := rr.p.next()
		if err != nil {
			return nil, err
		}
		if cols[i], err = parseColumn(p); err != nil {
			return nil, err
		}
	}
	p, err := rr.p.next()
	if err != nil {
		return nil, err
	}
	if !isEOF(p) {
		return nil, errMalformed
	}
	return cols, nil
}

// row returns the next row packet, or nil after the last one. An error sent by the
// server ends the result (the connection stays usable).
func (rr resultReader) row() ([]byte, error) {
	p, err := rr.p.next()
	if err != nil {
		return nil, err
	}
	switch {
	case len(p) == 0:
		return nil, errMalformed
	case p[0] == 0x00:
		return p, nil
	case p[0] == 0xFF:
		return nil, serverError(p)
	case isEOF(p):
		if len(p) >= 5 && binary.LittleEndian.Uint16(p[3:])&gomysql.SERVER_MORE_RESULTS_EXISTS != 0 {
			return nil, errors.New("protocol error: the statement returned more than one result set")
		}
		return nil, nil
	}
	return nil, errMalformed
}
