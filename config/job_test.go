package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/ddl"
	"github.com/doris-sync/doris-sync/exitcode"
)

// requiredSource is the minimal valid --<kind>-conf of each source.
var requiredSource = map[Kind][]string{
	MySQL:     {"hostname=db", "username=repl", "database-name=shop"},
	Postgres:  {"hostname=db", "username=repl", "database-name=shop", "schema-name=public", "slot.name=doris_sync"},
	SQLServer: {"hostname=db", "username=repl", "database-name=shop", "schema-name=dbo"},
	Oracle:    {"hostname=db", "username=repl", "database-name=ORCL", "schema-name=SHOP"},
	MongoDB:   {"hosts=db:27017", "database=shop"},
}

var requiredSink = []string{"fenodes=fe:8030", "username=root", "jdbc-url=jdbc:mysql://fe:9030"}

// validJob returns a job with every required key plus extra source entries.
func validJob(t *testing.T, kind Kind, extraSource ...string) *Job {
	t.Helper()
	j := NewJob(kind)
	j.StateDir = t.TempDir()
	if err := j.Source.Parse(append(append([]string(nil), requiredSource[kind]...), extraSource...)); err != nil {
		t.Fatal(err)
	}
	if err := j.Sink.Parse(requiredSink); err != nil {
		t.Fatal(err)
	}
	return j
}

func wantUsage(t *testing.T, err error, wantIn string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", wantIn)
	}
	if exitcode.Of(err) != exitcode.UsageError {
		t.Errorf("exit code %d for %q, want 2", exitcode.Of(err), err)
	}
	if !strings.Contains(err.Error(), wantIn) {
		t.Errorf("error %q does not contain %q", err, wantIn)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error is not one line: %q", err)
	}
}

func TestValidJobsResolve(t *testing.T) {
	for _, kind := range SupportedKinds {
		j := validJob(t, kind)
		warnings, err := j.Resolve()
		if err != nil || len(warnings) != 0 {
			t.Errorf("%s: %v %v", kind, warnings, err)
		}
	}
}

func TestRequiredKeysPerSource(t *testing.T) {
	for kind, entries := range requiredSource {
		for skip := range entries {
			var conf []string
			for i, e := range entries {
				if i != skip {
					conf = append(conf, e)
				}
			}
			key, _, _ := strings.Cut(entries[skip], "=")
			j := NewJob(kind)
			j.StateDir = t.TempDir()
			_ = j.Source.Parse(conf)
			_ = j.Sink.Parse(requiredSink)
			_, err := j.Resolve()
			want := fmt.Sprintf("%s: missing required key %s", kind.ConfFlag(), key)
			if kind == Oracle && key == "hostname" {
				want = "--oracle-conf: missing required key hostname (or url)"
			}
			t.Run(string(kind)+"/"+key, func(t *testing.T) { wantUsage(t, err, want) })
		}
	}
	// Oracle: url instead of hostname is enough.
	j := NewJob(Oracle)
	j.StateDir = t.TempDir()
	_ = j.Source.Parse([]string{"url=jdbc:oracle:thin:@//db:1521/ORCL", "username=u", "database-name=ORCL", "schema-name=S"})
	_ = j.Sink.Parse(requiredSink)
	if _, err := j.Resolve(); err != nil {
		t.Errorf("oracle with url: %v", err)
	}
}

func TestRequiredSinkKeys(t *testing.T) {
	for skip := range requiredSink {
		key, _, _ := strings.Cut(requiredSink[skip], "=")
		j := NewJob(MySQL)
		j.StateDir = t.TempDir()
		_ = j.Source.Parse(requiredSource[MySQL])
		for i, e := range requiredSink {
			if i != skip {
				_ = j.Sink.Parse([]string{e})
			}
		}
		_, err := j.Resolve()
		t.Run(key, func(t *testing.T) { wantUsage(t, err, "--sink-conf: missing required key "+key) })
	}
}

