package encode

import (
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/schema"
)

// BenchmarkJSONString measures the string escaper on the kinds of text columns hold.
func BenchmarkJSONString(b *testing.B) {
	for _, c := range []struct{ name, s string }{
		{"ascii-12B", "Ada Lovelace"},
		{"ascii-200B", strings.Repeat("plain text with nothing to escape. ", 6)[:200]},
		{"json-60B", `{"id":17,"tags":["a","b"],"name":"x","ok":true,"n":null}`},
		{"newlines-200B", strings.Repeat("a line of text\n", 14)[:200]},
		{"cjk-60B", strings.Repeat("日本語のテキスト", 3)[:60]},
		{"latin1-60B", strings.Repeat("caf\xe9 cr\xe8me ", 6)[:60]},
	} {
		b.Run(c.name, func(b *testing.B) {
			buf := make([]byte, 0, 1<<20)
			b.SetBytes(int64(len(c.s)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if len(buf) > 1<<20-2048 {
					buf = buf[:0]
				}
				buf = appendJSONString(buf, c.s)
			}
		})
	}
}

// BenchmarkEncode12ColsSourceTypes is BenchmarkEncode12Cols with the value types the
// MySQL and PostgreSQL sources send: DECIMAL as schema.Decimal, JSON as schema.JSON.
func BenchmarkEncode12ColsSourceTypes(b *testing.B) {
	cols, row := mixedRow()
	row[4] = schema.Decimal(row[4].(string))
	row[10] = schema.JSON(row[10].(string))
	e := NewJSON(cols, true)
	buf := make([]byte, 0, 4<<20)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if len(buf) > 4<<20-1024 {
			buf = buf[:0]
		}
		var err error
		if buf, err = e.AppendRow(buf, row, false); err != nil {
			b.Fatal(err)
		}
		buf = append(buf, '\n')
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
