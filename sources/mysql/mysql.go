// Package mysql is the MySQL and MariaDB source: discovery of the tables of every
// database whose name matches the database-name regex, read from information_schema
// by exact names (never LIKE patterns), with the column details the Doris mapping
// needs. It handles MySQL 5.7/8/9 and MariaDB 10.x/11.x, whose information_schema
// differ in places (see parseDefault).
package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	driver "github.com/go-sql-driver/mysql"

	"github.com/doris-sync/doris-sync/sources"
)

// Config says where the source is and what to read. Printing it never shows the
// password.
type Config struct {
	Host     string
	Port     int
	User     string
	Password string
	// Databases selects the databases to replicate: a full-match regex on their names
	// (the database-name setting).
	Databases *regexp.Regexp
	TLS       TLSConfig
	// ConnectTimeout bounds each connection attempt; 0 means 30 s.
	ConnectTimeout time.Duration
	// ConnectRetries is how many more times a connection that failed for a network
	// reason is tried (a wrong password is never retried).
	ConnectRetries int
}

// String describes the config without the password.
func (c Config) String() string {
	return fmt.Sprintf("mysql://%s@%s (databases %v)", c.User, c.addr(), c.Databases)
}

// GoString keeps %#v from printing the password.
func (c Config) GoString() string { return c.String() }

func (c Config) addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// Source is a connected MySQL or MariaDB server.
type Source struct {
	cfg     Config
	db      *sql.DB
	version string // SELECT VERSION()
	// quotedDefaults: MariaDB ≥ 10.2.7 reports literal defaults quoted and a NULL
	// default as the text NULL; MySQL reports literals bare.
	quotedDefaults bool
}

var _ sources.Source = (*Source)(nil)

// Open connects and checks the login. A failure is a *sources.ConnectError saying in
// one line what went wrong (wrong password, nothing listening, …).
func Open(ctx context.Context, cfg Config) (*Source, error) {
	if cfg.Databases == nil {
		return nil, errors.New("mysql source: no database-name pattern")
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 30 * time.Second
	}
	dc := driver.NewConfig()
	dc.User = cfg.User
	dc.Passwd = cfg.Password
	dc.Net = "tcp"
	dc.Addr = cfg.addr()
	dc.Timeout = cfg.ConnectTimeout
	dc.ReadTimeout = 10 * time.Minute // a dead network must not hang a query for ever
	dc.WriteTimeout = time.Minute
	dc.Logger = &driver.NopLogger{} // errors reach the caller; the driver must not print
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
	db.SetMaxOpenConns(4)
	db.SetConnMaxIdleTime(time.Minute)

	s := &Source{cfg: cfg, db: db}
	if err := s.connect(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// connect logs in (retrying network failures) and reads the server flavour.
func (s *Source) connect(ctx context.Context) error {
	delay := 500 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := s.db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&s.version)
		if err == nil {
			break
		}
		cerr := s.connectError(err)
		if _, network := sources.NetworkReason(err); !network || attempt >= s.cfg.ConnectRetries || ctx.Err() != nil {
			return cerr
		}
		select {
		case <-ctx.Done():
			return cerr
		case <-time.After(delay):
		}
		delay *= 2
	}
	s.quotedDefaults = mariaDBQuotesDefaults(s.version)
	return nil
}

// connectError turns a login failure into one clear line.
func (s *Source) connectError(err error) error {
	ce := &sources.ConnectError{What: "MySQL", Addr: s.cfg.addr(), User: s.cfg.User, Err: err}
	var me *driver.MySQLError
	switch {
	case errors.As(err, &me) && me.Number == 1045:
		ce.Reason = "wrong user name or password (" + me.Message + ")"
	case errors.As(err, &me) && (me.Number == 1130 || me.Number == 1044):
		ce.Reason = "the server does not let this user in from here (" + me.Message + ")"
	case errors.As(err, &me):
		ce.Reason = fmt.Sprintf("the server refused the connection: %s", me.Message)
	case errors.Is(err, driver.ErrNoTLS):
		ce.Reason = "the server does not offer TLS, which ssl.mode requires"
	default:
		if r, ok := sources.NetworkReason(err); ok {
			ce.Reason = r
		} else {
			ce.Reason = err.Error()
		}
	}
	return ce
}

// mariaDBQuotesDefaults reports MariaDB ≥ 10.2.7, whose information_schema.COLUMNS
// quotes literal defaults ('abc') and spells a NULL default as the text NULL.
func mariaDBQuotesDefaults(version string) bool {
	if !strings.Contains(strings.ToLower(version), "mariadb") {
		return false
	}
	v, _, _ := strings.Cut(version, "-")
	var parts [3]int
	for i, p := range strings.SplitN(v, ".", 3) {
		parts[i], _ = strconv.Atoi(p)
	}
	switch {
	case parts[0] != 10:
		return parts[0] > 10
	case parts[1] != 2:
		return parts[1] > 2
	}
	return parts[2] >= 7
}

// Version is the server's VERSION().
func (s *Source) Version() string { return s.version }

// Close closes the connections.
func (s *Source) Close() error { return s.db.Close() }
