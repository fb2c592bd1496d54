package config

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// specExample is the YAML example of spec/CLI.md.
const specExample = `job-name: shop-to-doris
source:            # the --<kind>-conf map
  kind: mysql
  hostname: 10.0.0.5
  port: 3306
  username: repl
  password: ${MYSQL_PASSWORD}
  database-name: shop
sink:              # the --sink-conf map
  fenodes: doris-fe:8030
  jdbc-url: jdbc:mysql://doris-fe:9030
  username: loader
  password-file: PWFILE
table:             # the --table-conf map
  replication_num: 3
  table-buckets: "orders:32,.*:8"
database: ods
table-prefix: ods_
including-tables: "orders|customers|items_.*"
`

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func loadSpecExample(t *testing.T) (*File, string) {
	t.Helper()
	t.Setenv("MYSQL_PASSWORD", "src-secret")
	pwFile := writeFile(t, "doris.pw", "sink-secret\n")
	path := writeFile(t, "job.yaml", strings.Replace(specExample, "PWFILE", pwFile, 1))
	f, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return f, path
}

func TestLoadSpecExample(t *testing.T) {
	f, _ := loadSpecExample(t)
	if f.Kind() != "mysql" {
		t.Errorf("kind %q", f.Kind())
	}
	j := NewJob(MySQL)
	j.StateDir = t.TempDir()
	if err := f.ApplyTo(j); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Resolve(); err != nil {
		t.Fatal(err)
	}
	if j.JobName != "shop-to-doris" || j.Database != "ods" || j.TablePrefix != "ods_" || j.IncludingTables != "orders|customers|items_.*" {
		t.Errorf("settings: %+v", j)
	}
	if got := strings.Join(j.Source.Keys(), ","); got != "hostname,port,username,password,database-name" {
		t.Errorf("source keys (kind must be removed, order kept): %s", got)
	}
	if j.Source.Password().Reveal() != "src-secret" || j.Sink.Password().Reveal() != "sink-secret" {
		t.Error("passwords not resolved from ${ENV} and password-file")
	}
	if got := strings.Join(j.Table.Keys(), ","); got != "replication_num,table-buckets" {
		t.Errorf("table keys %s", got)
	}
	if v, _ := j.Table.Get("table-buckets"); v != "orders:32,.*:8" {
		t.Errorf("table-buckets %q", v)
	}
}

func TestFlagsOverrideFile(t *testing.T) {
	f, _ := loadSpecExample(t)
	j := NewJob(MySQL)
	j.StateDir = t.TempDir()
	if err := f.ApplyTo(j); err != nil {
		t.Fatal(err)
	}
	// What the command line does after the file: settings, then k=v entries.
	if err := j.Set("database", "dwd"); err != nil {
		t.Fatal(err)
	}
	if err := j.Sink.Parse([]string{"username=admin", "sink.label-prefix=nightly"}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Resolve(); err != nil {
		t.Fatal(err)
	}
	if j.Database != "dwd" || j.JobName != "shop-to-doris" {
		t.Errorf("database %q job %q", j.Database, j.JobName)
	}
	if got := strings.Join(j.Sink.Keys(), ","); got != "fenodes,jdbc-url,username,password,sink.label-prefix" {
		t.Errorf("sink keys %s", got)
	}
	if v, _ := j.Sink.Get("username"); v != "admin" {
		t.Errorf("username %q: the flag must override the file", v)
	}
	if v, _ := j.Sink.Get("fenodes"); v != "doris-fe:8030" {
		t.Errorf("fenodes %q: other file keys must stay", v)
	}
}

func TestFileErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"typo", "job-name: a\ndatabse: ods\n", ":2: unknown setting \"databse\" (did you mean database?)"},
		{"typo deeper", "database: ods\n\n\nincluding_tables: x\n", ":4: unknown setting \"including_tables\" (did you mean including-tables?)"},
		{"bad bool", "dry-run: perhaps\n", `job.yaml:1: dry-run "perhaps": not a boolean`},
		{"bad int", "database: x\nsnapshot-parallelism: many\n", `job.yaml:2: snapshot-parallelism "many": not an integer`},
		{"list setting", "database: [a, b]\n", "job.yaml:1: expected a single value, not a list or mapping"},
		{"list in map", "sink:\n  fenodes:\n    - a:1\n", "job.yaml:3: sink fenodes: expected a single value, not a list"},
		{"map not mapping", "source: mysql\n", "job.yaml:1: source must be a mapping of key: value"},
		{"duplicate key", "sink:\n  fenodes: a:1\n  fenodes: b:1\n", "fenodes"},
		{"syntax", "source:\n  hostname: a\n bad\n", "job.yaml:2: did not find expected key"},
		{"two documents", "database: a\n---\ndatabase: b\n", "only one YAML document is allowed"},
		{"kind mismatch", "source:\n  kind: postgres\n", `job.yaml:2: source kind is "postgres" but the command is mysql-sync-database`},
		{"unset env", "database: ${DS_TEST_UNSET_DB}\n", "environment variable DS_TEST_UNSET_DB is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "job.yaml", tt.yaml)
			f, err := LoadFile(path)
			if err == nil {
				err = f.ApplyTo(NewJob(MySQL))
			}
			wantUsage(t, err, tt.want)
		})
	}
	_, err := LoadFile(filepath.Join(t.TempDir(), "missing.yaml"))
	wantUsage(t, err, "missing.yaml: cannot read: no such file or directory")
}

