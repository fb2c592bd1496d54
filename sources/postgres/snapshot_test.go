package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"reflect"
	"sort"
	"sync"
	"testing"

	"github.com/doris-sync/doris-sync/schema"
)

// TestChunkPlanningCoversEveryRowOnce plans and reads tables of every chunking kind
// and checks the chunks hold every row exactly once, also after a JSON round trip (a
// resumed snapshot reads chunks from the state file).
func TestChunkPlanningCoversEveryRowOnce(t *testing.T) {
	e := newReplEnv(t,
		"CREATE TABLE dense (id integer PRIMARY KEY, v text)",
		"INSERT INTO dense SELECT g, 'v' || g FROM generate_series(1, 5000) g",
		"ANALYZE dense",
		"CREATE TABLE sparse (id bigint PRIMARY KEY)",
		"INSERT INTO sparse SELECT g::bigint * g * g FROM generate_series(-2000, 2000) g",
		`CREATE TABLE "Text Keys" ("Part" text, n integer, PRIMARY KEY ("Part", n))`,
		`INSERT INTO "Text Keys" SELECT (ARRAY['it''s', 'back\slash', 'ü', 'a b', ''])[1 + g % 5] || (g % 37), g FROM generate_series(1, 3000) g`,
		"CREATE TABLE nokey (v integer, w text)",
		"INSERT INTO nokey SELECT g, repeat('w', g % 50) FROM generate_series(1, 20000) g",
		"ANALYZE nokey",
		"CREATE TABLE chunkcol (k integer, v text)",
		"INSERT INTO chunkcol SELECT CASE WHEN g % 10 = 0 THEN NULL WHEN g < 1500 THEN 7 ELSE g END, 'x' FROM generate_series(1, 4000) g",
		"CREATE TABLE pnokey (region text, v integer) PARTITION BY LIST (region)",
		"CREATE TABLE pnokey_a PARTITION OF pnokey FOR VALUES IN ('a')",
		"CREATE TABLE pnokey_b PARTITION OF pnokey FOR VALUES IN ('b')",
		"INSERT INTO pnokey SELECT CASE WHEN g % 3 = 0 THEN 'a' ELSE 'b' END, g FROM generate_series(1, 9000) g",
		"ANALYZE pnokey",
		"CREATE TABLE empty (id integer PRIMARY KEY)",
	)
	ctx := context.Background()
	sr, err := e.repl.OpenReader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sr.Close()
	cases := []struct {
		table     string
		key       []string
		minChunks int
	}{
		{"dense", nil, 5}, {"sparse", nil, 5}, {"Text Keys", nil, 3}, {"nokey", nil, 3},
		{"chunkcol", []string{"k"}, 3}, {"pnokey", nil, 3}, {"empty", nil, 1},
	}
	for _, c := range cases {
		table := e.tables(c.table)[0]
		chunks, err := sr.PlanChunks(ctx, table, c.key, 500)
		if err != nil {
			t.Fatalf("%s: %v", c.table, err)
		}
		if len(chunks) < c.minChunks {
			t.Errorf("%s: %d chunks, want at least %d", c.table, len(chunks), c.minChunks)
		}
		var got []string
		for i, ch := range chunks {
			data, err := json.Marshal(ch)
			if err != nil {
				t.Fatal(err)
			}
			var back Chunk
			if err := json.Unmarshal(data, &back); err != nil || !reflect.DeepEqual(back, ch) || back.Index != i {
				t.Fatalf("%s chunk %d: JSON round trip gave %+v from %s (%v)", c.table, i, back, data, err)
			}
			if _, err := sr.ReadChunk(ctx, table, back, func(r []any) error { got = append(got, fmt.Sprint(r...)); return nil }); err != nil {
				t.Fatalf("%s chunk %d (%s): %v", c.table, i, data, err)
			}
		}
		var want []string
		if err := readAllPlain(ctx, sr, table, func(r []any) { want = append(want, fmt.Sprint(r...)) }); err != nil {
			t.Fatal(err)
		}
		sort.Strings(got)
		sort.Strings(want)
		if len(got) != len(want) || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the chunks held %d rows, the table has %d (or different ones)", c.table, len(got), len(want))
		}
	}
}

