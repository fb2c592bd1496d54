package mysql

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"
)

// Timeouts of a reader connection, as the discovery pool has them: a dead network must
// not hang a read for ever (the server's side of a slow consumer is net_write_timeout,
// raised per session by sessionSetup).
const (
	readerReadTimeout  = 10 * time.Minute
	readerWriteTimeout = time.Minute
)

// readerCollation is the connection collation the readers log in with: text arrives in
// utf8mb4, as on the discovery pool (go-sql-driver's default).
const readerCollation = "utf8mb4_general_ci"

// readerConn is one snapshot reader's session: a go-mysql connection for statements,
// and a packetReader of its own for the rows of chunk SELECTs (see snapshot_wire.go).
// go-mysql's client is not context-aware: every call watches its ctx and closes the
// socket when it is cancelled, which ends a blocked read at once. A session that was cut
// that way, or failed in the middle of an answer, is broken: its transaction (the
// snapshot view) is gone and every later call fails with the reason.
type readerConn struct {
	c      *client.Conn
	sock   net.Conn // the TCP socket, for deadlines and for cutting the session
	rows   packetReader
	broken error
}

// dialReader opens a reader connection with the source's login, TLS config tlsConf
// (nil: plain), connect timeout and the readers' read/write timeouts.
func (s *Source) dialReader(ctx context.Context, tlsConf *tls.Config) (*readerConn, error) {
	timeout := s.cfg.ConnectTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	// The socket, for the watcher below: go-mysql dials and logs in within one call.
	var mu sync.Mutex
	var sock net.Conn
	cancelled := false
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{Timeout: timeout}
		nc, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		// go-mysql reads the greeting and the login answers without a deadline of its
		// own (its ReadTimeout is off, see below): the connect timeout bounds them.
		if err := nc.SetDeadline(time.Now().Add(timeout)); err != nil {
			nc.Close()
			return nil, err
		}
		mu.Lock()
		defer mu.Unlock()
		if cancelled {
			nc.Close()
			return nil, context.Cause(ctx)
		}
		sock = nc
		return nc, nil
	}
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		cancelled = true
		if sock != nil {
			sock.Close()
		}
	})
	c, err := client.ConnectWithDialer(ctx, "tcp", s.cfg.addr(), s.cfg.User, s.cfg.Password, "", dial,
		func(c *client.Conn) error {
			// The readers set their own read deadlines: go-mysql's would be set twice
			// per row packet.
			c.ReadTimeout = 0
			c.WriteTimeout = readerWriteTimeout
			// The rows are read by packetReader, which speaks the classic protocol:
			// COM_STMT_EXECUTE without query attributes, EOF packets after column
			// definitions and rows.
			c.UnsetCapability(gomysql.CLIENT_QUERY_ATTRIBUTES)
			c.UnsetCapability(gomysql.CLIENT_DEPRECATE_EOF)
			if tlsConf != nil {
				c.SetTLSConfig(tlsConf)
			}
			return c.SetCollation(readerCollation)
		})
	if !stop() {
		if c != nil {
			c.Close()
		}
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("connect a snapshot reader to %s: %w", s.cfg.addr(), err)
	}
	if err := sock.SetDeadline(time.Time{}); err != nil {
		c.Close()
		return nil, fmt.Errorf("connect a snapshot reader to %s: %w", s.cfg.addr(), err)
	}
	rc := &readerConn{c: c, sock: sock}
	// Rows are read from what go-mysql reads through its buffer: the socket, or the
	// *tls.Conn over it.
	rc.rows.conn, rc.rows.timeout = c.Conn.Conn, readerReadTimeout
	return rc, nil
}

// call runs f, which talks to the server, under ctx: a cancelled ctx closes the socket
// and call returns ctx's error. Any error but the server's own answer (a
// *gomysql.MyError, after which the session goes on) breaks the session.
func (rc *readerConn) call(ctx context.Context, f func() error) error {
	if rc.broken != nil {
		// %v: a later call is not itself cancelled, even when the session was cut
		// by a cancellation.
		return fmt.Errorf("the reader's session (and its snapshot view) was lost earlier: %v", rc.broken)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// go-mysql's statements wait for the server under this deadline; the rows of a
	// chunk under packetReader's.
	if err := rc.sock.SetReadDeadline(time.Now().Add(readerReadTimeout)); err != nil {
		rc.broken = err
		return err
	}
	// Closing the TCP socket (not a *tls.Conn over it, whose Close first sends an
	// alert) ends a blocked read at once.
	stop := context.AfterFunc(ctx, func() { rc.sock.Close() })
	err := f()
	if !stop() {
		// The watcher ran: the socket is closed, whatever f returned.
		rc.broken = ctx.Err()
		return ctx.Err()
	}
	var se *gomysql.MyError
	if err != nil && !errors.As(err, &se) {
		rc.broken = err
	}
	return err
}

// exec runs statements that return no rows, in order.
func (rc *readerConn) exec(ctx context.Context, stmts ...string) error {
	for _, stmt := range stmts {
		err := rc.call(ctx, func() error {
			_, err := rc.c.Execute(stmt)
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	return nil
}

// queryStrings runs a text query and returns its rows as strings (NULL as "").
func (rc *readerConn) queryStrings(ctx context.Context, q string) ([][]string, error) {
	var out [][]string
	err := rc.call(ctx, func() error {
		r, err := rc.c.Execute(q)
		if err != nil {
			return err
		}
		defer r.Close()
		for i := 0; i < r.RowNumber(); i++ {
			row := make([]string, r.ColumnNumber())
			for j := range row {
				s, err := r.GetString(i, j)
				if err != nil {
					return err
				}
				row[j] = strings.Clone(s) // s is a view of the result's buffer
			}
			out = append(out, row)
		}
		return nil
	})
	return out, err
}

// selectRows prepares q, runs it with args and reads its rows with the binary protocol:
// start gets the result's columns, then each gets every row packet, valid only until
// each returns. When start or each fails, the rest of the result is read and dropped,
// so the session stays usable, and that error is returned as it is.
func (rc *readerConn) selectRows(ctx context.Context, q string, args []any, start func([]wireColumn) error, each func(row []byte) error) error {
	var stopErr error // from start or each
	err := rc.call(ctx, func() error {
		st, err := rc.c.Prepare(q)
		if err != nil {
			return err
		}
		// COM_STMT_CLOSE has no answer; on a broken session the write just fails.
		defer st.Close()
		if st.ParamNum() != len(args) {
			return fmt.Errorf("the statement takes %d arguments, %d given", st.ParamNum(), len(args))
		}
		pkt, err := executePacket(st.ID, args)
		if err != nil {
			return err
		}
		rc.c.ResetSequence()
		if err := rc.c.WritePacket(pkt); err != nil {
			return err
		}
		rc.rows.begin(ctx)
		rr := resultReader{&rc.rows}
		cols, err := rr.columns()
		if err != nil {
			return err
		}
		stopErr = start(cols)
		for {
			row, err := rr.row()
			if err != nil || row == nil {
				if err == nil && rc.rows.buffered() != 0 {
					err = fmt.Errorf("protocol error: %d bytes after the end of the result", rc.rows.buffered())
				}
				return err
			}
			if stopErr == nil {
				stopErr = each(row)
			}
		}
	})
	if stopErr != nil {
		// The reason the rows stopped, whether or not the rest could be read away
		// (a failure there broke the session, and the next call says so).
		return stopErr
	}
	return err
}

// close ends the session: its transaction ends with it.
func (rc *readerConn) close() error {
	if rc.broken != nil {
		return rc.c.Close()
	}
	return rc.c.Quit()
}
