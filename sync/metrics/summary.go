package metrics

import (
	"io"
	"strconv"
	"time"
)

// SummaryLine is the end-of-run line: the outcome the caller words ("finished",
// "caught up", "stopped", "FAILED (exit 1)"), the duration, and the run's totals. It
// holds full numbers, not the display's rounded ones, so scripts can read them.
func (r *Registry) SummaryLine(outcome string) string {
	s := r.Snapshot()
	tot := s.Totals()
	b := make([]byte, 0, 256)
	b = append(b, "doris-sync: job "...)
	b = append(b, s.Job...)
	b = append(b, ' ')
	b = append(b, outcome...)
	b = append(b, " after "...)
	b = append(b, s.Taken.Sub(s.Started).Round(time.Millisecond).String()...)
	b = append(b, ": "...)
	b = append(b, plural(int64(tot.Tables), "table", "tables")...)
	b = append(b, ", "...)
	b = strconv.AppendInt(b, tot.RowsLoaded, 10)
	b = append(b, " rows loaded in "...)
	b = append(b, plural(tot.Loads, "load", "loads")...)
	b = append(b, " ("...)
	b = append(b, plural(tot.Retries, "retry", "retries")...)
	b = append(b, ", "...)
	b = append(b, plural(tot.Failures, "failed attempt", "failed attempts")...)
	b = append(b, "), "...)
	b = strconv.AppendInt(b, tot.RowsCopied, 10)
	b = append(b, " rows copied, "...)
	b = append(b, plural(tot.Changes, "change", "changes")...)
	b = append(b, " streamed, "...)
	b = append(b, plural(s.DDL, "DDL", "DDL")...)
	b = append(b, ", "...)
	b = append(b, plural(s.Checkpoints, "checkpoint", "checkpoints")...)
	if tot.DeletesIgnored > 0 {
		b = append(b, ", "...)
		b = append(b, plural(tot.DeletesIgnored, "delete", "deletes")...)
		b = append(b, " not applied"...)
	}
	if s.LagKnown {
		b = append(b, ", lag "...)
		b = append(b, lagText(s.Lag)...)
	}
	b = append(b, ", "...)
	b = append(b, plural(s.Errors, "error", "errors")...)
	return string(b)
}

// WriteSummary writes the end-of-run line to w (stderr: stdout carries plans).
func (r *Registry) WriteSummary(w io.Writer, outcome string) error {
	_, err := io.WriteString(w, r.SummaryLine(outcome)+"\n")
	return err
}
