package main

import (
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/doris-sync/doris-sync/config"
)

// docs/cli.md is the reference the README links: it must list every flag the
// commands register and every key, with the default the code uses.
func readDocs(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// docSection returns the part of the docs under the "### " heading that
// contains marker, up to the next heading.
func docSection(t *testing.T, docs, marker string) string {
	t.Helper()
	for _, part := range strings.Split(docs, "\n### ") {
		head, _, _ := strings.Cut(part, "\n")
		if strings.Contains(head, marker) {
			part, _, _ = strings.Cut(part, "\n## ")
			return part
		}
	}
	t.Fatalf("docs/cli.md has no section %q", marker)
	return ""
}

func keyRow(k config.Key) string {
	d := ""
	if k.Default != "" {
		d = "`" + k.Default + "`"
	}
	return "| `" + k.Name + "` | " + d + " |"
}

func TestDocsListEveryFlag(t *testing.T) {
	docs := readDocs(t)
	root := newRootCmd(nil, nil)
	var visit func(c *cobra.Command)
	visit = func(c *cobra.Command) {
		if c.Name() == "completion" || c.Name() == "help" {
			return
		}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if !strings.Contains(docs, "`--"+f.Name) {
				t.Errorf("docs/cli.md does not mention --%s of %s", f.Name, c.CommandPath())
			}
		})
		for _, sub := range c.Commands() {
			visit(sub)
			if !strings.Contains(docs, "doris-sync "+sub.Name()) && sub.Name() != "help" {
				t.Errorf("docs/cli.md does not mention the command %s", sub.Name())
			}
		}
	}
	visit(root)
	for _, s := range config.Settings() {
		arg := ""
		if s.Arg != "" {
			arg = " " + strings.ReplaceAll(s.Arg, "|", `\|`)
		}
		d := ""
		if s.Default != "" {
			d = "`" + s.Default + "`"
		}
		if row := "| `--" + s.Name + arg + "` | " + d + " |"; !strings.Contains(docs, row) {
			t.Errorf("docs/cli.md lacks the row %s", row)
		}
	}
}

func TestDocsListEveryKeyWithItsDefault(t *testing.T) {
	docs := readDocs(t)
	for _, kind := range config.SupportedKinds {
		section := docSection(t, docs, kind.Command())
		for _, k := range config.SourceKeys(kind) {
			if !strings.Contains(section, keyRow(k)) {
				t.Errorf("docs/cli.md %s section lacks %s", kind.Command(), keyRow(k))
			}
		}
		for from := range config.SourceKeyAliases(kind) {
			if !strings.Contains(section, "`"+from+"`") {
				t.Errorf("docs/cli.md %s section lacks the alias %s", kind.Command(), from)
			}
		}
		for _, k := range config.IgnoredSourceKeys(kind) {
			if !strings.Contains(docs, "| `"+k.Name+"` | "+k.Help+" |") {
				t.Errorf("docs/cli.md lacks the no-effect key %s of %s", k.Name, kind.ConfFlag())
			}
		}
	}
	for _, k := range append(config.SinkKeys(), config.TableKeys()...) {
		if !strings.Contains(docs, keyRow(k)) {
			t.Errorf("docs/cli.md lacks %s", keyRow(k))
		}
	}
	for _, k := range config.IgnoredSinkKeys() {
		if !strings.Contains(docs, "| `"+k.Name+"` | "+k.Help+" |") {
			t.Errorf("docs/cli.md lacks the no-effect key %s", k.Name)
		}
	}
}

// Every sync command's --help lists its flags, keys, exit codes and an example.
func TestHelpIsAManualPage(t *testing.T) {
	for _, kind := range config.SupportedKinds {
		r := run(t, kind.Command(), "--help")
		if r.code != 0 {
			t.Fatalf("%s --help: exit %d", kind.Command(), r.code)
		}
		for _, want := range []string{"NAME\n", "SYNOPSIS\n", "DESCRIPTION\n", "FLAGS\n", "SOURCE KEYS (" + kind.ConfFlag(), "SINK KEYS", "TABLE KEYS",
			"EXIT CODES\n", "EXAMPLES\n", "--config shop.yaml", "--stop-when-caught-up", "(default 4)", "  3  the saved position"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("%s --help lacks %q", kind.Command(), want)
			}
		}
		for _, k := range append(config.SourceKeys(kind), config.SinkKeys()...) {
			if !strings.Contains(r.stdout, "\n    "+k.Name+" ") && !strings.Contains(r.stdout, "\n    "+k.Name+"\n") {
				t.Errorf("%s --help lacks the key %s", kind.Command(), k.Name)
			}
		}
	}
	r := run(t, "--help")
	for _, c := range []string{"mysql-sync-database", "postgres-sync-database", "sqlserver-sync-database", "oracle-sync-database",
		"mongodb-sync-database", "db2-sync-database", "status", "version", "EXIT CODES", "EXAMPLES"} {
		if !strings.Contains(r.stdout, c) {
			t.Errorf("doris-sync --help lacks %q", c)
		}
	}
}
