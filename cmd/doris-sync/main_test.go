package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/config"
	"github.com/doris-sync/doris-sync/exitcode"
	dsync "github.com/doris-sync/doris-sync/sync"
)

// result is one in-process run of the command line.
type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, args ...string) result {
	t.Helper()
	return runCtx(t, context.Background(), args...)
}

func runCtx(t *testing.T, ctx context.Context, args ...string) result {
	t.Helper()
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	var out, errOut bytes.Buffer
	code := execute(ctx, args, &out, &errOut)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// captureJob replaces the sync engine for one test and returns what it got.
func captureJob(t *testing.T) *[]*config.Job {
	t.Helper()
	var jobs []*config.Job
	saved := runSync
	runSync = func(ctx context.Context, job *config.Job, _ io.Writer, _ dsync.Observer) error {
		jobs = append(jobs, job)
		return nil
	}
	t.Cleanup(func() { runSync = saved })
	return &jobs
}

var mysqlArgs = []string{
	"mysql-sync-database",
	"--mysql-conf", "hostname=127.0.0.1", "--mysql-conf", "username=repl", "--mysql-conf", "database-name=shop",
	"--sink-conf", "fenodes=127.0.0.1:8030", "--sink-conf", "username=root", "--sink-conf", "jdbc-url=jdbc:mysql://127.0.0.1:9030",
}

func withArgs(extra ...string) []string { return append(append([]string(nil), mysqlArgs...), extra...) }

// lastLine is the final stderr line (the error line, after any log lines).
func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestExitCodesEndToEnd(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string // the exact error line; "" = no error line
	}{
		{"missing conf", []string{"mysql-sync-database"}, 2, "doris-sync: missing --mysql-conf k=v settings (required keys: hostname, username, database-name)"},
		{"missing sink", mysqlArgs[:7], 2, "doris-sync: missing --sink-conf k=v settings (required keys: fenodes, jdbc-url, username)"},
		{"bad flag", withArgs("--nope"), 2, "doris-sync: unknown flag: --nope. Run 'doris-sync mysql-sync-database --help'"},
		{"bad flag value", withArgs("--snapshot-parallelism", "0"), 2, `doris-sync: --snapshot-parallelism "0": must be at least 1`},
		{"bad progress", withArgs("--progress", "loud"), 2, `doris-sync: --progress "loud": must be one of auto, on, off`},
		{"drop slot on mysql", withArgs("--drop-slot-and-publication"), 2, `doris-sync: --drop-slot-and-publication "true": valid only for postgres-sync-database: mysql-sync-database has no replication slot or publication`},
		{"bad bool", withArgs("--dry-run=maybe"), 2, `doris-sync: invalid argument "maybe" for "--dry-run" flag: strconv.ParseBool: parsing "maybe": invalid syntax. Run 'doris-sync mysql-sync-database --help'`},
		{"flag without value", withArgs("--database", "--dry-run"), 2, "doris-sync: --database needs a value, but is followed by the flag --dry-run"},
		{"positional", withArgs("extra"), 2, `doris-sync: unknown command "extra" for "doris-sync mysql-sync-database". Run 'doris-sync mysql-sync-database --help'`},
		{"malformed entry", withArgs("--sink-conf", "fenodes"), 2, `doris-sync: --sink-conf "fenodes": expected key=value`},
		{"wrong conf flag", withArgs("--postgres-conf", "slot.name=x"), 2, "doris-sync: unknown flag: --postgres-conf. Run 'doris-sync mysql-sync-database --help'"},
		{"valid args, source not built yet", []string{"sqlserver-sync-database", "--sqlserver-conf", "hostname=127.0.0.1", "--sqlserver-conf", "username=sa", "--sqlserver-conf", "database-name=shop", "--sqlserver-conf", "schema-name=dbo", "--sink-conf", "fenodes=127.0.0.1:8030", "--sink-conf", "username=root", "--sink-conf", "jdbc-url=jdbc:mysql://127.0.0.1:9030"}, 1, "doris-sync: sqlserver-sync-database: replication from SQL Server is not implemented yet"},
		{"db2", []string{"db2-sync-database", "--db2-conf", "hostname=x"}, 2, "doris-sync: db2-sync-database: DB2 is not supported yet; use the flink-doris-connector's CdcTools db2-sync-database (or Debezium's Db2 connector with Doris Routine Load) until it is"},
		{"version", []string{"version"}, 0, ""},
		{"--version", []string{"--version"}, 0, ""},
		{"status without state", []string{"status", "--state-dir", "/nonexistent/doris-sync-state", "--job-name", "shop"}, 2, "doris-sync: status: no state directory /nonexistent/doris-sync-state (no job has run with this --state-dir)"},
		{"status bad flag", []string{"status", "--database", "x"}, 2, "doris-sync: unknown flag: --database. Run 'doris-sync status --help'"},
		{"no command", nil, 2, "doris-sync: missing command (e.g. mysql-sync-database, status, version). Run 'doris-sync --help'"},
		{"unknown command", []string{"mysql-sync-databse"}, 2, `doris-sync: unknown command "mysql-sync-databse" (did you mean mysql-sync-database?). Run 'doris-sync --help'`},
		{"help", []string{"--help"}, 0, ""},
		{"command help", []string{"postgres-sync-database", "--help"}, 0, ""},
		{"db2 help", []string{"db2-sync-database", "--help"}, 0, ""},
		{"completion", []string{"completion", "bash"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d; stderr: %s", r.code, tt.code, r.stderr)
			}
			if tt.stderr == "" {
				if r.stderr != "" {
					t.Errorf("unexpected stderr: %q", r.stderr)
				}
				return
			}
			if r.stderr != tt.stderr+"\n" {
				t.Errorf("stderr = %q\nwant   %q", r.stderr, tt.stderr+"\n")
			}
		})
	}
}

