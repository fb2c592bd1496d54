package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/exitcode"
)

// The k=v vectors of the anchor tool's CdcToolsTest (anchor §1.1).
func TestParseEntryAnchorVectors(t *testing.T) {
	tests := []struct{ raw, key, value string }{
		{"fenodes = 127.0.0.1:8030", "fenodes", "127.0.0.1:8030"},
		{"password=", "password", ""},
		{"jdbc-url= jdbc:mysql://127.0.0.1:9030 ", "jdbc-url", "jdbc:mysql://127.0.0.1:9030"},
		{"sink.label-prefix  = label ", "sink.label-prefix", "label"},
		{"  replication_num=1", "replication_num", "1"},
		{"password", "password", ""}, // the only key allowed without '='
		{" password ", "password", ""},
		{"url=jdbc:x?a=b&c=d", "url", "jdbc:x?a=b&c=d"}, // split on the first '=' only
		{"k==v", "k", "=v"},
	}
	for _, tt := range tests {
		k, v, err := ParseEntry(tt.raw)
		if err != nil || k != tt.key || v != tt.value {
			t.Errorf("ParseEntry(%q) = %q, %q, %v; want %q, %q", tt.raw, k, v, err, tt.key, tt.value)
		}
	}
}

func TestParseMalformedEntries(t *testing.T) {
	tests := []struct {
		raw       string
		wantIn    string // the message names the entry …
		mustNotIn string // … but never a credential
	}{
		{"fenodes 127.0.0.1:8030", `--sink-conf "fenodes 127.0.0.1:8030": expected key=value`, ""},
		{"=value", `--sink-conf "=******": empty key`, "value"},
		{"  = x", "empty key", ""},
		{"password:hunter2", `--sink-conf "password:******": expected key=value`, "hunter2"},
		{"password hunter2", `--sink-conf "password ******": expected key=value`, "hunter2"},
		{"username", `--sink-conf "username": expected key=value`, ""},
		{"", `--sink-conf "": expected key=value`, ""},
	}
	for _, tt := range tests {
		m := NewMap("--sink-conf")
		err := m.Parse([]string{"fenodes=a:1", tt.raw})
		if err == nil {
			t.Errorf("Parse(%q): no error", tt.raw)
			continue
		}
		if exitcode.Of(err) != exitcode.UsageError {
			t.Errorf("Parse(%q): exit code %d, want 2", tt.raw, exitcode.Of(err))
		}
		if !strings.Contains(err.Error(), tt.wantIn) {
			t.Errorf("Parse(%q) error %q does not contain %q", tt.raw, err, tt.wantIn)
		}
		if tt.mustNotIn != "" && strings.Contains(err.Error(), tt.mustNotIn) {
			t.Errorf("Parse(%q) error %q leaks %q", tt.raw, err, tt.mustNotIn)
		}
	}
}

