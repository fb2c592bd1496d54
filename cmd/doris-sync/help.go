package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/doris-sync/doris-sync/config"
)

const helpWidth = 100

const rootLong = `doris-sync replicates whole databases from MySQL/MariaDB, PostgreSQL, SQL Server, Oracle and MongoDB into Apache Doris. For every matching source table it creates a Doris table, copies a consistent snapshot, then follows the change stream and loads each change through Doris Stream Load, applying DDL changes as it goes. It runs as a service until stopped, or as a cron job that catches up and exits (--stop-when-caught-up); either way the next run resumes exactly where the last one stopped.

It takes the command line of the flink-doris-connector's whole-database tool (CdcTools): an existing "mysql-sync-database --database … --mysql-conf … --sink-conf …" command works unchanged after "doris-sync", without Flink. Boolean flags mean what they say (--flag, --flag=false, --flag false), passwords can come from ${ENV_VAR} or password-file=PATH and are never printed.`

const statusLong = `Shows what is saved in the state directory for each job (or only --job-name): the source position of the last checkpoint, snapshot progress per table, when the last run started and ended and how it ended, and how far behind the source it was.`

// streamName says what each source's change stream is.
var streamName = map[config.Kind]string{
	config.MySQL:     "the binlog (row format; GTID or file/position)",
	config.Postgres:  "a logical replication slot through pgoutput",
	config.SQLServer: "the CDC change tables",
	config.Oracle:    "LogMiner",
	config.MongoDB:   "change streams",
}

func syncLong(kind config.Kind) string {
	scope := "the database database-name"
	switch kind {
	case config.MySQL:
		scope = "every database matching the regular expression database-name"
	case config.Postgres, config.SQLServer, config.Oracle:
		scope = "the schema schema-name of the database database-name"
	case config.MongoDB:
		scope = "the collections of the database named by database"
	}
	return fmt.Sprintf(`Replicates %s from %s into Apache Doris, in four steps:

  1. discover  list the source tables matching --including-tables and not --excluding-tables, with their columns and keys
  2. create    create the Doris database and tables (UNIQUE KEY when the source has a primary key, else DUPLICATE KEY), or check the existing ones
  3. snapshot  copy the existing rows in primary-key chunks read in parallel (--snapshot-parallelism); an interrupted snapshot resumes where it stopped
  4. stream    follow %s from where the snapshot started and load inserts, updates, deletes and DDL changes through Stream Load

Progress is checkpointed in --state-dir under --job-name, so a restart continues where the last run stopped. The job runs until SIGINT or SIGTERM, which flush and checkpoint before exiting 0. Cron mode (--stop-when-caught-up) applies everything up to the source position seen at start, checkpoints and exits 0; --max-duration bounds a run. --create-table-only stops after step 2; --dry-run prints the plan (Doris names, keys, buckets, CREATE statements) and changes nothing. scan.startup.mode=snapshot copies without streaming; latest-offset streams without copying.

Settings come from the flags below, from a YAML file (--config), or both: flags override the file, and each --%s, --sink-conf or --table-conf entry overrides the same key of the file. A value ${NAME} is replaced by the environment variable NAME; password-file=PATH reads a password from a file.`,
		scope, kind.Title(), streamName[kind], kind.ConfFlag()[2:])
}

// sourceExample is the source part of each kind's example.
var sourceExample = map[config.Kind][][2]string{
	config.MySQL:     {{"hostname", "10.0.0.5"}, {"port", "3306"}, {"username", "repl"}, {"password", "${MYSQL_PASSWORD}"}, {"database-name", "shop"}},
	config.Postgres:  {{"hostname", "10.0.0.6"}, {"port", "5432"}, {"username", "repl"}, {"password", "${PG_PASSWORD}"}, {"database-name", "shop"}, {"schema-name", "public"}, {"slot.name", "doris_sync"}},
	config.SQLServer: {{"hostname", "10.0.0.7"}, {"port", "1433"}, {"username", "repl"}, {"password", "${MSSQL_PASSWORD}"}, {"database-name", "shop"}, {"schema-name", "dbo"}},
	config.Oracle:    {{"hostname", "10.0.0.8"}, {"port", "1521"}, {"username", "c##repl"}, {"password", "${ORACLE_PASSWORD}"}, {"database-name", "ORCLCDB"}, {"schema-name", "SHOP"}},
	config.MongoDB:   {{"hosts", "10.0.0.9:27017,10.0.0.10:27017"}, {"username", "repl"}, {"password", "${MONGO_PASSWORD}"}, {"database", "shop"}},
}

