package ddl

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/schema"
	"github.com/doris-sync/doris-sync/testkit/doris"
)

// docRow is one row of a mapping table in docs/type-mapping.md.
type docRow struct {
	line   int
	source Source
	st     schema.SourceType
	opts   MapOptions
	doris  string
	notes  string
}

var (
	docSectionRE = regexp.MustCompile("^## .*\\(`([a-z0-9]+)`\\)$")
	docSourceRE  = regexp.MustCompile("^`([^`]+)`(.*)$")
	docDorisRE   = regexp.MustCompile("^`([^`]+)`$")
	docCharsetRE = regexp.MustCompile("charset `([^`]+)`")
)

func readDocRows(t *testing.T) []docRow {
	t.Helper()
	f, err := os.Open("../docs/type-mapping.md")
	if err != nil {
		t.Fatalf("open the mapping document: %v", err)
	}
	defer f.Close()
	var rows []docRow
	var section Source
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			section = ""
			if m := docSectionRE.FindStringSubmatch(line); m != nil {
				section = Source(m[1])
			}
			continue
		}
		if section == "" || !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 3 {
			t.Errorf("line %d: want 3 cells: %s", n, line)
			continue
		}
		row := docRow{line: n, source: section, notes: strings.TrimSpace(cells[2])}
		m := docSourceRE.FindStringSubmatch(strings.TrimSpace(cells[0]))
		if m == nil {
			t.Errorf("line %d: source cell %q is not `type` [qualifiers]", n, cells[0])
			continue
		}
		if row.st, err = schema.ParseType(m[1]); err != nil {
			t.Errorf("line %d: %v", n, err)
			continue
		}
		rest := m[2]
		if c := docCharsetRE.FindStringSubmatch(rest); c != nil {
			row.st.Charset = c[1]
			rest = strings.Replace(rest, c[0], "", 1)
		}
		for q, apply := range map[string]func(){
			"enable-decimal256":   func() { row.opts.Decimal256 = true },
			"tinyInt1isBit=false": func() { row.opts.TinyInt1AsTinyInt = true },
			"as a domain":         func() { base := row.st; row.st = schema.SourceType{Name: "a_domain", Base: &base} },
		} {
			if strings.Contains(rest, q) {
				apply()
				rest = strings.Replace(rest, q, "", 1)
			}
		}
		if strings.TrimSpace(rest) != "" {
			t.Errorf("line %d: unrecognised qualifier %q", n, strings.TrimSpace(rest))
		}
		d := docDorisRE.FindStringSubmatch(strings.TrimSpace(cells[1]))
		if d == nil {
			t.Errorf("line %d: Doris cell %q is not `TYPE`", n, cells[1])
			continue
		}
		row.doris = d[1]
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// Every row of docs/type-mapping.md is what MapType does.
func TestTypeMappingDocMatchesCode(t *testing.T) {
	rows := readDocRows(t)
	perSource := map[Source]int{}
	for _, r := range rows {
		perSource[r.source]++
		m := MapType(r.source, r.st, r.opts)
		if got := m.Type.String(); got != r.doris {
			t.Errorf("docs/type-mapping.md:%d: %s %q maps to %s, the document says %s", r.line, r.source, r.st.Name, got, r.doris)
		}
		if says := strings.Contains(r.notes, "warning"); says != (m.Warning != "") {
			t.Errorf("docs/type-mapping.md:%d: warning %q, but the notes say warning=%v", r.line, m.Warning, says)
		}
		if says := strings.Contains(r.notes, "always nullable"); says != m.ForceNullable {
			t.Errorf("docs/type-mapping.md:%d: ForceNullable=%v, but the notes say %v", r.line, m.ForceNullable, says)
		}
	}
	for _, src := range []Source{SourceMySQL, SourcePostgres, SourceSQLServer, SourceOracle, SourceDB2, SourceMongoDB} {
		if perSource[src] < 10 {
			t.Errorf("docs/type-mapping.md: only %d rows for %s", perSource[src], src)
		}
	}
}

// The Doris stand-in (testkit/doris), which follows Doris's DDL rules, accepts every
// type the document lists, and agrees on which can be keys.
func TestDocumentedTypesParseInStandIn(t *testing.T) {
	for _, r := range readDocRows(t) {
		ours := MapType(r.source, r.st, r.opts).Type
		theirs, err := doris.ParseType(ours.String(), r.opts.Decimal256)
		if err != nil {
			t.Errorf("docs/type-mapping.md:%d: the stand-in refuses %s: %v", r.line, ours, err)
			continue
		}
		if ours.KeyCapable() != (theirs.KeyError("c") == "") {
			t.Errorf("docs/type-mapping.md:%d: %s key-capable=%v, the stand-in says %q", r.line, ours, ours.KeyCapable(), theirs.KeyError("c"))
		}
	}
	for _, kt := range []Type{keyType(Double), keyType(String)} {
		if _, err := doris.ParseType(kt.String(), false); err != nil || !kt.KeyCapable() {
			t.Errorf("key replacement %s: %v", kt, err)
		}
	}
}
