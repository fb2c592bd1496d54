package config

import (
	"fmt"
	"log/slog"
	"regexp"
	"strings"
)

// Redacted is what a secret prints as, wherever it is printed.
const Redacted = "******"

// Secret holds a password or another credential. Every way of printing it
// (fmt verbs, JSON, YAML, slog) shows Redacted; only Reveal gives the value,
// so a secret cannot reach a log line, an error, a plan or a state file by
// accident.
type Secret struct{ value string }

// NewSecret wraps s.
func NewSecret(s string) Secret { return Secret{value: s} }

// Reveal returns the secret itself, for handing to a driver or an HTTP header.
func (s Secret) Reveal() string { return s.value }

// IsEmpty reports whether the secret is the empty string (no password).
func (s Secret) IsEmpty() bool { return s.value == "" }

// String prints Redacted, or "" when the secret is empty.
func (s Secret) String() string {
	if s.value == "" {
		return ""
	}
	return Redacted
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return fmt.Sprintf("config.Secret(%q)", s.String()) }

// Format makes every fmt verb print the redacted form.
func (s Secret) Format(f fmt.State, verb rune) {
	switch verb {
	case 'q':
		fmt.Fprintf(f, "%q", s.String())
	case 'v':
		if f.Flag('#') {
			_, _ = f.Write([]byte(s.GoString()))
			return
		}
		_, _ = f.Write([]byte(s.String()))
	default:
		_, _ = f.Write([]byte(s.String()))
	}
}

// MarshalJSON writes the redacted form.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// MarshalText writes the redacted form (used by encoders that prefer text).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MarshalYAML writes the redacted form.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// LogValue makes slog print the redacted form.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// secretWords mark a key whose value is a credential. Keys naming a file or a
// path to one (password-file, ssl.key) are not secrets: their value is a path.
var secretWords = []string{"password", "passwd", "secret", "token", "credential"}

// IsSecretKey reports whether a k=v key holds a credential, so its value must
// never be shown.
func IsSecretKey(key string) bool {
	k := strings.ToLower(key)
	if strings.HasSuffix(k, "-file") || strings.HasSuffix(k, "-path") || strings.HasSuffix(k, ".file") || strings.HasSuffix(k, ".path") {
		return false
	}
	for _, w := range secretWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

var (
	// scheme://user:password@host
	urlUserinfo = regexp.MustCompile(`(?i)([a-z][a-z0-9+.\-]*://[^/@\s:]*:)[^@/\s]*@`)
	// jdbc:oracle:thin:user/password@host
	oracleThin = regexp.MustCompile(`(?i)(jdbc:oracle:[a-z]+:[^/@\s:]*/)[^@\s]*@`)
	// user:password@host without a scheme (e.g. MongoDB hosts)
	bareUserinfo = regexp.MustCompile(`(^|[,\s])([^/@\s:,]+:)[^@/\s,:]*@`)
	// ?password=… &password=… ;password=… (JDBC URL properties)
	urlPassword = regexp.MustCompile(`(?i)([?&;:](?:password|passwd|pwd)=)[^&;\s]*`)
)

// RedactValue hides credentials embedded in a value that is not itself a
// secret, such as the password part of a URL.
func RedactValue(v string) string {
	v = urlUserinfo.ReplaceAllString(v, "${1}"+Redacted+"@")
	v = oracleThin.ReplaceAllString(v, "${1}"+Redacted+"@")
	v = bareUserinfo.ReplaceAllString(v, "${1}${2}"+Redacted+"@")
	return urlPassword.ReplaceAllString(v, "${1}"+Redacted)
}

// shownValue is how the value of key may appear in a message or a listing.
func shownValue(key, value string) string {
	if IsSecretKey(key) {
		if value == "" {
			return ""
		}
		return Redacted
	}
	return RedactValue(value)
}
