package doris

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/server"
)

// mysqlServerVersion is what the handshake announces; Doris reports a 5.7.x version.
const mysqlServerVersion = "5.7.99"

// mysqlState is owned by the MySQL-protocol side (DDL, SHOW, SELECT).
type mysqlState struct {
	proto *server.Server

	connMu sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup

	// Guarded by Catalog.Mu: per-table facts the shared Table type does not carry,
	// and the schema-change job counter.
	extras    map[*Table]*tableExtra
	nextJobID int64
}

// tableExtra is MySQL-side metadata of a table kept outside the shared Table type.
type tableExtra struct {
	created      time.Time
	indexes      []string          // INDEX definitions as written, for SHOW CREATE TABLE
	autoIncStart map[string]int64  // lower-case column name → AUTO_INCREMENT start
	onUpdate     map[string]string // lower-case column name → ON UPDATE expression
	partCols     []string          // partition columns
	jobDeadline  map[int64]time.Time
}

func (s *Server) startMySQL() error {
	st := &mysqlState{
		proto:     server.NewServer(mysqlServerVersion, mysql.DEFAULT_COLLATION_ID, mysql.AUTH_NATIVE_PASSWORD, nil, nil),
		conns:     map[net.Conn]struct{}{},
		extras:    map[*Table]*tableExtra{},
		nextJobID: 11000,
	}
	s.mysql = st
	st.wg.Add(1)
	go st.acceptLoop(s)
	s.closers = append(s.closers, st.close)
	return nil
}

func (st *mysqlState) acceptLoop(s *Server) {
	defer st.wg.Done()
	for {
		nc, err := s.mysqlLn.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				slog.Warn("doris stand-in: mysql accept", "err", err)
			}
			return
		}
		st.connMu.Lock()
		if st.closed {
			st.connMu.Unlock()
			nc.Close()
			return
		}
		st.conns[nc] = struct{}{}
		st.wg.Add(1)
		st.connMu.Unlock()
		go st.serveConn(s, nc)
	}
}

// serveConn runs one client connection: handshake, then commands until it ends.
func (st *mysqlState) serveConn(s *Server, nc net.Conn) {
	defer st.wg.Done()
	defer func() {
		st.connMu.Lock()
		delete(st.conns, nc)
		st.connMu.Unlock()
		nc.Close()
	}()
	defer func() {
		// A stand-in bug must fail this connection loudly, not the whole test binary.
		if r := recover(); r != nil {
			slog.Error("doris stand-in: mysql connection panicked", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	auth := server.NewInMemoryAuthenticationHandler(mysql.AUTH_NATIVE_PASSWORD)
	if err := auth.AddUser(s.Opts.User, s.Opts.Password); err != nil {
		slog.Error("doris stand-in: mysql auth setup", "err", err)
		return
	}
	sess := newMySQLSession(s)
	conn, err := st.proto.NewCustomizedConn(nc, auth, sess)
	if err != nil {
		slog.Debug("doris stand-in: mysql handshake failed", "remote", nc.RemoteAddr().String(), "err", err)
		return
	}
	for !conn.Closed() {
		if err := conn.HandleCommand(); err != nil {
			return
		}
	}
}

// close ends every connection and waits for their goroutines.
func (st *mysqlState) close() {
	st.connMu.Lock()
	st.closed = true
	for nc := range st.conns {
		nc.Close()
	}
	st.connMu.Unlock()
	st.wg.Wait()
}

// extra returns the MySQL-side metadata of a table, creating it on first use.
// Caller holds Catalog.Mu.
func (st *mysqlState) extra(t *Table) *tableExtra {
	x := st.extras[t]
	if x == nil {
		x = &tableExtra{autoIncStart: map[string]int64{}, onUpdate: map[string]string{}, jobDeadline: map[int64]time.Time{}}
		st.extras[t] = x
	}
	return x
}

// sqlError is an error sent to the client as a MySQL error packet.
type sqlError struct {
	code  uint16
	state string
	msg   string
	raw   bool // send msg as is, without Doris's "errCode = 2, detailMessage = " prefix
}

func (e *sqlError) Error() string { return e.msg }

// dorisErr is Doris's usual failure: 1105 (HY000) "errCode = 2, detailMessage = …".
func dorisErr(format string, a ...any) error {
	return &sqlError{code: mysql.ER_UNKNOWN_ERROR, state: "HY000", msg: fmt.Sprintf(format, a...)}
}

// dorisErrCode is a Doris failure carrying a specific MySQL error code.
func dorisErrCode(code uint16, state, format string, a ...any) error {
	return &sqlError{code: code, state: state, msg: fmt.Sprintf(format, a...)}
}

// unsupportedStmt refuses a statement the stand-in does not model, never a silent OK.
func unsupportedStmt(stmt string) error {
	return dorisErr("the Doris stand-in does not support: %s", sqlTruncate(stmt, 300))
}

// toMyError converts any error into the packet go-mysql writes.
func toMyError(err error) *mysql.MyError {
	var se *sqlError
	if errors.As(err, &se) {
		msg := se.msg
		if !se.raw {
			msg = "errCode = 2, detailMessage = " + msg
		}
		return &mysql.MyError{Code: se.code, State: se.state, Message: msg}
	}
	return &mysql.MyError{Code: mysql.ER_UNKNOWN_ERROR, State: "HY000", Message: "errCode = 2, detailMessage = " + err.Error()}
}