func TestMapKeepsOrderAndOverridesInPlace(t *testing.T) {
	m := NewMap("--table-conf")
	if err := m.Parse([]string{"replication_num=1", "storage_medium=SSD", "light_schema_change=true", "replication_num=3"}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(m.Keys(), ","); got != "replication_num,storage_medium,light_schema_change" {
		t.Errorf("keys %s", got)
	}
	if v, _ := m.Get("replication_num"); v != "3" {
		t.Errorf("later entry must win, got %q", v)
	}
	m.Delete("storage_medium")
	if m.Has("storage_medium") || m.Len() != 2 {
		t.Errorf("delete failed: %v", m)
	}
}

func TestPasswordAndPasswordFileReplaceEachOther(t *testing.T) {
	m := NewMap("--sink-conf")
	m.SetFrom("password-file", "/etc/pw", "job.yaml:3: sink")
	if err := m.Parse([]string{"password=x"}); err != nil {
		t.Fatal(err)
	}
	if m.Has("password-file") || m.Password().Reveal() != "x" {
		t.Errorf("a command-line password must replace the file's password-file: %v", m.Keys())
	}
	m.Set("password-file", "/other")
	if m.Has("password") {
		t.Error("password-file must replace password")
	}
}

func TestWithPrefix(t *testing.T) {
	m := NewMap("--sink-conf")
	_ = m.Parse([]string{"sink.properties.format=json", "fenodes=a:1", "sink.properties.compress_type=", "sink.properties.=x"})
	p := m.WithPrefix("sink.properties.")
	if got := strings.Join(p.Keys(), ","); got != "format,compress_type" {
		t.Errorf("got %s", got)
	}
	if v, ok := p.Get("compress_type"); !ok || v != "" {
		t.Errorf("empty header value must be kept: %q %v", v, ok)
	}
}

func TestTypedGetters(t *testing.T) {
	m := NewMap("--sink-conf")
	_ = m.Parse([]string{
		"n=42", "bad-n=4x2", "b=TRUE", "b2=False", "bad-b=yes",
		"d=10s", "d2=1min", "d3=100ms", "d4=250", "bad-d=soon",
		"s=100mb", "s2=10MB", "s3=1gb", "s4=2048", "bad-s=lots",
		"password=hunter2",
	})
	if n, err := m.GetInt("n", 0); n != 42 || err != nil {
		t.Errorf("GetInt = %d, %v", n, err)
	}
	if n, err := m.GetInt("absent", 7); n != 7 || err != nil {
		t.Errorf("GetInt default = %d, %v", n, err)
	}
	if b, err := m.GetBool("b", false); !b || err != nil {
		t.Errorf("GetBool(TRUE) = %v, %v", b, err)
	}
	if b, err := m.GetBool("b2", true); b || err != nil {
		t.Errorf("GetBool(False) = %v, %v", b, err)
	}
	for key, want := range map[string]time.Duration{"d": 10 * time.Second, "d2": time.Minute, "d3": 100 * time.Millisecond, "d4": 250 * time.Millisecond} {
		if d, err := m.GetDuration(key, 0); d != want || err != nil {
			t.Errorf("GetDuration(%s) = %v, %v; want %v", key, d, err, want)
		}
	}
	for key, want := range map[string]int64{"s": 100 << 20, "s2": 10 << 20, "s3": 1 << 30, "s4": 2048} {
		if n, err := m.GetBytes(key, 0); n != want || err != nil {
			t.Errorf("GetBytes(%s) = %d, %v; want %d", key, n, err, want)
		}
	}

	bad := []struct {
		key  string
		get  func() error
		want string
	}{
		{"bad-n", func() error { _, err := m.GetInt("bad-n", 0); return err }, "--sink-conf bad-n=4x2: not an integer"},
		{"bad-b", func() error { _, err := m.GetBool("bad-b", false); return err }, "--sink-conf bad-b=yes: not a boolean"},
		{"bad-d", func() error { _, err := m.GetDuration("bad-d", 0); return err }, "--sink-conf bad-d=soon: not a duration"},
		{"bad-s", func() error { _, err := m.GetBytes("bad-s", 0); return err }, "--sink-conf bad-s=lots: not a size"},
		{"password", func() error { _, err := m.GetInt("password", 0); return err }, "--sink-conf password=******: not an integer"},
	}
	for _, tt := range bad {
		err := tt.get()
		if err == nil || exitcode.Of(err) != exitcode.UsageError || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v (exit %d), want exit 2 containing %q", tt.key, err, exitcode.Of(err), tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: error leaks the password: %v", tt.key, err)
		}
	}
}

func TestParseDuration(t *testing.T) {
	good := map[string]time.Duration{
		"10s": 10 * time.Second, "1min": time.Minute, "100ms": 100 * time.Millisecond, "250": 250 * time.Millisecond,
		"2 h": 2 * time.Hour, "3 MIN": 3 * time.Minute, "1d": 24 * time.Hour, "5 seconds": 5 * time.Second,
		"7us": 7 * time.Microsecond, "9ns": 9, "1h30m": 90 * time.Minute, "1.5s": 1500 * time.Millisecond, "0": 0,
	}
	for in, want := range good {
		if d, err := ParseDuration(in); err != nil || d != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, d, err, want)
		}
	}
	for _, in := range []string{"", "s", "10 fortnights", "-5s", "abc", "99999999999999999999d"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q): no error", in)
		}
	}
}

