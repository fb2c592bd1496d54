package mysql

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/exitcode"
	"github.com/doris-sync/doris-sync/testkit"
	"github.com/doris-sync/doris-sync/testkit/mariadb"
)

// limitedUser creates a user with only the given grants and opens a Source as it.
func limitedUser(t *testing.T, srv cdcServer, db string, grants ...string) *Source {
	t.Helper()
	user := "pf_" + db[len(db)-6:]
	password, err := testkit.RandomSecret()
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{"CREATE USER '" + user + "'@'%' IDENTIFIED BY '" + password + "'"}
	for _, g := range grants {
		stmts = append(stmts, "GRANT "+g+" TO '"+user+"'@'%'")
	}
	srv.exec(t, "", stmts...)
	t.Cleanup(func() { srv.exec(t, "", "DROP USER '"+user+"'@'%'") })
	src, err := Open(context.Background(), Config{Host: srv.host, Port: srv.port, User: user, Password: password,
		Databases: regexp.MustCompile("^" + regexp.QuoteMeta(db) + "$"), TLS: srv.tls})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

func TestPreflightPassesMariaDB(t *testing.T) { testPreflightPasses(t, mariaDBFull(t)) }
func TestPreflightPassesMySQL(t *testing.T)   { testPreflightPasses(t, mysql9(t)) }

func testPreflightPasses(t *testing.T, srv cdcServer) {
	db := srv.newDB(t)
	rep, err := srv.source(t, db).Preflight(context.Background())
	if err != nil {
		t.Fatalf("the launcher's CDC user on a ROW/FULL server: %v", err)
	}
	if rep.Flavor != srv.flavor || !rep.GTIDMode || !rep.RowMetadataFull || !rep.CanLock || len(rep.Notes) != 0 {
		t.Errorf("report %+v", rep)
	}
}

// TestPreflightListsEveryProblem: a server with the binlog off, in STATEMENT format
// with minimal row images, and a user with nothing but SELECT on another database:
// every problem has its own line with its fix, and the error is a usage error.
func TestPreflightListsEveryProblem(t *testing.T) {
	srvProc, err := mariadb.Start(mariadb.Options{Args: []string{"--skip-log-bin", "--binlog-format=STATEMENT", "--binlog-row-image=MINIMAL", "--binlog-row-metadata=MINIMAL"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srvProc.Close) // first registered, so it runs after the other cleanups
	srv := fromMariaDB("mariadb-statement", srvProc, false)
	db, other := srv.newDB(t), srv.newDB(t)
	src := limitedUser(t, srv, db, "SELECT ON `"+other+"`.*")
	_, err = src.Preflight(context.Background())
	if err == nil {
		t.Fatal("want an error")
	}
	if exitcode.Of(err) != exitcode.UsageError {
		t.Errorf("exit code %d, want 2", exitcode.Of(err))
	}
	pe, ok := errorsAs[*PreflightError](err)
	if !ok {
		t.Fatalf("%T: %v", err, err)
	}
	wants := []string{
		"the binary log is off (log_bin=OFF); enable it in my.cnf [mysqld] with log_bin=",
		"binlog_format is STATEMENT; set binlog_format=ROW (my.cnf [mysqld] binlog_format=ROW",
		"binlog_row_image is MINIMAL; set binlog_row_image=FULL (my.cnf [mysqld] binlog_row_image=FULL",
		"lacks the REPLICATION SLAVE privilege, needed to read the binlog; GRANT REPLICATION SLAVE ON *.* TO",
		"lacks the BINLOG MONITOR privilege, needed to read the binlog position; GRANT BINLOG MONITOR ON *.* TO",
		"sees no database matching database-name \"^" + db + "$\", so it cannot SELECT from the databases to replicate",
	}
	if len(pe.Problems) != len(wants) {
		t.Errorf("%d problems, want %d:\n%s", len(pe.Problems), len(wants), err)
	}
	for i, w := range wants {
		if i >= len(pe.Problems) || !strings.Contains(pe.Problems[i], w) {
			t.Errorf("problem %d: want a line containing %q in\n%s", i, w, err)
		}
	}
	for _, p := range pe.Problems {
		if strings.Contains(p, "\n") {
			t.Errorf("a problem spans lines: %q", p)
		}
	}
	if !strings.HasPrefix(err.Error(), "MySQL source 127.0.0.1:") {
		t.Errorf("message: %s", err)
	}
}

// TestPreflightNotes: a user without RELOAD passes, with a note about the lock-free
// snapshot.
func TestPreflightNotes(t *testing.T) {
	srv := mariaDBMinimal(t)
	db := srv.newDB(t)
	src := limitedUser(t, srv, db, "SELECT, REPLICATION SLAVE, BINLOG MONITOR ON *.*")
	rep, err := src.Preflight(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.CanLock || rep.RowMetadataFull || len(rep.Notes) != 2 ||
		!strings.Contains(rep.Notes[0], "binlog_row_metadata is MINIMAL") || !strings.Contains(rep.Notes[1], "lacks RELOAD") {
		t.Errorf("report %+v", rep)
	}
}

// TestPreflightNamesTheDatabase: a user who sees the database (through another
// privilege) but cannot SELECT from it gets the GRANT for that database.
func TestPreflightNamesTheDatabase(t *testing.T) {
	srv := mariaDBMinimal(t)
	db := srv.newDB(t)
	src := limitedUser(t, srv, db, "RELOAD, REPLICATION SLAVE, BINLOG MONITOR ON *.*", "INSERT ON `"+db+"`.*")
	_, err := src.Preflight(context.Background())
	pe, ok := errorsAs[*PreflightError](err)
	if !ok || len(pe.Problems) != 1 || !strings.Contains(pe.Problems[0], "cannot SELECT from database "+db+", needed for the snapshot; GRANT SELECT ON `"+db+"`.* TO 'pf_") {
		t.Errorf("got %v", err)
	}
}
