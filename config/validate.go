package config

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/doris-sync/doris-sync/ddl"
	"github.com/doris-sync/doris-sync/exitcode"
)

// validate checks every setting and map after Resolve filled the defaults.
// The first problem found is returned (one line, exit 2).
func (j *Job) validate() (warnings []string, err error) {
	if _, err := j.IncludeRegexp(); err != nil {
		return nil, err
	}
	if _, err := j.ExcludeRegexp(); err != nil {
		return nil, err
	}
	if _, err := j.MultiToOneRules(); err != nil {
		return nil, err
	}
	if j.Pprof && j.MetricsAddr == "" {
		return nil, exitcode.Usagef("--pprof needs --metrics-addr: the profiler is served on the metrics address")
	}
	if j.SingleSink {
		warnings = append(warnings, "--single-sink has no effect in doris-sync: all tables always share one writer and new upstream tables are always picked up")
	}
	if j.UseNewSchemaChange {
		warnings = append(warnings, "--use-new-schema-change has no effect in doris-sync: schema changes are always applied")
	}
	if j.SchemaChangeMode != "" {
		warnings = append(warnings, "--schema-change-mode has no effect in doris-sync: DDL is read from the source's own change stream")
	}

	for _, c := range []struct {
		m    *Map
		keys keySet
		open bool // any other key is allowed (table properties)
	}{
		{j.Source, sourceKeySet(j.Kind), false},
		{j.Sink, sinkKeySet(), false},
		{j.Table, tableKeySet(), true},
	} {
		w, err := j.checkMap(c.m, c.keys, c.open)
		if err != nil {
			return nil, err
		}
		warnings = append(warnings, w...)
	}
	if err := j.checkSource(); err != nil {
		return nil, err
	}
	return warnings, nil
}

// checkMap checks each entry of m against its keys, then the required keys.
func (j *Job) checkMap(m *Map, ks keySet, open bool) (warnings []string, err error) {
	for i := range m.entries {
		e := &m.entries[i]
		if k, ok := ks.lookup(e.key); ok {
			if k.check == nil {
				continue
			}
			v, err := k.check(e.value)
			if err != nil {
				return nil, m.valueError(e.key, err.Error())
			}
			e.value = v
			continue
		}
		if matchAny(ks.families, e.key) {
			continue
		}
		if k, ok := findKey(ks.ignored, e.key); ok {
			warnings = append(warnings, fmt.Sprintf("%s %s has no effect in doris-sync: %s", e.origin, e.key, k.Help))
			continue
		}
		if open {
			continue
		}
		return nil, exitcode.Usagef("%s %s: unknown key%s", e.origin, e.key, j.suggestKey(m, ks, e.key))
	}
	var required []string
	for _, k := range ks.keys {
		if k.Required {
			required = append(required, k.Name)
		}
	}
	if m.Len() == 0 && len(required) > 0 {
		return nil, exitcode.Usagef("missing %s k=v settings (required keys: %s)", m.Flag(), strings.Join(required, ", "))
	}
	for _, k := range ks.keys {
		if k.Required && !m.Has(k.Name) {
			return nil, exitcode.Usagef("%s: missing required key %s (%s)", m.Flag(), k.Name, k.Help)
		}
	}
	return warnings, nil
}

func matchAny(keys []Key, name string) bool {
	_, ok := findKey(keys, name)
	return ok
}

func findKey(keys []Key, name string) (Key, bool) {
	for _, k := range keys {
		if familyMatch(k, name) {
			return k, true
		}
	}
	return Key{}, false
}

