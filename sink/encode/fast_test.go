package encode

// The fast paths (word-at-a-time escaping, SWAR digits, the short-decimal float path,
// hand-built dates) are checked here against plain reference implementations: the
// encoder's earlier byte-by-byte code, strconv and time.Format.

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// refJSONString is the simple escaper: byte by byte, the contract the fast one keeps.
func refJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, "\ufffd"...)
			} else {
				dst = append(dst, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, `\n`...)
		case c == '\r':
			dst = append(dst, `\r`...)
		case c == '\t':
			dst = append(dst, `\t`...)
		case c == '\b':
			dst = append(dst, `\b`...)
		case c == '\f':
			dst = append(dst, `\f`...)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		default:
			dst = append(dst, c)
		}
		i++
	}
	return append(dst, '"')
}

// checkJSONString compares the fast escaper with the reference, appending to a buffer
// with a prefix and with the given spare capacity, so growing paths run too.
func checkJSONString(t *testing.T, s string, spare int) {
	t.Helper()
	dst := make([]byte, 3, 3+spare)
	copy(dst, "pre")
	got := appendJSONString(dst, s)
	want := refJSONString([]byte("pre"), s)
	if string(got) != string(want) {
		t.Fatalf("appendJSONString(%q) with %d spare bytes\n got %q\nwant %q", s, spare, got, want)
	}
}

