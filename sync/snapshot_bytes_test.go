package sync

import (
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/schema"
)

// Wide rows cut a send early, so the rows a reader holds ahead of the writer stay
// bounded in bytes as well as in count.
func TestApproxRowBytesCountsWideValues(t *testing.T) {
	big := strings.Repeat("x", bytesPerSend)
	if n := approxRowBytes([]any{int64(1), big}); n < bytesPerSend {
		t.Fatalf("a row holding %d bytes counts as %d", len(big), n)
	}
	if n := approxRowBytes([]any{[]byte("abc"), schema.Decimal("1.50"), schema.JSON(`{}`), nil}); n != 3+4+2+8 {
		t.Fatalf("small row counts as %d", n)
	}
}
