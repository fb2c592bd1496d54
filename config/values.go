package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseBool accepts true or false in any letter case, as Flink does.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errors.New("not a boolean (want true or false)")
}

// ParseInt parses a decimal integer.
func ParseInt(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, errors.New("not an integer")
	}
	return n, nil
}

// durationUnits are the unit spellings of Flink's TimeUtils.parseDuration.
var durationUnits = map[string]time.Duration{
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"h": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
	"ms": time.Millisecond, "milli": time.Millisecond, "millis": time.Millisecond,
	"millisecond": time.Millisecond, "milliseconds": time.Millisecond,
	"us": time.Microsecond, "µs": time.Microsecond, "micro": time.Microsecond, "micros": time.Microsecond,
	"microsecond": time.Microsecond, "microseconds": time.Microsecond,
	"ns": time.Nanosecond, "nano": time.Nanosecond, "nanos": time.Nanosecond,
	"nanosecond": time.Nanosecond, "nanoseconds": time.Nanosecond,
}

// ParseDuration accepts Flink's forms (`10s`, `1min`, `100ms`, `2 h`, and a
// plain number meaning milliseconds) and Go's (`1h30m`). Negative durations
// are refused.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("not a duration (e.g. 500ms, 10s, 1min, 2h, or a number of milliseconds)")
	if s == "" {
		return 0, bad
	}
	digits := len(s) - len(strings.TrimLeft(s, "0123456789"))
	if digits > 0 {
		n, err := strconv.ParseInt(s[:digits], 10, 64)
		if err != nil {
			return 0, bad
		}
		unit := strings.ToLower(strings.TrimSpace(s[digits:]))
		if unit == "" {
			unit = "ms"
		}
		if scale, ok := durationUnits[unit]; ok {
			if n > math.MaxInt64/int64(scale) {
				return 0, errors.New("duration too large")
			}
			return time.Duration(n) * scale, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, bad
	}
	if d < 0 {
		return 0, errors.New("negative duration")
	}
	return d, nil
}

// byteUnits are the unit spellings of Flink's MemorySize (all powers of 1024).
var byteUnits = map[string]int64{
	"": 1, "b": 1, "bytes": 1,
	"k": 1 << 10, "kb": 1 << 10, "kibibytes": 1 << 10,
	"m": 1 << 20, "mb": 1 << 20, "mebibytes": 1 << 20,
	"g": 1 << 30, "gb": 1 << 30, "gibibytes": 1 << 30,
	"t": 1 << 40, "tb": 1 << 40, "tebibytes": 1 << 40,
}

// ParseBytes accepts Flink memory sizes: `100mb`, `10MB`, `1gb`, `64 kb`, or a
// plain number of bytes. Units are powers of 1024.
func ParseBytes(s string) (int64, error) {
	s = strings.TrimSpace(s)
	bad := errors.New("not a size (e.g. 1048576, 512kb, 100mb, 1gb)")
	digits := len(s) - len(strings.TrimLeft(s, "0123456789"))
	if digits == 0 {
		return 0, bad
	}
	n, err := strconv.ParseInt(s[:digits], 10, 64)
	if err != nil {
		return 0, bad
	}
	scale, ok := byteUnits[strings.ToLower(strings.TrimSpace(s[digits:]))]
	if !ok {
		return 0, bad
	}
	if n > math.MaxInt64/scale {
		return 0, errors.New("size too large")
	}
	return n * scale, nil
}
