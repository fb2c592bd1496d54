package ddl

import (
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/schema"
)

func TestDiscoveryNotesBecomePlanWarnings(t *testing.T) {
	p, err := NewPlanner(Options{Source: SourcePostgres})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := schema.ParseType("integer")
	tbl := &schema.Table{
		ID:         schema.TableID{Database: "app", Schema: "public", Name: "t"},
		Columns:    []schema.Column{{Name: "id", TypeText: "integer", Type: st}},
		PrimaryKey: []string{"id"},
		Notes:      []schema.Note{{Column: "total", Message: "generated column left out: PostgreSQL does not replicate it"}},
	}
	tp, err := p.PlanTable(tbl)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range tp.Warnings {
		if w.Column == "total" && strings.Contains(w.Message, "generated column left out") {
			return
		}
	}
	t.Fatalf("note not among the plan's warnings: %v", tp.Warnings)
}