func TestUnknownKeys(t *testing.T) {
	tests := []struct {
		kind  Kind
		entry string
		sink  bool
		want  string
	}{
		{MySQL, "hostnme=x", false, "--mysql-conf hostnme: unknown key (did you mean hostname?)"},
		{MySQL, "databse-name=x", false, "(did you mean database-name?)"},
		{MySQL, "slot.name=x", false, "(it is a --postgres-conf key, not a --mysql-conf key)"},
		{MySQL, "fenodes=x:1", false, "(it is a --sink-conf key)"},
		{MySQL, "completely.different=1", false, "unknown key; run 'doris-sync mysql-sync-database --help' for the keys"},
		{Postgres, "slot-name=x", false, "(did you mean slot.name?)"},
		{MySQL, "sink.lable-prefix=x", true, "--sink-conf sink.lable-prefix: unknown key (did you mean sink.label-prefix?)"},
		{MySQL, "hostname=x", true, "--sink-conf hostname: unknown key (it is a --mysql-conf key)"},
		{MySQL, "sink.buffer-sise=1", true, "(did you mean sink.buffer-size?)"},
	}
	for _, tt := range tests {
		j := validJob(t, tt.kind)
		if tt.sink {
			_ = j.Sink.Parse([]string{tt.entry})
		} else {
			_ = j.Source.Parse([]string{tt.entry})
		}
		_, err := j.Resolve()
		t.Run(tt.entry, func(t *testing.T) { wantUsage(t, err, tt.want) })
	}
}

func TestCompatKeysWarnOnce(t *testing.T) {
	j := validJob(t, MySQL, "debezium.snapshot.mode=initial", "jdbc.properties.useSSL=false", "jdbc.properties.tinyInt1isBit=false", "scan.incremental.snapshot.enabled=true")
	_ = j.Sink.Parse([]string{"sink.buffer-size=1mb", "sink.buffer-count=3", "sink.check-interval=0", "sink.use-cache=false",
		"sink.enable.batch-mode=true", "sink.write-mode=stream_load", "sink.flush.queue-size=2", "sink.http-utf8-charset=true",
		"sink.properties.format=json", "sink.properties.compress_type="})
	_ = j.Table.Parse([]string{"replication_num=1", "storage_medium=SSD", "anything.goes=yes"})
	warnings, err := j.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	wantKeys := []string{"--mysql-conf debezium.snapshot.mode", "--mysql-conf jdbc.properties.useSSL", "--mysql-conf scan.incremental.snapshot.enabled",
		"--sink-conf sink.buffer-size", "--sink-conf sink.buffer-count", "--sink-conf sink.check-interval", "--sink-conf sink.use-cache",
		"--sink-conf sink.enable.batch-mode", "--sink-conf sink.write-mode", "--sink-conf sink.flush.queue-size", "--sink-conf sink.http-utf8-charset"}
	if len(warnings) != len(wantKeys) {
		t.Fatalf("got %d warnings, want %d:\n%s", len(warnings), len(wantKeys), strings.Join(warnings, "\n"))
	}
	for i, w := range warnings {
		if !strings.HasPrefix(w, wantKeys[i]+" has no effect in doris-sync: ") {
			t.Errorf("warning %d = %q, want it about %s", i, w, wantKeys[i])
		}
	}
	if got := strings.Join(j.TableProperties().Keys(), ","); got != "replication_num,storage_medium,anything.goes" {
		t.Errorf("table properties %s", got)
	}
}

func TestCompatFlagsWarn(t *testing.T) {
	j := validJob(t, MySQL)
	j.SingleSink, j.UseNewSchemaChange = true, true
	if err := j.Set("schema-change-mode", "SQL_PARSER"); err != nil {
		t.Fatal(err)
	}
	warnings, err := j.Resolve()
	if err != nil || len(warnings) != 3 {
		t.Fatalf("%v %v", warnings, err)
	}
	if j.SchemaChangeMode != "sql_parser" {
		t.Errorf("mode not normalised: %q", j.SchemaChangeMode)
	}
	if err := j.Set("schema-change-mode", "magic"); err == nil {
		t.Error("schema-change-mode=magic accepted")
	}
}