func syncExample(kind config.Kind) string {
	conf := kind.ConfFlag()
	var b strings.Builder
	fmt.Fprintf(&b, "# Replicate the %s database \"shop\" into the Doris database \"ods\": tables orders, customers\n", kind.Title())
	b.WriteString("# and items_* only, named ods_<table>, orders with 32 buckets and the others 8.\n")
	fmt.Fprintf(&b, "doris-sync %s \\\n", kind.Command())
	b.WriteString("  --database ods --table-prefix ods_ --including-tables 'orders|customers|items_.*' \\\n")
	for _, kv := range sourceExample[kind] {
		fmt.Fprintf(&b, "  %s %s \\\n", conf, shellQuote(kv[0]+"="+kv[1]))
	}
	b.WriteString("  --sink-conf fenodes=doris-fe:8030 --sink-conf jdbc-url=jdbc:mysql://doris-fe:9030 \\\n")
	b.WriteString("  --sink-conf username=loader --sink-conf password-file=/etc/doris-sync/doris.pw \\\n")
	b.WriteString("  --table-conf replication_num=3 --table-conf 'table-buckets=orders:32,.*:8'\n\n")
	b.WriteString("# The same from a config file (shop.yaml):\n")
	b.WriteString("#   job-name: shop-to-doris\n")
	b.WriteString("#   source:\n")
	fmt.Fprintf(&b, "#     kind: %s\n", kind)
	for _, kv := range sourceExample[kind] {
		fmt.Fprintf(&b, "#     %s: %s\n", kv[0], kv[1])
	}
	b.WriteString("#   sink:\n#     fenodes: doris-fe:8030\n#     jdbc-url: jdbc:mysql://doris-fe:9030\n")
	b.WriteString("#     username: loader\n#     password-file: /etc/doris-sync/doris.pw\n")
	b.WriteString("#   table:\n#     replication_num: 3\n#     table-buckets: \"orders:32,.*:8\"\n")
	b.WriteString("#   database: ods\n#   table-prefix: ods_\n#   including-tables: \"orders|customers|items_.*\"\n")
	fmt.Fprintf(&b, "doris-sync %s --config shop.yaml\n\n", kind.Command())
	b.WriteString("# Cron mode: catch up, checkpoint and exit; at most 55 minutes per run.\n")
	fmt.Fprintf(&b, "doris-sync %s --config shop.yaml --stop-when-caught-up --max-duration 55m\n\n", kind.Command())
	b.WriteString("# Show what would be created, change nothing.\n")
	fmt.Fprintf(&b, "doris-sync %s --config shop.yaml --dry-run", kind.Command())
	return b.String()
}

const exitCodes = `0  success: finished, caught up (--stop-when-caught-up), or stopped by SIGINT/SIGTERM after a checkpoint
1  runtime error (connection, permission, Doris rejected a load, …)
2  usage or configuration error: bad flag, bad or missing key, unreadable file
3  the saved position is no longer available at the source (purged binlog, dropped slot, expired resume token): run with --on-position-lost=resnapshot to copy every table again, or start over with a new --job-name or after removing the job's state from --state-dir`

