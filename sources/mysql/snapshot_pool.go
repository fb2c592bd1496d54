package mysql

import (
	"database/sql"
	"fmt"
	"time"

	driver "github.com/go-sql-driver/mysql"
)

// openPool opens a connection pool of its own for the snapshot's lock, position and
// chunk planning, configured like the discovery pool (same login, TLS and timeouts).
func (s *Source) openPool(size int) (*sql.DB, error) {
	cfg := s.cfg
	dc := driver.NewConfig()
	dc.User = cfg.User
	dc.Passwd = cfg.Password
	dc.Net = "tcp"
	dc.Addr = cfg.addr()
	dc.Timeout = cfg.ConnectTimeout
	if dc.Timeout <= 0 {
		dc.Timeout = 30 * time.Second
	}
	// A reader waits for the server only between packets; a dead network must not hang
	// it for ever. (The server's side of a slow consumer is net_write_timeout, raised
	// per session.)
	dc.ReadTimeout = 10 * time.Minute
	dc.WriteTimeout = time.Minute
	dc.Logger = &driver.NopLogger{}
	dc.Params = map[string]string{"time_zone": "'+00:00'"} // TIMESTAMP values arrive in UTC
	tlsConf, fallback, err := cfg.TLS.build(cfg.Host)
	if err != nil {
		return nil, fmt.Errorf("mysql source %s: %w", cfg.addr(), err)
	}
	dc.TLS = tlsConf
	dc.AllowFallbackToPlaintext = fallback
	connector, err := driver.NewConnector(dc)
	if err != nil {
		return nil, fmt.Errorf("mysql source %s: %w", cfg.addr(), err)
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(size)
	db.SetMaxIdleConns(size)
	return db, nil
}

// sessionSetup makes a reader session safe for long, slowly consumed reads. (Text
// arrives in utf8mb4: the readers log in with that collation, see dialReader.)
func sessionSetup(si serverInfo) []string {
	stmts := []string{
		"SET SESSION time_zone = '+00:00'",
		// The server kills a connection whose client does not read for
		// net_write_timeout seconds; a reader blocks while Doris loads.
		"SET SESSION net_write_timeout = 3600",
		"SET SESSION net_read_timeout = 3600",
		"SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
	}
	if si.flavor == FlavorMariaDB {
		stmts = append(stmts, "SET SESSION max_statement_time = 0")
	} else if si.atLeast(5, 7, 8) {
		stmts = append(stmts, "SET SESSION max_execution_time = 0")
	}
	return stmts
}
