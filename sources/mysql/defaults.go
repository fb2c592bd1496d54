package mysql

import (
	"database/sql"
	"regexp"
	"strings"

	"github.com/doris-sync/doris-sync/schema"
)

var (
	numberLiteral = regexp.MustCompile(`^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$`)
	bitOrHex      = regexp.MustCompile(`^(?i:b'[01]*'|x'[0-9a-f]*'|0x[0-9a-f]+|0b[01]+)$`)
)

// parseDefault reads information_schema.COLUMNS.COLUMN_DEFAULT.
//
// MySQL (5.7, 8, 9) and MariaDB before 10.2.7 print a literal default bare ("abc",
// "0", "2020-01-01") and no or a NULL default as SQL NULL; MySQL ≥ 8.0.13 marks
// expression defaults with DEFAULT_GENERATED in EXTRA (5.7 does not, but its only
// expression is CURRENT_TIMESTAMP, which the Doris mapping recognises by its text).
//
// MariaDB ≥ 10.2.7 (quoted == true) quotes string and temporal literals ('abc'),
// prints numbers and bit literals bare, a NULL default as the text NULL, and any other
// expression bare (current_timestamp(), uuid()).
func parseDefault(raw sql.NullString, extra string, quoted bool) *schema.Default {
	if !raw.Valid {
		return nil
	}
	v := raw.String
	if !quoted {
		return &schema.Default{Value: v, Expression: strings.Contains(extra, "default_generated")}
	}
	switch {
	case strings.EqualFold(v, "NULL"):
		return nil
	case len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'':
		if s, ok := unquote(v); ok {
			return &schema.Default{Value: s}
		}
	case numberLiteral.MatchString(v), bitOrHex.MatchString(v):
		return &schema.Default{Value: v}
	}
	return &schema.Default{Value: v, Expression: true}
}

// unquote reads a MariaDB string literal, where a doubled quote and a backslash-escaped
// quote both stand for one quote.
func unquote(s string) (string, bool) {
	body := s[1 : len(s)-1]
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '\'':
			if i+1 >= len(body) || body[i+1] != '\'' {
				return "", false // a lone quote: not one literal
			}
			b.WriteByte('\'')
			i++
		case c == '\\' && i+1 < len(body):
			i++
			switch body[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '0':
				b.WriteByte(0)
			case 'Z':
				b.WriteByte(26)
			case 'b':
				b.WriteByte('\b')
			default:
				b.WriteByte(body[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}
