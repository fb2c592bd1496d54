// Command benchtool is scripts/bench.sh's helper: it makes the benchmark data in the
// source servers, runs the latency writer against the Doris stand-in, counts loaded rows
// and prints the summary table. It is not part of doris-sync.
//
//	benchtool gen -dialect mariadb|postgres -dsn DSN [-no-binlog] create TABLE
//	benchtool gen … fill TABLE FIRST LAST           rows with ids FIRST…LAST
//	benchtool gen … workload TABLE                  table, seed rows and the change procedure
//	benchtool gen … changes TABLE FIRST_TXN TXNS    run workload transactions (100 changes each)
//	benchtool latency -dsn DSN -table T -standin URL -doris-db DB -doris-table T [-rate 5000 -duration 60s]
//	benchtool loaded -standin URL -db DB -table T   rows loaded into DB.T by successful loads
//	benchtool table RESULTS.tsv                     the summary table (Markdown)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/doris-sync/doris-sync/bench/datagen"
	"github.com/doris-sync/doris-sync/bench/latency"
	"github.com/doris-sync/doris-sync/bench/report"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchtool gen|latency|loaded|table …")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(ctx, os.Args[2:])
	case "latency":
		err = runLatency(ctx, os.Args[2:])
	case "loaded":
		err = loaded(ctx, os.Args[2:])
	case "table":
		err = table(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q (want gen, latency, loaded or table)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtool:", err)
		os.Exit(1)
	}
}

func gen(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	dialect := fs.String("dialect", "mariadb", "mariadb or postgres")
	dsn := fs.String("dsn", "", "go-sql-driver/mysql DSN or postgres:// URL")
	noBinlog := fs.Bool("no-binlog", false, "MariaDB: SET sql_log_bin = 0 first (bulk data the change stream need not carry)")
	fs.Parse(args)
	d, err := datagen.ParseDialect(*dialect)
	if err != nil {
		return err
	}
	a := fs.Args()
	if len(a) < 2 {
		return errors.New("gen: want ACTION TABLE [ARGS]")
	}
	action, tbl := a[0], a[1]
	nums, err := ints(a[2:])
	if err != nil {
		return fmt.Errorf("gen %s: %w", action, err)
	}
	var stmts []string
	switch {
	case action == "create" && len(nums) == 0:
		stmts = []string{datagen.CreateTable(d, tbl)}
	case action == "fill" && len(nums) == 2:
		stmts = datagen.Fill(d, tbl, nums[0], nums[1], 100000)
	case action == "workload" && len(nums) == 0:
		stmts = append([]string{datagen.CreateTable(d, tbl)}, datagen.Seed(d, tbl)...)
		stmts = append(stmts, datagen.CreateChangesProc(d, tbl))
	case action == "changes" && len(nums) == 2:
		stmts = []string{datagen.CallChanges(tbl, nums[0], nums[1])}
	default:
		return fmt.Errorf("gen: bad action %q with %d numbers (create T | fill T FIRST LAST | workload T | changes T FIRST_TXN TXNS)", action, len(nums))
	}
	c, err := datagen.Open(ctx, d, *dsn)
	if err != nil {
		return err
	}
	defer c.Close()
	if *noBinlog && d == datagen.MariaDB {
		stmts = append([]string{"SET SESSION sql_log_bin = 0"}, stmts...)
	}
	if err := datagen.ExecAll(ctx, c, stmts...); err != nil {
		return fmt.Errorf("gen %s %s: %w", action, tbl, err)
	}
	return nil
}

func ints(ss []string) ([]int64, error) {
	out := make([]int64, len(ss))
	for i, s := range ss {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		out[i] = n
	}
	return out, nil
}

// mariaInserter commits generated rows (the benchmark's 12-column shape) in one statement.
type mariaInserter struct {
	c     datagen.Conn
	table string
}

func (m mariaInserter) Insert(ctx context.Context, first int64, n int) error {
	return m.c.Exec(ctx, datagen.Fill(datagen.MariaDB, m.table, first, first+int64(n)-1, int64(n))[0])
}

func runLatency(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("latency", flag.ExitOnError)
	dsn := fs.String("dsn", "", "MariaDB DSN (go-sql-driver/mysql) of the source database")
	tbl := fs.String("table", "lat", "source table (made by gen create)")
	standin := fs.String("standin", "", "stand-in FE HTTP base URL, e.g. http://127.0.0.1:8030")
	ddb := fs.String("doris-db", "", "Doris database of the table")
	dtbl := fs.String("doris-table", "", "Doris table")
	var cfg latency.Config
	fs.IntVar(&cfg.Rate, "rate", 5000, "rows per second")
	fs.DurationVar(&cfg.Duration, "duration", time.Minute, "length of the steady phase")
	fs.IntVar(&cfg.TxnRows, "txn-rows", 50, "rows per transaction")
	fs.DurationVar(&cfg.PollEvery, "poll", 20*time.Millisecond, "how often to read the stand-in's load records")
	fs.DurationVar(&cfg.DrainTimeout, "drain-timeout", 2*time.Minute, "how long to wait for rows to become visible")
	fs.Parse(args)
	if *dsn == "" || *standin == "" || *ddb == "" || *dtbl == "" {
		return errors.New("latency: -dsn, -standin, -doris-db and -doris-table are required")
	}
	c, err := datagen.Open(ctx, datagen.MariaDB, *dsn)
	if err != nil {
		return err
	}
	defer c.Close()
	next, err := c.QueryInt(ctx, "SELECT COALESCE(MAX(id), 0) + 1 FROM "+*tbl)
	if err != nil {
		return fmt.Errorf("latency: first id: %w", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	w := &latency.Watcher{URL: *standin, DB: *ddb, Table: *dtbl}
	res, err := latency.Run(ctx, cfg, mariaInserter{c, *tbl}, w, next, log)
	if err != nil {
		return err
	}
	// One "metric value" line each, for bench.sh's results file.
	fmt.Printf("p50_s\t%.3f\np99_s\t%.3f\nmax_s\t%.3f\nrate\t%.0f\ncount\t%d\n",
		res.P50.Seconds(), res.P99.Seconds(), res.Max.Seconds(), res.Rate, res.Rows)
	return nil
}

func loaded(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("loaded", flag.ExitOnError)
	standin := fs.String("standin", "", "stand-in FE HTTP base URL")
	db := fs.String("db", "", "Doris database")
	tbl := fs.String("table", "", "Doris table")
	fs.Parse(args)
	w := &latency.Watcher{URL: *standin, DB: *db, Table: *tbl}
	n, err := w.Poll(ctx)
	if err != nil {
		return err
	}
	fmt.Println(n)
	return nil
}

func table(args []string) error {
	if len(args) != 1 {
		return errors.New("table: want RESULTS.tsv")
	}
	f, err := os.Open(args[0])
	if err != nil {
		return fmt.Errorf("table: %w", err)
	}
	defer f.Close()
	samples, err := report.Parse(f)
	if err != nil {
		return err
	}
	fmt.Print(report.Table(samples, report.Scenarios))
	return nil
}
