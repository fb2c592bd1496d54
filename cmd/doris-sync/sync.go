package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/doris-sync/doris-sync/config"
	"github.com/doris-sync/doris-sync/exitcode"
)

// syncFlags are the values of one sync command's flags.
type syncFlags struct {
	configPath textValue
	settings   map[string]*textValue // string-valued settings
	bools      map[string]*bool
	source     entryList
	sink       entryList
	table      entryList
}

func newSyncCmd(kind config.Kind) *cobra.Command {
	f := &syncFlags{configPath: textValue{arg: "FILE"}, settings: map[string]*textValue{}, bools: map[string]*bool{}}
	c := &cobra.Command{
		Use:         kind.Command() + " " + kind.ConfFlag() + " k=v… --sink-conf k=v… [flags]",
		Short:       "replicate " + article(kind.Title()) + " " + kind.Title() + " database into Apache Doris",
		Long:        syncLong(kind),
		Example:     syncExample(kind),
		Args:        cobra.NoArgs,
		Annotations: map[string]string{"kind": string(kind)},
		RunE: func(c *cobra.Command, _ []string) error {
			job, warnings, err := f.buildJob(kind, c.Flags())
			if err != nil {
				return fromRun(err)
			}
			logOut := &switchWriter{w: c.ErrOrStderr()}
			log := newLogger(logOut, job.LogFormat, job.SlogLevel())
			slog.SetDefault(log)
			for _, w := range warnings {
				slog.Warn(w)
			}
			slog.Debug("effective settings", "job", job)
			return fromRun(syncJob(c.Context(), job, c.OutOrStdout(), c.ErrOrStderr(), logOut, log))
		},
	}
	fs := c.Flags()
	fs.SortFlags = false
	fs.Var(&f.configPath, "config", "YAML file with the job settings (the shape of docs/cli.md); flags given as well override it, key by key for the k=v maps")
	fs.Var(&f.source, kind.ConfFlag()[2:], "source connection and capture setting, repeatable (see SOURCE KEYS)")
	fs.Var(&f.sink, "sink-conf", "Doris connection and load setting, repeatable (see SINK KEYS)")
	fs.Var(&f.table, "table-conf", "Doris table setting or property, repeatable (see TABLE KEYS)")
	for _, s := range config.Settings() {
		usage := s.Help
		if s.Default != "" && s.Default != "false" {
			usage += " (default " + s.Default + ")"
		}
		if s.Type == "bool" {
			f.bools[s.Name] = fs.Bool(s.Name, false, usage)
			continue
		}
		v := &textValue{arg: s.Arg}
		f.settings[s.Name] = v
		fs.Var(v, s.Name, usage)
	}
	return c
}

// buildJob applies, in order, the config file, the flags given and the k=v
// entries, then resolves and validates the job.
func (f *syncFlags) buildJob(kind config.Kind, fs *pflag.FlagSet) (*config.Job, []string, error) {
	job := config.NewJob(kind)
	if f.configPath.value != "" {
		file, err := config.LoadFile(f.configPath.value)
		if err != nil {
			return nil, nil, err
		}
		if err := file.ApplyTo(job); err != nil {
			return nil, nil, err
		}
	}
	var setErr error
	fs.Visit(func(fl *pflag.Flag) {
		if setErr != nil {
			return
		}
		_, isText := f.settings[fl.Name]
		_, isBool := f.bools[fl.Name]
		if !isText && !isBool {
			return
		}
		if v, ok := strings.CutPrefix(fl.Value.String(), "--"); ok && fs.Lookup(strings.SplitN(v, "=", 2)[0]) != nil {
			setErr = exitcode.Usagef("--%s needs a value, but is followed by the flag %s", fl.Name, fl.Value.String())
			return
		}
		if err := job.Set(fl.Name, fl.Value.String()); err != nil {
			setErr = exitcode.Usagef("--%s %q: %v", fl.Name, fl.Value.String(), err)
		}
	})
	if setErr != nil {
		return nil, nil, setErr
	}
	for _, m := range []struct {
		to      *config.Map
		entries []string
	}{{job.Source, f.source.entries}, {job.Sink, f.sink.entries}, {job.Table, f.table.entries}} {
		if err := m.to.Parse(m.entries); err != nil {
			return nil, nil, err
		}
	}
	warnings, err := job.Resolve()
	if err != nil {
		return nil, nil, err
	}
	return job, warnings, nil
}

// newLogger returns the process logger: text or JSON lines on w.
func newLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == config.LogFormatJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// newDB2Cmd keeps the anchor tool's db2-sync-database name with a clear
// refusal instead of "unknown command".
func newDB2Cmd() *cobra.Command {
	return &cobra.Command{
		Use:                "db2-sync-database",
		Short:              "not supported yet: DB2 sources",
		Long:               "DB2 is not supported yet. Until it is, replicate DB2 with the flink-doris-connector's CdcTools (db2-sync-database), or land the changes in Kafka with Debezium's Db2 connector and load them with Doris Routine Load.",
		DisableFlagParsing: true,
		Annotations:        map[string]string{"manpage": "yes"},
		RunE: func(c *cobra.Command, args []string) error {
			for _, a := range args {
				if a == "--help" || a == "-h" {
					return c.Help()
				}
			}
			return fromRun(exitcode.Usagef("db2-sync-database: DB2 is not supported yet; use the flink-doris-connector's CdcTools db2-sync-database (or Debezium's Db2 connector with Doris Routine Load) until it is"))
		},
	}
}

func newStatusCmd() *cobra.Command {
	stateDir := &textValue{arg: "DIR"}
	jobName := &textValue{arg: "NAME"}
	c := &cobra.Command{
		Use:                   "status [--state-dir DIR] [--job-name NAME]",
		DisableFlagsInUseLine: true,
		Short:                 "show saved positions, snapshot progress, last run and lag",
		Long:                  statusLong,
		Args:                  cobra.NoArgs,
		Annotations:           map[string]string{"manpage": "yes"},
		RunE: func(c *cobra.Command, _ []string) error {
			dir := stateDir.value
			if dir == "" {
				d, err := config.DefaultStateDir()
				if err != nil {
					return fromRun(exitcode.Usage(err))
				}
				dir = d
			}
			return fromRun(runStatus(c.Context(), dir, jobName.value, c.OutOrStdout()))
		},
	}
	c.Flags().SortFlags = false
	c.Flags().Var(stateDir, "state-dir", "where checkpoints are kept (default $XDG_STATE_HOME/doris-sync, else ~/.local/state/doris-sync)")
	c.Flags().Var(jobName, "job-name", "show only this job (default: every job in the state directory)")
	return c
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:         "version",
		Short:       "print the version, commit and Go version",
		Args:        cobra.NoArgs,
		Annotations: map[string]string{"manpage": "yes"},
		RunE: func(c *cobra.Command, _ []string) error {
			_, err := fmt.Fprint(c.OutOrStdout(), versionText())
			return err
		},
	}
}

// article is "an" before a vowel sound, else "a".
func article(word string) string {
	if strings.ContainsRune("AEIOU", rune(word[0])) {
		return "an"
	}
	return "a"
}