func TestAliases(t *testing.T) {
	j := validJob(t, Postgres, "debezium.publication.name=mypub")
	warnings, err := j.Resolve()
	if err != nil || len(warnings) != 0 {
		t.Fatalf("%v %v", warnings, err)
	}
	if v, _ := j.Source.Get("publication.name"); v != "mypub" {
		t.Errorf("publication.name = %q", v)
	}
}

func TestSourceValueChecks(t *testing.T) {
	tests := []struct {
		kind  Kind
		extra []string
		want  string // "" = valid
	}{
		{MySQL, []string{"port=3307"}, ""},
		{MySQL, []string{"port=abc"}, "--mysql-conf port=abc: not an integer"},
		{MySQL, []string{"port=70000"}, "--mysql-conf port=70000: must be between 1 and 65535"},
		{MySQL, []string{"server-id=5400-5408"}, ""},
		{MySQL, []string{"server-id=5408-5400"}, "--mysql-conf server-id=5408-5400: not a server id range"},
		{MySQL, []string{"server-time-zone=Asia/Shanghai"}, ""},
		{MySQL, []string{"server-time-zone=+08:00"}, ""},
		{MySQL, []string{"server-time-zone=Mars/Olympus"}, "not a time zone"},
		{MySQL, []string{"scan.startup.mode=LATEST-OFFSET"}, ""},
		{MySQL, []string{"scan.startup.mode=earliest-offset"}, ""},
		{MySQL, []string{"scan.startup.mode=snapshot"}, ""},
		{MySQL, []string{"scan.startup.mode=newest"}, "--mysql-conf scan.startup.mode=newest: must be one of initial, earliest-offset, latest-offset, specific-offset, timestamp, snapshot"},
		{Postgres, []string{"scan.startup.mode=earliest-offset"}, "--postgres-conf scan.startup.mode=earliest-offset: must be one of initial, latest-offset, snapshot"},
		{MongoDB, []string{"scan.startup.mode=timestamp", "scan.startup.timestamp-millis=1700000000000"}, ""},
		{MongoDB, []string{"scan.startup.mode=timestamp"}, "scan.startup.mode=timestamp needs scan.startup.timestamp-millis"},
		{MySQL, []string{"scan.startup.timestamp-millis=1"}, "scan.startup.timestamp-millis is only used with scan.startup.mode=timestamp"},
		{MySQL, []string{"scan.startup.mode=specific-offset", "scan.startup.specific-offset.file=mysql-bin.000003", "scan.startup.specific-offset.pos=4"}, ""},
		{MySQL, []string{"scan.startup.mode=specific-offset", "scan.startup.specific-offset.gtid-set=uuid:1-5"}, ""},
		{MySQL, []string{"scan.startup.mode=specific-offset"}, "needs scan.startup.specific-offset.file and .pos"},
		{MySQL, []string{"scan.startup.mode=specific-offset", "scan.startup.specific-offset.file=f"}, "must be given together"},
		{MySQL, []string{"scan.incremental.snapshot.chunk.size=0"}, "chunk.size=0: must be at least 1"},
		{MySQL, []string{"scan.incremental.snapshot.chunk.key-column=shop.logs:id,shop.events:ts"}, ""},
		{MySQL, []string{"scan.incremental.snapshot.chunk.key-column=shop.logs"}, `"shop.logs" is not table:column`},
		{MySQL, []string{"connect.timeout=1min"}, ""},
		{MySQL, []string{"connect.timeout=never"}, "connect.timeout=never: not a duration"},
		{MySQL, []string{"ssl.mode=verify-full", "ssl.ca=/ca.pem"}, ""},
		{MySQL, []string{"ssl.cert=/c.pem"}, "ssl.cert and ssl.key must be given together"},
		{MySQL, []string{"hostname="}, "--mysql-conf hostname=: must not be empty"},
		{Postgres, []string{"slot.name=Bad-Slot"}, "--postgres-conf slot.name=Bad-Slot: a slot name has"},
		{Postgres, []string{"decoding.plugin.name=wal2json"}, "must be one of pgoutput"},
		{MongoDB, []string{"hosts=a:1,b,c:2"}, ""},
		{MongoDB, []string{"hosts=a:notaport"}, "port"},
		{MongoDB, []string{"schema.sample-percent=1.5"}, "schema.sample-percent=1.5: must be a number greater than 0 and at most 1"},
		{MongoDB, []string{"schema.min-sample-size=10", "schema.max-sample-size=5"}, "schema.min-sample-size (10) is larger than schema.max-sample-size (5)"},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+" "+strings.Join(tt.extra, " "), func(t *testing.T) {
			j := validJob(t, tt.kind, tt.extra...)
			_, err := j.Resolve()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantUsage(t, err, tt.want)
		})
	}
}

