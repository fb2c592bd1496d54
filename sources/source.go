// Package sources holds the contract every source database implements (Source) and
// what the source packages share: the one-line connection errors. Each source lives in
// its own package (sources/mysql, sources/postgres, …) that alone imports its driver,
// fills in the neutral model of package schema, and never imports sink, ddl or another
// source.
package sources

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"

	"github.com/doris-sync/doris-sync/schema"
)

// Source is one source database, connected. Snapshot and Stream join Discover as the
// snapshot and change-stream work lands.
type Source interface {
	// Discover returns every base table the source-side filters select (the MySQL
	// database-name regex, the PostgreSQL schema-name pattern), matched by exact name,
	// views excluded, columns in ordinal order, in a deterministic order (by database,
	// schema and name).
	Discover(ctx context.Context) ([]*schema.Table, error)
	// Close releases the connection.
	Close() error
}

// ConnectError is a failure to reach or log in to a server. Its message is one line
// naming the server and the cause in words; it never holds a password.
type ConnectError struct {
	What   string // "MySQL", "PostgreSQL", "the Doris FE"
	Addr   string // host:port
	User   string
	Reason string // the cause in words: "wrong user name or password", …
	Err    error  // the driver's error, for errors.Is/As
}

func (e *ConnectError) Error() string {
	s := fmt.Sprintf("cannot connect to %s at %s", e.What, e.Addr)
	if e.User != "" {
		s += " as " + e.User
	}
	return s + ": " + e.Reason
}

func (e *ConnectError) Unwrap() error { return e.Err }

// NetworkReason describes a network-level connection failure in words ("nothing
// listens on that port (connection refused)"), or returns false when err is not one;
// the caller then classifies the server's own answer (a wrong password, …).
func NetworkReason(err error) (string, bool) {
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return fmt.Sprintf("the host name %q is not known (DNS lookup failed)", dnsErr.Name), true
		}
		return fmt.Sprintf("the host name %q could not be resolved: %v", dnsErr.Name, dnsErr.Err), true
	case errors.Is(err, syscall.ECONNREFUSED):
		return "the server is unreachable: nothing listens on that port (connection refused)", true
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "the server is unreachable: no route to the host", true
	case errors.Is(err, syscall.ECONNRESET):
		return "the server closed the connection (connection reset); is it the right port and protocol?", true
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return "the server is unreachable: no answer before the connect timeout (host down or firewalled?)", true
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return "the server is unreachable: no answer before the connect timeout (host down or firewalled?)", true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return fmt.Sprintf("the server is unreachable: %v", opErr.Err), true
	}
	return "", false
}
