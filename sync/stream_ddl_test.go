package sync

import (
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/ddl"
	"github.com/doris-sync/doris-sync/schema"
)

func ddlTarget(t *testing.T, shapes ...*schema.Table) (*target, *ddl.Planner) {
	t.Helper()
	p, err := ddl.NewPlanner(ddl.Options{Source: ddl.SourceMySQL, Naming: ddl.NamingRules{Database: "dst", MultiToOneOrigin: "s_.*", MultiToOneTarget: "s"}})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := p.Plan(shapes)
	if err != nil {
		t.Fatal(err)
	}
	r := newRouter()
	byID := map[schema.TableID]*schema.Table{}
	for _, s := range shapes {
		byID[s.ID] = s
	}
	tgt, err := r.addTarget(plan.Tables[0], byID)
	if err != nil {
		t.Fatal(err)
	}
	return tgt, p
}

func TestAlterStatements(t *testing.T) {
	v1 := keyedTable("src", "s_1", textCol("note"), intCol("qty", true))
	tgt, p := ddlTarget(t, v1)
	plan := func(s *schema.Table) *ddl.TablePlan {
		tp, err := p.PlanTable(s)
		if err != nil {
			t.Fatal(err)
		}
		return tp
	}
	// A rename is told from a drop plus an add by the statement naming both columns.
	renamed := keyedTable("src", "s_1", textCol("memo"), intCol("qty", true))
	stmts, cols, err := alterStatements(tgt, tgt.routes[0], plan(renamed), "ALTER TABLE s_1 RENAME COLUMN `note` TO `memo`")
	if err != nil || len(stmts) != 1 || !strings.Contains(stmts[0], "RENAME COLUMN `note` `memo`") || cols[1].Name != "memo" {
		t.Fatalf("rename: %q %v", stmts, err)
	}
	// Without the names in the statement it is a drop and an add.
	stmts, _, err = alterStatements(tgt, tgt.routes[0], plan(renamed), "ALTER TABLE s_1 CHANGE something")
	if err != nil || len(stmts) != 2 || !strings.Contains(stmts[0], "DROP COLUMN `note`") || !strings.Contains(stmts[1], "ADD COLUMN `memo` VARCHAR(256) NULL AFTER `id`") {
		t.Fatalf("drop and add: %q %v", stmts, err)
	}
	// Widening a type is a MODIFY; narrowing it is refused.
	wider := keyedTable("src", "s_1", textCol("note"), intCol("qty", true))
	wider.Columns[1].Type.Length, wider.Columns[1].TypeText = 200, "varchar(200)"
	stmts, _, err = alterStatements(tgt, tgt.routes[0], plan(wider), "ALTER TABLE s_1 MODIFY note varchar(200)")
	if err != nil || len(stmts) != 1 || !strings.Contains(stmts[0], "MODIFY COLUMN `note` VARCHAR(800) NULL") {
		t.Fatalf("modify: %q %v", stmts, err)
	}
	narrower := keyedTable("src", "s_1", textCol("note"), intCol("qty", true))
	narrower.Columns[1].Type.Length, narrower.Columns[1].TypeText = 10, "varchar(10)"
	if _, _, err = alterStatements(tgt, tgt.routes[0], plan(narrower), "ALTER TABLE s_1 MODIFY note varchar(10)"); err == nil || !strings.Contains(err.Error(), "Shorten type length is prohibited") {
		t.Fatalf("narrowing must be refused with Doris's reason, got %v", err)
	}
	// The key cannot change.
	rekeyed := keyedTable("src", "s_1", textCol("note"), intCol("qty", false))
	rekeyed.PrimaryKey = []string{"id", "qty"}
	if _, _, err = alterStatements(tgt, tgt.routes[0], plan(rekeyed), "ALTER TABLE s_1 ADD PRIMARY KEY (id, qty)"); err == nil || !strings.Contains(err.Error(), "primary key changed") {
		t.Fatalf("a key change must be refused, got %v", err)
	}
}

func TestAlterOfOneShardKeepsColumnsOthersHave(t *testing.T) {
	s1 := keyedTable("src", "s_1", textCol("v"))
	s2 := keyedTable("src", "s_2", textCol("v"))
	tgt, p := ddlTarget(t, s1, s2)
	dropped := keyedTable("src", "s_1")
	tp, err := p.PlanTable(dropped)
	if err != nil {
		t.Fatal(err)
	}
	stmts, _, err := alterStatements(tgt, tgt.routes[0], tp, "ALTER TABLE s_1 DROP COLUMN v")
	if err != nil || len(stmts) != 0 {
		t.Fatalf("a column another shard still has must stay: %q %v", stmts, err)
	}
	added := keyedTable("src", "s_1", textCol("v"), intCol("n", false))
	tp, err = p.PlanTable(added)
	if err != nil {
		t.Fatal(err)
	}
	stmts, _, err = alterStatements(tgt, tgt.routes[0], tp, "ALTER TABLE s_1 ADD n bigint NOT NULL")
	if err != nil || len(stmts) != 1 || !strings.Contains(stmts[0], "ADD COLUMN `n` BIGINT NULL") {
		t.Fatalf("a column one shard adds must be nullable for the others: %q %v", stmts, err)
	}
}