// suggestKey explains an unknown key: the closest known key of this map, or
// the map it belongs to.
func (j *Job) suggestKey(m *Map, ks keySet, name string) string {
	var names []string
	for _, k := range ks.keys {
		names = append(names, k.Name)
	}
	for _, k := range ks.ignored {
		if !strings.HasSuffix(k.Name, "*") {
			names = append(names, k.Name)
		}
	}
	if best := closest(name, names); best != "" {
		return fmt.Sprintf(" (did you mean %s?)", best)
	}
	if m != j.Sink {
		if _, ok := sinkKeySet().lookup(name); ok {
			return " (it is a --sink-conf key)"
		}
	}
	if m != j.Source {
		if _, ok := sourceKeySet(j.Kind).lookup(name); ok {
			return fmt.Sprintf(" (it is a %s key)", j.Kind.ConfFlag())
		}
	}
	for _, other := range SupportedKinds {
		if other == j.Kind || m != j.Source {
			continue
		}
		if _, ok := sourceKeySet(other).lookup(name); ok {
			return fmt.Sprintf(" (it is a %s key, not a %s key)", other.ConfFlag(), j.Kind.ConfFlag())
		}
	}
	return fmt.Sprintf("; run 'doris-sync %s --help' for the keys", j.Kind.Command())
}