func TestVersionOutput(t *testing.T) {
	r := run(t, "version")
	for _, want := range []string{"doris-sync ", "commit: ", "go: go1."} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("version output %q lacks %q", r.stdout, want)
		}
	}
	saved := version
	version, commit = "v9.8.7", "0123456789abcdef0123"
	defer func() { version, commit = saved, "" }()
	r = run(t, "version")
	if !strings.HasPrefix(r.stdout, "doris-sync v9.8.7\ncommit: 0123456789abcdef0123\n") {
		t.Errorf("ldflags version not used: %q", r.stdout)
	}
}

// The anchor tool turns a boolean on by its mere presence, even with "false";
// doris-sync reads the word.
func TestFlinkBooleanSpelling(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want func(*config.Job) bool
	}{
		{"absent", nil, func(j *config.Job) bool { return !j.IgnoreDefaultValue }},
		{"bare", []string{"--ignore-default-value"}, func(j *config.Job) bool { return j.IgnoreDefaultValue }},
		{"separate false", []string{"--ignore-default-value", "false"}, func(j *config.Job) bool { return !j.IgnoreDefaultValue }},
		{"separate true", []string{"--ignore-default-value", "true"}, func(j *config.Job) bool { return j.IgnoreDefaultValue }},
		{"separate TRUE", []string{"--create-table-only", "TRUE"}, func(j *config.Job) bool { return j.CreateTableOnly }},
		{"equals false", []string{"--dry-run=false"}, func(j *config.Job) bool { return !j.DryRun }},
		{"equals true", []string{"--stop-when-caught-up=true"}, func(j *config.Job) bool { return j.StopWhenCaughtUp }},
		{"bare then other flag", []string{"--single-sink", "--database", "ods"}, func(j *config.Job) bool { return j.SingleSink && j.Database == "ods" }},
		{"several", []string{"--single-sink", "true", "--ignore-incompatible", "false", "--use-new-schema-change"},
			func(j *config.Job) bool { return j.SingleSink && !j.IgnoreIncompatible && j.UseNewSchemaChange }},
		{"a value that reads true stays a value", []string{"--database", "true", "--table-prefix", "false"},
			func(j *config.Job) bool { return j.Database == "true" && j.TablePrefix == "false" }},
		{"flags before the conf entries", []string{"--ignore-default-value", "false", "--sink-conf", "sink.label-prefix=x"},
			func(j *config.Job) bool {
				return !j.IgnoreDefaultValue && j.Sink.GetString("sink.label-prefix", "") == "x"
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jobs := captureJob(t)
			r := run(t, withArgs(tt.args...)...)
			if r.code != 0 || len(*jobs) != 1 {
				t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
			}
			if !tt.want((*jobs)[0]) {
				t.Errorf("job %+v", (*jobs)[0])
			}
		})
	}
}