func TestFileNestedAndEmpty(t *testing.T) {
	path := writeFile(t, "job.yaml", "sink:\n  sink.properties:\n    format: json\n    compress_type:\n  fenodes: fe:8030\n")
	f, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	j := NewJob(MySQL)
	if err := f.ApplyTo(j); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(j.Sink.Keys(), ","); got != "sink.properties.format,sink.properties.compress_type,fenodes" {
		t.Errorf("keys %s", got)
	}
	if v, ok := j.Sink.Get("sink.properties.compress_type"); !ok || v != "" {
		t.Errorf("null value must be an empty string: %q %v", v, ok)
	}
	empty, err := LoadFile(writeFile(t, "empty.yaml", "# nothing yet\n"))
	if err != nil {
		t.Fatalf("an empty file is valid: %v", err)
	}
	if err := empty.ApplyTo(NewJob(MySQL)); err != nil {
		t.Fatal(err)
	}
}

func TestFileErrorsPointAtTheLineOfABadMapValue(t *testing.T) {
	path := writeFile(t, "job.yaml", "source:\n  hostname: db\n  port: abc\n")
	f, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	j := NewJob(MySQL)
	j.StateDir = t.TempDir()
	if err := f.ApplyTo(j); err != nil {
		t.Fatal(err)
	}
	_, err = j.Resolve()
	wantUsage(t, err, path+":3: source port=abc: not an integer")
}

// The YAML keys of fileSettings are exactly the job settings (plus the maps).
func TestFileShapeMatchesSettings(t *testing.T) {
	var tags []string
	ty := reflect.TypeOf(fileSettings{})
	for i := range ty.NumField() {
		tags = append(tags, ty.Field(i).Tag.Get("yaml"))
	}
	want := settingNames()
	sort.Strings(tags)
	sort.Strings(want)
	if !reflect.DeepEqual(tags, want) {
		t.Errorf("file keys %v\nsettings %v", tags, want)
	}
}

// Redacted prints a valid config file that gives back the same job.
func TestRedactedRoundTrip(t *testing.T) {
	j := validJob(t, Postgres, "port=5433", "scan.startup.mode=latest-offset")
	_ = j.Sink.Parse([]string{"sink.properties.format=json", "sink.max-retries=5"})
	_ = j.Table.Parse([]string{"replication_num=1", "table-buckets=orders:32,.*:8"})
	for name, v := range map[string]string{"database": "ods", "dry-run": "true", "max-duration": "90m", "snapshot-parallelism": "2", "metrics-addr": ":9090", "including-tables": "a|b"} {
		if err := j.Set(name, v); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := j.Resolve(); err != nil {
		t.Fatal(err)
	}
	f, err := LoadFile(writeFile(t, "round.yaml", j.Redacted()))
	if err != nil {
		t.Fatalf("%v\n%s", err, j.Redacted())
	}
	back := NewJob(Postgres)
	if err := f.ApplyTo(back); err != nil {
		t.Fatal(err)
	}
	if _, err := back.Resolve(); err != nil {
		t.Fatal(err)
	}
	if back.Redacted() != j.Redacted() {
		t.Errorf("round trip differs:\n%s\n---\n%s", j.Redacted(), back.Redacted())
	}
}
