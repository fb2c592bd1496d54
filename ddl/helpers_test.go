package ddl

import (
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/schema"
)

func mustConf(t *testing.T, entries ...Property) TableConf {
	t.Helper()
	c, err := ParseTableConf(entries)
	if err != nil {
		t.Fatalf("ParseTableConf: %v", err)
	}
	return c
}

func mustNamer(t *testing.T, r NamingRules) *Namer {
	t.Helper()
	n, err := NewNamer(r)
	if err != nil {
		t.Fatalf("NewNamer: %v", err)
	}
	return n
}

func mustPlanner(t *testing.T, opts Options) *Planner {
	t.Helper()
	p, err := NewPlanner(opts)
	if err != nil {
		t.Fatalf("NewPlanner: %v", err)
	}
	return p
}

func mustPlan(t *testing.T, opts Options, tbl *schema.Table) *TablePlan {
	t.Helper()
	tp, err := mustPlanner(t, opts).PlanTable(tbl)
	if err != nil {
		t.Fatalf("PlanTable(%s): %v", tbl.ID, err)
	}
	return tp
}

func assertContains(t *testing.T, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Errorf("missing %q in:\n%s", sub, s)
	}
}

func join(s []string) string { return strings.Join(s, ",") }