// readAllPlain reads a whole table as one unbounded chunk.
func readAllPlain(ctx context.Context, sr *SnapshotReader, table *schema.Table, fn func([]any)) error {
	_, err := sr.ReadChunk(ctx, table, Chunk{Table: table.ID, Pages: true}, func(r []any) error { fn(r); return nil })
	return err
}

// TestSnapshotAndStreamConverge copies a table with parallel readers inside the slot's
// exported snapshot while it is being changed, streams from the consistent point, and
// checks that the copy plus the changes give the table's final state.
func TestSnapshotAndStreamConverge(t *testing.T) {
	e := newReplEnv(t,
		"CREATE TABLE conv (id integer PRIMARY KEY, v integer, note text)",
		"INSERT INTO conv SELECT g, g, 'n' || g FROM generate_series(1, 20000) g",
	)
	tables := e.tables("conv")
	table := tables[0]
	e.publish(tables)
	snap := e.createSlot()
	ctx := context.Background()

	const parallel = 3
	readers := make([]*SnapshotReader, parallel)
	for i := range readers {
		var err error
		if readers[i], err = snap.OpenReader(ctx); err != nil {
			t.Fatal(err)
		}
		defer readers[i].Close()
	}
	run := startStream(t, e.repl, StreamOptions{Tables: tables}, snap, 0)

	writes := make(chan error, 1)
	go func() {
		conn := e.srv.Conn(t, e.db)
		rnd := rand.New(rand.NewSource(1))
		for i := 0; i < 400; i++ {
			id := 1 + rnd.Intn(21000)
			var err error
			switch i % 4 {
			case 0:
				_, err = conn.Exec(ctx, "UPDATE conv SET v = v + 1, note = 'u' || $1::int WHERE id = $1", id)
			case 1:
				_, err = conn.Exec(ctx, "DELETE FROM conv WHERE id = $1", id)
			case 2:
				_, err = conn.Exec(ctx, "INSERT INTO conv VALUES ($1, -1, 'i') ON CONFLICT (id) DO UPDATE SET v = -2", id)
			case 3:
				_, err = conn.Exec(ctx, "UPDATE conv SET id = id + 30000 WHERE id = $1", id)
			}
			if err != nil {
				writes <- err
				return
			}
		}
		_, err := conn.Exec(ctx, "INSERT INTO conv VALUES (-1, 0, 'done')")
		writes <- err
	}()

	chunks, err := readers[0].PlanChunks(ctx, table, nil, 1000)
	if err != nil {
		t.Fatal(err)
	}
	state := applied{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, parallel)
	next := make(chan Chunk, len(chunks))
	for _, c := range chunks {
		next <- c
	}
	close(next)
	for _, sr := range readers {
		wg.Add(1)
		go func(sr *SnapshotReader) {
			defer wg.Done()
			for c := range next {
				_, err := sr.ReadChunk(ctx, table, c, func(r []any) error {
					mu.Lock()
					defer mu.Unlock()
					key := fmt.Sprint(r[0])
					if _, dup := state[key]; dup {
						return fmt.Errorf("row %s read twice", key)
					}
					state[key] = r
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}(sr)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(state) != 20000 {
		t.Fatalf("the snapshot read %d rows, want the 20000 of the consistent point", len(state))
	}
	if err := <-writes; err != nil {
		t.Fatal(err)
	}
	for _, c := range run.until(t, func(c schema.Change) bool { return c.Op == schema.OpInsert && c.After[0] == int64(-1) }) {
		state.apply(t, c)
	}
	if _, err := snap.OpenReader(ctx); err == nil {
		t.Error("a reader opened after the stream started: want an error (the snapshot is gone)")
	}

	final, err := e.repl.OpenReader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer final.Close()
	want := applied{}
	if err := readAllPlain(ctx, final, table, func(r []any) { want[fmt.Sprint(r[0])] = r }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(state, want) {
		missing, extra, differ := 0, 0, 0
		for k, v := range want {
			switch got, ok := state[k]; {
			case !ok:
				missing++
			case !reflect.DeepEqual(got, v):
				differ++
			}
		}
		for k := range state {
			if _, ok := want[k]; !ok {
				extra++
			}
		}
		t.Errorf("snapshot plus stream differ from the table: %d rows missing, %d extra, %d different", missing, extra, differ)
	}
}