func TestJSONStringEscapeBoundaries(t *testing.T) {
	specials := []string{`"`, `\`, "\n", "\x00", "\x1f", "\x7f", "é", "日", "😀", "\xff", "\xe6\x97", "\xc3"}
	for n := 0; n <= 40; n++ {
		plain := strings.Repeat("abcdefgh", 6)[:n]
		for _, sp := range specials {
			// One special at every position, including the word boundaries at 7, 8, 9,
			// 15, 16, 17 and in the last partial word.
			for at := 0; at <= n; at++ {
				s := plain[:at] + sp + plain[at:]
				for _, spare := range []int{0, 1, 64} {
					checkJSONString(t, s, spare)
				}
			}
			// The special repeated: dense escapes and escapes in every byte of a word.
			checkJSONString(t, strings.Repeat(sp, n), 0)
			checkJSONString(t, plain+strings.Repeat(sp, n)+plain, 0)
		}
		checkJSONString(t, plain, 0)
	}
}

func TestJSONStringLongAndMixed(t *testing.T) {
	for _, s := range []string{
		strings.Repeat("x", 1000) + "\n" + strings.Repeat("y", 1000),             // one escape in long plain text
		strings.Repeat(`{"k":"v","n":[1,2,3]},`, 200),                            // JSON text: a quote every few bytes
		strings.Repeat("\x01", 5000),                                             // 6 bytes out for every byte in
		strings.Repeat("ab\xffc", 700),                                           // invalid UTF-8 throughout
		strings.Repeat("日本語のテキスト", 300) + "\"" + strings.Repeat("é", 300),        // multi-byte text
		"\"" + strings.Repeat("a", 17) + "\"" + strings.Repeat("b", 33) + "\x00", // runs around the word-scan threshold
	} {
		for _, spare := range []int{0, 10, 1 << 16} {
			checkJSONString(t, s, spare)
		}
	}
}

func TestJSONStringRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", " ", "\"", "\\", "\n", "\x00", "\x1f", "\x7f", "é", "€", "𝄞", "\x80", "\xff", "\xed\xa0\x80", "0123456789"}
	for range 20000 {
		var b strings.Builder
		for range r.IntN(60) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		checkJSONString(t, b.String(), r.IntN(80))
	}
}

func FuzzJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", `a"b\c`, "nl\n", "\x00\x01", "héllo", "caf\xe9", "\xe6\x97", "0123456\"89abcdef\\", `{"k":"v"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkJSONString(t, s, len(s)%17)
		if out := appendJSONString(nil, s); !json.Valid(out) {
			t.Fatalf("not valid JSON: %q", out)
		}
	})
}

func TestSpecialMaskIsExact(t *testing.T) {
	// Every byte value in every position, next to every kind of neighbour: a flag must
	// be set exactly for the bytes that need attention (the slow path relies on it).
	neighbours := []byte{0x00, 0x01, 0x1f, 0x20, 0x21, '"', '#', '\\', ']', 0x7f, 0x80, 0xff}
	for c := 0; c < 256; c++ {
		want := c < 0x20 || c == '"' || c == '\\' || c >= 0x80
		for pos := 0; pos < 8; pos++ {
			for _, nb := range neighbours {
				var w uint64
				for k := 0; k < 8; k++ {
					v := uint64(nb)
					if k == pos {
						v = uint64(c)
					}
					w |= v << (8 * k)
				}
				m := specialMask(w)
				if got := m>>(8*pos+7)&1 == 1; got != want {
					t.Fatalf("byte %#x at %d among %#x: flagged %v", c, pos, nb, got)
				}
				for k := 0; k < 8; k++ {
					if k == pos {
						continue
					}
					nbWant := nb < 0x20 || nb == '"' || nb == '\\' || nb >= 0x80
					if got := m>>(8*k+7)&1 == 1; got != nbWant {
						t.Fatalf("neighbour %#x at %d next to %#x at %d: flagged %v", nb, k, c, pos, got)
					}
				}
			}
		}
	}
}

func TestDigits8(t *testing.T) {
	check := func(v uint32) {
		t.Helper()
		var b [8]byte
		w := digits8(v)
		for i := range b {
			b[i] = byte(w >> (8 * i))
		}
		if want := strconv.FormatUint(uint64(v)+1e8, 10)[1:]; string(b[:]) != want {
			t.Fatalf("digits8(%d) = %q, want %q", v, b[:], want)
		}
	}
	// The two 4-digit halves are computed in separate lanes that cannot carry into each
	// other, so every value of each half against the extremes of the other covers them
	// (an exhaustive run over all 10^8 values passed when this was written).
	for v := uint32(0); v < 100000; v++ {
		check(v)
	}
	for h := uint32(0); h < 10000; h++ {
		for _, l := range []uint32{0, 1, 4999, 9998, 9999} {
			check(h*10000 + l)
			check(l*10000 + h)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 200000 {
		check(r.Uint32N(1e8))
	}
}

func TestAppendIntMatchesStrconv(t *testing.T) {
	vals := []int64{0, 1, -1, 9, 10, 99, 100, math.MaxInt64, math.MinInt64, math.MinInt64 + 1}
	for p := int64(1); p <= 1e18; p *= 10 {
		vals = append(vals, p-1, p, p+1, -p+1, -p, -p-1)
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 100000 {
		vals = append(vals, int64(r.Uint64()), int64(r.Uint64()>>r.UintN(64)))
	}
	for _, v := range vals {
		if got, want := string(appendInt([]byte("x"), v)), "x"+strconv.FormatInt(v, 10); got != want {
			t.Fatalf("appendInt(%d) = %s, want %s", v, got, want)
		}
		u := uint64(v)
		if got, want := string(appendUint([]byte("x"), u)), "x"+strconv.FormatUint(u, 10); got != want {
			t.Fatalf("appendUint(%d) = %s, want %s", u, got, want)
		}
	}
	if got := string(appendUint(nil, math.MaxUint64)); got != "18446744073709551615" {
		t.Fatalf("appendUint(MaxUint64) = %s", got)
	}
}

// refFloat is the encoder's float formatting through strconv alone.
func refFloat(f float64, bits int) string {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21)) {
		format = 'e'
	}
	s := strconv.FormatFloat(f, format, -1, bits)
	if format == 'e' {
		if m := len(s); m >= 4 && s[m-4] == 'e' && s[m-3] == '-' && s[m-2] == '0' {
			s = s[:m-2] + s[m-1:]
		}
	}
	return s
}

func checkFloat(t *testing.T, f float64) {
	t.Helper()
	if got, want := string(appendFloat(nil, f, 64)), refFloat(f, 64); got != want {
		t.Fatalf("appendFloat(%v) = %s, want %s (bits %#x)", f, got, want, math.Float64bits(f))
	}
}

func TestFloatFastPathMatchesStrconv(t *testing.T) {
	vals := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 0.125, -0.125, 12345.67, 19.99, 1e-6, 1e-7,
		math.Nextafter(1e-6, 0), math.Nextafter(1e-6, 1), 1 << 50, math.Nextafter(1<<50, 0), 1<<50 + 1,
		1 << 53, 1<<53 + 2, 1e15, 1e16, 1e20, 1e21, 123456789.125, 0.3, 2.675, 1.005, 5e-324,
		math.SmallestNonzeroFloat64, math.MaxFloat64, 9007199254740993, 0.000123, 4.35, 0.1 + 0.2,
		1.0 / 3, math.Pi, math.E, 100, 1e7, 99999999.99999999, 0.9999999999999999}
	for _, f := range vals {
		checkFloat(t, f)
		checkFloat(t, -f)
	}
	r := rand.New(rand.NewPCG(7, 8))
	for range 100000 {
		// Decimals with few digits, the kind the fast path takes: m/10^j.
		m := r.Uint64N(1 << uint(r.IntN(54)))
		j := r.IntN(18)
		f := float64(m) / math.Pow10(j)
		checkFloat(t, f)
		checkFloat(t, -f)
		// Neighbours of those, which need all 17 digits.
		checkFloat(t, math.Nextafter(f, math.Inf(1)))
		// Any bit pattern of a finite double.
		if g := math.Float64frombits(r.Uint64()); !math.IsNaN(g) && !math.IsInf(g, 0) {
			checkFloat(t, g)
		}
		// Integral doubles around the fast path's limit.
		checkFloat(t, float64(r.Uint64N(1<<54)))
	}
	// float32 values keep their own shortest form.
	for _, f := range []float32{0.1, 1.0 / 3, 3.4e38, 1e-45, 16777217, 0.125} {
		if got, want := string(appendFloat(nil, float64(f), 32)), refFloat(float64(f), 32); got != want {
			t.Fatalf("appendFloat(float32 %v) = %s, want %s", f, got, want)
		}
	}
}

func FuzzFloat(f *testing.F) {
	for _, v := range []float64{0, 0.1, 12.5, 1e-7, 1e21, 1 << 50, 123.456, math.MaxFloat64} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return // non-finite values never reach appendFloat
		}
		checkFloat(t, v)
	})
}

func TestDateTimeMatchesTimeFormat(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("plus8", 8*3600), time.FixedZone("minus5", -5*3600-1800)}
	r := rand.New(rand.NewPCG(9, 10))
	times := []time.Time{
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2000, 2, 29, 12, 0, 0, 1, time.UTC), time.Date(1900, 3, 1, 0, 0, 0, 100, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 999000000, time.UTC), time.Date(2024, 6, 4, 16, 3, 37, 456789123, time.UTC),
		time.Date(2024, 6, 4, 16, 3, 37, 500000000, time.UTC), time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	for range 50000 {
		sec := r.Int64N(253402300800+62167219200) - 62167219200
		ns := r.Int64N(1e9)
		if r.IntN(3) == 0 {
			ns = ns / 1000 * 1000 // microseconds, as most sources have
		}
		times = append(times, time.Unix(sec, ns).In(zones[r.IntN(len(zones))]))
	}
	for _, tm := range times {
		u := tm.UTC()
		if u.Year() < 0 || u.Year() > 9999 {
			continue
		}
		full := u.Format("2006-01-02 15:04:05.000000000")
		if got, ok := appendDate(nil, tm, false); !ok || string(got) != full[:10] {
			t.Fatalf("appendDate(%v) = %q %v, want %q", tm, got, ok, full[:10])
		}
		if got, ok := appendDate([]byte("x"), tm, true); !ok || string(got) != `x"`+full[:10]+`"` {
			t.Fatalf("appendDate(%v, quoted) = %q", tm, got)
		}
		for scale := 0; scale <= 9; scale++ {
			want := full[:19]
			if scale > 0 {
				want = full[:20+scale]
			}
			if got, ok := appendDateTime(nil, tm, scale, false); !ok || string(got) != want {
				t.Fatalf("appendDateTime(%v, %d) = %q %v, want %q", tm, scale, got, ok, want)
			}
			if got, ok := appendDateTime([]byte("x"), tm, scale, true); !ok || string(got) != `x"`+want+`"` {
				t.Fatalf("appendDateTime(%v, %d, quoted) = %q", tm, scale, got)
			}
		}
		text := strings.TrimRight(strings.TrimRight(full, "0"), ".")
		if got, ok := appendTimeText(nil, tm, false); !ok || string(got) != text {
			t.Fatalf("appendTimeText(%v) = %q, want %q", tm, got, text)
		}
	}
	for _, tm := range []time.Time{time.Date(-1, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if _, ok := appendDateTime(nil, tm, 6, true); ok {
			t.Errorf("appendDateTime accepted %v", tm)
		}
		if _, ok := appendDate(nil, tm, true); ok {
			t.Errorf("appendDate accepted %v", tm)
		}
	}
}

func TestWallClockFastAndAnyAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	check := func(unix int64) {
		t.Helper()
		y, mo, d, h, mi, s := wallClock(time.Unix(unix, 0))
		ay, amo, ad, ah, ami, as := wallClockAny(unix)
		wy, wmo, wd := time.Unix(unix, 0).UTC().Date()
		if y != ay || mo != amo || d != ad || h != ah || mi != ami || s != as || y != wy || mo != int(wmo) || d != wd {
			t.Fatalf("unix %d: wallClock %d-%d-%d %d:%d:%d, wallClockAny %d-%d-%d %d:%d:%d, time %d-%d-%d",
				unix, y, mo, d, h, mi, s, ay, amo, ad, ah, ami, as, wy, wmo, wd)
		}
	}
	for _, u := range []int64{fastClockMin - 1, fastClockMin, fastClockMin + 1, fastClockLimit - 1, fastClockLimit,
		-62167219201, -62167219200, 253402300799, 253402300800, -1e12, 1e12, 0, -1} {
		check(u)
	}
	for range 200000 {
		check(r.Int64N(fastClockLimit-fastClockMin+2e10) + fastClockMin - 1e10)
	}
}

func TestAppendRowKeepsPrefixAndGrows(t *testing.T) {
	cols, row := mixedRow()
	long := Column{Name: strings.Repeat("a_very_long_column_name_", 3), Type: ColumnType{Kind: KindText, Text: "STRING"}}
	cols = append(cols, long)
	row = append(row, strings.Repeat("text \"with\" escapes\n", 50))
	e := NewJSON(cols, true)
	want, err := e.AppendRow(nil, row, true)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(want, &m); err != nil || len(m) != len(cols)+1 {
		t.Fatalf("row is not a %d-key JSON object: %v %s", len(cols)+1, err, want)
	}
	// Every starting capacity, so each value meets a full buffer at some point.
	for spare := 0; spare < len(want)+40; spare++ {
		dst := make([]byte, 6, 6+spare)
		copy(dst, "prefix")
		got, err := e.AppendRow(dst, row, true)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != "prefix"+string(want) {
			t.Fatalf("with %d spare bytes:\n got %s\nwant prefix%s", spare, got, want)
		}
	}
}

func TestCSVPlainTextMatchesSlowChecks(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	alphabet := []string{"a", "b", ",", "\x01", "\x02", "|", "\n", "é", "\xff", "x\x01y", "0123456789"}
	for _, seps := range [][2]string{{"\x01", "\x02"}, {",", "\n"}, {"||", "\n"}, {"\x01", "\x02\x03"}} {
		e, err := NewCSV([]Column{{Name: "c", Type: ColumnType{Kind: KindText, Text: "STRING"}}}, false, seps[0], seps[1])
		if err != nil {
			t.Fatal(err)
		}
		for range 20000 {
			var b strings.Builder
			for range r.IntN(30) {
				b.WriteString(alphabet[r.IntN(len(alphabet))])
			}
			s := b.String()
			if e.plainText(s) && (strings.Contains(s, seps[0]) || strings.Contains(s, seps[1]) || !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool { return r >= utf8.RuneSelf }) >= 0) {
				t.Fatalf("plainText(%q) with separators %q: true, but the text needs the slow checks", s, seps)
			}
			// Whatever the path, the result is the one the checks give.
			out, err := e.AppendRow(nil, []any{s}, false)
			refused := s == `\N` || strings.Contains(s, seps[0]) || strings.Contains(s, seps[1])
			if refused != (err != nil) {
				t.Fatalf("csv %q with separators %q: err = %v", s, seps, err)
			}
			if want := perByteValidUTF8(s); err == nil && string(out) != want {
				t.Fatalf("csv %q: wrote %q, want %q", s, out, want)
			}
		}
	}
}

// perByteValidUTF8 replaces each byte that is not part of valid UTF-8 with U+FFFD.
func perByteValidUTF8(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString("\ufffd")
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
