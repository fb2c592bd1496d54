// Command doris-standin runs the strict Apache Doris stand-in used by doris-sync's tests,
// demo and benchmarks. It prints one JSON line with its addresses, then serves until
// interrupted.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/doris-sync/doris-sync/testkit/doris"
)

func main() {
	var o doris.Options
	flag.StringVar(&o.HTTPAddr, "http", "127.0.0.1:8030", "FE HTTP address (Stream Load entry point, answers 307)")
	flag.StringVar(&o.BEAddr, "be", "127.0.0.1:0", `BE HTTP address the FE redirects to ("same" serves both roles on the FE port)`)
	flag.StringVar(&o.MySQLAddr, "mysql", "127.0.0.1:9030", "FE MySQL-protocol address")
	flag.StringVar(&o.User, "user", "root", "user name")
	flag.StringVar(&o.Password, "password", "", "password")
	flag.BoolVar(&o.Discard, "discard", false, "accept loads, count rows, store nothing, skip per-value checks (benchmarks)")
	flag.DurationVar(&o.LabelKeep, "label-keep", 12*time.Hour, "how long finished labels are remembered (streaming_label_keep_max_second)")
	flag.IntVar(&o.LabelNumCap, "label-num-threshold", 2000, "finished labels kept per database before the oldest are dropped (-1: time only)")
	flag.DurationVar(&o.PrecommitTimeout, "precommit-timeout", time.Hour, "how long a precommitted 2PC transaction lives")
	flag.DurationVar(&o.AlterDelay, "alter-delay", 0, "how long a heavy schema change job stays RUNNING")
	flag.Parse()

	s, err := doris.Start(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "doris-standin:", err)
		os.Exit(1)
	}
	line, _ := json.Marshal(map[string]string{"http": s.HTTPAddr(), "be": s.BEAddr(), "mysql": s.MySQLAddr()})
	fmt.Println(string(line))

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	s.Close()
}
