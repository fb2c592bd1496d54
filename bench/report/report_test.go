package report

import (
	"strings"
	"testing"
)

const recorded = `# scenario subject run metric value
snap-mariadb	doris-sync	1	seconds	12
snap-mariadb	doris-sync	1	rss_kb	204800
snap-mariadb	doris-sync	1	count	2000000
snap-mariadb	doris-sync	2	seconds	10
snap-mariadb	doris-sync	2	rss_kb	102400
snap-mariadb	doris-sync	2	count	2000000
snap-mariadb	doris-sync	3	seconds	20
snap-mariadb	doris-sync	3	rss_kb	153600
snap-mariadb	doris-sync	3	count	2000000
snap-mariadb	baseline	1	seconds	8
snap-mariadb	doris-sync	1	cpu_s	9
snap-mariadb	doris-sync	1	server_cpu_s	4
snap-mariadb	doris-sync	1	standin_cpu_s	1.5
snap-mariadb	baseline	1	cpu_s	2.5
snap-mariadb	baseline	1	server_cpu_s	5
snap-mariadb	baseline	2	seconds	9
snap-mariadb	baseline	3	seconds	7

cdc-mariadb	doris-sync	1	seconds	5
cdc-mariadb	doris-sync	1	count	1000000
cdc-mariadb	doris-sync	1	rss_kb	409600
latency-default	doris-sync	1	p50_s	5.5
latency-default	doris-sync	1	p99_s	10.2
latency-default	doris-sync	1	max_s	10.4
latency-default	doris-sync	1	rate	5000
latency-default	doris-sync	1	rss_kb	80000
`

func parse(t *testing.T, s string) []Sample {
	t.Helper()
	samples, err := Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return samples
}

func row(t *testing.T, table, title string) []string {
	t.Helper()
	for _, line := range strings.Split(table, "\n") {
		if strings.HasPrefix(line, "| "+title+" |") {
			cells := strings.Split(strings.Trim(line, "| "), " | ")
			return cells[1:]
		}
	}
	t.Fatalf("no row %q in\n%s", title, table)
	return nil
}

func TestTableMediansRatioThroughputAndVerdict(t *testing.T) {
	table := Table(parse(t, recorded), Scenarios)
	snap := row(t, table, "1 MariaDB snapshot")
	if want := "12.0 s (10.0 s–20.0 s); n=3"; snap[0] != want {
		t.Errorf("doris-sync cell = %q, want %q", snap[0], want)
	}
	if !strings.HasPrefix(snap[1], "8.00 s (7.00 s–9.00 s)") {
		t.Errorf("baseline cell = %q", snap[1])
	}
	if snap[2] != "1.50" { // 12 / 8
		t.Errorf("ratio = %q, want 1.50", snap[2])
	}
	// Per-run rates 2M/12, 2M/10, 2M/20: median 167k.
	if want := "167k rows/s (100k–200k)"; snap[3] != want {
		t.Errorf("throughput = %q, want %q", snap[3], want)
	}
	if snap[4] != "200 MB" {
		t.Errorf("peak RSS = %q, want the largest run, 200 MB", snap[4])
	}
	if snap[5] != "9.0 / 4.0 / 1.5 (2.5 / 5.0)" {
		t.Errorf("CPU cell = %q", snap[5])
	}
	if snap[7] != "**missed: ratio**" {
		t.Errorf("verdict = %q, want the ratio missed", snap[7])
	}

	cdc := row(t, table, "3 MariaDB CDC")
	if cdc[3] != "200k events/s (200k–200k)" || cdc[4] != "400 MB" || cdc[7] != "**missed: RSS**" {
		t.Errorf("cdc row = %q", cdc)
	}

	lat := row(t, table, "5 latency, default flush (1s)")
	if !strings.HasPrefix(lat[0], "p50 5.50 s") || !strings.Contains(lat[0], "p99 10.2 s") || lat[7] != "**missed: p99**" {
		t.Errorf("latency row = %q", lat)
	}
	if strings.Contains(table, "PostgreSQL") {
		t.Errorf("scenarios without measurements are listed:\n%s", table)
	}
}

func TestTableMetTargets(t *testing.T) {
	table := Table(parse(t, "cdc-postgres\tdoris-sync\t1\tseconds\t4\ncdc-postgres\tdoris-sync\t1\tcount\t1000000\ncdc-postgres\tdoris-sync\t1\trss_kb\t100000\n"), Scenarios)
	if got := row(t, table, "4 PostgreSQL CDC")[7]; got != "met" {
		t.Errorf("verdict = %q, want met (250k events/s, 98 MB)", got)
	}
}

func TestParseRejectsMalformedLines(t *testing.T) {
	for _, bad := range []string{"a\tb\t1\tseconds", "a\tb\tx\tseconds\t1", "a\tb\t1\tseconds\tNaN", "a\tb\t1\tseconds\tfast"} {
		if _, err := Parse(strings.NewReader(bad + "\n")); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}