// closest returns the candidate nearest to name by edit distance, if near
// enough to be a typo.
func closest(name string, candidates []string) string {
	best, bestD := "", 1<<30
	limit := max(2, len(name)/4)
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(name), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	if bestD <= limit {
		return best
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for i := range prev {
		prev[i] = i
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for k := 1; k <= len(rb); k++ {
			cost := 1
			if ra[i-1] == rb[k-1] {
				cost = 0
			}
			cur[k] = min(prev[k]+1, cur[k-1]+1, prev[k-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// checkSource checks rules that involve several source keys.
func (j *Job) checkSource() error {
	s := j.Source
	flag := s.Flag()
	if j.Kind == Oracle && !s.Has("hostname") && !s.Has("url") {
		return exitcode.Usagef("%s: missing required key hostname (or url)", flag)
	}
	if s.Has("ssl.cert") != s.Has("ssl.key") {
		return exitcode.Usagef("%s: ssl.cert and ssl.key must be given together", flag)
	}
	mode := j.StartupMode()
	switch mode {
	case "timestamp":
		if !s.Has("scan.startup.timestamp-millis") {
			return exitcode.Usagef("%s: scan.startup.mode=timestamp needs scan.startup.timestamp-millis", flag)
		}
	case "specific-offset":
		hasFile, hasPos := s.Has("scan.startup.specific-offset.file"), s.Has("scan.startup.specific-offset.pos")
		if hasFile != hasPos {
			return exitcode.Usagef("%s: scan.startup.specific-offset.file and scan.startup.specific-offset.pos must be given together", flag)
		}
		if !hasFile && !s.Has("scan.startup.specific-offset.gtid-set") {
			return exitcode.Usagef("%s: scan.startup.mode=specific-offset needs scan.startup.specific-offset.file and .pos, or scan.startup.specific-offset.gtid-set", flag)
		}
	}
	for _, k := range s.Keys() {
		if strings.HasPrefix(k, "scan.startup.specific-offset.") && mode != "specific-offset" {
			return exitcode.Usagef("%s: %s is only used with scan.startup.mode=specific-offset", flag, k)
		}
		if k == "scan.startup.timestamp-millis" && mode != "timestamp" {
			return exitcode.Usagef("%s: %s is only used with scan.startup.mode=timestamp", flag, k)
		}
	}
	if j.Kind == MongoDB {
		lo, _ := s.GetInt("schema.min-sample-size", 1000)
		hi, _ := s.GetInt("schema.max-sample-size", 100000)
		if lo > hi {
			return exitcode.Usagef("%s: schema.min-sample-size (%d) is larger than schema.max-sample-size (%d)", flag, lo, hi)
		}
	}
	return nil
}

// CompileFullMatch compiles a regular expression that must match a whole name.
func CompileFullMatch(expr string) (*regexp.Regexp, error) {
	re, err := regexp.Compile("^(?:" + expr + ")$")
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "error parsing regexp: ")
		return nil, fmt.Errorf("not a valid regular expression (Go RE2 syntax, no look-arounds or back-references): %s", msg)
	}
	return re, nil
}

func (j *Job) settingRegexp(flag, expr string) (*regexp.Regexp, error) {
	if expr == "" {
		return nil, nil
	}
	re, err := CompileFullMatch(expr)
	if err != nil {
		return nil, exitcode.Usagef("--%s %q: %v", flag, expr, err)
	}
	return re, nil
}

// IncludeRegexp is --including-tables compiled for a full match; nil = all.
func (j *Job) IncludeRegexp() (*regexp.Regexp, error) {
	return j.settingRegexp("including-tables", j.IncludingTables)
}

// ExcludeRegexp is --excluding-tables compiled for a full match; nil = none.
func (j *Job) ExcludeRegexp() (*regexp.Regexp, error) {
	return j.settingRegexp("excluding-tables", j.ExcludingTables)
}

// MultiToOneRule merges the source tables whose name fully matches Origin into
// the Doris table Target.
type MultiToOneRule struct {
	Origin *regexp.Regexp
	Target string
}

// MultiToOneRules splits --multi-to-one-origin and --multi-to-one-target on
// '|' into rules, in the order given (the first matching rule wins). Both or
// neither must be set, with the same number of pieces.
func (j *Job) MultiToOneRules() ([]MultiToOneRule, error) {
	origin, target := strings.TrimSpace(j.MultiToOneOrigin), strings.TrimSpace(j.MultiToOneTarget)
	switch {
	case origin == "" && target == "":
		return nil, nil
	case target == "":
		return nil, exitcode.Usagef("--multi-to-one-origin needs --multi-to-one-target (one Doris table per origin regex, separated by |)")
	case origin == "":
		return nil, exitcode.Usagef("--multi-to-one-target needs --multi-to-one-origin (one source table regex per target, separated by |)")
	}
	origins, targets := strings.Split(origin, "|"), strings.Split(target, "|")
	if len(origins) != len(targets) {
		return nil, exitcode.Usagef("--multi-to-one-origin has %d regexes but --multi-to-one-target has %d tables; they pair up in order", len(origins), len(targets))
	}
	rules := make([]MultiToOneRule, len(origins))
	for i := range origins {
		o, t := strings.TrimSpace(origins[i]), strings.TrimSpace(targets[i])
		if o == "" || t == "" {
			return nil, exitcode.Usagef("--multi-to-one-origin/--multi-to-one-target: piece %d is empty", i+1)
		}
		re, err := CompileFullMatch(o)
		if err != nil {
			return nil, exitcode.Usagef("--multi-to-one-origin piece %q: %v", o, err)
		}
		rules[i] = MultiToOneRule{Origin: re, Target: t}
	}
	return rules, nil
}

// TableConf parses --table-conf in the order given (ddl.ParseTableConf): bucket
// and partition rules, convert-uniq-to-pk, enable-decimal256, and the table
// properties. Errors are exit 2 and name the entry.
func (j *Job) TableConf() (ddl.TableConf, error) {
	entries := make([]ddl.Property, 0, j.Table.Len())
	for _, e := range j.Table.entries {
		if err := ddl.CheckTableConfEntry(e.key, e.value); err != nil {
			return ddl.TableConf{}, j.Table.valueError(e.key, err.Error())
		}
		entries = append(entries, ddl.Property{Key: e.key, Value: e.value})
	}
	conf, err := ddl.ParseTableConf(entries)
	if err != nil {
		return ddl.TableConf{}, exitcode.Usage(err)
	}
	return conf, nil
}

// TableProperties returns the Doris table PROPERTIES in the order given:
// --table-conf without its special keys. light_schema_change is not added
// here; the DDL generator adds it when absent.
func (j *Job) TableProperties() *Map {
	out := NewMap(j.Table.Flag())
	if j.Table == nil {
		return out
	}
	for _, e := range j.Table.entries {
		if !ddl.IsTableConfKey(e.key) {
			out.entries = append(out.entries, e)
		}
	}
	return out
}
