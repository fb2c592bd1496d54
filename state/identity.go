package state

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/doris-sync/doris-sync/exitcode"
)

// Identity says which job a state belongs to: where it reads, what it selects and where
// it writes. It has no field for a user name or a password, on purpose.
type Identity struct {
	SourceKind     string        `json:"source_kind"` // "mysql", "postgres", …
	Source         SourceAddress `json:"source"`
	Filters        Filters       `json:"filters"`
	TargetDatabase string        `json:"target_database,omitempty"` // "" = each source database's name
	// Fingerprint is the SHA-256 of the other fields in canonical form; Seal sets it.
	Fingerprint string `json:"fingerprint"`
}

// SourceAddress is where the source is, without credentials.
type SourceAddress struct {
	// Hosts are "host:port" entries. User info ("user:pw@host", "scheme://user:pw@h1,h2")
	// is stripped by Seal.
	Hosts     []string `json:"hosts"`
	Databases []string `json:"databases,omitempty"`
	Schemas   []string `json:"schemas,omitempty"`
	// Options are the non-secret source settings that pin the change stream, e.g.
	// "slot.name" or "server-id". Keys that name a credential are refused by Seal.
	Options map[string]string `json:"options,omitempty"`
}

// Filters are the table selection and naming rules of the job.
type Filters struct {
	Including        string `json:"including_tables,omitempty"`
	Excluding        string `json:"excluding_tables,omitempty"`
	MultiToOneOrigin string `json:"multi_to_one_origin,omitempty"`
	MultiToOneTarget string `json:"multi_to_one_target,omitempty"`
	TablePrefix      string `json:"table_prefix,omitempty"`
	TableSuffix      string `json:"table_suffix,omitempty"`
}

// credentialKey matches option keys that would hold a secret.
var credentialKey = regexp.MustCompile(`(?i)pass|pwd|secret|token|credential|auth|private`)

// Seal returns id in canonical form (hosts stripped of user info; hosts, databases and
// schemas sorted and deduplicated) with its Fingerprint set. It refuses options whose
// key names a credential.
func (id Identity) Seal() (Identity, error) {
	out := Identity{
		SourceKind:     strings.ToLower(strings.TrimSpace(id.SourceKind)),
		Filters:        id.Filters,
		TargetDatabase: id.TargetDatabase,
	}
	for _, h := range id.Source.Hosts {
		out.Source.Hosts = append(out.Source.Hosts, splitHosts(h)...)
	}
	out.Source.Hosts = sortedSet(out.Source.Hosts)
	out.Source.Databases = sortedSet(id.Source.Databases)
	out.Source.Schemas = sortedSet(id.Source.Schemas)
	if len(id.Source.Options) > 0 {
		out.Source.Options = make(map[string]string, len(id.Source.Options))
		for k, v := range id.Source.Options {
			if credentialKey.MatchString(k) {
				return Identity{}, fmt.Errorf("job identity: option %q looks like a credential and must not be kept in the state file", k)
			}
			out.Source.Options[k] = v
		}
	}
	out.Fingerprint = out.fingerprint()
	return out, nil
}

// fingerprint hashes the canonical JSON of every field but Fingerprint (map keys are
// sorted by encoding/json; empty fields are left out, so adding a field later keeps old
// fingerprints).
func (id Identity) fingerprint() string {
	id.Fingerprint = ""
	data, _ := json.Marshal(id) // plain strings, slices and maps: cannot fail
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// splitHosts strips a scheme, user info and a path from a host entry and splits a
// comma-separated host list: "mongodb://u:pw@h1:27017,h2:27017/db?x=y" → h1:27017, h2:27017.
func splitHosts(h string) []string {
	h = strings.TrimSpace(h)
	if i := strings.Index(h, "://"); i >= 0 {
		h = h[i+3:]
	}
	if i := strings.IndexAny(h, "/?"); i >= 0 {
		h = h[:i]
	}
	if i := strings.LastIndexByte(h, '@'); i >= 0 {
		h = h[i+1:]
	}
	var out []string
	for _, p := range strings.Split(h, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func sortedSet(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := slices.Clone(in)
	sort.Strings(out)
	return slices.Compact(out)
}

// FieldDiff is one identity field that differs between the saved state and this run.
type FieldDiff struct {
	Field      string
	Saved, Now string
}

// IdentityMismatchError refuses to resume a state that belongs to a different job. It
// exits 2 (the command line or configuration names the wrong job).
type IdentityMismatchError struct {
	Job, Path string
	Diffs     []FieldDiff
}

func (e *IdentityMismatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the saved state of job %q (%s) belongs to a different job: ", e.Job, e.Path)
	for i, d := range e.Diffs {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s was %s, now %s", d.Field, d.Saved, d.Now)
	}
	fmt.Fprintf(&b, ". Give this job another --job-name, or delete %s to start job %q from scratch (its position and snapshot progress are lost)", e.Path, e.Job)
	return b.String()
}

// compareIdentity returns nil when saved and now (both sealed) name the same job.
func compareIdentity(job, path string, saved, now Identity) error {
	var diffs []FieldDiff
	add := func(field, a, b string) {
		if a != b {
			diffs = append(diffs, FieldDiff{Field: field, Saved: a, Now: b})
		}
	}
	add("source kind", quote(saved.SourceKind), quote(now.SourceKind))
	add("source hosts", list(saved.Source.Hosts), list(now.Source.Hosts))
	add("source databases", list(saved.Source.Databases), list(now.Source.Databases))
	add("source schemas", list(saved.Source.Schemas), list(now.Source.Schemas))
	keys := make([]string, 0, len(saved.Source.Options)+len(now.Source.Options))
	for k := range saved.Source.Options {
		keys = append(keys, k)
	}
	for k := range now.Source.Options {
		keys = append(keys, k)
	}
	for _, k := range sortedSet(keys) {
		add("source option "+k, optional(saved.Source.Options, k), optional(now.Source.Options, k))
	}
	add("--including-tables", quote(saved.Filters.Including), quote(now.Filters.Including))
	add("--excluding-tables", quote(saved.Filters.Excluding), quote(now.Filters.Excluding))
	add("--multi-to-one-origin", quote(saved.Filters.MultiToOneOrigin), quote(now.Filters.MultiToOneOrigin))
	add("--multi-to-one-target", quote(saved.Filters.MultiToOneTarget), quote(now.Filters.MultiToOneTarget))
	add("--table-prefix", quote(saved.Filters.TablePrefix), quote(now.Filters.TablePrefix))
	add("--table-suffix", quote(saved.Filters.TableSuffix), quote(now.Filters.TableSuffix))
	add("target database (--database)", quote(saved.TargetDatabase), quote(now.TargetDatabase))
	if len(diffs) == 0 {
		return nil
	}
	return exitcode.Usage(&IdentityMismatchError{Job: job, Path: path, Diffs: diffs})
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

func list(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func optional(m map[string]string, k string) string {
	if v, ok := m[k]; ok {
		return quote(v)
	}
	return "unset"
}
