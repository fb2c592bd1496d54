package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/doris-sync/doris-sync/schema"
)

func TestChunkCoverageMariaDB(t *testing.T) { testChunkCoverage(t, mariaDBFull(t)) }
func TestChunkCoverageMySQL(t *testing.T)   { testChunkCoverage(t, mysql9(t)) }

// testChunkCoverage plans and reads tables with every kind of chunk key: the chunks
// must hold every row exactly once, and there must be several of them.
func testChunkCoverage(t *testing.T, srv cdcServer) {
	db := srv.newDB(t)
	var stmts []string
	values := func(table string, n int, row func(i int) string) {
		var vs []string
		for i := 0; i < n; i++ {
			vs = append(vs, "("+row(i)+")")
		}
		stmts = append(stmts, "INSERT INTO "+table+" VALUES "+strings.Join(vs, ","))
	}
	stmts = append(stmts,
		"CREATE TABLE dense (id INT PRIMARY KEY, v INT)",
		"CREATE TABLE sparse (id BIGINT PRIMARY KEY, v INT)",
		"CREATE TABLE extremes (id BIGINT UNSIGNED PRIMARY KEY, v INT)",
		"CREATE TABLE str (id VARCHAR(20) PRIMARY KEY, v INT)", // a case-insensitive collation
		"CREATE TABLE comp (a INT NOT NULL, b VARCHAR(10) NOT NULL, v INT, PRIMARY KEY (a, b))",
		"CREATE TABLE bin (id VARBINARY(8) PRIMARY KEY, v INT)",
		"CREATE TABLE dec_key (id DECIMAL(30,10) PRIMARY KEY, v INT)",
		"CREATE TABLE uniq (code CHAR(6) NOT NULL, v INT, UNIQUE KEY uk (code))",
		"CREATE TABLE by_column (grp INT NULL, v INT)", // chunked by a chosen, non-unique, nullable column
		"CREATE TABLE nokey (v INT, s TEXT)",
		// Chunked by a text column with long runs of values its collation holds equal.
		"CREATE TABLE ci_col (name VARCHAR(10) NULL, v INT) COLLATE utf8mb4_general_ci",
	)
	values("dense", 1000, func(i int) string { return fmt.Sprintf("%d, %d", i+1, i) })
	values("sparse", 120, func(i int) string { return fmt.Sprintf("%d, %d", int64(i-60)*1_000_000_007, i) })
	values("extremes", 60, func(i int) string {
		switch i {
		case 0:
			return "0, 0"
		case 1:
			return "18446744073709551615, 1"
		}
		return fmt.Sprintf("%d, %d", uint64(i)*300_000_000_000_000_001, i)
	})
	values("str", 300, func(i int) string {
		s := fmt.Sprintf("k%04d", (i*7919)%300)
		if i%3 == 0 {
			s = strings.ToUpper(s)
		}
		return fmt.Sprintf("'%s', %d", s, i)
	})
	values("comp", 500, func(i int) string { return fmt.Sprintf("%d, 'b%03d', %d", i%7, i, i) })
	values("bin", 200, func(i int) string { return fmt.Sprintf("x'%02x00%02x', %d", i%256, (i*37)%256, i) })
	values("dec_key", 150, func(i int) string { return fmt.Sprintf("'%d.%010d', %d", i-75, i*7, i) })
	values("uniq", 90, func(i int) string { return fmt.Sprintf("'c%05d', %d", i, i) })
	values("by_column", 400, func(i int) string {
		if i%9 == 0 {
			return fmt.Sprintf("NULL, %d", i)
		}
		return fmt.Sprintf("%d, %d", i%13, i)
	})
	values("nokey", 50, func(i int) string { return fmt.Sprintf("%d, 'x'", i) })
	values("ci_col", 200, func(i int) string {
		names := []string{"a", "A", "b", "B", "c", "Z", "z", "é", "E", "e"}
		if i%17 == 0 {
			return fmt.Sprintf("NULL, %d", i)
		}
		return fmt.Sprintf("'%s', %d", names[(i*i)%len(names)], i)
	})
	srv.exec(t, db, stmts...)

	src := srv.source(t, db)
	tables := discoverTables(t, src)
	ctx := context.Background()
	sn, err := src.BeginSnapshot(ctx, SnapshotOptions{Readers: 3, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer sn.Close()

	cases := []struct {
		table     string
		keyColumn string
		chunkSize int
		rows      int
		key       string
	}{
		{"dense", "", 100, 1000, "id"},
		{"sparse", "", 10, 120, "id"},
		{"extremes", "", 7, 60, "id"},
		{"str", "", 25, 300, "id"},
		{"comp", "", 30, 500, "a,b"},
		{"bin", "", 16, 200, "id"},
		{"dec_key", "", 20, 150, "id"},
		{"uniq", "", 10, 90, "code"},
		{"by_column", "grp", 20, 400, "grp"},
		{"nokey", "", 10, 50, ""},
		{"ci_col", "name", 10, 200, "name"},
	}
	for _, c := range cases {
		tb := tables[c.table]
		key, err := ChunkKey(tb, c.keyColumn)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(key, ",") != c.key {
			t.Errorf("%s: chunk key %v, want %s", c.table, key, c.key)
		}
		plan, err := sn.PlanChunks(ctx, tb, key, c.chunkSize)
		if err != nil {
			t.Fatalf("%s: %v", c.table, err)
		}
		chunks := plan.Chunks()
		if c.key == "" && len(chunks) != 1 || c.key != "" && len(chunks) < 3 {
			t.Errorf("%s: %d chunks (cuts %s)", c.table, len(chunks), plan.Cuts)
		}
		vCol := tb.ColumnIndex("v")
		seen := map[int64]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		errs := make(chan error, len(chunks))
		for _, ch := range chunks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := sn.ReadChunk(ctx, tb, key, ch, func(row []any) error {
					mu.Lock()
					seen[row[vCol].(int64)]++
					mu.Unlock()
					return nil
				})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("%s: %v", c.table, err)
			}
		}
		if len(seen) != c.rows {
			t.Errorf("%s: %d distinct rows read, want %d", c.table, len(seen), c.rows)
		}
		for v, n := range seen {
			if n != 1 {
				t.Errorf("%s: row v=%d read %d times", c.table, v, n)
			}
		}
	}
}