// An argument file in the style of the anchor tool's E2E tests works as is.
func TestAnchorCommandLine(t *testing.T) {
	jobs := captureJob(t)
	r := run(t, "MySQL-Sync-Database",
		"--database", "test_e2e_mysql",
		"--mysql-conf", "database-name=test_e2e_mysql",
		"--including-tables", "tbl.*",
		"--excluding-tables", "tbl4",
		"--table-prefix", "ods_", "--table-suffix", "_incr",
		"--ignore-default-value", "false",
		"--use-new-schema-change",
		"--schema-change-mode", "debezium_structure",
		"--mysql-conf", "hostname = 127.0.0.1", "--mysql-conf", "port=3306", "--mysql-conf", "username=root", "--mysql-conf", "password",
		"--mysql-conf", "server-time-zone=UTC", "--mysql-conf", "jdbc.properties.tinyInt1isBit=false",
		"--sink-conf", "fenodes = 127.0.0.1:8030", "--sink-conf", "username=root", "--sink-conf", "password=",
		"--sink-conf", "jdbc-url= jdbc:mysql://127.0.0.1:9030 ", "--sink-conf", "sink.label-prefix  = label ",
		"--sink-conf", "sink.properties.compress_type=",
		"--table-conf", "  replication_num=1", "--table-conf", "table-buckets=tbl1:10,.*:2",
		"--multi-to-one-origin", "tbl2.*", "--multi-to-one-target", "tbl2_merge",
		"--single-sink", "true",
	)
	if r.code != 0 || len(*jobs) != 1 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	j := (*jobs)[0]
	if j.IgnoreDefaultValue || !j.SingleSink || j.Database != "test_e2e_mysql" || j.TablePrefix != "ods_" || j.TableSuffix != "_incr" {
		t.Errorf("settings %+v", j)
	}
	if v, _ := j.Sink.Get("jdbc-url"); v != "jdbc:mysql://127.0.0.1:9030" {
		t.Errorf("jdbc-url %q", v)
	}
	if v, _ := j.Sink.Get("sink.label-prefix"); v != "label" {
		t.Errorf("label prefix %q", v)
	}
	if !j.Source.Has("password") || !j.Source.Password().IsEmpty() {
		t.Error("bare password must mean an empty password")
	}
	// Warnings for the no-op flags and keys, one line each, before nothing else.
	for _, want := range []string{"--single-sink has no effect", "--use-new-schema-change has no effect", "--schema-change-mode has no effect"} {
		if strings.Count(r.stderr, want) != 1 {
			t.Errorf("stderr should warn once about %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "tinyInt1isBit") {
		t.Errorf("jdbc.properties.tinyInt1isBit is read (TINYINT(1) mapping), so it must not be warned about:\n%s", r.stderr)
	}
}

func TestConfigFileAndOverrides(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "doris.pw")
	if err := os.WriteFile(pw, []byte("doris-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "shop.yaml")
	yaml := "job-name: shop-to-doris\nsource:\n  kind: mysql\n  hostname: 10.0.0.5\n  username: repl\n  password: ${DS_CMD_TEST_PW}\n  database-name: shop\n" +
		"sink:\n  fenodes: doris-fe:8030\n  jdbc-url: jdbc:mysql://doris-fe:9030\n  username: loader\n  password-file: " + pw + "\n" +
		"table:\n  replication_num: 3\n  table-buckets: \"orders:32,.*:8\"\ndatabase: ods\ntable-prefix: ods_\nincluding-tables: \"orders|customers|items_.*\"\ndry-run: true\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DS_CMD_TEST_PW", "mysql-secret")
	jobs := captureJob(t)
	r := run(t, "mysql-sync-database", "--config", path, "--database", "dwd", "--dry-run", "false", "--sink-conf", "username=admin", "--log-level", "debug")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	j := (*jobs)[0]
	if j.Database != "dwd" || j.DryRun || j.JobName != "shop-to-doris" || j.TablePrefix != "ods_" {
		t.Errorf("flags must override the file: %+v", j)
	}
	if v, _ := j.Sink.Get("username"); v != "admin" {
		t.Errorf("sink username %q", v)
	}
	if v, _ := j.Sink.Get("fenodes"); v != "doris-fe:8030" {
		t.Errorf("sink fenodes %q", v)
	}
	if j.Sink.Password().Reveal() != "doris-secret" || j.Source.Password().Reveal() != "mysql-secret" {
		t.Error("passwords not resolved")
	}
	// Debug logging prints the effective settings, never the passwords.
	if !strings.Contains(r.stderr, "effective settings") || strings.Contains(r.stderr, "secret") {
		t.Errorf("debug log:\n%s", r.stderr)
	}

	r = run(t, "postgres-sync-database", "--config", path)
	if r.code != 2 || !strings.Contains(r.stderr, `source kind is "mysql" but the command is postgres-sync-database`) {
		t.Errorf("kind mismatch: %d %s", r.code, r.stderr)
	}
	typo := filepath.Join(dir, "typo.yaml")
	_ = os.WriteFile(typo, []byte("database: ods\ntable-prefx: ods_\n"), 0o600)
	r = run(t, "mysql-sync-database", "--config", typo)
	if r.code != 2 || r.stderr != "doris-sync: "+typo+`:2: unknown setting "table-prefx" (did you mean table-prefix?)`+"\n" {
		t.Errorf("typo: %d %q", r.code, r.stderr)
	}
}

// Passwords never reach stderr, whatever happens.
func TestNoSecretOnStderr(t *testing.T) {
	const secret = "hunter2-do-not-print"
	cases := [][]string{
		withArgs("--mysql-conf", "password="+secret),                                                // runs: not implemented
		withArgs("--mysql-conf", "password="+secret, "--mysql-conf", "port=x"),                      // bad value
		withArgs("--mysql-conf", "password="+secret, "--bogus"),                                     // bad flag
		withArgs("--mysql-conf", "password:"+secret),                                                // malformed entry
		withArgs("--sink-conf", "password="+secret, "--log-level", "debug", "--log-format", "json"), // debug log of the job
		withArgs("--sink-conf", "jdbc-url=jdbc:mysql://fe:9030?password="+secret, "--log-level", "debug"),
	}
	for _, args := range cases {
		r := run(t, args...)
		if strings.Contains(r.stderr, secret) || strings.Contains(r.stdout, secret) {
			t.Errorf("args %v printed the secret:\n%s%s", args, r.stdout, r.stderr)
		}
		if r.code == 0 {
			t.Errorf("args %v: exit 0", args)
		}
	}
}

func TestJSONLogs(t *testing.T) {
	captureJob(t)
	r := run(t, withArgs("--log-format", "json", "--sink-conf", "sink.use-cache=false")...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lastLine(r.stderr)), &rec); err != nil {
		t.Fatalf("not a JSON log line: %q", r.stderr)
	}
	if rec["level"] != "WARN" || !strings.Contains(rec["msg"].(string), "sink.use-cache has no effect") {
		t.Errorf("record %v", rec)
	}
	r = run(t, withArgs("--log-level", "error", "--sink-conf", "sink.use-cache=false")...)
	if r.stderr != "" {
		t.Errorf("warnings must be hidden at --log-level error: %q", r.stderr)
	}
}

func TestContextReachesTheEngine(t *testing.T) {
	var got error
	saved := runSync
	runSync = func(ctx context.Context, job *config.Job, _ io.Writer, _ dsync.Observer) error {
		got = ctx.Err()
		return exitcode.PositionLost(errors.New("binlog mysql-bin.000001 was purged: run again with a new --job-name to take a new snapshot"))
	}
	defer func() { runSync = saved }()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // as SIGINT does
	r := runCtx(t, ctx, mysqlArgs...)
	if !errors.Is(got, context.Canceled) {
		t.Errorf("engine context not cancelled: %v", got)
	}
	if r.code != 3 || r.stderr != "doris-sync: binlog mysql-bin.000001 was purged: run again with a new --job-name to take a new snapshot\n" {
		t.Errorf("exit %d stderr %q", r.code, r.stderr)
	}
}

func TestStatusUsesTheStateDir(t *testing.T) {
	var gotDir, gotJob string
	saved := runStatus
	runStatus = func(ctx context.Context, stateDir, jobName string, out io.Writer) error {
		gotDir, gotJob = stateDir, jobName
		_, err := io.WriteString(out, "no jobs\n")
		return err
	}
	defer func() { runStatus = saved }()

	r := run(t, "status")
	if r.code != 0 || r.stdout != "no jobs\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if want := filepath.Join(os.Getenv("XDG_STATE_HOME"), "doris-sync"); gotDir != want || gotJob != "" {
		t.Errorf("default state dir %q job %q, want %q", gotDir, gotJob, want)
	}
	r = run(t, "status", "--state-dir", "/srv/state", "--job-name", "shop")
	if r.code != 0 || gotDir != "/srv/state" || gotJob != "shop" {
		t.Errorf("exit %d dir %q job %q", r.code, gotDir, gotJob)
	}
}
