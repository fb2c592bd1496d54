package doris

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"
)

// startMySQL starts a stand-in and opens one pooled connection to its MySQL port with
// interpolateParams=true (one connection, so USE and SET persist between calls).
func startMySQL(t *testing.T, opts Options) (*Server, *sql.DB) {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatalf("start stand-in: %v", err)
	}
	t.Cleanup(s.Close)
	db := openDB(t, s, opts.Password, "")
	return s, db
}

func openDB(t *testing.T, s *Server, password, extra string) *sql.DB {
	t.Helper()
	user := s.Opts.User
	dsn := fmt.Sprintf("%s:%s@tcp(%s)/?interpolateParams=true%s", user, password, s.MySQLAddr(), extra)
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func mustExec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// expectErr runs q and requires a MySQL error with exactly this number and message.
func expectErr(t *testing.T, db *sql.DB, q string, number uint16, msg string) {
	t.Helper()
	_, err := db.Exec(q)
	checkErr(t, q, err, number, msg)
}

func checkErr(t *testing.T, q string, err error, number uint16, msg string) {
	t.Helper()
	var me *gomysql.MySQLError
	if !errors.As(err, &me) {
		t.Fatalf("%s: want MySQL error %d %q, got %v", q, number, msg, err)
	}
	if me.Number != number || me.Message != msg {
		t.Fatalf("%s:\n got %d %q\nwant %d %q", q, me.Number, me.Message, number, msg)
	}
}

// dorisMsg is the text Doris puts in its usual 1105 errors.
func dorisMsg(detail string) string { return "errCode = 2, detailMessage = " + detail }

// queryStrings runs q and returns column names and rows, NULL as "<NULL>".
func queryStrings(t *testing.T, db *sql.DB, q string, args ...any) ([]string, [][]string) {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = v.String
			if !v.Valid {
				row[i] = "<NULL>"
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return cols, out
}

// rowsText renders rows one per line, cells separated by "|".
func rowsText(rows [][]string) string {
	var lines []string
	for _, r := range rows {
		lines = append(lines, strings.Join(r, "|"))
	}
	return strings.Join(lines, "\n")
}

func expectRows(t *testing.T, db *sql.DB, q string, want string) {
	t.Helper()
	_, rows := queryStrings(t, db, q)
	if got := rowsText(rows); got != want {
		t.Fatalf("%s:\n got:\n%s\nwant:\n%s", q, got, want)
	}
}

// loadRows stores rows directly (as the HTTP side would after a Stream Load).
func loadRows(t *testing.T, s *Server, db, table string, rows ...[]string) {
	t.Helper()
	s.Catalog.Mu.Lock()
	defer s.Catalog.Mu.Unlock()
	tb := s.Catalog.Table(db, table)
	if tb == nil {
		t.Fatalf("no table %s.%s", db, table)
	}
	var rs []Row
	for _, r := range rows {
		var vals []Value
		for _, c := range r {
			if c == "<NULL>" {
				vals = append(vals, Value{Null: true})
			} else {
				vals = append(vals, Value{S: c})
			}
		}
		rs = append(rs, Row{Vals: vals})
	}
	tb.Apply(rs, nil)
}
