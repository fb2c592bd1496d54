package datagen

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	_ "github.com/go-sql-driver/mysql" // MariaDB
	"github.com/jackc/pgx/v5"
)

// Conn is one session on a source server: statements run in order on the same session,
// so session settings (SET sql_log_bin = 0) hold for the ones that follow.
type Conn interface {
	Exec(ctx context.Context, stmt string) error
	QueryInt(ctx context.Context, query string) (int64, error)
	Close() error
}

// Open connects to a source server: dsn is a go-sql-driver/mysql DSN for MariaDB
// (user@tcp(host:port)/db) or a postgres:// URL for PostgreSQL.
func Open(ctx context.Context, d Dialect, dsn string) (Conn, error) {
	if d == Postgres {
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return nil, fmt.Errorf("connect to postgres: %w", err)
		}
		return pgConn{c}, nil
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return nil, fmt.Errorf("open mariadb: %w", err)
	}
	c, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to mariadb: %w", err)
	}
	return mariaConn{db: db, c: c}, nil
}

type mariaConn struct {
	db *sql.DB
	c  *sql.Conn
}

func (m mariaConn) Exec(ctx context.Context, stmt string) error {
	_, err := m.c.ExecContext(ctx, stmt)
	return err
}

func (m mariaConn) QueryInt(ctx context.Context, query string) (int64, error) {
	var n sql.NullInt64
	if err := m.c.QueryRowContext(ctx, query).Scan(&n); err != nil {
		return 0, err
	}
	return n.Int64, nil
}

func (m mariaConn) Close() error {
	return errors.Join(m.c.Close(), m.db.Close())
}

type pgConn struct{ c *pgx.Conn }

// Exec without arguments uses the simple query protocol, which a CALL of a procedure
// that commits needs.
func (p pgConn) Exec(ctx context.Context, stmt string) error {
	_, err := p.c.Exec(ctx, stmt)
	return err
}

func (p pgConn) QueryInt(ctx context.Context, query string) (int64, error) {
	var n *int64
	if err := p.c.QueryRow(ctx, query).Scan(&n); err != nil {
		return 0, err
	}
	if n == nil {
		return 0, nil
	}
	return *n, nil
}

func (p pgConn) Close() error { return p.c.Close(context.Background()) }

// ExecAll runs stmts in order, naming the failing one.
func ExecAll(ctx context.Context, c Conn, stmts ...string) error {
	for _, s := range stmts {
		if err := c.Exec(ctx, s); err != nil {
			return fmt.Errorf("exec %.80q: %w", s, err)
		}
	}
	return nil
}