func TestSinkAndTableValueChecks(t *testing.T) {
	tests := []struct {
		sink, table []string
		want        string
	}{
		{[]string{"fenodes=fe1:8030,fe2:8030", "benodes=be:8040", "auto-redirect=FALSE", "sink.max-retries=0"}, nil, ""},
		{[]string{"fenodes=fe1"}, nil, `--sink-conf fenodes=fe1: "fe1" is not host:port`},
		{[]string{"jdbc-url=mysql://fe:9030"}, nil, "--sink-conf jdbc-url=mysql://fe:9030: not a Doris FE MySQL URL"},
		{[]string{"jdbc-url=jdbc:mysql://fe:9030/db?useSSL=false"}, nil, ""},
		{[]string{"sink.enable-delete=yes"}, nil, "--sink-conf sink.enable-delete=yes: not a boolean (want true or false)"},
		{[]string{"sink.label-prefix=my label"}, nil, "--sink-conf sink.label-prefix=my label: only letters"},
		{[]string{"sink.buffer-flush.max-bytes=100mb", "sink.buffer-flush.interval=1s", "sink.buffer-flush.max-rows=10000"}, nil, ""},
		{[]string{"sink.buffer-flush.max-bytes=lots"}, nil, "not a size"},
		{[]string{"sink.buffer-flush.interval=0"}, nil, "sink.buffer-flush.interval=0: must be greater than 0"},
		{nil, []string{"replication_num=0"}, "--table-conf replication_num=0: must be at least 1"},
		{nil, []string{"table-buckets=orders:32,.*:8"}, ""},
		{nil, []string{"table-buckets=orders:-1"}, "--table-conf table-buckets=orders:-1: \"orders:-1\": The number of buckets must be positive"},
		{nil, []string{"table-buckets=orders"}, `"orders" is not table:buckets`},
		{nil, []string{"table-buckets=(bad:1"}, "not a valid regular expression"},
		{nil, []string{"table-partitions=orders:created:MONTH"}, ""},
		{nil, []string{"table-partitions=orders:created:fortnight"}, `interval "fortnight" is not one of`},
		{nil, []string{"enable-decimal256=yes"}, "--table-conf enable-decimal256=yes: not a boolean"},
		{nil, []string{"convert-uniq-to-pk=maybe"}, "not a boolean"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(append(tt.sink, tt.table...), " "), func(t *testing.T) {
			j := validJob(t, MySQL)
			_ = j.Sink.Parse(tt.sink)
			_ = j.Table.Parse(tt.table)
			_, err := j.Resolve()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantUsage(t, err, tt.want)
		})
	}
}

