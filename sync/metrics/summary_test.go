package metrics

import (
	"bytes"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/sink"
)

func TestSummaryLine(t *testing.T) {
	c := newClock(t0)
	r := New("shop", c.now)
	o := r.Table("ods", "orders")
	o.RowsCopied().Set(120_000)
	o.Changes().Add(4567)
	r.Table("ods", "items").Changes().Add(1)
	r.AttachSink(&fakeSink{stats: []sink.TableStats{
		{DB: "ods", Table: "orders", Rows: 124_000, Loads: 40, Retries: 2, Failures: 1, DeletesIgnored: 0},
		{DB: "ods", Table: "items", Rows: 568, Loads: 5, DeletesIgnored: 3},
	}})
	for i := 0; i < 12; i++ {
		r.Checkpointed()
	}
	r.DDLApplied()
	c.advance(2*time.Minute + 13456*time.Millisecond)

	var out bytes.Buffer
	if err := r.WriteSummary(&out, "caught up"); err != nil {
		t.Fatal(err)
	}
	want := "doris-sync: job shop caught up after 2m13.456s: 2 tables, 124568 rows loaded in 45 loads " +
		"(2 retries, 1 failed attempt), 120000 rows copied, 4568 changes streamed, 1 DDL, 12 checkpoints, " +
		"3 deletes not applied, 0 errors\n"
	if got := out.String(); got != want {
		t.Fatalf("summary:\n%s\nwant:\n%s", got, want)
	}

	r.SetLag(1500 * time.Millisecond)
	r.Finish(errTest)
	want = "doris-sync: job shop FAILED (exit 1) after 2m13.456s: 2 tables, 124568 rows loaded in 45 loads " +
		"(2 retries, 1 failed attempt), 120000 rows copied, 4568 changes streamed, 1 DDL, 12 checkpoints, " +
		"3 deletes not applied, lag 1.5s, 1 error"
	if got := r.SummaryLine("FAILED (exit 1)"); got != want {
		t.Fatalf("summary of a failed run:\n%s\nwant:\n%s", got, want)
	}
}

func TestSummaryOfAnEmptyRun(t *testing.T) {
	r := New("j", func() time.Time { return t0 })
	want := "doris-sync: job j finished after 0s: 0 tables, 0 rows loaded in 0 loads (0 retries, 0 failed attempts), " +
		"0 rows copied, 0 changes streamed, 0 DDL, 0 checkpoints, 0 errors"
	if got := r.SummaryLine("finished"); got != want {
		t.Fatalf("summary:\n%s\nwant:\n%s", got, want)
	}
}

func TestFormatting(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{count(0), "0"}, {count(9999), "9999"}, {count(12_345), "12.3k"}, {count(999_499), "999k"}, {count(999_500), "1.00M"}, {count(523_000), "523k"},
		{count(1_080_000), "1.08M"}, {count(2_500_000_000), "2.50G"},
		{perSecond(0.26), "0.3"}, {perSecond(42.4), "42"}, {perSecond(52_300), "52.3k"},
		{span(0), "0s"}, {span(59400 * time.Millisecond), "59s"}, {span(185 * time.Second), "3m05s"},
		{span(time.Hour + 2*time.Minute + 10*time.Second), "1h02m"}, {span(51 * time.Hour), "2d03h"},
		{lagText(400 * time.Millisecond), "0.4s"}, {lagText(65 * time.Second), "1m05s"},
		{fit("abc", 5), "abc  "}, {fit("abcdef", 4), "abc…"},
		{plural(1, "retry", "retries"), "1 retry"}, {plural(0, "retry", "retries"), "0 retries"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
