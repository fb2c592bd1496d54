// Package config holds the settings of one replication job (config.Job): the
// command-line flags and k=v maps of the anchor tool's whole-database sync,
// the optional YAML file, their validation, and redaction of credentials.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/doris-sync/doris-sync/exitcode"
)

// Kind is the source database kind; it selects the sub-command and the
// --<kind>-conf flag.
type Kind string

// The source kinds. DB2 is recognised (the anchor tool has it) but not
// supported yet.
const (
	MySQL     Kind = "mysql"
	Postgres  Kind = "postgres"
	SQLServer Kind = "sqlserver"
	Oracle    Kind = "oracle"
	MongoDB   Kind = "mongodb"
	DB2       Kind = "db2"
)

// SupportedKinds lists the kinds that have a source, in help order.
var SupportedKinds = []Kind{MySQL, Postgres, SQLServer, Oracle, MongoDB}

// Supported reports whether doris-sync can replicate from this kind.
func (k Kind) Supported() bool {
	for _, s := range SupportedKinds {
		if k == s {
			return true
		}
	}
	return false
}

// Command is the sub-command name, e.g. "mysql-sync-database".
func (k Kind) Command() string { return string(k) + "-sync-database" }

// ConfFlag is the source map flag, e.g. "--mysql-conf".
func (k Kind) ConfFlag() string { return "--" + string(k) + "-conf" }

// Title is the human name of the source, e.g. "MySQL/MariaDB".
func (k Kind) Title() string {
	switch k {
	case MySQL:
		return "MySQL/MariaDB"
	case Postgres:
		return "PostgreSQL"
	case SQLServer:
		return "SQL Server"
	case Oracle:
		return "Oracle"
	case MongoDB:
		return "MongoDB"
	case DB2:
		return "DB2"
	}
	return string(k)
}

// Choices of the enumerated settings.
const (
	ProgressAuto = "auto"
	ProgressOn   = "on"
	ProgressOff  = "off"

	LogFormatText = "text"
	LogFormatJSON = "json"

	OnDDLErrorStop = "stop"
	OnDDLErrorSkip = "skip"

	OnPositionLostStop       = "stop"
	OnPositionLostResnapshot = "resnapshot"

	DefaultSnapshotParallelism = 4
	DefaultShutdownTimeout     = 30 * time.Second
)

// Job is everything one run of a sync command needs. Build it with NewJob,
// fill it from a config file (File.ApplyTo), flags (Set) and k=v maps
// (Map.Parse), then call Resolve.
//
// Printing a Job (fmt, JSON, slog) never shows a credential.
type Job struct {
	Kind     Kind
	JobName  string // keys the state; default from DefaultJobName
	Database string // target Doris database; "" = same name as each source database

	TablePrefix, TableSuffix         string
	IncludingTables, ExcludingTables string // full-match regexes on source table names
	MultiToOneOrigin                 string // "R1|R2": source table regexes …
	MultiToOneTarget                 string // "T1|T2": … merged into these Doris tables

	CreateTableOnly    bool
	DryRun             bool
	IgnoreDefaultValue bool // do not carry source column defaults into Doris DDL
	IgnoreIncompatible bool // skip a table whose CREATE fails instead of stopping

	// Accepted for compatibility with the anchor tool; they change nothing.
	SingleSink         bool
	SchemaChangeMode   string // "", debezium_structure or sql_parser
	UseNewSchemaChange bool

	StopWhenCaughtUp bool          // cron mode
	MaxDuration      time.Duration // 0 = no limit
	ShutdownTimeout  time.Duration // bound on the flush and checkpoint after a stop
	OnDDLError       string        // stop or skip: what a source DDL that Doris refuses does
	OnPositionLost   string        // stop or resnapshot: what a saved position the source no longer has does
	// DropSlotAndPublication (postgres only) removes the job's replication slot and
	// its own publication, marks its state, and does nothing else.
	DropSlotAndPublication bool
	StateDir               string
	SnapshotParallelism    int
	Progress               string // auto, on, off
	LogFormat              string // text, json
	LogLevel               string // debug, info, warn, error
	MetricsAddr            string // HOST:PORT, "" = off
	Pprof                  bool   // also serve /debug/pprof/ on MetricsAddr

	Source *Map // --<kind>-conf
	Sink   *Map // --sink-conf
	Table  *Map // --table-conf
}

