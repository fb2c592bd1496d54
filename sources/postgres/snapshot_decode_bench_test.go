package postgres

import (
	"crypto/md5"
	"fmt"
	"testing"
)

// BenchmarkCopyRowDecode measures the client side of a snapshot alone: COPY text to
// row values (copyRowWriter), on the rows BenchmarkSnapshotRead reads, without the
// server. One op is one row.
//
//	go test -run '^$' -bench CopyRowDecode -benchmem -cpu 1 ./sources/postgres/
func BenchmarkCopyRowDecode(b *testing.B) {
	var data []byte
	const rows = 8096 // one chunk
	for g := 1; g <= rows; g++ {
		data = fmt.Appendf(data, "%d\t%d\t%d.%02d\tname %d\t%c\t2024-01-%02d %02d:%02d:00+00\t{\"k\": %d, \"tag\": \"x\"}\t%x\n",
			g, g%1000, g*125/100, g*125%100, g, "ft"[g%2], 1+g/1440%28, g/60%24, g%60, g, md5.Sum(fmt.Appendf(nil, "%d", g)))
	}
	codecs := []codec{
		builtinCodec(oidInt8, -1), builtinCodec(oidInt4, -1), builtinCodec(oidNumeric, -1), builtinCodec(oidText, -1),
		builtinCodec(oidBool, -1), builtinCodec(oidTimestamptz, -1), builtinCodec(oidJSONB, -1), builtinCodec(oidVarchar, -1),
	}
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += rows {
		var n int
		w := &copyRowWriter{codecs: codecs, emit: func(row []any) error { n++; return nil }}
		for off := 0; off < len(data); off += 64 << 10 { // pgconn hands COPY data over in pieces
			if _, err := w.Write(data[off:min(off+64<<10, len(data))]); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.finish(); err != nil || n != rows {
			b.Fatalf("%d rows, %v", n, err)
		}
	}
}
