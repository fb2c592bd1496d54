// Package fe is the Doris FE SQL client: DDL and schema introspection over the FE's
// MySQL-protocol port (the jdbc-url), with go-sql-driver/mysql. Statements are never
// prepared (interpolateParams=true: older Doris refuses COM_STMT_PREPARE), every
// connection has timeouts, and neither the DSN nor the password ever appears in an
// error.
package fe

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	driver "github.com/go-sql-driver/mysql"

	"github.com/doris-sync/doris-sync/ddl"
)

// SetDecimal256 is the session setting Doris ≥ 2.1 needs before a statement creates a
// DECIMAL wider than 38 digits.
const SetDecimal256 = "SET enable_decimal256 = true"

// Config says how to reach the FE. Printing it never shows the password.
type Config struct {
	JDBCURL  string // jdbc:mysql://host:9030[,host2:9030][/db][?k=v]
	User     string
	Password string
	// ConnectTimeout bounds each connection attempt (default: the URL's connectTimeout,
	// else 10 s); ReadTimeout bounds waiting for one answer (default: the URL's
	// socketTimeout, else 10 min, since CREATE TABLE waits for its tablets).
	ConnectTimeout time.Duration
	ReadTimeout    time.Duration
}

// String describes the config without the password.
func (c Config) String() string { return fmt.Sprintf("%s as %s", c.JDBCURL, c.User) }

// GoString keeps %#v from printing the password.
func (c Config) GoString() string { return c.String() }

// Client is a connection pool to one FE.
type Client struct {
	db   *sql.DB
	addr string
}

// ConnectError says why no FE of the jdbc-url could be reached or logged in to.
type ConnectError struct {
	Attempts []string // "host:port: reason", in the order tried
	Err      error    // the last driver error
}

func (e *ConnectError) Error() string {
	return "cannot connect to the Doris FE (jdbc-url): " + strings.Join(e.Attempts, "; ")
}

func (e *ConnectError) Unwrap() error { return e.Err }

// Open connects to the first FE of the jdbc-url that accepts the login, trying them in
// order.
func Open(ctx context.Context, cfg Config) (*Client, error) {
	ep, err := ParseJDBCURL(cfg.JDBCURL)
	if err != nil {
		return nil, err
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = ep.ConnectTimeout
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = ep.ReadTimeout
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = 10 * time.Minute
	}
	ce := &ConnectError{}
	for _, host := range ep.Hosts {
		c, err := open(ctx, cfg, host)
		if err == nil {
			return c, nil
		}
		ce.Attempts = append(ce.Attempts, fmt.Sprintf("%s as %s: %s", host, cfg.User, connectReason(err)))
		ce.Err = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, ce
}

func open(ctx context.Context, cfg Config, host string) (*Client, error) {
	dc := driver.NewConfig()
	dc.User = cfg.User
	dc.Passwd = cfg.Password
	dc.Net = "tcp"
	dc.Addr = host
	dc.Timeout = cfg.ConnectTimeout
	dc.ReadTimeout = cfg.ReadTimeout
	dc.WriteTimeout = cfg.ConnectTimeout
	dc.InterpolateParams = true
	dc.Logger = &driver.NopLogger{} // errors reach the caller; the driver must not print
	connector, err := driver.NewConnector(dc)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(2)
	db.SetConnMaxIdleTime(time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, err
	}
	return &Client{db: db, addr: host}, nil
}

// connectReason says in words why a connection failed.
func connectReason(err error) string {
	var me *driver.MySQLError
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.As(err, &me) && me.Number == 1045:
		return "wrong user name or password (" + me.Message + ")"
	case errors.As(err, &me):
		return "the FE refused the connection: " + me.Message
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("the host name %q is not known", dnsErr.Name)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "unreachable: nothing listens on that port (connection refused)"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "unreachable: no route to the host"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout():
		return "unreachable: no answer before the connect timeout (host down or firewalled?)"
	case errors.Is(err, driver.ErrInvalidConn), errors.Is(err, syscall.ECONNRESET):
		return "the connection was closed during the handshake; is it the FE's MySQL port (query_port, 9030)?"
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}

// Addr is the host:port of the FE in use.
func (c *Client) Addr() string { return c.addr }

// Close closes the connections.
func (c *Client) Close() error { return c.db.Close() }

// StatementError is Doris refusing a statement.
type StatementError struct {
	Statement string
	Code      uint16
	Message   string // Doris's text, e.g. "errCode = 2, detailMessage = Table 't' already exists"
}

func (e *StatementError) Error() string { return e.Message }

// Exec runs the statements in order on one connection (so a SET carries over to the
// statements after it), stopping at the first error. Doris's refusal is a
// *StatementError holding its message.
func (c *Client) Exec(ctx context.Context, stmts ...string) error {
	conn, err := c.db.Conn(ctx)
	if err != nil {
		return c.transportError(err)
	}
	defer conn.Close()
	for _, stmt := range stmts {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return c.statementError(stmt, err)
		}
	}
	return nil
}

func (c *Client) statementError(stmt string, err error) error {
	var me *driver.MySQLError
	if errors.As(err, &me) {
		return &StatementError{Statement: stmt, Code: me.Number, Message: me.Message}
	}
	return c.transportError(err)
}

func (c *Client) transportError(err error) error {
	return fmt.Errorf("Doris FE %s: %s: %w", c.addr, connectReason(err), err)
}

// CreateDatabase runs CREATE DATABASE IF NOT EXISTS.
func (c *Client) CreateDatabase(ctx context.Context, db string) error {
	return c.Exec(ctx, ddl.CreateDatabaseSQL(db))
}

// CreateTable runs the plan's CREATE TABLE, after SET enable_decimal256 when the table
// needs it.
func (c *Client) CreateTable(ctx context.Context, tp *ddl.TablePlan) error {
	return c.Exec(ctx, CreateTableStatements(tp)...)
}

// CreateTableStatements are the statements CreateTable runs, in order.
func CreateTableStatements(tp *ddl.TablePlan) []string {
	if tp.NeedsDecimal256() {
		return []string{SetDecimal256, tp.CreateTableSQL()}
	}
	return []string{tp.CreateTableSQL()}
}

// DatabaseExists reports whether the database exists (exact name).
func (c *Client) DatabaseExists(ctx context.Context, db string) (bool, error) {
	return c.exists(ctx, "SELECT SCHEMA_NAME FROM information_schema.schemata WHERE SCHEMA_NAME = ?", db)
}

// TableExists reports whether the table exists (exact names).
func (c *Client) TableExists(ctx context.Context, db, table string) (bool, error) {
	return c.exists(ctx, "SELECT TABLE_NAME FROM information_schema.tables WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", db, table)
}

func (c *Client) exists(ctx context.Context, query string, args ...any) (bool, error) {
	rows, err := c.db.QueryContext(ctx, query, args...)
	if err != nil {
		return false, c.statementError(query, err)
	}
	defer rows.Close()
	found := false
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return false, c.transportError(err)
		}
		// information_schema may compare without regard to case; names are exact here.
		found = found || name == args[len(args)-1]
	}
	if err := rows.Err(); err != nil {
		return false, c.transportError(err)
	}
	return found, nil
}