func TestSettingsChecks(t *testing.T) {
	tests := []struct {
		set  map[string]string
		want string
	}{
		{map[string]string{"including-tables": "orders|customers|items_.*", "excluding-tables": "tmp_.*"}, ""},
		{map[string]string{"including-tables": "(?!tmp).*"}, `--including-tables "(?!tmp).*": not a valid regular expression`},
		{map[string]string{"excluding-tables": "[a-"}, "--excluding-tables"},
		{map[string]string{"multi-to-one-origin": "tbl2.*|log_.*", "multi-to-one-target": "tbl2_merge|logs"}, ""},
		{map[string]string{"multi-to-one-origin": "tbl2.*"}, "--multi-to-one-origin needs --multi-to-one-target"},
		{map[string]string{"multi-to-one-target": "t"}, "--multi-to-one-target needs --multi-to-one-origin"},
		{map[string]string{"multi-to-one-origin": "a|b", "multi-to-one-target": "t"}, "--multi-to-one-origin has 2 regexes but --multi-to-one-target has 1 tables"},
		{map[string]string{"multi-to-one-origin": "a(|b", "multi-to-one-target": "t|u"}, `--multi-to-one-origin piece "a("`},
		{map[string]string{"pprof": "true", "metrics-addr": "127.0.0.1:9108"}, ""},
		{map[string]string{"pprof": "true"}, "--pprof needs --metrics-addr"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.set), func(t *testing.T) {
			j := validJob(t, MySQL)
			for k, v := range tt.set {
				if err := j.Set(k, v); err != nil {
					t.Fatal(err)
				}
			}
			_, err := j.Resolve()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantUsage(t, err, tt.want)
		})
	}
}

func TestSetRejectsBadValues(t *testing.T) {
	bad := map[string]string{
		"progress": "sometimes", "log-format": "xml", "log-level": "loud", "snapshot-parallelism": "0",
		"max-duration": "forever", "metrics-addr": "nonsense", "dry-run": "perhaps",
	}
	for name, v := range bad {
		if err := (NewJob(MySQL)).Set(name, v); err == nil {
			t.Errorf("Set(%s, %q) accepted", name, v)
		}
	}
	j := NewJob(MySQL)
	for name, v := range map[string]string{"progress": "ON", "log-format": "json", "log-level": "DEBUG", "snapshot-parallelism": "8",
		"max-duration": "1h", "metrics-addr": ":9090", "dry-run": "true"} {
		if err := j.Set(name, v); err != nil {
			t.Errorf("Set(%s, %q): %v", name, v, err)
		}
	}
	if j.Progress != "on" || j.LogLevel != "debug" || j.SnapshotParallelism != 8 || j.MaxDuration.String() != "1h0m0s" || !j.DryRun {
		t.Errorf("settings not applied: %+v", j)
	}
	if err := j.Set("no-such-setting", "x"); err == nil {
		t.Error("unknown setting accepted")
	}
}

func TestMultiToOneRulesOrder(t *testing.T) {
	j := NewJob(MySQL)
	j.MultiToOneOrigin, j.MultiToOneTarget = "tbl2.*|tbl.*", "tbl2_merge|tbl_all"
	rules, err := j.MultiToOneRules()
	if err != nil || len(rules) != 2 {
		t.Fatal(rules, err)
	}
	if !rules[0].Origin.MatchString("tbl2_1") || rules[0].Target != "tbl2_merge" || rules[1].Target != "tbl_all" {
		t.Errorf("rules %+v", rules)
	}
	if rules[0].Origin.MatchString("xtbl2") {
		t.Error("origin must be a full match")
	}
}

// tableConf parses --table-conf entries through the job, as the planner gets them.
func tableConf(t *testing.T, entries ...string) ddl.TableConf {
	t.Helper()
	j := validJob(t, MySQL)
	if err := j.Table.Parse(entries); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Resolve(); err != nil {
		t.Fatal(err)
	}
	conf, err := j.TableConf()
	if err != nil {
		t.Fatal(err)
	}
	return conf
}

