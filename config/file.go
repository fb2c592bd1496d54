package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/doris-sync/doris-sync/exitcode"
)

// fileScalar is one top-level setting of the config file; its text is checked
// by Job.Set, so the file and the flags accept the same values.
type fileScalar struct {
	value string
	line  int
	set   bool
}

func (s *fileScalar) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: expected a single value, not a list or mapping", n.Line)}}
	}
	s.value, s.line, s.set = n.Value, n.Line, true
	return nil
}

// fileSettings is the shape of the YAML config file (spec/CLI.md). The yaml
// tags are the setting names; a test keeps them equal to Settings().
type fileSettings struct {
	JobName                fileScalar `yaml:"job-name"`
	Database               fileScalar `yaml:"database"`
	TablePrefix            fileScalar `yaml:"table-prefix"`
	TableSuffix            fileScalar `yaml:"table-suffix"`
	IncludingTables        fileScalar `yaml:"including-tables"`
	ExcludingTables        fileScalar `yaml:"excluding-tables"`
	MultiToOneOrigin       fileScalar `yaml:"multi-to-one-origin"`
	MultiToOneTarget       fileScalar `yaml:"multi-to-one-target"`
	CreateTableOnly        fileScalar `yaml:"create-table-only"`
	DryRun                 fileScalar `yaml:"dry-run"`
	IgnoreDefaultValue     fileScalar `yaml:"ignore-default-value"`
	IgnoreIncompatible     fileScalar `yaml:"ignore-incompatible"`
	SingleSink             fileScalar `yaml:"single-sink"`
	SchemaChangeMode       fileScalar `yaml:"schema-change-mode"`
	UseNewSchemaChange     fileScalar `yaml:"use-new-schema-change"`
	StopWhenCaughtUp       fileScalar `yaml:"stop-when-caught-up"`
	MaxDuration            fileScalar `yaml:"max-duration"`
	ShutdownTimeout        fileScalar `yaml:"shutdown-timeout"`
	OnDDLError             fileScalar `yaml:"on-ddl-error"`
	OnPositionLost         fileScalar `yaml:"on-position-lost"`
	DropSlotAndPublication fileScalar `yaml:"drop-slot-and-publication"`
	StateDir               fileScalar `yaml:"state-dir"`
	SnapshotParallelism    fileScalar `yaml:"snapshot-parallelism"`
	Progress               fileScalar `yaml:"progress"`
	LogFormat              fileScalar `yaml:"log-format"`
	LogLevel               fileScalar `yaml:"log-level"`
	MetricsAddr            fileScalar `yaml:"metrics-addr"`
	Pprof                  fileScalar `yaml:"pprof"`

	Source yaml.Node `yaml:"source"`
	Sink   yaml.Node `yaml:"sink"`
	Table  yaml.Node `yaml:"table"`
}

// fileEntry is one k=v entry of a map section of the file.
type fileEntry struct {
	key, value string
	line       int
}

// File is a loaded --config file, ready to be applied to a Job.
type File struct {
	path     string
	settings fileSettings
	kind     string
	kindLine int
	source   []fileEntry
	sink     []fileEntry
	table    []fileEntry
}

var unknownField = regexp.MustCompile(`^line (\d+): field (.+) not found in type`)

// LoadFile reads and checks the YAML config file at path. Unknown settings
// (typos) are errors with the line number. Every error is exit 2.
func LoadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, exitcode.Usagef("--config %s: cannot read: %v", path, err)
	}
	f := &File{path: path}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&f.settings); err != nil && !errors.Is(err, io.EOF) {
		return nil, exitcode.Usage(f.yamlError(err))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, exitcode.Usagef("%s: only one YAML document is allowed", path)
	}
	if f.source, err = f.mapEntries(&f.settings.Source, "source"); err != nil {
		return nil, err
	}
	if f.sink, err = f.mapEntries(&f.settings.Sink, "sink"); err != nil {
		return nil, err
	}
	if f.table, err = f.mapEntries(&f.settings.Table, "table"); err != nil {
		return nil, err
	}
	for i, e := range f.source {
		if e.key == "kind" {
			f.kind, f.kindLine = strings.ToLower(strings.TrimSpace(e.value)), e.line
			f.source = append(f.source[:i], f.source[i+1:]...)
			break
		}
	}
	return f, nil
}

