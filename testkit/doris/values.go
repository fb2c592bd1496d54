package doris

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// SourceField is one input value of a load as the format reader hands it over: CSV
// text (`\N` already turned into Null), or a JSON value rendered the way Doris's JSON
// reader renders it (strings unescaped, numbers and nested values as raw JSON text,
// true/false as 1/0).
type SourceField struct {
	Null    bool
	Text    string
	Missing bool // the JSON object has no such key
}

// ValueProblem classifies a value that does not convert cleanly, because Doris treats
// the classes differently (reference/doris-behaviour.md §2.6).
type ValueProblem int

const (
	// ProblemUnconvertible: the cast failed; NULL in non-strict mode, filtered in strict mode.
	ProblemUnconvertible ValueProblem = iota + 1
	// ProblemOutOfRange: the value converts but does not fit the column; always filtered.
	ProblemOutOfRange
	// ProblemUnsupported: the stand-in does not model this value; the whole load fails.
	ProblemUnsupported
)

// ConvError says why a value did not convert. Detail follows Doris's error-log wording
// where Doris has one.
type ConvError struct {
	Problem ValueProblem
	Detail  string
}

func (e *ConvError) Error() string { return e.Detail }

// ErrUnsupportedValue wraps ConvErrors of class ProblemUnsupported returned by LoadValue.
var ErrUnsupportedValue = errors.New("unsupported value")

func unconvertible(format string, args ...any) *ConvError {
	return &ConvError{Problem: ProblemUnconvertible, Detail: fmt.Sprintf(format, args...)}
}

func outOfRange(format string, args ...any) *ConvError {
	return &ConvError{Problem: ProblemOutOfRange, Detail: fmt.Sprintf(format, args...)}
}

func unsupported(format string, args ...any) *ConvError {
	return &ConvError{Problem: ProblemUnsupported, Detail: fmt.Sprintf(format, args...)}
}

// LoadValue converts one source field for column col with Doris's load semantics:
// NULL into a NOT NULL column is filtered; an unconvertible value becomes NULL in
// non-strict mode (then filtered if the column is NOT NULL) and is filtered in strict
// mode; range and length violations are always filtered. A filtered value returns a
// non-empty reason worded like Doris's error log. A value the stand-in does not model
// returns an error wrapping ErrUnsupportedValue.
func LoadValue(col *Column, f SourceField, strict bool) (Value, string, error) {
	return LoadValueLimit(col, f, strict, DefaultStringSize)
}

// LoadValueLimit is LoadValue on a BE whose string_type_length_soft_limit_bytes is
// stringLimit: STRING and JSON values longer than that many bytes are filtered.
func LoadValueLimit(col *Column, f SourceField, strict bool, stringLimit int) (Value, string, error) {
	nullReason := fmt.Sprintf("column(%s) values is null while columns is not nullable", col.Name)
	if f.Null {
		if !col.Nullable {
			return Value{}, nullReason, nil
		}
		return Value{Null: true}, "", nil
	}
	s, cerr := convertText(col.Type, f.Text, stringLimit)
	if cerr == nil {
		return Value{S: s}, "", nil
	}
	switch cerr.Problem {
	case ProblemOutOfRange:
		return Value{}, "column_name[" + col.Name + "], " + cerr.Detail, nil
	case ProblemUnsupported:
		return Value{}, "", fmt.Errorf("column %s: %s: %w", col.Name, cerr.Detail, ErrUnsupportedValue)
	}
	if strict {
		return Value{}, fmt.Sprintf("column(%s) value is incorrect while strict mode is true, src value is %s", col.Name, f.Text), nil
	}
	if !col.Nullable {
		return Value{}, nullReason, nil
	}
	return Value{Null: true}, "", nil
}

// ConvertText converts source text to the canonical text Doris prints in a SELECT for
// a value of type t.
func ConvertText(t Type, s string) (string, *ConvError) {
	return convertText(t, s, DefaultStringSize)
}

// convertText is ConvertText with the STRING/JSON length cap of the BE.
func convertText(t Type, s string, stringLimit int) (string, *ConvError) {
	switch t.Kind {
	case KindBoolean:
		return convertBoolean(s)
	case KindTinyInt:
		return convertInt(s, 8)
	case KindSmallInt:
		return convertInt(s, 16)
	case KindInt:
		return convertInt(s, 32)
	case KindBigInt:
		return convertInt(s, 64)
	case KindLargeInt:
		return convertInt(s, 128)
	case KindFloat:
		return convertFloat(s, 32)
	case KindDouble:
		return convertFloat(s, 64)
	case KindDecimal:
		return convertDecimal(t, s)
	case KindDate:
		return convertDateTime(s, -1)
	case KindDateTime:
		return convertDateTime(s, t.Scale)
	case KindChar, KindVarchar:
		return checkLength(s, t.Length)
	case KindString:
		return checkLength(s, stringLimit)
	case KindJSON, KindVariant:
		return convertJSON(s, stringLimit)
	case KindIPv4, KindIPv6:
		return convertIP(t.Kind, s)
	case KindArray:
		return convertArray(t, s)
	}
	return "", unsupported("the stand-in does not model loading %s values", t.String())
}