// Bucket rule vectors of the anchor tool's DatabaseSyncTest and DorisSchemaFactoryTest (anchor §1.5).
func TestTableBucketsAnchorVectors(t *testing.T) {
	conf := tableConf(t, "table-buckets=tbl1:10,tbl2:20,a11.*:30,a1.*:40,b.*:50,b1.*:60,.*:70")
	want := map[string]int{"tbl1": 10, "tbl2": 20, "tbl3": 70, "a11": 30, "a111": 30, "a12": 40, "a13": 40, "b1": 50, "b11": 50, "b2": 50, "c1": 70, "d1": 70}
	for table, n := range want {
		if got := conf.BucketsFor(table); got != n {
			t.Errorf("%s: %d, want %d", table, got, n)
		}
	}
	conf = tableConf(t, "table-buckets=.*:10,a.*:20,tbl:30,b.*:40")
	for _, table := range []string{"a", "a1", "a2", "a3", "b1"} {
		if got := conf.BucketsFor(table); got != 10 {
			t.Errorf("%s: %d, want 10 (first regex wins)", table, got)
		}
	}
	conf = tableConf(t, "table-buckets=tbl2.*:1")
	for _, table := range []string{"tbl2", "tbl21"} {
		if got := conf.BucketsFor(table); got != 1 {
			t.Errorf("%s: %d", table, got)
		}
	}
	if got := conf.BucketsFor("other"); got != 0 {
		t.Errorf("no rule matches: BUCKETS AUTO (0) expected, got %d", got)
	}
	conf = tableConf(t, "table-buckets=tbl1:10,tbl2 : 20, a.* :30,b.*:40,.*:50")
	var keys []string
	for _, r := range conf.Buckets {
		keys = append(keys, r.Pattern)
	}
	if got := strings.Join(keys, " "); got != "tbl1 tbl2 a.* b.* .*" {
		t.Errorf("keys %q", got)
	}
}

func TestTablePartitionsAnchorVector(t *testing.T) {
	conf := tableConf(t, "table-partitions=tbl1:dt_col_d:day,tbl2:dt_col_w:week,tbl3:dt_col_m:month")
	want := []ddl.PartitionRule{{Table: "tbl1", Column: "dt_col_d", Interval: "day"}, {Table: "tbl2", Column: "dt_col_w", Interval: "week"}, {Table: "tbl3", Column: "dt_col_m", Interval: "month"}}
	if !reflect.DeepEqual(conf.Partitions, want) {
		t.Errorf("%+v", conf.Partitions)
	}
}

// The planner's settings come from --table-conf in the order given; properties
// exclude the keys doris-sync itself reads.
func TestTableConfForThePlanner(t *testing.T) {
	conf := tableConf(t, "storage_medium=SSD", "convert-uniq-to-pk=TRUE", "enable-decimal256=true", "replication_num=1", "table-buckets=a:3")
	if !conf.ConvertUniqToPK || !conf.Decimal256 || conf.BucketsFor("a") != 3 {
		t.Errorf("conf %+v", conf)
	}
	if got := fmt.Sprint(conf.Properties); got != "[{storage_medium SSD} {replication_num 1}]" {
		t.Errorf("properties %s", got)
	}
}

func TestDefaultJobName(t *testing.T) {
	tests := []struct {
		kind   Kind
		source []string
		target string
		want   string
	}{
		{MySQL, []string{"database-name=shop"}, "ods", "mysql-shop-to-ods"},
		{MySQL, []string{"database-name=shop_.*"}, "", "mysql-shop"},
		{Postgres, []string{"database-name=app", "schema-name=public"}, "ods", "postgres-app_public-to-ods"},
		{MongoDB, []string{"database=events"}, "", "mongodb-events"},
	}
	for _, tt := range tests {
		j := NewJob(tt.kind)
		_ = j.Source.Parse(tt.source)
		j.Database = tt.target
		if got := j.DefaultJobName(); got != tt.want {
			t.Errorf("DefaultJobName = %q, want %q", got, tt.want)
		}
	}
	j := validJob(t, MySQL)
	j.Database = "ods"
	if _, err := j.Resolve(); err != nil {
		t.Fatal(err)
	}
	if j.JobName != "mysql-shop-to-ods" || j.LabelPrefix() != "mysql-shop-to-ods" {
		t.Errorf("job name %q, label prefix %q", j.JobName, j.LabelPrefix())
	}
}

