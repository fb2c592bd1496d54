package sync

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql"

	"github.com/doris-sync/doris-sync/config"
	"github.com/doris-sync/doris-sync/testkit"
	"github.com/doris-sync/doris-sync/testkit/doris"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// args are a job's settings as the command line gives them.
type args struct {
	source, sink, table []string
	flags               map[string]string
}

// buildJob builds a job the way the CLI does: defaults, flags, k=v maps, Resolve.
func buildJob(t *testing.T, kind config.Kind, a args) *config.Job {
	t.Helper()
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	job := config.NewJob(kind)
	for k, v := range a.flags {
		if err := job.Set(k, v); err != nil {
			t.Fatalf("--%s %s: %v", k, v, err)
		}
	}
	for _, m := range []struct {
		to      *config.Map
		entries []string
	}{{job.Source, a.source}, {job.Sink, a.sink}, {job.Table, a.table}} {
		if err := m.to.Parse(m.entries); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := job.Resolve(); err != nil {
		t.Fatal(err)
	}
	return job
}

// result is one in-process run of the prepare phase.
type result struct {
	stdout   string
	log      string
	executed []string
	err      error
}

// runJob runs the job with flag=value settings added (e.g. "dry-run", "true").
func runJob(t *testing.T, kind config.Kind, a args, extra ...string) result {
	t.Helper()
	b := a
	b.flags = map[string]string{}
	for k, v := range a.flags {
		b.flags[k] = v
	}
	for i := 0; i+1 < len(extra); i += 2 {
		b.flags[extra[i]] = extra[i+1]
	}
	job := buildJob(t, kind, b)
	var out, logs bytes.Buffer
	saved := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	defer slog.SetDefault(saved)
	o, err := run(context.Background(), job, &out)
	r := result{stdout: out.String(), log: logs.String(), err: err}
	if o != nil {
		r.executed = o.executed
	}
	return r
}

// standIn is a Doris stand-in and a connection to its FE MySQL port.
type standIn struct {
	srv *doris.Server
	db  *sql.DB
}

func startStandIn(t *testing.T) standIn {
	t.Helper()
	s, err := doris.Start(doris.Options{Password: "doris-pw"})
	if err != nil {
		t.Fatalf("start the Doris stand-in: %v", err)
	}
	t.Cleanup(s.Close)
	db, err := sql.Open("mysql", fmt.Sprintf("root:doris-pw@tcp(%s)/?interpolateParams=true", s.MySQLAddr()))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return standIn{srv: s, db: db}
}

func (s standIn) sinkConf() []string {
	return []string{"fenodes=" + s.srv.HTTPAddr(), "jdbc-url=jdbc:mysql://" + s.srv.MySQLAddr(), "username=root", "password=doris-pw"}
}

func (s standIn) exec(t *testing.T, stmts ...string) {
	t.Helper()
	for _, stmt := range stmts {
		if _, err := s.db.Exec(stmt); err != nil {
			t.Fatalf("stand-in: %s: %v", stmt, err)
		}
	}
}

// showCreate is SHOW CREATE TABLE of db.table on the stand-in.
func (s standIn) showCreate(t *testing.T, db, table string) string {
	t.Helper()
	var name, create string
	if err := s.db.QueryRow("SHOW CREATE TABLE `"+db+"`.`"+table+"`").Scan(&name, &create); err != nil {
		t.Fatalf("SHOW CREATE TABLE %s.%s: %v", db, table, err)
	}
	return create
}

// desc is DESC of db.table: column name → "type NULL|NOT NULL key default".
func (s standIn) desc(t *testing.T, db, table string) map[string]string {
	t.Helper()
	rows, err := s.db.Query("DESC `" + db + "`.`" + table + "`")
	if err != nil {
		t.Fatalf("DESC %s.%s: %v", db, table, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var field, typ, null, key, extra string
		var def sql.NullString
		if err := rows.Scan(&field, &typ, &null, &key, &def, &extra); err != nil {
			t.Fatal(err)
		}
		d := "-"
		if def.Valid {
			d = def.String
		}
		out[field] = fmt.Sprintf("%s %s %s %s", typ, null, key, d)
	}
	return out
}

func (s standIn) databases(t *testing.T) []string {
	t.Helper()
	rows, err := s.db.Query("SHOW DATABASES")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// planStatements is the statement section of a dry-run plan.
func planStatements(t *testing.T, plan string) string {
	t.Helper()
	const head = "Statements --create-table-only would run, in order:\n"
	i := strings.Index(plan, head)
	if i < 0 {
		if strings.Contains(plan, "Statements --create-table-only would run: none") {
			return ""
		}
		t.Fatalf("the plan has no statement section:\n%s", plan)
	}
	return plan[i+len(head):]
}

// joined renders executed statements the way a plan lists them.
func joined(stmts []string) string {
	if len(stmts) == 0 {
		return ""
	}
	return strings.Join(stmts, ";\n") + ";\n"
}

func mustContain(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}