// NewJob returns a job of the given kind with every default set.
func NewJob(kind Kind) *Job {
	return &Job{
		Kind:                kind,
		SnapshotParallelism: DefaultSnapshotParallelism,
		ShutdownTimeout:     DefaultShutdownTimeout,
		OnDDLError:          OnDDLErrorStop,
		OnPositionLost:      OnPositionLostStop,
		Progress:            ProgressAuto,
		LogFormat:           LogFormatText,
		LogLevel:            "info",
		Source:              NewMap(kind.ConfFlag()),
		Sink:                NewMap("--sink-conf"),
		Table:               NewMap("--table-conf"),
	}
}

// Setting describes one job setting: its flag name (also its YAML key), value
// type, default as shown in help, and meaning.
type Setting struct {
	Name    string
	Type    string // string, bool, int, duration
	Arg     string // placeholder for the value in help, e.g. REGEX
	Default string
	Help    string
}

var settings = []Setting{
	{"job-name", "string", "NAME", "<kind>-<source database>[-to-<database>]", "names the job: keys its saved state and the default Stream Load label prefix"},
	{"database", "string", "DB", "", "target Doris database (created if missing); without it each source database maps to a Doris database of the same name"},
	{"table-prefix", "string", "PREFIX", "", "Doris table name = prefix + source table + suffix (not applied to multi-to-one targets)"},
	{"table-suffix", "string", "SUFFIX", "", "see --table-prefix"},
	{"including-tables", "string", "REGEX", "all tables", "full-match regular expression on source table names; | separates alternatives"},
	{"excluding-tables", "string", "REGEX", "", "full-match regular expression on source table names to leave out; exclusion wins"},
	{"multi-to-one-origin", "string", "R1|R2", "", `"R1|R2": source tables matching Ri are merged into Doris table Ti of --multi-to-one-target; the first matching rule wins`},
	{"multi-to-one-target", "string", "T1|T2", "", `"T1|T2": the Doris tables of --multi-to-one-origin, same count`},
	{"create-table-only", "bool", "", "false", "discover, create or verify the Doris tables, then exit"},
	{"dry-run", "bool", "", "false", "print the plan (tables, Doris names, keys, buckets, CREATE statements, what exists) and change nothing"},
	{"ignore-default-value", "bool", "", "false", "do not carry source column defaults into Doris DDL"},
	{"ignore-incompatible", "bool", "", "false", "skip, with a warning, a table that exists in Doris in an incompatible shape or that Doris refuses to create or alter, instead of stopping the job"},
	{"single-sink", "bool", "", "false", "accepted for compatibility, no effect: all tables always share one writer and new tables are always picked up"},
	{"schema-change-mode", "string", "MODE", "debezium_structure", "accepted for compatibility (debezium_structure or sql_parser), no effect: DDL is read from the source's own change stream"},
	{"use-new-schema-change", "bool", "", "false", "accepted for compatibility, no effect"},
	{"stop-when-caught-up", "bool", "", "false", "cron mode: apply everything up to the source position seen at start, checkpoint, exit 0"},
	{"max-duration", "duration", "DUR", "0, no limit", "stop cleanly (flush and checkpoint) after this long, e.g. 55m"},
	{"shutdown-timeout", "duration", "DUR", "30s", "after SIGINT/SIGTERM, --max-duration or catching up: how long the final flush and checkpoint may take"},
	{"on-ddl-error", "string", "stop|skip", "stop", "a source DDL that Doris refuses: stop the job with the reason, or skip it with a loud warning (rows of the new shape may then be refused)"},
	{"on-position-lost", "string", "stop|resnapshot", "stop", "the source no longer has the saved position (purged binlog, lost slot): stop with exit 3, or copy every table again (tables without a key are truncated first) and stream from the new copy"},
	{"drop-slot-and-publication", "bool", "", "false", "postgres only: drop the job's replication slot and, if doris-sync created it for this job, its publication (else print the DROP PUBLICATION statement), mark the job's saved position as lost, and exit; nothing is copied or streamed. A slot in use exits 1 naming the process"},
	{"state-dir", "string", "DIR", "$XDG_STATE_HOME/doris-sync, else ~/.local/state/doris-sync", "where checkpoints are kept"},
	{"snapshot-parallelism", "int", "N", strconv.Itoa(DefaultSnapshotParallelism), "snapshot chunks read at once"},
	{"progress", "string", "auto|on|off", "auto", "progress bars on a terminal, periodic one-line summaries otherwise (auto decides by whether stderr is a terminal)"},
	{"log-format", "string", "text|json", "text", "format of the log lines on stderr"},
	{"log-level", "string", "LEVEL", "info", "least severe log level shown: debug, info, warn or error"},
	{"metrics-addr", "string", "HOST:PORT", "", "HOST:PORT to serve Prometheus /metrics and /healthz on (off when empty)"},
	{"pprof", "bool", "", "false", "also serve Go's profiler under /debug/pprof/ on --metrics-addr (CPU, heap and goroutine profiles, to diagnose speed or memory); needs --metrics-addr"},
}