// applyChange applies a stream change to a table image keyed by its first column.
func applyChange(image map[any][]any, c schema.Change) {
	switch c.Op {
	case schema.OpInsert:
		image[c.After[0]] = c.After
	case schema.OpUpdate:
		delete(image, c.Before[0])
		image[c.After[0]] = c.After
	case schema.OpDelete:
		delete(image, c.Before[0])
	}
}

func selectAll(t *testing.T, pool *sql.DB, q string) [][]any {
	t.Helper()
	rows, err := pool.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		var id, v int64
		var s string
		if err := rows.Scan(&id, &v, &s); err != nil {
			t.Fatal(err)
		}
		out = append(out, []any{id, v, s})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSnapshotUnderWritesMariaDB(t *testing.T) {
	testSnapshotUnderWrites(t, mariaDBFull(t), SnapshotOptions{}, OneView)
}
func TestSnapshotUnderWritesMySQL(t *testing.T) {
	testSnapshotUnderWrites(t, mysql9(t), SnapshotOptions{}, OneView)
}
func TestSnapshotUnderWritesMySQLLockFree(t *testing.T) {
	testSnapshotUnderWrites(t, mysql9(t), SnapshotOptions{NoLock: true}, ReplayFromBefore)
}

// testSnapshotUnderWrites copies tables while a writer inserts, updates (keys too)
// and deletes, then streams from the snapshot's position: applying the changes to
// the copy must give exactly the final tables, for the keyed one always, and for the
// keyless one (compared as a multiset) when the readers shared one view.
func testSnapshotUnderWrites(t *testing.T, srv cdcServer, opts SnapshotOptions, guarantee Guarantee) {
	db := srv.newDB(t)
	var rows []string
	for i := 1; i <= 2000; i++ {
		rows = append(rows, fmt.Sprintf("(%d, %d, 's%d')", i, i, i))
	}
	srv.exec(t, db,
		"CREATE TABLE k (id INT PRIMARY KEY, v INT NOT NULL, s VARCHAR(20) NOT NULL)",
		"CREATE TABLE nk (id INT NOT NULL, v INT NOT NULL, s VARCHAR(20) NOT NULL)",
		"INSERT INTO k VALUES "+strings.Join(rows, ","),
		"INSERT INTO nk VALUES "+strings.Join(rows, ","))
	src := srv.source(t, db)
	tables := discoverTables(t, src)
	pool := srv.open(t, db)

	// The writer runs a fixed number of operations; the snapshot begins once it is
	// well under way.
	const ops = 1500
	var done atomic.Int64
	started := make(chan struct{})
	writerErr := make(chan error, 1)
	go func() {
		r := rand.New(rand.NewPCG(1, 2))
		next := int64(10_000)
		for i := 0; i < ops; i++ {
			if i == 200 {
				close(started)
			}
			id := r.IntN(2000) + 1
			var err error
			switch r.IntN(5) {
			case 0:
				next++
				_, err = pool.Exec("INSERT INTO k VALUES (?, ?, 'new')", next, i)
				if err == nil {
					_, err = pool.Exec("INSERT INTO nk VALUES (?, ?, 'new')", next, i)
				}
			case 1:
				_, err = pool.Exec("UPDATE k SET v = v + 1, s = 'upd' WHERE id = ?", id)
				if err == nil {
					_, err = pool.Exec("UPDATE nk SET v = v + 1, s = 'upd' WHERE id = ?", id)
				}
			case 2:
				next++ // a primary-key update
				_, err = pool.Exec("UPDATE k SET id = ? WHERE id = ?", next, id)
			case 3:
				_, err = pool.Exec("DELETE FROM k WHERE id = ?", id)
				if err == nil {
					_, err = pool.Exec("DELETE FROM nk WHERE id = ?", id)
				}
			default:
				tx, terr := pool.Begin()
				if terr != nil {
					err = terr
					break
				}
				_, err = tx.Exec("UPDATE k SET v = -v WHERE id BETWEEN ? AND ?", id, id+20)
				if err == nil {
					_, err = tx.Exec("INSERT INTO nk VALUES (?, 0, 'tx')", id)
				}
				if err == nil {
					err = tx.Commit()
				} else {
					tx.Rollback()
				}
			}
			if err != nil {
				writerErr <- err
				return
			}
			done.Add(1)
		}
		writerErr <- nil
	}()
	<-started

	ctx := context.Background()
	opts.Readers, opts.Logger = 3, quietLogger()
	sn, err := src.BeginSnapshot(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if sn.Guarantee() != guarantee {
		t.Errorf("guarantee %s (%s), want %s", sn.Guarantee(), sn.Method(), guarantee)
	}
	images := map[string]map[any][]any{"k": {}}
	var keyless [][]any
	var mu sync.Mutex
	for _, name := range []string{"k", "nk"} {
		tb := tables[name]
		key, _ := ChunkKey(tb, "")
		plan, err := sn.PlanChunks(ctx, tb, key, 150)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for _, ch := range plan.Chunks() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := sn.ReadChunk(ctx, tb, key, ch, func(row []any) error {
					mu.Lock()
					defer mu.Unlock()
					if name == "k" {
						images["k"][row[0]] = row
					} else {
						keyless = append(keyless, row)
					}
					return nil
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	from := sn.Position()
	sn.Close()
	if err := <-writerErr; err != nil {
		t.Fatal(err)
	}

	c := streamUntil(t, src, from, []*schema.Table{tables["k"], tables["nk"]}, StreamOptions{})
	for _, ch := range c.changes {
		switch ch.Table.Name {
		case "k":
			applyChange(images["k"], ch)
		case "nk":
			switch ch.Op {
			case schema.OpInsert:
				keyless = append(keyless, ch.After)
			case schema.OpUpdate, schema.OpDelete:
				for i, r := range keyless {
					if reflect.DeepEqual(r, ch.Before) {
						keyless = append(keyless[:i], keyless[i+1:]...)
						break
					}
				}
				if ch.Op == schema.OpUpdate {
					keyless = append(keyless, ch.After)
				}
			}
		}
	}
	var gotK [][]any
	for _, r := range images["k"] {
		gotK = append(gotK, r)
	}
	sortRows(gotK)
	wantK := selectAll(t, pool, "SELECT id, v, s FROM k")
	sortRows(wantK)
	if !reflect.DeepEqual(gotK, wantK) {
		t.Errorf("keyed table: snapshot + stream has %d rows, the table %d; first difference %s", len(gotK), len(wantK), firstDiff(gotK, wantK))
	}
	if guarantee == OneView {
		sortRows(keyless)
		wantNK := selectAll(t, pool, "SELECT id, v, s FROM nk")
		sortRows(wantNK)
		if !reflect.DeepEqual(keyless, wantNK) {
			t.Errorf("keyless table: snapshot + stream has %d rows, the table %d; first difference %s", len(keyless), len(wantNK), firstDiff(keyless, wantNK))
		}
	}
}

func sortRows(rows [][]any) {
	sort.Slice(rows, func(i, j int) bool { return fmt.Sprint(rows[i]) < fmt.Sprint(rows[j]) })
}

func firstDiff(a, b [][]any) string {
	for i := 0; i < len(a) && i < len(b); i++ {
		if !reflect.DeepEqual(a[i], b[i]) {
			return fmt.Sprintf("at %d: %v vs %v", i, a[i], b[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d", len(a), len(b))
}
