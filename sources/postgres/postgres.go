// Package postgres is the PostgreSQL source: discovery of the tables of every schema
// whose name matches the schema-name pattern, read from pg_catalog by exact names and
// oids, with the column details the Doris mapping needs (enum labels, domain bases,
// array elements, type modifiers, the database encoding). Partitioned tables appear once,
// as their root.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/doris-sync/doris-sync/sources"
)

// Config says where the source is and what to read. Printing it never shows the
// password.
type Config struct {
	Host     string
	Port     int
	User     string
	Password string
	Database string
	// Schemas selects the schemas to replicate: a full-match regex on their names (the
	// schema-name setting; a plain name matches itself).
	Schemas *regexp.Regexp
	TLS     TLSConfig
	// ConnectTimeout bounds each connection attempt; 0 means 30 s.
	ConnectTimeout time.Duration
	// ConnectRetries is how many more times a connection that failed for a network
	// reason is tried (a wrong password is never retried).
	ConnectRetries int
}

// TLSConfig is the ssl.* settings.
type TLSConfig struct {
	Mode string // disabled, preferred (""), required, verify-ca, verify-full
	CA   string // PEM file of the CA that signed the server certificate
	Cert string // client certificate PEM file (with Key)
	Key  string
}

// String describes the config without the password.
func (c Config) String() string {
	return fmt.Sprintf("postgres://%s@%s/%s (schemas %v)", c.User, c.addr(), c.Database, c.Schemas)
}

// GoString keeps %#v from printing the password.
func (c Config) GoString() string { return c.String() }

func (c Config) addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

var sslModes = map[string]string{
	"": "prefer", "disabled": "disable", "preferred": "prefer", "required": "require",
	"verify-ca": "verify-ca", "verify-full": "verify-full",
}

// connString is a keyword/value connection string; every value is quoted, so no
// character in a password can change its meaning.
func (c Config) connString() (string, error) {
	mode, ok := sslModes[c.TLS.Mode]
	if !ok {
		return "", fmt.Errorf("ssl.mode %q is not one of disabled, preferred, required, verify-ca, verify-full", c.TLS.Mode)
	}
	kv := [][2]string{
		{"host", c.Host}, {"port", strconv.Itoa(c.Port)}, {"user", c.User}, {"password", c.Password},
		{"dbname", c.Database}, {"sslmode", mode},
		{"connect_timeout", strconv.Itoa(int((c.ConnectTimeout + time.Second - 1) / time.Second))},
		{"application_name", "doris-sync"},
	}
	for _, f := range [][2]string{{"sslrootcert", c.TLS.CA}, {"sslcert", c.TLS.Cert}, {"sslkey", c.TLS.Key}} {
		if f[1] != "" {
			kv = append(kv, f)
		}
	}
	var b strings.Builder
	q := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	for _, p := range kv {
		fmt.Fprintf(&b, "%s='%s' ", p[0], q.Replace(p[1]))
	}
	return b.String(), nil
}

// Source is a connected PostgreSQL database.
type Source struct {
	cfg        Config
	conn       *pgx.Conn
	versionNum int    // server_version_num, e.g. 150018
	encoding   string // server_encoding, e.g. UTF8
}

var _ sources.Source = (*Source)(nil)

// Open connects and checks the login. A failure is a *sources.ConnectError saying in
// one line what went wrong (wrong password, nothing listening, no such database, …).
func Open(ctx context.Context, cfg Config) (*Source, error) {
	if cfg.Schemas == nil {
		return nil, errors.New("postgres source: no schema-name pattern")
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 30 * time.Second
	}
	dsn, err := cfg.connString()
	if err != nil {
		return nil, fmt.Errorf("postgres source %s: %w", cfg.addr(), err)
	}
	pc, err := pgx.ParseConfig(dsn)
	if err != nil {
		// Never the connection string itself: it holds the password.
		return nil, fmt.Errorf("postgres source %s: invalid connection settings", cfg.addr())
	}
	s := &Source{cfg: cfg}
	delay := 500 * time.Millisecond
	for attempt := 0; ; attempt++ {
		s.conn, err = pgx.ConnectConfig(ctx, pc)
		if err == nil {
			break
		}
		cerr := s.connectError(err)
		if _, network := sources.NetworkReason(err); !network || attempt >= cfg.ConnectRetries || ctx.Err() != nil {
			return nil, cerr
		}
		select {
		case <-ctx.Done():
			return nil, cerr
		case <-time.After(delay):
		}
		delay *= 2
	}
	err = s.conn.QueryRow(ctx, "SELECT current_setting('server_version_num')::int, current_setting('server_encoding')").
		Scan(&s.versionNum, &s.encoding)
	if err != nil {
		s.conn.Close(ctx)
		return nil, s.queryError("read the server version", err)
	}
	return s, nil
}

// connectError turns a login failure into one clear line.
func (s *Source) connectError(err error) error {
	ce := &sources.ConnectError{What: "PostgreSQL", Addr: s.cfg.addr(), User: s.cfg.User, Err: err}
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe) && pe.Code == "28P01":
		ce.Reason = "wrong user name or password (" + pe.Message + ")"
	case errors.As(err, &pe) && pe.Code == "28000":
		ce.Reason = "the server does not let this user in (" + pe.Message + "); check pg_hba.conf and the role's LOGIN attribute"
	case errors.As(err, &pe) && pe.Code == "3D000":
		ce.Reason = fmt.Sprintf("database %q does not exist (database-name)", s.cfg.Database)
	case errors.As(err, &pe):
		ce.Reason = "the server refused the connection: " + pe.Message
	default:
		if r, ok := sources.NetworkReason(err); ok {
			ce.Reason = r
		} else {
			ce.Reason = oneLine(err.Error())
		}
	}
	return ce
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Close closes the connection.
func (s *Source) Close() error { return s.conn.Close(context.Background()) }

func (s *Source) queryError(what string, err error) error {
	return fmt.Errorf("postgres source %s/%s: %s: %w", s.cfg.addr(), s.cfg.Database, what, err)
}