// Settings lists the job settings in help order. Each is a flag of the sync
// commands and a key of the YAML config file.
func Settings() []Setting { return append([]Setting(nil), settings...) }

// Set sets one setting from its text form (a flag value or a YAML scalar).
// The error says what is wrong with the value; the caller adds where it came
// from.
func (j *Job) Set(name, value string) error {
	var err error
	switch name {
	case "job-name":
		j.JobName = strings.TrimSpace(value)
	case "database":
		j.Database = strings.TrimSpace(value)
	case "table-prefix":
		j.TablePrefix = value
	case "table-suffix":
		j.TableSuffix = value
	case "including-tables":
		j.IncludingTables = value
	case "excluding-tables":
		j.ExcludingTables = value
	case "multi-to-one-origin":
		j.MultiToOneOrigin = value
	case "multi-to-one-target":
		j.MultiToOneTarget = value
	case "create-table-only":
		j.CreateTableOnly, err = ParseBool(value)
	case "dry-run":
		j.DryRun, err = ParseBool(value)
	case "ignore-default-value":
		j.IgnoreDefaultValue, err = ParseBool(value)
	case "ignore-incompatible":
		j.IgnoreIncompatible, err = ParseBool(value)
	case "single-sink":
		j.SingleSink, err = ParseBool(value)
	case "use-new-schema-change":
		j.UseNewSchemaChange, err = ParseBool(value)
	case "stop-when-caught-up":
		j.StopWhenCaughtUp, err = ParseBool(value)
	case "schema-change-mode":
		if strings.TrimSpace(value) == "" {
			j.SchemaChangeMode = ""
		} else {
			j.SchemaChangeMode, err = oneOf("debezium_structure", "sql_parser")(value)
		}
	case "max-duration":
		j.MaxDuration, err = ParseDuration(value)
	case "shutdown-timeout":
		if j.ShutdownTimeout, err = ParseDuration(value); err == nil && j.ShutdownTimeout <= 0 {
			err = fmt.Errorf("must be more than 0")
		}
	case "on-ddl-error":
		j.OnDDLError, err = oneOf(OnDDLErrorStop, OnDDLErrorSkip)(value)
	case "on-position-lost":
		j.OnPositionLost, err = oneOf(OnPositionLostStop, OnPositionLostResnapshot)(value)
	case "drop-slot-and-publication":
		if j.DropSlotAndPublication, err = ParseBool(value); err == nil && j.DropSlotAndPublication && j.Kind != Postgres {
			j.DropSlotAndPublication = false
			err = fmt.Errorf("valid only for %s: %s has no replication slot or publication", Postgres.Command(), j.Kind.Command())
		}
	case "state-dir":
		j.StateDir = value
	case "snapshot-parallelism":
		var n string
		if n, err = positive(value); err == nil {
			j.SnapshotParallelism, _ = strconv.Atoi(n)
		}
	case "progress":
		j.Progress, err = oneOf(ProgressAuto, ProgressOn, ProgressOff)(value)
	case "log-format":
		j.LogFormat, err = oneOf(LogFormatText, LogFormatJSON)(value)
	case "log-level":
		j.LogLevel, err = oneOf("debug", "info", "warn", "error")(value)
	case "metrics-addr":
		if strings.TrimSpace(value) == "" {
			j.MetricsAddr = ""
		} else {
			j.MetricsAddr, err = isListenAddr(strings.TrimSpace(value))
		}
	case "pprof":
		j.Pprof, err = ParseBool(value)
	default:
		return fmt.Errorf("unknown setting %q", name)
	}
	return err
}

