package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"strings"
	"time"

	"github.com/doris-sync/doris-sync/exitcode"
)

// Map is an ordered set of k=v settings (--<kind>-conf, --sink-conf,
// --table-conf). It keeps the order keys were first given in (Doris
// PROPERTIES are emitted in that order); setting a key again replaces its
// value in place. Each entry remembers where it came from, so errors can point
// at the flag or the config file line.
//
// Printing a Map by any means (fmt, JSON, slog) hides credentials.
type Map struct {
	flag    string // the flag naming this map, e.g. "--sink-conf"
	entries []entry
}

type entry struct {
	key, value string
	origin     string // "--sink-conf" or "job.yaml:12: sink"
}

// NewMap returns an empty map named by flag (e.g. "--sink-conf") in messages.
func NewMap(flag string) *Map { return &Map{flag: flag} }

// Flag returns the flag that names this map in messages.
func (m *Map) Flag() string {
	if m == nil {
		return ""
	}
	return m.flag
}

// ParseEntry splits one k=v entry on its first '=' and trims key and value.
// A bare "password" is allowed and means an empty password (as in the anchor
// tool); any other entry without '=' or with an empty key is an error.
func ParseEntry(raw string) (key, value string, err error) {
	k, v, found := strings.Cut(raw, "=")
	k = strings.TrimSpace(k)
	if !found {
		if k == "password" {
			return k, "", nil
		}
		return "", "", errors.New("expected key=value")
	}
	if k == "" {
		return "", "", errors.New("empty key")
	}
	return k, strings.TrimSpace(v), nil
}

// shownEntry is how a malformed raw entry may appear in a message: as typed,
// unless it may hold a credential.
func shownEntry(raw string) string {
	k, v, found := strings.Cut(raw, "=")
	k = strings.TrimSpace(k)
	if found {
		if k == "" {
			return "=" + Redacted // the value of a nameless entry could be anything
		}
		return k + "=" + shownValue(k, strings.TrimSpace(v))
	}
	// No '=': "password:hunter2" or "password hunter2" must not be echoed.
	if i := strings.IndexAny(k, " \t:"); i > 0 && IsSecretKey(k[:i]) {
		return k[:i] + k[i:i+1] + Redacted
	}
	return RedactValue(raw)
}

// Parse adds command-line entries ("k=v") in order; later entries override
// earlier ones and entries already in the map (from a config file).
func (m *Map) Parse(raw []string) error {
	for _, r := range raw {
		k, v, err := ParseEntry(r)
		if err != nil {
			return exitcode.Usagef("%s %q: %v", m.flag, shownEntry(r), err)
		}
		m.SetFrom(k, v, m.flag)
	}
	return nil
}

// Set sets key to value, as if given on the command line.
func (m *Map) Set(key, value string) { m.SetFrom(key, value, m.flag) }

// SetFrom sets key to value and records where it came from. "password" and
// "password-file" replace each other: the later one decides.
func (m *Map) SetFrom(key, value, origin string) {
	switch key {
	case "password":
		m.Delete("password-file")
	case "password-file":
		m.Delete("password")
	}
	if i := m.find(key); i >= 0 {
		m.entries[i].value, m.entries[i].origin = value, origin
		return
	}
	m.entries = append(m.entries, entry{key: key, value: value, origin: origin})
}

func (m *Map) find(key string) int {
	if m == nil {
		return -1
	}
	for i := range m.entries {
		if m.entries[i].key == key {
			return i
		}
	}
	return -1
}

// Delete removes key.
func (m *Map) Delete(key string) {
	if i := m.find(key); i >= 0 {
		m.entries = append(m.entries[:i], m.entries[i+1:]...)
	}
}

// Get returns the value of key. For credentials prefer Secret.
func (m *Map) Get(key string) (string, bool) {
	if i := m.find(key); i >= 0 {
		return m.entries[i].value, true
	}
	return "", false
}

// Has reports whether key is set (possibly to an empty value).
func (m *Map) Has(key string) bool { return m.find(key) >= 0 }

// GetString returns the value of key, or def when it is not set.
func (m *Map) GetString(key, def string) string {
	if v, ok := m.Get(key); ok {
		return v
	}
	return def
}

// Secret returns the value of key wrapped so that it cannot be printed.
func (m *Map) Secret(key string) Secret {
	v, _ := m.Get(key)
	return NewSecret(v)
}

// Password returns the "password" entry (after password-file was resolved).
func (m *Map) Password() Secret { return m.Secret("password") }

// Len returns the number of entries.
func (m *Map) Len() int {
	if m == nil {
		return 0
	}
	return len(m.entries)
}

