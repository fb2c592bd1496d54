// Package exitcode classifies errors into the process exit codes of doris-sync.
//
// Any package may mark an error as a usage/configuration error or as a lost
// source position; wrapping with fmt.Errorf("…: %w", err) keeps the class, and
// Of turns the final error into the code the process exits with.
package exitcode

import (
	"errors"
	"fmt"
)

// The exit codes of doris-sync (spec/CLI.md "Exit codes").
const (
	// OK: finished, caught up, or stopped cleanly by a signal after a checkpoint.
	OK = 0
	// RuntimeError: anything that went wrong while running.
	RuntimeError = 1
	// UsageError: bad flags, bad configuration, missing or malformed keys.
	UsageError = 2
	// PositionLostError: the saved position is no longer available at the source
	// (purged binlog, dropped slot, expired token); a new snapshot is needed.
	PositionLostError = 3
)

// classified carries an exit code along an error chain.
type classified struct {
	err  error
	code int
}

func (c *classified) Error() string { return c.err.Error() }
func (c *classified) Unwrap() error { return c.err }

// Usage marks err as a usage or configuration error (exit code 2).
// It returns nil for a nil err.
func Usage(err error) error { return mark(err, UsageError) }

// Usagef formats a usage error (exit code 2), like fmt.Errorf.
func Usagef(format string, args ...any) error {
	return Usage(fmt.Errorf(format, args...))
}

// PositionLost marks err as "the saved position is no longer available
// upstream" (exit code 3). It returns nil for a nil err.
func PositionLost(err error) error { return mark(err, PositionLostError) }

// Runtime marks err explicitly as a runtime error (exit code 1), for example to
// stop an inner usage mark from deciding the exit code. It returns nil for nil.
func Runtime(err error) error { return mark(err, RuntimeError) }

func mark(err error, code int) error {
	if err == nil {
		return nil
	}
	return &classified{err: err, code: code}
}

// Of returns the exit code for err: 0 for nil, the code of the outermost mark
// in the chain, else 1.
func Of(err error) int {
	if err == nil {
		return OK
	}
	var c *classified
	if errors.As(err, &c) {
		return c.code
	}
	return RuntimeError
}

// IsUsage reports whether err is classified as a usage error.
func IsUsage(err error) bool { return err != nil && Of(err) == UsageError }

// IsPositionLost reports whether err is classified as a lost source position.
func IsPositionLost(err error) bool { return err != nil && Of(err) == PositionLostError }