// Get returns a setting's current value in the text form Set accepts.
func (j *Job) Get(name string) string {
	switch name {
	case "job-name":
		return j.JobName
	case "database":
		return j.Database
	case "table-prefix":
		return j.TablePrefix
	case "table-suffix":
		return j.TableSuffix
	case "including-tables":
		return j.IncludingTables
	case "excluding-tables":
		return j.ExcludingTables
	case "multi-to-one-origin":
		return j.MultiToOneOrigin
	case "multi-to-one-target":
		return j.MultiToOneTarget
	case "create-table-only":
		return strconv.FormatBool(j.CreateTableOnly)
	case "dry-run":
		return strconv.FormatBool(j.DryRun)
	case "ignore-default-value":
		return strconv.FormatBool(j.IgnoreDefaultValue)
	case "ignore-incompatible":
		return strconv.FormatBool(j.IgnoreIncompatible)
	case "single-sink":
		return strconv.FormatBool(j.SingleSink)
	case "use-new-schema-change":
		return strconv.FormatBool(j.UseNewSchemaChange)
	case "stop-when-caught-up":
		return strconv.FormatBool(j.StopWhenCaughtUp)
	case "schema-change-mode":
		return j.SchemaChangeMode
	case "max-duration":
		return j.MaxDuration.String()
	case "shutdown-timeout":
		return j.ShutdownTimeout.String()
	case "on-ddl-error":
		return j.OnDDLError
	case "on-position-lost":
		return j.OnPositionLost
	case "drop-slot-and-publication":
		return strconv.FormatBool(j.DropSlotAndPublication)
	case "state-dir":
		return j.StateDir
	case "snapshot-parallelism":
		return strconv.Itoa(j.SnapshotParallelism)
	case "progress":
		return j.Progress
	case "log-format":
		return j.LogFormat
	case "log-level":
		return j.LogLevel
	case "metrics-addr":
		return j.MetricsAddr
	case "pprof":
		return strconv.FormatBool(j.Pprof)
	}
	return ""
}