// Keys returns the keys in order.
func (m *Map) Keys() []string {
	keys := make([]string, 0, m.Len())
	for k := range m.All() {
		keys = append(keys, k)
	}
	return keys
}

// All yields the entries in order, with their real values.
func (m *Map) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		if m == nil {
			return
		}
		for _, e := range m.entries {
			if !yield(e.key, e.value) {
				return
			}
		}
	}
}

// WithPrefix returns, in order, the entries whose key starts with prefix, with
// the prefix removed (e.g. "sink.properties." → Stream Load headers).
func (m *Map) WithPrefix(prefix string) *Map {
	out := NewMap(m.Flag())
	if m == nil {
		return out
	}
	for _, e := range m.entries {
		if rest, ok := strings.CutPrefix(e.key, prefix); ok && rest != "" {
			out.entries = append(out.entries, entry{key: rest, value: e.value, origin: e.origin})
		}
	}
	return out
}

// Clone returns an independent copy.
func (m *Map) Clone() *Map {
	if m == nil {
		return nil
	}
	c := &Map{flag: m.flag, entries: make([]entry, len(m.entries))}
	copy(c.entries, m.entries)
	return c
}

// valueError is the exit-2 error for a bad value: it names where the entry
// came from, its key and its value (hidden for credentials).
func (m *Map) valueError(key, reason string) error {
	i := m.find(key)
	e := m.entries[i]
	return exitcode.Usagef("%s %s=%s: %s", e.origin, key, shownValue(key, e.value), reason)
}

// GetInt returns key as an int, def when unset, or an exit-2 error naming the
// key and the bad value.
func (m *Map) GetInt(key string, def int) (int, error) {
	v, ok := m.Get(key)
	if !ok {
		return def, nil
	}
	n, err := ParseInt(v)
	if err != nil || int64(int(n)) != n {
		return 0, m.valueError(key, "not an integer")
	}
	return int(n), nil
}

// GetInt64 is GetInt for 64-bit values.
func (m *Map) GetInt64(key string, def int64) (int64, error) {
	v, ok := m.Get(key)
	if !ok {
		return def, nil
	}
	n, err := ParseInt(v)
	if err != nil {
		return 0, m.valueError(key, err.Error())
	}
	return n, nil
}

// GetBool returns key as a bool (true/false, any letter case), def when unset.
func (m *Map) GetBool(key string, def bool) (bool, error) {
	v, ok := m.Get(key)
	if !ok {
		return def, nil
	}
	b, err := ParseBool(v)
	if err != nil {
		return false, m.valueError(key, err.Error())
	}
	return b, nil
}

// GetDuration returns key as a duration (Flink or Go spelling; a plain number
// is milliseconds), def when unset.
func (m *Map) GetDuration(key string, def time.Duration) (time.Duration, error) {
	v, ok := m.Get(key)
	if !ok {
		return def, nil
	}
	d, err := ParseDuration(v)
	if err != nil {
		return 0, m.valueError(key, err.Error())
	}
	return d, nil
}

// GetBytes returns key as a byte count (`100mb`, `1gb`, plain bytes), def when
// unset.
func (m *Map) GetBytes(key string, def int64) (int64, error) {
	v, ok := m.Get(key)
	if !ok {
		return def, nil
	}
	n, err := ParseBytes(v)
	if err != nil {
		return 0, m.valueError(key, err.Error())
	}
	return n, nil
}

// String lists the entries as {k=v, …} with credentials hidden. The printing
// methods have value receivers so that a copied Map prints redacted too.
func (m Map) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, e := range m.safeEntries() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(e.key + "=" + e.value)
	}
	b.WriteByte('}')
	return b.String()
}

// Format makes every fmt verb print String, so %#v cannot reveal values.
func (m Map) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", m.String())
		return
	}
	_, _ = f.Write([]byte(m.String()))
}

// safeEntries returns the entries with credentials hidden.
func (m *Map) safeEntries() []entry {
	if m == nil {
		return nil
	}
	out := make([]entry, len(m.entries))
	for i, e := range m.entries {
		out[i] = entry{key: e.key, value: shownValue(e.key, e.value), origin: e.origin}
	}
	return out
}

// MarshalJSON writes an object in entry order with credentials hidden.
func (m Map) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range m.safeEntries() {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(e.key)
		v, _ := json.Marshal(e.value)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// LogValue makes slog log the entries as a group with credentials hidden.
func (m Map) LogValue() slog.Value {
	entries := m.safeEntries()
	attrs := make([]slog.Attr, len(entries))
	for i, e := range entries {
		attrs[i] = slog.String(e.key, e.value)
	}
	return slog.GroupValue(attrs...)
}
