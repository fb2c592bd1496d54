package sink

import (
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var labelRE = regexp.MustCompile(`^[-_A-Za-z0-9:]{1,128}$`)

func TestBatchLabels(t *testing.T) {
	l := batchLabel("job1", "db", "orders", "e1", 42, 3, 1000)
	if l != "job1_orders_e1_42_3_1000" {
		t.Errorf("label = %q", l)
	}
	if l := batchLabel("", "db", "orders", "e1", 1, 0, 1); l != "orders_e1_1_0_1" {
		t.Errorf("label without prefix = %q", l)
	}
	long := strings.Repeat("t", 64)
	prefix := strings.Repeat("p", maxPrefixLen)
	cases := []struct{ db, table string }{{"db", long}, {"数据库", "数据表"}, {"db", "a.b c"}, {"db", ""}}
	seen := map[string]bool{}
	for _, c := range cases {
		l := batchLabel(prefix, c.db, c.table, "epoch:123456789", ^uint64(0), ^uint32(0), 1<<31-1)
		if !labelRE.MatchString(l) {
			t.Errorf("label for %q.%q = %q (%d chars) breaks the Doris label rule", c.db, c.table, l, len(l))
		}
		if seen[l] {
			t.Errorf("two tables share label %q", l)
		}
		seen[l] = true
	}
	// A long prefix (the job name, up to 100 characters) is shortened, deterministically.
	longPrefix := strings.Repeat("j", 100)
	l1 := batchLabel(longPrefix, "db", long, "epoch:123456789", ^uint64(0), ^uint32(0), 1<<31-1)
	l2 := batchLabel(longPrefix+"x", "db", long, "epoch:123456789", ^uint64(0), ^uint32(0), 1<<31-1)
	if !labelRE.MatchString(l1) || l1 == l2 || l1 != batchLabel(longPrefix, "db", long, "epoch:123456789", ^uint64(0), ^uint32(0), 1<<31-1) {
		t.Errorf("long prefixes: %q %q", l1, l2)
	}
	// Names differing only in characters a label cannot hold stay distinct.
	a := batchLabel("p", "db", "表a", "e", 1, 0, 1)
	b := batchLabel("p", "db", "表b", "e", 1, 0, 1)
	c := batchLabel("p", "db2", "表a", "e", 1, 0, 1)
	if a == b || a == c {
		t.Errorf("hashed names collide: %s %s %s", a, b, c)
	}
	if batchLabel("p", "d", "t", "e", 1, 0, 10) == batchLabel("p", "d", "t", "e", 1, 0, 11) {
		t.Error("batches of different size share a label")
	}
}

func TestParseConfig(t *testing.T) {
	pwFile := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pwFile, []byte("from-file\n"), 0o600)
	c, ignored, err := ParseConfig(map[string]string{
		"fenodes": "fe1:8030, fe2:8030", "benodes": "be:8040", "jdbc-url": "jdbc:mysql://fe1:9030", "username": "root",
		"password-file": pwFile, "auto-redirect": "false", "sink.label-prefix": "job_1",
		"sink.enable-delete": "false", "sink.enable-2pc": "true", "sink.ignore.update-before": "false",
		"sink.max-retries": "5", "sink.buffer-flush.max-rows": "10000", "sink.buffer-flush.max-bytes": "10mb",
		"sink.buffer-flush.interval": "2s", "sink.max-memory": "1gb", "sink.parallelism": "8",
		"doris.request.read.timeout.ms": "60000", "sink.properties.format": "csv", "sink.properties.strict_mode": "true",
		"sink.buffer-size": "1mb", "sink.ignore.commit-error": "true",
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.FENodes, ",") != "fe1:8030,fe2:8030" || c.BENodes[0] != "be:8040" || c.AutoRedirect || c.Password != "from-file" ||
		c.EnableDelete || c.TwoPhase != TwoPhaseOn || c.IgnoreUpdateBefore || c.MaxRetries != 5 || c.FlushMaxRows != 10000 ||
		c.FlushMaxBytes != 10<<20 || c.FlushInterval != 2*time.Second || c.MaxMemory != 1<<30 || c.Parallelism != 8 ||
		c.ReadTimeout != time.Minute || c.Properties["format"] != "csv" || c.Properties["strict_mode"] != "true" || c.LabelPrefix != "job_1" {
		t.Errorf("parsed %+v", c)
	}
	if len(ignored) != 2 {
		t.Errorf("ignored = %v, want the two anchor-only keys", ignored)
	}
	d, _, err := ParseConfig(map[string]string{"fenodes": "fe:8030", "username": "u"})
	if err != nil {
		t.Fatal(err)
	}
	if d.TwoPhase != TwoPhaseAuto || !d.twoPhase(Duplicate) || d.twoPhase(Unique) || !d.AutoRedirect || !d.EnableDelete {
		t.Errorf("defaults %+v", d)
	}
	bad := []struct {
		m    map[string]string
		want string
	}{
		{map[string]string{"fenodes": "fe:8030", "username": "u", "sink.lable-prefix": "x"}, `unknown key "sink.lable-prefix"`},
		{map[string]string{"username": "u"}, "fenodes is required"},
		{map[string]string{"fenodes": "fe:8030"}, "username is required"},
		{map[string]string{"fenodes": "fe:8030", "username": "u", "sink.label-prefix": "my label"}, "label-prefix"},
		{map[string]string{"fenodes": "fe:8030", "username": "u", "sink.enable-delete": "yes"}, "want true or false"},
		{map[string]string{"fenodes": "fe:8030", "username": "u", "sink.buffer-flush.max-bytes": "lots"}, "not a size"},
		{map[string]string{"fenodes": "fe:8030", "username": "u", "sink.properties.label": "x"}, "cannot be set"},
		{map[string]string{"fenodes": "fe:8030", "username": "u", "sink.properties.partial_columns": "true"}, "cannot be set"},
		{map[string]string{"fenodes": "fe:8030", "username": "u", "sink.properties.unique_key_update_mode": "UPSERT"}, "cannot be set"},
		{map[string]string{"fenodes": "fe:8030", "username": "u", "sink.properties.format": "parquet"}, "json (default) or csv"},
		{map[string]string{"fenodes": "fe:8030", "username": "u", "sink.properties.compress_type": "lz4"}, "only gz"},
		{map[string]string{"fenodes": "fe:8030", "username": "u", "sink.enable-2pc": "true", "sink.properties.group_commit": "async_mode"}, "exclude each other"},
		{map[string]string{"fenodes": "fe:8030", "username": "u", "sink.max-memory": "1mb"}, "at least sink.buffer-flush.max-bytes"},
	}
	for _, b := range bad {
		_, _, err := ParseConfig(b.m)
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("ParseConfig(%v) = %v, want an error mentioning %q", b.m, err, b.want)
		}
	}
}

func TestConfigNeverLogsThePassword(t *testing.T) {
	c := DefaultConfig()
	c.FENodes, c.User, c.Password = []string{"fe:8030"}, "root", "hunter2"
	var buf strings.Builder
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "sink", c)
	if strings.Contains(buf.String(), "hunter2") || !strings.Contains(buf.String(), "fe:8030") {
		t.Errorf("log line: %s", buf.String())
	}
}

func TestSeparators(t *testing.T) {
	cases := map[string]string{`\x01`: "\x01", `\x01\x02`: "\x01\x02", `\t`: "\t", "|": "|", `\xZZ`: `\xZZ`, "": "def"}
	for in, want := range cases {
		if got := decodeSeparator(in, "def"); got != want {
			t.Errorf("decodeSeparator(%q) = %q, want %q", in, got, want)
		}
	}
	if got := hexSeparator("\x01|"); got != `\x01\x7c` {
		t.Errorf("hexSeparator = %q", got)
	}
}
