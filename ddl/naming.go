package ddl

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/doris-sync/doris-sync/schema"
)

// Quote quotes an identifier with backquotes, doubling any backquote inside, so any
// name, a reserved word like select or one holding a backquote, is safe in a statement.
func Quote(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// QuoteTable returns `db`.`table`.
func QuoteTable(db, table string) string { return Quote(db) + "." + Quote(table) }

// QuoteString quotes a string literal for Doris: single quotes, with backslash,
// quote and control characters escaped, so a comment or default can never end the
// literal early.
func QuoteString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`\'`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case 0:
			b.WriteString(`\0`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// Doris identifier rules (reference/doris-behaviour.md §6.2–6.3).
const (
	DatabaseNamePattern = `^[a-zA-Z][a-zA-Z0-9-_]{0,63}$`
	TableNamePattern    = `^[a-zA-Z][a-zA-Z0-9-_]*$`
	ColumnNamePattern   = `^[_a-zA-Z@0-9\s/][.a-zA-Z0-9_+\-/?@#$%^&*"\s,:]{0,255}$`
	MaxTableNameLen     = 64
)

var (
	databaseNameRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9\-_]{0,63}$`)
	tableNameRE    = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9\-_]*$`)
	columnNameRE   = regexp.MustCompile(ColumnNamePattern)
)

// ValidateDatabaseName checks a Doris database name.
func ValidateDatabaseName(name string) error {
	if !databaseNameRE.MatchString(name) {
		return fmt.Errorf("%q is not a valid Doris database name: it must match %s (a letter, then up to 63 letters, digits, '-' or '_')", name, DatabaseNamePattern)
	}
	return nil
}

// ValidateTableName checks a Doris table name.
func ValidateTableName(name string) error {
	if !tableNameRE.MatchString(name) || len(name) > MaxTableNameLen {
		return fmt.Errorf("%q is not a valid Doris table name: it must match %s and be at most %d characters", name, TableNamePattern, MaxTableNameLen)
	}
	return nil
}

// ValidateColumnName checks a Doris column name: the character rule, and the prefixes
// Doris reserves (shadow columns, materialized views, hidden __DORIS_ columns).
func ValidateColumnName(name string) error {
	if !columnNameRE.MatchString(name) {
		return fmt.Errorf("%q is not a valid Doris column name: it must match %s", name, ColumnNamePattern)
	}
	lower := strings.ToLower(name)
	for _, p := range []string{"__doris_shadow_", "mv_", "mva_", "__doris_"} {
		if strings.HasPrefix(lower, p) {
			return fmt.Errorf("%q is not a valid Doris column name: the prefix %q is reserved by Doris", name, p)
		}
	}
	return nil
}

// NamingRules are the naming flags of a sync command.
type NamingRules struct {
	Database        string // --database; empty: each source database's own name
	TablePrefix     string // --table-prefix
	TableSuffix     string // --table-suffix
	IncludingTables string // --including-tables, full-match regex; empty: all
	ExcludingTables string // --excluding-tables, full-match regex; empty: none
	// --multi-to-one-origin / --multi-to-one-target: "R1|R2" and "T1|T2".
	MultiToOneOrigin string
	MultiToOneTarget string
}

type mergeRule struct {
	origin string
	re     *regexp.Regexp
	target string
}

// Namer turns source table identities into Doris names.
type Namer struct {
	rules   NamingRules
	include *regexp.Regexp
	exclude *regexp.Regexp
	merges  []mergeRule
}

// fullMatch compiles a user regex that must match the whole name. Go's RE2 lacks
// look-around and back-references; the error says so.
func fullMatch(flag, expr string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(`^(?:` + expr + `)$`)
	if err != nil {
		return nil, fmt.Errorf("%s %q is not a valid regular expression (RE2 syntax: no look-around or back-references): %w", flag, expr, err)
	}
	return re, nil
}

// NewNamer checks and compiles the naming rules.
func NewNamer(r NamingRules) (*Namer, error) {
	n := &Namer{rules: r}
	var err error
	if r.IncludingTables != "" {
		if n.include, err = fullMatch("--including-tables", r.IncludingTables); err != nil {
			return nil, err
		}
	}
	if r.ExcludingTables != "" {
		if n.exclude, err = fullMatch("--excluding-tables", r.ExcludingTables); err != nil {
			return nil, err
		}
	}
	if r.Database != "" {
		if err := ValidateDatabaseName(r.Database); err != nil {
			return nil, fmt.Errorf("--database: %w", err)
		}
	}
	origin, target := strings.TrimSpace(r.MultiToOneOrigin), strings.TrimSpace(r.MultiToOneTarget)
	switch {
	case origin == "" && target == "":
	case origin == "" || target == "":
		return nil, fmt.Errorf("--multi-to-one-origin and --multi-to-one-target must be given together")
	default:
		origins, targets := strings.Split(origin, "|"), strings.Split(target, "|")
		if len(origins) != len(targets) {
			return nil, fmt.Errorf("--multi-to-one-origin has %d rules but --multi-to-one-target has %d targets; they pair up by position", len(origins), len(targets))
		}
		for i := range origins {
			o, t := strings.TrimSpace(origins[i]), strings.TrimSpace(targets[i])
			re, err := fullMatch("--multi-to-one-origin", o)
			if err != nil {
				return nil, err
			}
			if err := ValidateTableName(t); err != nil {
				return nil, fmt.Errorf("--multi-to-one-target: %w", err)
			}
			n.merges = append(n.merges, mergeRule{origin: o, re: re, target: t})
		}
	}
	return n, nil
}

// Includes reports whether a source table (its bare name) is synced: it matches
// --including-tables (or none is given) and does not match --excluding-tables.
func (n *Namer) Includes(table string) bool {
	if n.include != nil && !n.include.MatchString(table) {
		return false
	}
	return n.exclude == nil || !n.exclude.MatchString(table)
}

// TableName is the Doris table name for a source table: the target of the first
// multi-to-one rule (in the given order) whose origin matches the whole name, else
// prefix + name + suffix.
func (n *Namer) TableName(sourceTable string) string {
	for _, m := range n.merges {
		if m.re.MatchString(sourceTable) {
			return m.target
		}
	}
	return n.rules.TablePrefix + sourceTable + n.rules.TableSuffix
}

// DatabaseName is the Doris database for a source database: --database, else the
// source database's own name.
func (n *Namer) DatabaseName(sourceDatabase string) string {
	if n.rules.Database != "" {
		return n.rules.Database
	}
	return sourceDatabase
}

// Target returns the validated Doris database and table for a source table.
func (n *Namer) Target(id schema.TableID) (db, table string, err error) {
	db, table = n.DatabaseName(id.Database), n.TableName(id.Name)
	if err := ValidateDatabaseName(db); err != nil {
		return "", "", fmt.Errorf("source table %s: Doris database: %w (use --database to choose another)", id, err)
	}
	if err := ValidateTableName(table); err != nil {
		return "", "", fmt.Errorf("source table %s: Doris table: %w (use --table-prefix/--table-suffix or --multi-to-one-* to choose another, or exclude the table)", id, err)
	}
	return db, table, nil
}
