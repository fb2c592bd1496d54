package mysql

import (
	"reflect"
	"strings"
	"testing"

	"github.com/doris-sync/doris-sync/schema"
)

// The CREATE TABLE of a CREATE TABLE … SELECT comes inside its transaction; MySQL
// 8.0.21+ appends START TRANSACTION to it, MariaDB does not.
func TestCreateInTransaction(t *testing.T) {
	cases := []struct {
		q, want string
		ok      bool
	}{
		{"CREATE TABLE `late_copy` (\n  `id` int NOT NULL,\n  PRIMARY KEY (`id`)\n) START TRANSACTION", "CREATE TABLE `late_copy` (\n  `id` int NOT NULL,\n  PRIMARY KEY (`id`)\n)", true},
		{"CREATE TABLE `nk` (\n  `v` varchar(20) DEFAULT NULL\n)", "CREATE TABLE `nk` (\n  `v` varchar(20) DEFAULT NULL\n)", true},
		{"create table t (a int) start transaction", "create table t (a int)", true},
		{"CREATE TABLE `start transaction` (a int)", "CREATE TABLE `start transaction` (a int)", true},
		{"SAVEPOINT s1", "", false},
		{"INSERT INTO t VALUES (1)", "", false},
		{"ALTER TABLE t ADD COLUMN b INT", "", false},
	}
	for _, c := range cases {
		got, ok := createInTransaction(c.q)
		if ok != c.ok || got != c.want {
			t.Errorf("createInTransaction(%q) = %q, %v; want %q, %v", c.q, got, ok, c.want, c.ok)
		}
	}
}

func TestCreateTableSelectMidStreamMariaDB(t *testing.T) {
	testCreateTableSelectMidStream(t, mariaDBFull(t))
}
func TestCreateTableSelectMidStreamMariaDBMinimal(t *testing.T) {
	testCreateTableSelectMidStream(t, mariaDBMinimal(t))
}
func TestCreateTableSelectMidStreamMySQL(t *testing.T) { testCreateTableSelectMidStream(t, mysql9(t)) }

// CREATE TABLE … SELECT is one transaction in the binlog: the new table's shape comes
// before its rows, and the rows are not lost; resuming from before it replays the same.
func testCreateTableSelectMidStream(t *testing.T, srv cdcServer) {
	db := srv.newDB(t)
	srv.exec(t, db, "CREATE TABLE src (id INT PRIMARY KEY, v VARCHAR(10))", "INSERT INTO src VALUES (1, 'a'), (2, 'b')")
	src := srv.source(t, db)
	tables := discoverTables(t, src)
	start := currentPosition(t, src)
	srv.exec(t, db,
		"CREATE TABLE copy (PRIMARY KEY (id)) AS SELECT id, v FROM src",
		"INSERT INTO copy VALUES (3, 'c')",
		"CREATE TABLE nokey AS SELECT v FROM src WHERE id = 2",
	)
	want := []string{
		"ddl copy -> copy(id:int,v:varchar)",
		"insert copy [1 a]",
		"insert copy [2 b]",
		"insert copy [3 c]",
		"ddl nokey -> nokey(v:varchar)",
		"insert nokey [b]",
	}
	history := &MemoryHistory{}
	filter := func(id schema.TableID) bool { return id.Database == db }
	for _, run := range []string{"first", "again from the same start"} {
		got := streamUntil(t, src, start, []*schema.Table{tables["src"]}, StreamOptions{History: history, Filter: filter})
		var lines []string
		for _, c := range got.changes {
			lines = append(lines, describeChange(c))
		}
		if !reflect.DeepEqual(lines, want) {
			t.Fatalf("%s run: changes:\n%s\nwant:\n%s", run, strings.Join(lines, "\n"), strings.Join(want, "\n"))
		}
	}
}
