// Command doris-sync replicates whole databases (MySQL/MariaDB, PostgreSQL,
// SQL Server, Oracle, MongoDB) into Apache Doris. It takes the command line of
// the flink-doris-connector's whole-database tool; see docs/cli.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // server-time-zone names must resolve on hosts without zoneinfo
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal the job flushes and checkpoints; a second one
		// gets the default behaviour and ends the process at once.
		<-ctx.Done()
		stop()
	}()
	code := execute(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
