// Package report turns the measurements scripts/bench.sh records into its one summary
// table: per scenario the median with min–max of doris-sync and of the same-run baseline,
// their ratio, the throughput, the peak RSS and whether the target is met.
//
// bench.sh appends one measurement a line, tab-separated:
//
//	scenario  subject  run  metric  value
//
// subject is "doris-sync" or "baseline"; metric is one of seconds, rss_kb, count (rows or
// events handled), p50_s, p99_s, max_s, rate (rows/s the latency writer achieved).
package report

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Subjects of a measurement.
const (
	DorisSync = "doris-sync"
	Baseline  = "baseline"
)

// Sample is one recorded measurement.
type Sample struct {
	Scenario, Subject string
	Run               int
	Metric            string
	Value             float64
}

// Parse reads the recorded lines; blank lines and lines starting with # are skipped.
func Parse(r io.Reader) ([]Sample, error) {
	var out []Sample
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 5 {
			return nil, fmt.Errorf("results line %d: %d fields, want 5 (scenario subject run metric value): %q", n, len(f), line)
		}
		run, err := strconv.Atoi(f[2])
		if err != nil {
			return nil, fmt.Errorf("results line %d: run %q: %w", n, f[2], err)
		}
		v, err := strconv.ParseFloat(f[4], 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("results line %d: value %q is not a number", n, f[4])
		}
		out = append(out, Sample{Scenario: f[0], Subject: f[1], Run: run, Metric: f[3], Value: v})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	return out, nil
}

// Kind says how a scenario is judged.
type Kind int

// Scenario kinds.
const (
	Snapshot   Kind = iota // wall time against a baseline; rows/s
	Stream                 // wall time (optionally against a baseline); events/s
	Visibility             // commit-to-visible latency at a steady rate
)

// Scenario describes one row of the table.
type Scenario struct {
	ID           string
	Title        string
	Kind         Kind
	Baseline     string  // what the baseline ran ("" = none)
	MaxRatio     float64 // target doris-sync/baseline median wall time (0 = none)
	MinPerSecond float64 // target rows or events per second (0 = none)
	MaxP99       float64 // target p99 latency in seconds (0 = none)
}

// MaxRSSMB is the memory target for every scenario, default settings.
const MaxRSSMB = 300

// Scenarios are the scenarios, in table order.
var Scenarios = []Scenario{
	{ID: "snap-mariadb", Title: "1 MariaDB snapshot", Kind: Snapshot, Baseline: "mariadb-dump --quick --single-transaction", MaxRatio: 1.0},
	{ID: "snap-postgres", Title: "2 PostgreSQL snapshot", Kind: Snapshot, Baseline: `psql \copy t TO /dev/null`, MaxRatio: 1.3},
	{ID: "cdc-mariadb", Title: "3 MariaDB CDC", Kind: Stream, Baseline: "mariadb-binlog --verbose (local files)", MinPerSecond: 100000},
	{ID: "cdc-postgres", Title: "4 PostgreSQL CDC", Kind: Stream, Baseline: "pg_recvlogical (pgoutput) to /dev/null", MinPerSecond: 100000},
	{ID: "latency-default", Title: "5 latency, default flush (1s)", Kind: Visibility, MaxP99: 2},
	{ID: "latency-10s", Title: "5b latency, sink.buffer-flush.interval=10s (the anchor's default)", Kind: Visibility},
}

// stats is the median, min and max of one metric over the runs.
type stats struct {
	n             int
	med, min, max float64
}

func summarize(vs []float64) stats {
	if len(vs) == 0 {
		return stats{}
	}
	s := slices.Clone(vs)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return stats{n: len(s), med: med, min: s[0], max: s[len(s)-1]}
}

// values collects one metric of one subject of a scenario, by run.
func values(samples []Sample, scenario, subject, metric string) []float64 {
	var out []float64
	for _, s := range samples {
		if s.Scenario == scenario && s.Subject == subject && s.Metric == metric {
			out = append(out, s.Value)
		}
	}
	return out
}

// perRun divides metric num by metric den run by run (e.g. rows / seconds).
func perRun(samples []Sample, scenario, subject, num, den string) []float64 {
	nums := map[int]float64{}
	for _, s := range samples {
		if s.Scenario == scenario && s.Subject == subject && s.Metric == num {
			nums[s.Run] = s.Value
		}
	}
	var out []float64
	for _, s := range samples {
		if s.Scenario == scenario && s.Subject == subject && s.Metric == den && s.Value > 0 {
			if n, ok := nums[s.Run]; ok {
				out = append(out, n/s.Value)
			}
		}
	}
	return out
}