func TestDefaultStateDir(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "/var/xdg")
	if d, _ := DefaultStateDir(); d != "/var/xdg/doris-sync" {
		t.Errorf("with XDG_STATE_HOME: %q", d)
	}
	t.Setenv("XDG_STATE_HOME", "relative/ignored")
	t.Setenv("HOME", "/home/u")
	if d, _ := DefaultStateDir(); d != "/home/u/.local/state/doris-sync" {
		t.Errorf("without XDG_STATE_HOME: %q", d)
	}
	j := validJob(t, MySQL)
	j.StateDir = ""
	if _, err := j.Resolve(); err != nil || j.StateDir != "/home/u/.local/state/doris-sync" {
		t.Errorf("Resolve state dir %q %v", j.StateDir, err)
	}
}

func TestUnsupportedKind(t *testing.T) {
	_, err := NewJob(DB2).Resolve()
	wantUsage(t, err, "DB2 is not supported")
}

// A password given in any way never shows in any printed form of the job.
func TestRedaction(t *testing.T) {
	const pw, sinkPW = "hunter2-src", "hunter2-sink"
	t.Setenv("DS_TEST_SINK_PW", sinkPW)
	j := validJob(t, MySQL, "password="+pw, "jdbc.properties.password="+pw, "url=jdbc:mysql://u:"+pw+"@db:3306")
	_ = j.Sink.Parse([]string{"password=${DS_TEST_SINK_PW}", "jdbc-url=jdbc:mysql://fe:9030?user=root&password=" + sinkPW})
	_ = j.Table.Parse([]string{"replication_num=1"})
	_, _ = j.Resolve() // url is unknown for MySQL: the error must not leak either
	j.Source.Delete("url")
	warnings, err := j.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if j.Sink.Password().Reveal() != sinkPW {
		t.Fatal("sink password not resolved")
	}

	var logText, logJSON bytes.Buffer
	slog.New(slog.NewTextHandler(&logText, nil)).Info("job", "job", j, "source", j.Source, "pw", j.Source.Password())
	slog.New(slog.NewJSONHandler(&logJSON, nil)).Info("job", "job", j, "sink", j.Sink, "pw", j.Sink.Password())
	js, _ := json.Marshal(j)
	pwJSON, _ := json.Marshal(j.Source.Password())
	outputs := map[string]string{
		"Redacted":    j.Redacted(),
		"%v":          fmt.Sprintf("%v", j),
		"%+v":         fmt.Sprintf("%+v", j),
		"%#v":         fmt.Sprintf("%#v", j),
		"%s map":      fmt.Sprintf("%s", j.Source),
		"%q map":      fmt.Sprintf("%q", j.Sink),
		"%#v map":     fmt.Sprintf("%#v", *j.Sink),
		"secret %v":   fmt.Sprintf("%v %s %q %#v %x", j.Source.Password(), j.Source.Password(), j.Source.Password(), j.Source.Password(), j.Source.Password()),
		"secret json": string(pwJSON),
		"json":        string(js),
		"slog text":   logText.String(),
		"slog json":   logJSON.String(),
		"warnings":    strings.Join(warnings, "\n"),
		"LogValue":    j.LogValue().String(),
	}
	for name, out := range outputs {
		for _, secret := range []string{pw, sinkPW} {
			if strings.Contains(out, secret) {
				t.Errorf("%s leaks a password:\n%s", name, out)
			}
		}
	}
	if !strings.Contains(outputs["Redacted"], "password: '******'") || !strings.Contains(outputs["json"], `"password":"******"`) {
		t.Errorf("redacted forms must still show that a password is set:\n%s\n%s", outputs["Redacted"], outputs["json"])
	}
	if !strings.Contains(outputs["Redacted"], "password=******") {
		t.Errorf("a password inside the jdbc-url must be masked, not dropped:\n%s", outputs["Redacted"])
	}

	// Errors about credential entries never carry the value.
	bad := validJob(t, MySQL, "password="+pw, "port=abc")
	_, err = bad.Resolve()
	if err == nil || strings.Contains(err.Error(), pw) {
		t.Errorf("error leaks: %v", err)
	}
	if _, err := bad.Source.GetInt("password", 0); err == nil || strings.Contains(err.Error(), pw) {
		t.Errorf("getter error leaks: %v", err)
	}
	mongo := validJob(t, MongoDB, "hosts=repl:"+pw+"@m1:27017")
	if _, err := mongo.Resolve(); err == nil || strings.Contains(err.Error(), pw) {
		t.Errorf("hosts error leaks: %v", err)
	}
	unknown := validJob(t, MySQL, "db.password="+pw)
	if _, err := unknown.Resolve(); err == nil || strings.Contains(err.Error(), pw) {
		t.Errorf("unknown-key error leaks: %v", err)
	}
}

