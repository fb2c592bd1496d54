package mysql

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/schema"
)

func TestDDLMidStreamMariaDB(t *testing.T)        { testDDLMidStream(t, mariaDBFull(t)) }
func TestDDLMidStreamMariaDBMinimal(t *testing.T) { testDDLMidStream(t, mariaDBMinimal(t)) }
func TestDDLMidStreamMySQL(t *testing.T)          { testDDLMidStream(t, mysql9(t)) }

// describe renders a change compactly: op, table, row values, and for DDL the new
// shape's columns.
func describeChange(c schema.Change) string {
	s := c.Op.String() + " " + c.Table.Name
	switch c.Op {
	case schema.OpInsert:
		s += fmt.Sprintf(" %v", c.After)
	case schema.OpUpdate:
		s += fmt.Sprintf(" %v -> %v", c.Before, c.After)
	case schema.OpDelete:
		s += fmt.Sprintf(" %v", c.Before)
	case schema.OpDDL:
		if c.NewSchema == nil {
			s += " dropped"
		} else {
			var cols []string
			for _, col := range c.NewSchema.Columns {
				cols = append(cols, col.Name+":"+col.Type.Name)
			}
			s += " -> " + c.NewSchema.ID.Name + "(" + strings.Join(cols, ",") + ")"
		}
	}
	return s
}

// testDDLMidStream runs every DDL kind between writes, streams through them, then
// streams again from a position before the first DDL with the tables' current shapes
// as the only input: the schema history must make the replay decode the same values.
func testDDLMidStream(t *testing.T, srv cdcServer) {
	db := srv.newDB(t)
	srv.exec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, a INT, b VARCHAR(10))")
	src := srv.source(t, db)
	tables := discoverTables(t, src)
	start := currentPosition(t, src)

	srv.exec(t, db,
		"INSERT INTO t VALUES (1, 10, 'b1')",
		"ALTER TABLE t ADD COLUMN c INT AFTER a",
		"INSERT INTO t VALUES (2, 20, 200, 'b2')",
		"ALTER TABLE t DROP COLUMN b",
		"INSERT INTO t VALUES (3, 30, 300)",
		"ALTER TABLE t RENAME COLUMN a TO a2",
		"INSERT INTO t VALUES (4, 40, 400)",
		"ALTER TABLE t MODIFY COLUMN c BIGINT UNSIGNED",
		"INSERT INTO t VALUES (5, 50, 18446744073709551615)",
		"ALTER TABLE t CHANGE c c3 VARCHAR(20) CHARACTER SET latin1",
		"INSERT INTO t VALUES (6, 60, 'sïx')",
		"UPDATE t SET a2 = 11 WHERE id = 1",
		"CREATE TABLE n (id INT PRIMARY KEY, v VARCHAR(5) CHARACTER SET latin1, g POINT)",
		"INSERT INTO n VALUES (1, 'é', ST_GeomFromText('POINT(1 2)'))",
		"RENAME TABLE n TO n2",
		"INSERT INTO n2 VALUES (2, 'ü', NULL)",
		"TRUNCATE TABLE n2",
		"DROP TABLE n2",
		"CREATE TABLE other_db_is_fine (id INT)", // in the database, so tracked
	)
	want := []string{
		"insert t [1 10 b1]",
		"ddl t -> t(id:int,a:int,c:int,b:varchar)",
		"insert t [2 20 200 b2]",
		"ddl t -> t(id:int,a:int,c:int)",
		"insert t [3 30 300]",
		"ddl t -> t(id:int,a2:int,c:int)",
		"insert t [4 40 400]",
		"ddl t -> t(id:int,a2:int,c:bigint)",
		fmt.Sprintf("insert t [5 50 %d]", uint64(math.MaxUint64)),
		"ddl t -> t(id:int,a2:int,c3:varchar)",
		"insert t [6 60 sïx]",
		"update t [1 10 <nil>] -> [1 11 <nil>]",
		"ddl n -> n(id:int,v:varchar,g:point)",
		"insert n [1 é POINT(1 2)]",
		"ddl n -> n2(id:int,v:varchar,g:point)",
		"insert n2 [2 ü <nil>]",
		"truncate n2",
		"ddl n2 dropped",
		"ddl other_db_is_fine -> other_db_is_fine(id:int)",
	}
	history := &MemoryHistory{}
	filter := func(id schema.TableID) bool { return id.Database == db }
	first := streamUntil(t, src, start, []*schema.Table{tables["t"]}, StreamOptions{History: history, Filter: filter})
	var got []string
	for _, c := range first.changes {
		got = append(got, describeChange(c))
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := history.Versions(schema.TableID{Database: db, Name: "t"}.String()); n != 6 {
		t.Errorf("history of t holds %d shapes, want 6 (the start and five DDLs)", n)
	}

	// Resume after the first insert, before every DDL, knowing only today's shapes.
	resume := first.commits[first.at[1]-1]
	now := discoverTables(t, src)
	second := streamUntil(t, src, resume, []*schema.Table{now["t"], now["other_db_is_fine"]}, StreamOptions{History: history, Filter: filter})
	got = got[:0]
	for _, c := range second.changes {
		got = append(got, describeChange(c))
	}
	if !reflect.DeepEqual(got, want[1:]) {
		t.Fatalf("changes after resuming from %s:\n%s\nwant:\n%s", resume, strings.Join(got, "\n"), strings.Join(want[1:], "\n"))
	}
}