// Table renders the summary table (Markdown) of the scenarios that have measurements.
func Table(samples []Sample, scenarios []Scenario) string {
	var b strings.Builder
	b.WriteString("| scenario | doris-sync: median (min–max) | baseline: median (min–max) | ratio | throughput: median (min–max) | peak RSS doris-sync (baseline) | CPU s: doris-sync / source server / stand-in (baseline / server) | target | verdict |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, sc := range scenarios {
		secs := summarize(values(samples, sc.ID, DorisSync, "seconds"))
		p99 := summarize(values(samples, sc.ID, DorisSync, "p99_s"))
		if secs.n == 0 && p99.n == 0 {
			continue
		}
		rss := summarize(values(samples, sc.ID, DorisSync, "rss_kb"))
		baseRSS := summarize(values(samples, sc.ID, Baseline, "rss_kb"))
		var cells [8]string
		var misses []string
		var targets []string

		switch sc.Kind {
		case Visibility:
			p50 := summarize(values(samples, sc.ID, DorisSync, "p50_s"))
			mx := summarize(values(samples, sc.ID, DorisSync, "max_s"))
			cells[0] = fmt.Sprintf("p50 %s (%s–%s), p99 %s (%s–%s), max %s; n=%d",
				secs3(p50.med), secs3(p50.min), secs3(p50.max), secs3(p99.med), secs3(p99.min), secs3(p99.max), secs3(mx.max), p99.n)
			cells[1], cells[2] = "–", "–"
			rate := summarize(values(samples, sc.ID, DorisSync, "rate"))
			cells[3] = fmt.Sprintf("%s rows/s committed", rate3(rate.med))
			if sc.MaxP99 > 0 {
				targets = append(targets, fmt.Sprintf("p99 ≤ %gs", sc.MaxP99))
				if p99.med > sc.MaxP99 {
					misses = append(misses, "p99")
				}
			}
		default:
			cells[0] = fmt.Sprintf("%s (%s–%s); n=%d", secs3(secs.med), secs3(secs.min), secs3(secs.max), secs.n)
			base := summarize(values(samples, sc.ID, Baseline, "seconds"))
			cells[1], cells[2] = "–", "–"
			if base.n > 0 {
				cells[1] = fmt.Sprintf("%s (%s–%s): %s", secs3(base.med), secs3(base.min), secs3(base.max), sc.Baseline)
				ratio := secs.med / base.med
				cells[2] = fmt.Sprintf("%.2f", ratio)
				if sc.MaxRatio > 0 {
					targets = append(targets, fmt.Sprintf("ratio ≤ %.1f", sc.MaxRatio))
					if ratio > sc.MaxRatio {
						misses = append(misses, "ratio")
					}
				}
			}
			unit := "rows/s"
			if sc.Kind == Stream {
				unit = "events/s"
			}
			tp := summarize(perRun(samples, sc.ID, DorisSync, "count", "seconds"))
			if tp.n > 0 {
				cells[3] = fmt.Sprintf("%s %s (%s–%s)", rate3(tp.med), unit, rate3(tp.min), rate3(tp.max))
			} else {
				cells[3] = "–"
			}
			if sc.MinPerSecond > 0 {
				targets = append(targets, fmt.Sprintf("≥ %s %s", rate3(sc.MinPerSecond), unit))
				if tp.n == 0 || tp.med < sc.MinPerSecond {
					misses = append(misses, unit)
				}
			}
		}

		cells[4] = "–"
		if rss.n > 0 {
			cells[4] = fmt.Sprintf("%.0f MB", rss.max/1024)
			if baseRSS.n > 0 {
				cells[4] += fmt.Sprintf(" (%.0f MB)", baseRSS.max/1024)
			}
			if rss.max/1024 > MaxRSSMB {
				misses = append(misses, "RSS")
			}
		} else {
			misses = append(misses, "RSS not measured")
		}
		cells[5] = cpuCell(samples, sc.ID)
		targets = append(targets, fmt.Sprintf("RSS ≤ %d MB", MaxRSSMB))
		cells[6] = strings.Join(targets, ", ")
		cells[7] = "met"
		if len(misses) > 0 {
			cells[7] = "**missed: " + strings.Join(misses, ", ") + "**"
		}
		fmt.Fprintf(&b, "| %s | %s |\n", sc.Title, strings.Join(cells[:], " | "))
	}
	return b.String()
}

// cpuCell is the median CPU time of doris-sync, the source server and the stand-in during
// its runs, then of the baseline and the server during the baseline's: on a 2-core
// machine it shows who had the cores.
func cpuCell(samples []Sample, scenario string) string {
	cpu := summarize(values(samples, scenario, DorisSync, "cpu_s"))
	if cpu.n == 0 {
		return "–"
	}
	out := fmt.Sprintf("%.1f / %.1f / %.1f", cpu.med, summarize(values(samples, scenario, DorisSync, "server_cpu_s")).med,
		summarize(values(samples, scenario, DorisSync, "standin_cpu_s")).med)
	if b := summarize(values(samples, scenario, Baseline, "cpu_s")); b.n > 0 {
		out += fmt.Sprintf(" (%.1f / %.1f)", b.med, summarize(values(samples, scenario, Baseline, "server_cpu_s")).med)
	}
	return out
}

// secs3 prints seconds with three significant digits.
func secs3(s float64) string {
	switch {
	case s >= 100:
		return fmt.Sprintf("%.0f s", s)
	case s >= 10:
		return fmt.Sprintf("%.1f s", s)
	default:
		return fmt.Sprintf("%.2f s", s)
	}
}

// rate3 prints a per-second figure compactly: 950, 12.3k, 163k, 1.20M.
func rate3(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e5:
		return fmt.Sprintf("%.0fk", v/1e3)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	default:
		return fmt.Sprintf("%.0f", v)
	}
}
