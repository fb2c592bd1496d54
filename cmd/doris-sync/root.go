package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/doris-sync/doris-sync/config"
	"github.com/doris-sync/doris-sync/exitcode"
)

// runError marks an error returned by a command's own code, as opposed to one
// cobra returns while parsing (unknown command, bad flag: always exit 2).
type runError struct{ err error }

func (e *runError) Error() string { return e.err.Error() }
func (e *runError) Unwrap() error { return e.err }

// fromRun wraps a command's error so execute can tell it from cobra's.
func fromRun(err error) error {
	if err == nil {
		return nil
	}
	return &runError{err: err}
}

// execute runs the command line args and returns the process exit code. Errors
// are printed as exactly one line "doris-sync: <message>" on stderr.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(normalizeArgs(root, args))
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitcode.OK
	}
	code, msg := exitcode.UsageError, err.Error()
	var re *runError
	if errors.As(err, &re) {
		code, msg = exitcode.Of(re.err), re.err.Error()
	} else if !strings.Contains(msg, "--help'") {
		// Cobra's own errors: unknown command or positional argument.
		msg += fmt.Sprintf(". Run '%s --help'", cmd.CommandPath())
	}
	fmt.Fprintf(stderr, "doris-sync: %s\n", oneLine(msg))
	return code
}

// oneLine folds a message onto one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:     "doris-sync <command> [flags]",
		Short:   "replicate whole databases into Apache Doris",
		Long:    rootLong,
		Example: syncExample(config.MySQL) + "\n\n# Where is each job, and how far behind?\ndoris-sync status",
		Args:    cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				hint := ""
				if s := c.SuggestionsFor(args[0]); len(s) > 0 {
					hint = fmt.Sprintf(" (did you mean %s?)", s[0])
				}
				return fromRun(exitcode.Usagef("unknown command %q%s. Run 'doris-sync --help'", args[0], hint))
			}
			return fromRun(exitcode.Usagef("missing command (e.g. mysql-sync-database, status, version). Run 'doris-sync --help'"))
		},
		SilenceErrors:              true,
		SuggestionsMinimumDistance: 2,
		SilenceUsage:               true,
		Version:                    versionLine(),
		CompletionOptions:          cobra.CompletionOptions{HiddenDefaultCmd: false},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return exitcode.Usagef("%v. Run '%s --help'", err, c.CommandPath())
	})
	defaultHelp := root.HelpFunc()
	root.SetHelpFunc(func(c *cobra.Command, args []string) {
		if page, ok := manPage(c); ok {
			fmt.Fprint(c.OutOrStdout(), page)
			return
		}
		defaultHelp(c, args)
	})
	for _, kind := range config.SupportedKinds {
		root.AddCommand(newSyncCmd(kind))
	}
	root.AddCommand(newDB2Cmd(), newStatusCmd(), newVersionCmd())
	return root
}