// yamlError turns a yaml error into one line naming the file and the line:
// "job.yaml:3: unknown setting …".
func (f *File) yamlError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return errors.New(f.atLine(strings.TrimPrefix(err.Error(), "yaml: ")))
	}
	var msgs []string
	for _, e := range te.Errors {
		if m := unknownField.FindStringSubmatch(e); m != nil {
			msg := fmt.Sprintf("%s:%s: unknown setting %q", f.path, m[1], m[2])
			if best := closest(m[2], settingNames()); best != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", best)
			}
			msgs = append(msgs, msg)
			continue
		}
		msgs = append(msgs, f.atLine(e))
	}
	return errors.New(strings.Join(msgs, "; "))
}

var yamlLine = regexp.MustCompile(`^line (\d+): `)

// atLine rewrites yaml's "line N: msg" as "path:N: msg".
func (f *File) atLine(msg string) string {
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s:%s: %s", f.path, m[1], msg[len(m[0]):])
	}
	return f.path + ": " + msg
}

func settingNames() []string {
	names := []string{"source", "sink", "table"}
	for _, s := range settings {
		names = append(names, s.Name)
	}
	return names
}

// mapEntries flattens a map section into entries in file order; a nested
// mapping joins keys with '.' (sink: {sink.properties: {format: json}}).
func (f *File) mapEntries(n *yaml.Node, section string) ([]fileEntry, error) {
	if n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, exitcode.Usagef("%s:%d: %s must be a mapping of key: value", f.path, n.Line, section)
	}
	var out []fileEntry
	seen := map[string]int{}
	var walk func(n *yaml.Node, prefix string) error
	walk = func(n *yaml.Node, prefix string) error {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode || strings.TrimSpace(k.Value) == "" {
				return exitcode.Usagef("%s:%d: %s: keys must be plain names", f.path, k.Line, section)
			}
			key := prefix + strings.TrimSpace(k.Value)
			switch v.Kind {
			case yaml.MappingNode:
				if err := walk(v, key+"."); err != nil {
					return err
				}
				continue
			case yaml.ScalarNode:
			default:
				return exitcode.Usagef("%s:%d: %s %s: expected a single value, not a list", f.path, v.Line, section, key)
			}
			if first, dup := seen[key]; dup {
				return exitcode.Usagef("%s:%d: %s %s is already set on line %d", f.path, k.Line, section, key, first)
			}
			seen[key] = k.Line
			value := v.Value
			if v.Tag == "!!null" {
				value = ""
			}
			out = append(out, fileEntry{key: key, value: value, line: k.Line})
		}
		return nil
	}
	return out, walk(n, "")
}

// Kind is source.kind from the file, "" when absent.
func (f *File) Kind() string { return f.kind }

// ApplyTo copies the file's settings into j. Apply the file first, then the
// command-line flags and k=v entries, which override it key by key.
func (f *File) ApplyTo(j *Job) error {
	if f.kind != "" && Kind(f.kind) != j.Kind {
		return exitcode.Usagef("%s:%d: source kind is %q but the command is %s", f.path, f.kindLine, f.kind, j.Kind.Command())
	}
	v := reflect.ValueOf(&f.settings).Elem()
	t := v.Type()
	for i := range t.NumField() {
		s, ok := v.Field(i).Addr().Interface().(*fileScalar)
		if !ok || !s.set {
			continue
		}
		name := t.Field(i).Tag.Get("yaml")
		value, err := ExpandEnv(s.value)
		if err == nil {
			err = j.Set(name, value)
		}
		if err != nil {
			return exitcode.Usagef("%s:%d: %s %q: %v", f.path, s.line, name, s.value, err)
		}
	}
	for _, m := range []struct {
		to      *Map
		section string
		entries []fileEntry
	}{{j.Source, "source", f.source}, {j.Sink, "sink", f.sink}, {j.Table, "table", f.table}} {
		for _, e := range m.entries {
			m.to.SetFrom(e.key, e.value, fmt.Sprintf("%s:%d: %s", f.path, e.line, m.section))
		}
	}
	return nil
}
