package sink

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/sink/encode"
	"github.com/doris-sync/doris-sync/testkit/doris"
)

var benchTable = Table{DB: "d", Name: "bench", Model: Duplicate, KeyColumns: 1, Columns: []Column{
	{"id", "BIGINT"}, {"tenant", "INT"}, {"name", "VARCHAR(765)"}, {"email", "VARCHAR(765)"},
	{"amount", "DECIMAL(10,2)"}, {"ratio", "DOUBLE"}, {"active", "BOOLEAN"}, {"created", "DATETIME(6)"},
	{"birthday", "DATE"}, {"note", "STRING"}, {"attrs", "JSON"}, {"big", "LARGEINT"},
}}

func benchRow(i int64, ts time.Time) []any {
	return []any{i, int64(42), "Ada Lovelace", "ada@example.com", "12345.67", 0.125, true,
		ts, ts, "a note with \"quotes\"\nand a newline", `{"k":"v","n":1}`, uint64(18446744073709551615)}
}

const benchRowsPerOp = 100000

// BenchmarkLoadEndToEnd writes rows through the Writer into the stand-in's discard
// mode (FE redirect, BE counts rows): encoding, batching, labels, journal, HTTP.
func BenchmarkLoadEndToEnd(b *testing.B) {
	d := startStandinB(b)
	cfg := DefaultConfig()
	cfg.FENodes, cfg.User, cfg.LabelPrefix = []string{d.HTTPAddr()}, "root", "bench"
	cfg.TwoPhase = TwoPhaseOff
	cfg.FlushMaxBytes = 16 << 20
	cfg.FlushInterval = time.Hour
	w, err := Open(context.Background(), cfg, nil, testLogger(io.Discard))
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close(context.Background())
	h, err := w.Register(benchTable)
	if err != nil {
		b.Fatal(err)
	}
	ts := time.Date(2024, 6, 4, 16, 3, 37, 456789000, time.UTC)
	row := benchRow(1, ts)
	ids := make([]any, benchRowsPerOp) // boxed once, so allocations/op are the writer's own
	for i := range ids {
		ids[i] = int64(i)
	}
	seq := uint64(0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for r := 0; r < benchRowsPerOp; r++ {
			seq++
			row[0] = ids[r]
			if err := w.Write(context.Background(), h, Change{Seq: seq, Op: Insert, Row: row}); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.FlushAll(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	s := w.Stats()[0]
	b.ReportMetric(float64(s.Rows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(s.Bytes)/b.Elapsed().Seconds()/1e6, "MB/s")
}

// BenchmarkLoadBaselinePlainPUT sends the same bytes (pre-encoded, same batch size) with
// a bare net/http client following the redirect by hand: the floor the Writer is
// measured against.
func BenchmarkLoadBaselinePlainPUT(b *testing.B) {
	d := startStandinB(b)
	cols := make([]encode.Column, len(benchTable.Columns))
	for i, c := range benchTable.Columns {
		ct, _ := encode.ParseType(c.Type)
		cols[i] = encode.Column{Name: c.Name, Type: ct}
	}
	enc := encode.NewJSON(cols, false)
	ts := time.Date(2024, 6, 4, 16, 3, 37, 456789000, time.UTC)
	var bodies [][]byte
	var body []byte
	for r := 0; r < benchRowsPerOp; r++ {
		if len(body) > 0 {
			body = append(body, '\n')
		}
		body, _ = enc.AppendRow(body, benchRow(int64(r), ts), false)
		if len(body) >= 16<<20 {
			bodies, body = append(bodies, body), nil
		}
	}
	if len(body) > 0 {
		bodies = append(bodies, body)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	n := 0
	put := func(target string, label string, body []byte) *http.Response {
		req, _ := http.NewRequest(http.MethodPut, target, bytes.NewReader(body))
		req.SetBasicAuth("root", "")
		req.Header.Set("Expect", "100-continue")
		req.Header.Set("format", "json")
		req.Header.Set("read_json_by_line", "true")
		req.Header.Set("label", label)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	var total int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, body := range bodies {
			n++
			label := "baseline_" + strconv.Itoa(n)
			resp := put("http://"+d.HTTPAddr()+"/api/d/bench/_stream_load", label, body)
			if resp.StatusCode == http.StatusTemporaryRedirect {
				loc, _ := url.Parse(resp.Header.Get("Location"))
				loc.User = nil
				resp = put(loc.String(), label, body)
			}
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("HTTP %d", resp.StatusCode)
			}
			total += int64(len(body))
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*benchRowsPerOp)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(total)/b.Elapsed().Seconds()/1e6, "MB/s")
}

func startStandinB(b *testing.B) *doris.Server {
	s, err := doris.Start(doris.Options{Discard: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	tbl := &doris.Table{DB: "d", Name: "bench", Keys: doris.DupKeys, KeyCount: 1, Buckets: 1, LightSchema: true, DistCols: []string{"id"}}
	for i, c := range benchTable.Columns {
		typ, err := doris.ParseType(c.Type, false)
		if err != nil {
			b.Fatal(err)
		}
		tbl.Columns = append(tbl.Columns, doris.Column{Name: c.Name, Type: typ, Nullable: i > 0, IsKey: i == 0})
	}
	s.Catalog.Mu.Lock()
	s.Catalog.DBs["d"] = &doris.Database{Name: "d", Tables: map[string]*doris.Table{"bench": tbl}}
	s.Catalog.Mu.Unlock()
	return s
}