// manPage renders the help of a doris-sync command like a manual page; ok is
// false for commands that keep cobra's help (completion).
func manPage(c *cobra.Command) (string, bool) {
	kind, isSync := c.Annotations["kind"]
	if !isSync && c.HasParent() && c.Annotations["manpage"] == "" {
		return "", false
	}
	var b strings.Builder
	section := func(title string) { fmt.Fprintf(&b, "\n%s\n", title) }

	b.WriteString("NAME\n")
	writeWrapped(&b, c.CommandPath()+" - "+c.Short, 4)
	section("SYNOPSIS")
	writeWrapped(&b, "doris-sync "+strings.TrimPrefix(c.UseLine(), "doris-sync "), 4)
	if c.Long != "" {
		section("DESCRIPTION")
		writeWrapped(&b, c.Long, 4)
	}
	if !c.HasParent() {
		section("COMMANDS")
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				fmt.Fprintf(&b, "    %-26s %s\n", sub.Name(), sub.Short)
			}
		}
	}
	if c.HasAvailableLocalFlags() && !c.DisableFlagParsing {
		section("FLAGS")
		b.WriteString(indent(c.LocalFlags().FlagUsagesWrapped(helpWidth-4), 2) + "\n")
	}
	if isSync {
		k := config.Kind(kind)
		section(fmt.Sprintf("SOURCE KEYS (%s k=v, repeatable)", k.ConfFlag()))
		writeKeys(&b, config.SourceKeys(k))
		if aliases := config.SourceKeyAliases(k); len(aliases) > 0 {
			var names []string
			for _, key := range config.SourceKeys(k) {
				for from, to := range aliases {
					if to == key.Name {
						names = append(names, from+" = "+to)
					}
				}
			}
			writeWrapped(&b, "Also accepted under the anchor tool's names: "+strings.Join(names, ", ")+".", 4)
		}
		section("SINK KEYS (--sink-conf k=v, repeatable)")
		writeKeys(&b, config.SinkKeys())
		section("TABLE KEYS (--table-conf k=v, repeatable)")
		writeKeys(&b, config.TableKeys())
		section("ACCEPTED FOR COMPATIBILITY, NO EFFECT (each logs one warning)")
		writeKeys(&b, append(config.IgnoredSourceKeys(k), config.IgnoredSinkKeys()...))
	}
	if isSync || !c.HasParent() {
		section("EXIT CODES")
		writeWrapped(&b, indent(exitCodes, 2), 2)
	}
	if c.Example != "" {
		section("EXAMPLES")
		b.WriteString(indent(c.Example, 4) + "\n")
	}
	section("SEE ALSO")
	switch {
	case !c.HasParent():
		writeWrapped(&b, "doris-sync <command> --help for each command's flags and keys; docs/cli.md for the full reference.", 4)
	case isSync:
		writeWrapped(&b, "docs/cli.md for the full flag and key reference; doris-sync status; doris-sync --help.", 4)
	default:
		writeWrapped(&b, "docs/cli.md; doris-sync --help.", 4)
	}
	return b.String(), true
}

// writeKeys lists keys as "name  description (default …)".
func writeKeys(b *strings.Builder, keys []config.Key) {
	const col = 34
	for _, k := range keys {
		desc := k.Help
		if k.Required {
			desc = "required; " + desc
		}
		if k.Default != "" {
			desc += " (default " + k.Default + ")"
		}
		name := "    " + k.Name
		if len(name) > col-2 {
			b.WriteString(name + "\n")
			name = ""
		}
		lines := wrap(desc, helpWidth-col)
		for i, l := range lines {
			if i == 0 {
				fmt.Fprintf(b, "%-*s%s\n", col, name, l)
			} else {
				fmt.Fprintf(b, "%*s%s\n", col, "", l)
			}
		}
	}
}

// writeWrapped writes paragraphs wrapped to helpWidth; lines that start with
// spaces are kept as they are (lists).
func writeWrapped(b *strings.Builder, text string, ind int) {
	pad := strings.Repeat(" ", ind)
	for i, para := range strings.Split(text, "\n\n") {
		if i > 0 {
			b.WriteString("\n")
		}
		for _, line := range strings.Split(para, "\n") {
			if strings.HasPrefix(line, " ") {
				// A list item: wrap its tail under its text column.
				trimmed := strings.TrimLeft(line, " ")
				lead := len(line) - len(trimmed)
				head, tail, _ := strings.Cut(trimmed, "  ")
				tail = strings.TrimLeft(tail, " ")
				hang := lead + len(head) + (len(trimmed) - len(head) - len(tail))
				for j, l := range wrap(tail, helpWidth-ind-hang) {
					if j == 0 {
						fmt.Fprintf(b, "%s%s%s\n", pad, line[:hang], l)
					} else {
						fmt.Fprintf(b, "%s%s%s\n", pad, strings.Repeat(" ", hang), l)
					}
				}
				continue
			}
			for _, l := range wrap(line, helpWidth-ind) {
				b.WriteString(pad + l + "\n")
			}
		}
	}
}

// wrap splits text into lines of at most width runes, at spaces.
func wrap(text string, width int) []string {
	words := strings.Fields(text)
	if len(words) == 0 {
		return []string{""}
	}
	var lines []string
	line := words[0]
	for _, w := range words[1:] {
		if len([]rune(line))+1+len([]rune(w)) > width {
			lines = append(lines, line)
			line = w
			continue
		}
		line += " " + w
	}
	return append(lines, line)
}

func indent(text string, n int) string {
	pad := strings.Repeat(" ", n)
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = pad + l
		}
	}
	return strings.Join(lines, "\n")
}

// shellQuote quotes an example argument when the shell would change it.
func shellQuote(s string) string {
	if strings.ContainsAny(s, "$|*?{}[]()<>&;#~ '\"\\") {
		return "'" + s + "'"
	}
	return s
}
