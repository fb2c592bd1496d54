package metrics

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// count writes a number compactly for people, with three significant digits above
// 9999: 9999, 12.3k, 523k, 1.08M, 2.50G.
func count(n int64) string {
	if n < 10_000 && n > -10_000 {
		return strconv.FormatInt(n, 10)
	}
	f := float64(n)
	for _, u := range []struct {
		div    float64
		suffix string
	}{{1e3, "k"}, {1e6, "M"}, {1e9, "G"}, {1e12, "T"}} {
		v := f / u.div
		if a := math.Abs(v); a < 999.5 || u.suffix == "T" {
			decimals := 0
			switch {
			case a < 9.995:
				decimals = 2
			case a < 99.95:
				decimals = 1
			}
			return strconv.FormatFloat(v, 'f', decimals, 64) + u.suffix
		}
	}
	panic("unreachable")
}

// perSecond writes a rate: 0.5, 42, 12.3k.
func perSecond(v float64) string {
	switch {
	case v < 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case v < 10_000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return count(int64(v))
}

// span writes a duration to the second: 42s, 3m05s, 1h02m, 2d03h.
func span(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return strconv.FormatInt(s, 10) + "s"
	case s < 3600:
		return strconv.FormatInt(s/60, 10) + "m" + pad2(s%60) + "s"
	case s < 86400:
		return strconv.FormatInt(s/3600, 10) + "h" + pad2(s/60%60) + "m"
	}
	return strconv.FormatInt(s/86400, 10) + "d" + pad2(s/3600%24) + "h"
}

// lagText writes a lag with a tenth of a second below ten seconds: 0.4s, 9.9s, 1m05s.
func lagText(d time.Duration) string {
	if d < 10*time.Second {
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	}
	return span(d)
}

func pad2(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

// plural writes "1 retry", "2 retries".
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(n, 10) + " " + many
}

// fit cuts s to at most width characters, marking a cut with "…", and pads it to
// width with spaces.
func fit(s string, width int) string {
	n := utf8.RuneCountInString(s)
	if n > width {
		r := []rune(s)
		return string(r[:width-1]) + "…"
	}
	for ; n < width; n++ {
		s += " "
	}
	return s
}

// clip cuts s to at most width characters, marking a cut with "…".
func clip(s string, width int) string {
	if utf8.RuneCountInString(s) <= width {
		return s
	}
	return fit(s, width)
}
