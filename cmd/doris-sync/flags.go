package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// textValue is a string flag whose Type names its value in help (e.g. REGEX);
// the value is checked later by config.Job.Set, as for the config file.
type textValue struct {
	value string
	arg   string
}

func (v *textValue) String() string     { return v.value }
func (v *textValue) Set(s string) error { v.value = s; return nil }
func (v *textValue) Type() string       { return v.arg }

// entryList collects a repeatable k=v flag in the order given.
type entryList struct{ entries []string }

// String is empty for no entries, so help shows no "(default [])".
func (l *entryList) String() string { return strings.Join(l.entries, " ") }
func (l *entryList) Set(s string) error {
	l.entries = append(l.entries, s)
	return nil
}
func (l *entryList) Type() string { return "k=v" }

// normalizeArgs rewrites the anchor tool's spellings into ones cobra parses:
// the command name in any letter case, and a boolean flag followed by a
// separate true/false word ("--ignore-default-value false" means off, unlike
// in the anchor tool, which switches it on).
func normalizeArgs(root *cobra.Command, args []string) []string {
	if len(args) == 0 {
		return args
	}
	out := append([]string(nil), args...)
	if lower := strings.ToLower(out[0]); lower != out[0] {
		for _, c := range root.Commands() {
			if c.Name() == lower {
				out[0] = lower
			}
		}
	}
	cmd, _, err := root.Find(out)
	if err != nil || cmd == root {
		return out
	}
	flags := pflag.NewFlagSet("", pflag.ContinueOnError)
	flags.AddFlagSet(cmd.Flags())
	flags.AddFlagSet(cmd.InheritedFlags())

	rewritten := make([]string, 0, len(out))
	for i := 0; i < len(out); i++ {
		a := out[i]
		if a == "--" {
			rewritten = append(rewritten, out[i:]...)
			break
		}
		name, hasValue := strings.CutPrefix(a, "--")
		f := flags.Lookup(name)
		if !hasValue || f == nil || strings.Contains(name, "=") {
			rewritten = append(rewritten, a)
			continue
		}
		if f.Value.Type() == "bool" {
			if i+1 < len(out) {
				if w := strings.ToLower(out[i+1]); w == "true" || w == "false" {
					rewritten = append(rewritten, a+"="+w)
					i++
					continue
				}
			}
			rewritten = append(rewritten, a)
			continue
		}
		// A flag that takes a value: keep the value with it, so a value that
		// happens to look like a flag is not rewritten.
		rewritten = append(rewritten, a)
		if f.NoOptDefVal == "" && i+1 < len(out) {
			rewritten = append(rewritten, out[i+1])
			i++
		}
	}
	return rewritten
}