func convertBoolean(s string) (string, *ConvError) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1":
		return "1", nil
	case "false", "0":
		return "0", nil
	}
	return "", unconvertible("invalid boolean %q", s)
}

// intRE accepts what Doris's string-to-int parser accepts: optional sign, digits, and a
// fractional part that is dropped ("1.9" loads as 1).
var intRE = regexp.MustCompile(`^([+-]?)(\d+)(?:\.\d*)?$`)

func convertInt(s string, bits uint) (string, *ConvError) {
	m := intRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", unconvertible("invalid integer %q", s)
	}
	n, _ := new(big.Int).SetString(m[2], 10)
	if m[1] == "-" {
		n.Neg(n)
	}
	limit := new(big.Int).Lsh(big.NewInt(1), bits-1) // 2^(bits-1)
	minV := new(big.Int).Neg(limit)
	maxV := new(big.Int).Sub(limit, big.NewInt(1))
	if n.Cmp(minV) < 0 || n.Cmp(maxV) > 0 {
		return "", unconvertible("integer %s out of range", s)
	}
	return n.String(), nil
}

var floatRE = regexp.MustCompile(`^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$`)

func convertFloat(s string, bits int) (string, *ConvError) {
	s = strings.TrimSpace(s)
	m := floatRE.FindStringSubmatch(s)
	if m == nil || m[2]+m[3] == "" {
		return "", unconvertible("invalid floating point number %q", s)
	}
	f, err := strconv.ParseFloat(s, bits)
	if err != nil || math.IsInf(f, 0) {
		return "", unconvertible("floating point number %q out of range", s)
	}
	return FormatFloat(f, bits), nil
}

// FormatFloat prints a FLOAT/DOUBLE the way Doris does (fmt's shortest round-trip
// form): plain digits for decimal exponents in [-4, 16), exponent form otherwise.
func FormatFloat(f float64, bits int) string {
	if f == 0 {
		return "0"
	}
	exp := int(math.Floor(math.Log10(math.Abs(f))))
	// Log10 can be off by one at exact powers of ten; the 'e' form is authoritative.
	e := strconv.FormatFloat(f, 'e', -1, bits)
	if i := strings.IndexByte(e, 'e'); i >= 0 {
		if v, err := strconv.Atoi(e[i+1:]); err == nil {
			exp = v
		}
	}
	if exp < -4 || exp >= 16 {
		return e
	}
	return strconv.FormatFloat(f, 'f', -1, bits)
}

func convertDecimal(t Type, s string) (string, *ConvError) {
	s = strings.TrimSpace(s)
	m := floatRE.FindStringSubmatch(s)
	if m == nil || m[2]+m[3] == "" {
		return "", unconvertible("invalid decimal %q", s)
	}
	exp := -len(m[3])
	if m[4] != "" {
		e, err := strconv.Atoi(m[4])
		if err != nil || e > 1000 || e < -1000 {
			return "", unconvertible("invalid decimal %q", s)
		}
		exp += e
	}
	n, _ := new(big.Int).SetString(m[2]+m[3], 10)
	shift := exp + t.Scale
	if shift >= 0 {
		n.Mul(n, pow10(shift))
	} else {
		// Round half up (away from zero: n is the magnitude here).
		div := pow10(-shift)
		q, r := new(big.Int).QuoRem(n, div, new(big.Int))
		if r.Lsh(r, 1).Cmp(div) >= 0 {
			q.Add(q, big.NewInt(1))
		}
		n = q
	}
	if n.Cmp(pow10(t.Precision)) >= 0 {
		maxV := formatScaled(new(big.Int).Sub(pow10(t.Precision), big.NewInt(1)), t.Scale, false)
		return "", outOfRange("decimal value is not valid for definition, value=%s, precision=%d, scale=%d, min=-%s, max=%s; ",
			s, t.Precision, t.Scale, maxV, maxV)
	}
	return formatScaled(n, t.Scale, m[1] == "-" && n.Sign() != 0), nil
}

