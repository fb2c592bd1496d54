package ddl

import (
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/doris-sync/doris-sync/schema"
)

// dorisDefault converts a source default into one Doris accepts for the column's type,
// or nil when there is none Doris would take: a default is only a convenience for rows
// that omit the column (doris-sync always sends every column), so dropping one loses
// nothing, while a default Doris rejects would fail the CREATE TABLE.
//
// Carried: numeric literals in range, boolean literals, DATE/DATETIME literals that are
// real dates, CURRENT_TIMESTAMP (and the sources' spellings of it) on DATETIME, and
// CHAR/VARCHAR literals that fit. Dropped: every other expression, zero dates, and
// defaults of STRING, JSON and other non-key types.
func dorisDefault(d *schema.Default, t Type) *Default {
	if d == nil {
		return nil
	}
	v := strings.TrimSpace(d.Value)
	if t.Kind == KindDateTime && isCurrentTimestamp(v) {
		// Also when the source did not flag it as an expression (MySQL 5.7 does not).
		return &Default{CurrentTimestamp: true}
	}
	if d.Expression {
		return nil
	}
	lit, ok := "", false
	switch {
	case t.Kind == KindBoolean:
		lit, ok = boolLiteral(v)
	case t.IsInteger():
		lit, ok = intLiteral(v, t.Kind)
	case t.Kind == KindFloat || t.Kind == KindDouble:
		f, err := strconv.ParseFloat(v, 64)
		lit, ok = v, err == nil && !math.IsInf(f, 0) && !math.IsNaN(f)
	case t.Kind == KindDecimal:
		lit, ok = v, decimalFits(v, t.Precision, t.Scale)
	case t.Kind == KindDate:
		_, err := time.Parse("2006-01-02", v)
		lit, ok = v, err == nil
	case t.Kind == KindDateTime:
		lit, ok = v, dateTimeFits(v, t.Scale)
	case t.Kind == KindChar || t.Kind == KindVarchar:
		lit, ok = d.Value, len(d.Value) <= t.Length // bytes, as Doris counts
	}
	if !ok {
		return nil
	}
	return &Default{Literal: lit}
}

var currentTimestampNames = map[string]bool{
	"currenttimestamp": true, "now": true, "localtimestamp": true, "sysdate": true,
	"systimestamp": true, "getdate": true, "getutcdate": true, "sysdatetime": true,
	"sysutcdatetime": true, "sysdatetimeoffset": true, "transactiontimestamp": true,
	"statementtimestamp": true, "clocktimestamp": true,
}

// isCurrentTimestamp recognises CURRENT_TIMESTAMP, CURRENT_TIMESTAMP(6), now(),
// (getdate()), SYSDATE, "CURRENT TIMESTAMP" (DB2) and the like.
func isCurrentTimestamp(v string) bool {
	s := strings.ToLower(v)
	s = strings.NewReplacer(" ", "", "_", "", "\t", "").Replace(s)
	for len(s) > 2 && s[0] == '(' && s[len(s)-1] == ')' {
		s = s[1 : len(s)-1]
	}
	if i := strings.IndexByte(s, '('); i > 0 && s[len(s)-1] == ')' {
		args := s[i+1 : len(s)-1]
		if strings.Trim(args, "0123456789") != "" {
			return false
		}
		s = s[:i]
	}
	return currentTimestampNames[s]
}

// boolLiteral reads the ways sources write a boolean default (MySQL b'1', PostgreSQL
// true/'t', numeric 0/1).
func boolLiteral(v string) (string, bool) {
	switch strings.ToLower(strings.Trim(v, "'")) {
	case "1", "true", "t", "yes", "on":
		return "1", true
	case "0", "false", "f", "no", "off":
		return "0", true
	}
	if n, ok := bitLiteral(v); ok && n.IsInt64() && n.Int64() <= 1 {
		return n.String(), true
	}
	return "", false
}

var bitLiteralRE = regexp.MustCompile(`^(?i)(?:b'([01]+)'|0b([01]+))$`)

// bitLiteral reads b'0101' and 0b0101.
func bitLiteral(v string) (*big.Int, bool) {
	m := bitLiteralRE.FindStringSubmatch(v)
	if m == nil {
		return nil, false
	}
	return new(big.Int).SetString(m[1]+m[2], 2)
}

var intRanges = map[Kind][2]*big.Int{}

func init() {
	for k, bits := range map[Kind]uint{KindTinyInt: 8, KindSmallInt: 16, KindInt: 32, KindBigInt: 64, KindLargeInt: 128} {
		max := new(big.Int).Lsh(big.NewInt(1), bits-1)
		min := new(big.Int).Neg(max)
		max.Sub(max, big.NewInt(1))
		intRanges[k] = [2]*big.Int{min, max}
	}
}

// intLiteral reads an integer (or bit) literal that fits the Doris integer kind.
func intLiteral(v string, k Kind) (string, bool) {
	n, ok := bitLiteral(v)
	if !ok {
		n, ok = new(big.Int).SetString(strings.TrimPrefix(v, "+"), 10)
	}
	if !ok {
		return "", false
	}
	r := intRanges[k]
	if n.Cmp(r[0]) < 0 || n.Cmp(r[1]) > 0 {
		return "", false
	}
	return n.String(), true
}

var decimalRE = regexp.MustCompile(`^[+-]?([0-9]*)(?:\.([0-9]*))?$`)

// decimalFits reports whether a plain decimal literal fits DECIMAL(p,s) without
// rounding.
func decimalFits(v string, p, s int) bool {
	m := decimalRE.FindStringSubmatch(v)
	if m == nil || m[1]+m[2] == "" {
		return false
	}
	intDigits := strings.TrimLeft(m[1], "0")
	fracDigits := strings.TrimRight(m[2], "0")
	return len(intDigits) <= p-s && len(fracDigits) <= s
}

// dateTimeFits reports whether v is a real DATETIME (or DATE) literal whose fraction
// fits in scale digits.
func dateTimeFits(v string, scale int) bool {
	if _, err := time.Parse("2006-01-02", v); err == nil {
		return true
	}
	date, frac, _ := strings.Cut(v, ".")
	if _, err := time.Parse("2006-01-02 15:04:05", date); err != nil {
		return false
	}
	if strings.Trim(frac, "0123456789") != "" {
		return false
	}
	return len(strings.TrimRight(frac, "0")) <= scale
}