func TestParseBytes(t *testing.T) {
	good := map[string]int64{"100mb": 100 << 20, "10MB": 10 << 20, "1gb": 1 << 30, "512 kb": 512 << 10, "3": 3, "4b": 4, "1t": 1 << 40, "2 mebibytes": 2 << 20}
	for in, want := range good {
		if n, err := ParseBytes(in); err != nil || n != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, n, err, want)
		}
	}
	for _, in := range []string{"", "mb", "1.5mb", "-1", "10 xb", "99999999999tb"} {
		if _, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q): no error", in)
		}
	}
}

func TestExpandEnv(t *testing.T) {
	t.Setenv("DS_TEST_PW", "s3cr=t")
	t.Setenv("DS_TEST_EMPTY", "")
	tests := []struct{ in, want, errHas string }{
		{"${DS_TEST_PW}", "s3cr=t", ""},
		{"jdbc:mysql://${DS_TEST_PW}:9030", "jdbc:mysql://s3cr=t:9030", ""},
		{"${DS_TEST_EMPTY}", "", ""},
		{"$${DS_TEST_PW}", "${DS_TEST_PW}", ""},
		{"pa$$word", "pa$$word", ""},
		{"$HOME", "$HOME", ""},
		{"${DS_TEST_UNSET_1}", "", "environment variable DS_TEST_UNSET_1 is not set"},
	}
	for _, tt := range tests {
		got, err := ExpandEnv(tt.in)
		if tt.errHas != "" {
			if err == nil || err.Error() != tt.errHas {
				t.Errorf("ExpandEnv(%q) error = %v, want %q", tt.in, err, tt.errHas)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ExpandEnv(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestEnvInMapValues(t *testing.T) {
	t.Setenv("DS_TEST_MYSQL_PW", "hunter2")
	j := validJob(t, MySQL, "password=${DS_TEST_MYSQL_PW}")
	if _, err := j.Resolve(); err != nil {
		t.Fatal(err)
	}
	if got := j.Source.Password().Reveal(); got != "hunter2" {
		t.Errorf("password = %q", got)
	}

	j = validJob(t, MySQL, "password=${DS_TEST_NOT_SET_PW}")
	_, err := j.Resolve()
	if exitcode.Of(err) != exitcode.UsageError || !strings.Contains(err.Error(), "--mysql-conf password: environment variable DS_TEST_NOT_SET_PW is not set") {
		t.Errorf("unset variable: %v", err)
	}
}

func TestPasswordFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct{ content, want string }{
		{"hunter2\n", "hunter2"},
		{"hunter2\r\n", "hunter2"},
		{"hunter2", "hunter2"},
		{"two\nlines\n", "two\nlines"},
		{" spaced \n", " spaced "},
		{"\n", ""},
	}
	for i, tt := range tests {
		p := write("pw"+string(rune('a'+i)), tt.content)
		j := validJob(t, MySQL, "password-file="+p)
		if _, err := j.Resolve(); err != nil {
			t.Fatalf("%q: %v", tt.content, err)
		}
		if got := j.Source.Password().Reveal(); got != tt.want {
			t.Errorf("password-file with %q gave %q, want %q", tt.content, got, tt.want)
		}
		if j.Source.Has("password-file") {
			t.Error("password-file must be replaced by password")
		}
	}

	missing := filepath.Join(dir, "nope")
	j := validJob(t, MySQL, "password-file="+missing)
	_, err := j.Resolve()
	if exitcode.Of(err) != exitcode.UsageError || !strings.Contains(err.Error(), "password-file="+missing) || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("unreadable password file: %v", err)
	}
}