// SlogLevel returns LogLevel as a slog.Level.
func (j *Job) SlogLevel() slog.Level {
	switch j.LogLevel {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// Resolve finishes the job after all sources of settings were applied:
// expands ${NAME} in map values, reads password-file, fills defaults (job
// name, state dir) and validates everything. It returns one warning line per
// setting that is accepted but has no effect. Every error is exit 2.
func (j *Job) Resolve() (warnings []string, err error) {
	if !j.Kind.Supported() {
		return nil, exitcode.Usagef("%s: %s is not supported", j.Kind.Command(), j.Kind.Title())
	}
	for _, m := range []*Map{j.Source, j.Sink, j.Table} {
		if err := m.resolveValues(); err != nil {
			return nil, err
		}
	}
	for from, to := range SourceKeyAliases(j.Kind) {
		if v, ok := j.Source.Get(from); ok {
			i := j.Source.find(from)
			origin := j.Source.entries[i].origin
			j.Source.Delete(from)
			if !j.Source.Has(to) {
				j.Source.SetFrom(to, v, origin)
			}
		}
	}
	if j.JobName == "" {
		j.JobName = j.DefaultJobName()
	}
	if j.StateDir == "" {
		if j.StateDir, err = DefaultStateDir(); err != nil {
			return nil, exitcode.Usage(err)
		}
	}
	return j.validate()
}

// resolveValues expands ${NAME} in every value and replaces password-file by
// the password it names.
func (m *Map) resolveValues() error {
	if m == nil {
		return nil
	}
	for i := range m.entries {
		e := &m.entries[i]
		v, err := ExpandEnv(e.value)
		if err != nil {
			return exitcode.Usagef("%s %s: %v", e.origin, e.key, err)
		}
		e.value = v
	}
	if i := m.find("password-file"); i >= 0 {
		e := m.entries[i]
		pw, err := ReadPasswordFile(e.value)
		if err != nil {
			return exitcode.Usagef("%s password-file=%s: %v", e.origin, e.value, err)
		}
		// In place, so the map keeps the order it was given in.
		m.entries[i] = entry{key: "password", value: pw, origin: e.origin}
	}
	return nil
}

// ReadPasswordFile reads a password from path, without one trailing newline.
func ReadPasswordFile(path string) (string, error) {
	if strings.TrimSpace(path) == "" {
		return "", errors.New("empty path")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return "", fmt.Errorf("cannot read the password file: %v", pe.Err)
		}
		return "", fmt.Errorf("cannot read the password file: %v", err)
	}
	s := strings.TrimSuffix(string(b), "\n")
	return strings.TrimSuffix(s, "\r"), nil
}

// DefaultStateDir is $XDG_STATE_HOME/doris-sync, else ~/.local/state/doris-sync.
func DefaultStateDir() (string, error) {
	if x := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "doris-sync"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return "", errors.New("cannot find the state directory: set --state-dir, XDG_STATE_HOME or HOME")
	}
	return filepath.Join(home, ".local", "state", "doris-sync"), nil
}

var unsafeNameChars = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// sanitizeName keeps a name usable in file names and load labels.
func sanitizeName(s string) string {
	return strings.Trim(unsafeNameChars.ReplaceAllString(s, "_"), "_")
}

// DefaultJobName derives a job name from the source kind, the source database
// (and schema) and the target database: e.g. "mysql-shop-to-ods".
func (j *Job) DefaultJobName() string {
	db := j.Source.GetString("database-name", "")
	if j.Kind == MongoDB {
		db = j.Source.GetString("database", "")
	}
	if schema := j.Source.GetString("schema-name", ""); schema != "" {
		db += "." + schema
	}
	name := string(j.Kind)
	if s := sanitizeName(db); s != "" {
		name += "-" + s
	}
	if s := sanitizeName(j.Database); s != "" {
		name += "-to-" + s
	}
	return name
}

// LabelPrefix is sink.label-prefix, or the job name made label-safe.
func (j *Job) LabelPrefix() string {
	if p := j.Sink.GetString("sink.label-prefix", ""); p != "" {
		return p
	}
	p := sanitizeName(j.JobName)
	if len(p) > 100 {
		p = p[:100]
	}
	if p == "" {
		p = "doris_sync"
	}
	return p
}

// StartupMode is scan.startup.mode in lower case, "initial" by default.
func (j *Job) StartupMode() string {
	return strings.ToLower(j.Source.GetString("scan.startup.mode", "initial"))
}