func pow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// formatScaled prints magnitude n / 10^scale with exactly scale decimals.
func formatScaled(n *big.Int, scale int, neg bool) string {
	digits := n.String()
	if scale > 0 {
		if len(digits) <= scale {
			digits = strings.Repeat("0", scale-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	if neg {
		return "-" + digits
	}
	return digits
}

// dateTimeRE accepts the layouts Doris's date parser accepts that a loader sends:
// 2024-01-31, 2024/1/31, 20240131, each optionally followed by ' ' or 'T' and
// H:M[:S[.fraction]]; and the compact 20240131235959[.fraction].
var (
	dateTimeRE = regexp.MustCompile(`^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d*))?)?)?$`)
	compactRE  = regexp.MustCompile(`^(\d{4})(\d{2})(\d{2})(?:[ T]?(\d{2})(\d{2})(\d{2})(?:\.(\d*))?)?$`)
	offsetRE   = regexp.MustCompile(`(?:Z|[+-]\d{2}:?\d{2})$`)
)

// convertDateTime converts a date/datetime string. scale < 0 means DATE; otherwise
// DATETIME(scale), the fraction rounded half up to scale digits.
func convertDateTime(s string, scale int) (string, *ConvError) {
	s = strings.TrimSpace(s)
	m := dateTimeRE.FindStringSubmatch(s)
	if m == nil {
		m = compactRE.FindStringSubmatch(s)
	}
	if m == nil {
		if offsetRE.MatchString(s) && len(s) > 10 {
			return "", unsupported("the stand-in does not model time zone offsets in date/time values (%q); send local date-time text", s)
		}
		return "", unconvertible("invalid date/datetime %q", s)
	}
	num := func(i int) int {
		if m[i] == "" {
			return 0
		}
		v, _ := strconv.Atoi(m[i])
		return v
	}
	y, mo, d, h, mi, sec := num(1), num(2), num(3), num(4), num(5), num(6)
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || sec > 59 {
		return "", unconvertible("invalid date/datetime %q", s)
	}
	if scale < 0 {
		return fmt.Sprintf("%04d-%02d-%02d", y, mo, d), nil
	}
	frac := m[7]
	if len(frac) > 9 {
		frac = frac[:9]
	}
	nanos := 0
	if frac != "" {
		nanos, _ = strconv.Atoi(frac + strings.Repeat("0", 9-len(frac)))
	}
	unit := int(math.Pow10(9 - scale))
	rounded := (nanos + unit/2) / unit * unit // half up
	tm := time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC).Add(time.Duration(rounded))
	if tm.Year() > 9999 {
		return "", unconvertible("datetime %q out of range", s)
	}
	out := tm.Format("2006-01-02 15:04:05")
	if scale > 0 {
		out += "." + fmt.Sprintf("%09d", tm.Nanosecond())[:scale]
	}
	return out, nil
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// checkLength enforces a byte length limit (CHAR/VARCHAR lengths are bytes, not
// characters), worded like Doris's error log.
func checkLength(s string, limit int) (string, *ConvError) {
	if len(s) <= limit {
		return s, nil
	}
	first := s
	if len(first) > 32 {
		first = first[:32]
	}
	return "", outOfRange("the length of input is too long than schema. first 32 bytes of input str: [%s] schema length: %d; actual length: %d; ",
		first, limit, len(s))
}

func convertJSON(s string, stringLimit int) (string, *ConvError) {
	if !json.Valid([]byte(s)) {
		return "", unconvertible("invalid json %q", s)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		return "", unconvertible("invalid json %q", s)
	}
	return checkLength(b.String(), stringLimit)
}

func convertIP(k Kind, s string) (string, *ConvError) {
	s = strings.TrimSpace(s)
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return "", unconvertible("invalid ip address %q", s)
	}
	if k == KindIPv4 {
		if !a.Is4() {
			return "", unconvertible("invalid ipv4 address %q", s)
		}
		return a.String(), nil
	}
	if a.Is4() {
		a = netip.AddrFrom16(a.As16())
	}
	return a.String(), nil
}

// convertArray parses a JSON array and converts every element to the element type;
// the stored text is how Doris prints arrays: [1, 2, null], ["a", "b"].
func convertArray(t Type, s string) (string, *ConvError) {
	var elems []json.RawMessage
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if err := dec.Decode(&elems); err != nil || dec.More() || elems == nil {
		return "", unconvertible("invalid array %q", s)
	}
	parts := make([]string, len(elems))
	for i, raw := range elems {
		f := jsonField(raw)
		if f.Null {
			parts[i] = "null"
			continue
		}
		v, cerr := ConvertText(*t.Elem, f.Text)
		if cerr != nil {
			return "", cerr
		}
		if quotedInArray(t.Elem.Kind) {
			q, _ := json.Marshal(v)
			v = string(q)
		}
		parts[i] = v
	}
	return "[" + strings.Join(parts, ", ") + "]", nil
}

func quotedInArray(k Kind) bool {
	switch k {
	case KindChar, KindVarchar, KindString, KindDate, KindDateTime, KindIPv4, KindIPv6, KindJSON, KindVariant:
		return true
	}
	return false
}

// jsonField renders one raw JSON value the way Doris's JSON reader hands values to the
// cast: strings unescaped, true/false as 1/0, numbers, objects and arrays as JSON text.
func jsonField(raw json.RawMessage) SourceField {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return SourceField{Missing: true}
	}
	switch raw[0] {
	case 'n':
		return SourceField{Null: true}
	case 't':
		return SourceField{Text: "1"}
	case 'f':
		return SourceField{Text: "0"}
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			return SourceField{Text: s}
		}
	case '{', '[':
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err == nil {
			return SourceField{Text: b.String()}
		}
	}
	return SourceField{Text: string(raw)}
}