func TestRedactValue(t *testing.T) {
	tests := map[string]string{
		"mongodb://user:pw@h:27017/db":                    "mongodb://user:******@h:27017/db",
		"jdbc:mysql://fe:9030?user=root&password=pw&x=1":  "jdbc:mysql://fe:9030?user=root&password=******&x=1",
		"jdbc:oracle:thin:scott/tiger@db:1521:ORCL":       "jdbc:oracle:thin:scott/******@db:1521:ORCL",
		"jdbc:sqlserver://h:1433;database=d;password=pw;": "jdbc:sqlserver://h:1433;database=d;password=******;",
		"jdbc:mysql://fe:9030":                            "jdbc:mysql://fe:9030",
		"repl:pw@m1:27017,m2:27017":                       "repl:******@m1:27017,m2:27017",
		"jdbc:oracle:thin:@//db:1521/ORCL":                "jdbc:oracle:thin:@//db:1521/ORCL",
		"plain":                                           "plain",
	}
	for in, want := range tests {
		if got := RedactValue(in); got != want {
			t.Errorf("RedactValue(%q) = %q, want %q", in, got, want)
		}
	}
	for key, secret := range map[string]bool{"password": true, "sink.properties.password": true, "doris.tls.key-password": true,
		"token": true, "password-file": false, "doris.tls.ca-certificate-path": false, "username": false} {
		if IsSecretKey(key) != secret {
			t.Errorf("IsSecretKey(%s) = %v", key, !secret)
		}
	}
}

func TestMissingWholeMap(t *testing.T) {
	j := NewJob(Postgres)
	j.StateDir = t.TempDir()
	_ = j.Sink.Parse(requiredSink)
	_, err := j.Resolve()
	wantUsage(t, err, "missing --postgres-conf k=v settings (required keys: hostname, username, database-name, schema-name, slot.name)")

	j = NewJob(MySQL)
	j.StateDir = t.TempDir()
	_ = j.Source.Parse(requiredSource[MySQL])
	_, err = j.Resolve()
	wantUsage(t, err, "missing --sink-conf k=v settings (required keys: fenodes, jdbc-url, username)")
}

func TestDropSlotAndPublicationIsPostgresOnly(t *testing.T) {
	pg := NewJob(Postgres)
	if err := pg.Set("drop-slot-and-publication", "true"); err != nil || !pg.DropSlotAndPublication || pg.Get("drop-slot-and-publication") != "true" {
		t.Fatalf("postgres: %v, set %v", err, pg.DropSlotAndPublication)
	}
	for _, k := range []Kind{MySQL, SQLServer, Oracle, MongoDB} {
		j := NewJob(k)
		err := j.Set("drop-slot-and-publication", "true")
		if err == nil || !strings.Contains(err.Error(), "valid only for postgres-sync-database") || j.DropSlotAndPublication {
			t.Errorf("%s: %v (set %v)", k, err, j.DropSlotAndPublication)
		}
		// Off is harmless anywhere (a shared YAML file may say so).
		if err := j.Set("drop-slot-and-publication", "false"); err != nil {
			t.Errorf("%s: false: %v", k, err)
		}
	}
}
