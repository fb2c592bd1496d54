package sync

import (
	"fmt"
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/schema"
	"github.com/doris-sync/doris-sync/sink"
)

func TestRouteMapsColumnsByName(t *testing.T) {
	s1 := keyedTable("src", "s_1", textCol("v"), intCol("n", true))
	s2 := keyedTable("src", "s_2", textCol("v"), intCol("n", true))
	tgt, _ := ddlTarget(t, s1, s2)
	r1, r2 := tgt.routes[0], tgt.routes[1]
	row, err := r1.project([]any{int64(1), "a", int64(2)}, r1.row)
	if err != nil || fmt.Sprint(row) != "[1 a 2]" || !r1.identity {
		t.Fatalf("same shape: %v %v (identity %v)", row, err, r1.identity)
	}
	// One shard's columns drift (reordered, one missing): values still land by name.
	r2.shape = &schema.Table{ID: s2.ID, PrimaryKey: []string{"id"}, Columns: []schema.Column{intCol("n", true), intCol("id", false)}}
	tgt.refresh()
	row, err = r2.project([]any{int64(7), int64(3)}, r2.row)
	if err != nil || fmt.Sprint(row) != "[3 <nil> 7]" {
		t.Fatalf("drifted shard: %v %v", row, err)
	}
	if _, err := r2.project([]any{int64(1)}, r2.row); err == nil || !strings.Contains(err.Error(), "has 1 values but the table has 2 columns") {
		t.Fatalf("a row of the wrong width must be refused, got %v", err)
	}
	spec := tgt.spec()
	if spec.Model != sink.Unique || spec.KeyColumns != 1 || len(spec.Columns) != 3 || spec.Columns[1].Type != "VARCHAR(256)" {
		t.Fatalf("sink table: %+v", spec)
	}
}
