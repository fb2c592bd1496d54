package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/config"
	"github.com/doris-sync/doris-sync/ddl"
	"github.com/doris-sync/doris-sync/schema"
	"github.com/doris-sync/doris-sync/testkit/mariadb"
	pgkit "github.com/doris-sync/doris-sync/testkit/postgres"
)

// killWorkload builds the same source in every process: a keyed table, a table without
// a key, two shards merged into one Doris table, rows before the job, and a log of
// transactions (inserts, updates, deletes, primary-key updates, an ADD COLUMN half-way).
func killWorkload(seed int64) *fakeDB {
	rnd := rand.New(rand.NewSource(seed))
	orders := keyedTable("src", "orders", textCol("note"), intCol("qty", true))
	events := keylessTable("src", "events", intCol("a", true), textCol("b"))
	s1 := keyedTable("src", "s_1", textCol("v"))
	s2 := keyedTable("src", "s_2", textCol("v"))
	db := newFakeDB(orders, events, s1, s2)
	db.chunk = 7
	live := map[string]map[int64][]any{"orders": {}, "s_1": {}, "s_2": {}}
	next := map[string]int64{"orders": 1, "s_1": 1, "s_2": 100000, "events": 1}
	width := 3
	row := func(table string, id int64) []any {
		if table != "orders" {
			return []any{id, fmt.Sprintf("v%d", rnd.Intn(1000))}
		}
		r := []any{id, fmt.Sprintf("n%d", rnd.Intn(1000)), int64(rnd.Intn(100))}
		if width == 4 {
			r = append(r, fmt.Sprintf("x%d", rnd.Intn(10)))
		}
		return r
	}
	for _, table := range []string{"orders", "s_1", "s_2"} {
		for i := 0; i < 40; i++ {
			id := next[table]
			next[table]++
			r := row(table, id)
			live[table][id] = r
			db.seed(table, r)
		}
	}
	for i := 0; i < 60; i++ {
		db.seed("events", []any{next["events"], "seed"})
		next["events"]++
	}
	keys := func(table string) []int64 {
		var ks []int64
		for k := range live[table] {
			ks = append(ks, k)
		}
		// Sort so the log does not depend on map order.
		for i := 1; i < len(ks); i++ {
			for j := i; j > 0 && ks[j] < ks[j-1]; j-- {
				ks[j], ks[j-1] = ks[j-1], ks[j]
			}
		}
		return ks
	}
	for txn := 0; txn < 240; txn++ {
		if txn == 120 {
			orders = keyedTable("src", "orders", textCol("note"), intCol("qty", true), textCol("extra"))
			for k, r := range live["orders"] {
				live["orders"][k] = append(r, nil)
			}
			width = 4
			db.commit(ddlChange(orders, "ALTER TABLE orders ADD COLUMN extra varchar(64)"))
			continue
		}
		var changes []schema.Change
		for n := 1 + rnd.Intn(3); n > 0; n-- {
			table := []string{"orders", "orders", "events", "s_1", "s_2"}[rnd.Intn(5)]
			id := db.id(table)
			if table == "events" {
				changes = append(changes, ins(id, next["events"], fmt.Sprintf("t%d", txn)))
				next["events"]++
				continue
			}
			ks := keys(table)
			switch op := rnd.Intn(10); {
			case op < 4 || len(ks) == 0:
				k := next[table]
				next[table]++
				r := row(table, k)
				live[table][k] = r
				changes = append(changes, ins(id, r...))
			case op < 7:
				k := ks[rnd.Intn(len(ks))]
				r := row(table, k)
				changes = append(changes, upd(id, live[table][k], r))
				live[table][k] = r
			case op < 8 && table == "orders":
				// The primary key moves.
				k := ks[rnd.Intn(len(ks))]
				nk := next[table]
				next[table]++
				r := row(table, nk)
				changes = append(changes, upd(id, live[table][k], r))
				delete(live[table], k)
				live[table][nk] = r
			default:
				k := ks[rnd.Intn(len(ks))]
				changes = append(changes, del(id, live[table][k]...))
				delete(live[table], k)
			}
		}
		db.commit(changes...)
	}
	return db
}

// childJob is what a child process runs: the fake source's workload (Seed, End) or,
// with Kind set, a full sync of a real source built like the command line does.
type childJob struct {
	StateDir, HTTP, MySQL string
	Seed                  int64
	End                   int

	Kind                string
	Source, Sink, Table []string
	Flags               map[string]string
}

const childEnv = "DORIS_SYNC_ENGINE_CHILD"

// TestHelperEngineProcess is not a test: it is the child process TestKillAndResume
// starts and kills (the os/exec helper-process pattern). It does nothing in a normal run.
func TestHelperEngineProcess(t *testing.T) {
	spec := os.Getenv(childEnv)
	if spec == "" {
		return
	}
	var job childJob
	if err := json.Unmarshal([]byte(spec), &job); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if job.Kind != "" {
		j := buildJob(t, config.Kind(job.Kind), args{source: job.Source, sink: job.Sink, table: job.Table, flags: job.Flags})
		if err := ReplicateJob(context.Background(), j, nil); err != nil {
			fmt.Fprintf(os.Stderr, "child run failed: %v\n", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	db := killWorkload(job.Seed)
	db.end = job.End
	logs := &syncBuffer{}
	opts := rigOptions(t, &fakeSource{db: db}, killNaming(), job.HTTP, job.MySQL, job.StateDir, logs, &syncBuffer{})
	opts.StopWhenCaughtUp = true
	opts.Sink.FlushMaxRows = 15
	opts.Sink.FlushInterval = 5 * time.Millisecond
	if err := Replicate(context.Background(), opts); err != nil {
		fmt.Fprintf(os.Stderr, "child run failed: %v\n%s", err, logs.String())
		os.Exit(1)
	}
	os.Exit(0)
}

func killNaming() ddl.NamingRules {
	return ddl.NamingRules{Database: "dst", MultiToOneOrigin: "s_.*", MultiToOneTarget: "shards"}
}

// Kill -9 at random moments (while preparing, copying, streaming, around the DDL),
// with the source moving on between runs: the last run makes every Doris table equal
// to its source, row for row, keyed and unkeyed, nothing lost and nothing doubled.
func TestKillAndResume(t *testing.T) {
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rnd := rand.New(rand.NewSource(seed))
	doris := startStandIn(t)
	dir := t.TempDir()
	job := childJob{StateDir: dir, HTTP: doris.srv.HTTPAddr(), MySQL: doris.srv.MySQLAddr(), Seed: 7}
	db := killWorkload(job.Seed)
	total := len(db.log)
	outputs := map[*exec.Cmd]*syncBuffer{}
	start := func(end int) *exec.Cmd {
		job.End = end
		spec, _ := json.Marshal(job)
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperEngineProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"="+string(spec))
		out := &syncBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		outputs[cmd] = out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	kills := 0
	const runs = 30
	for i := 0; i < runs; i++ {
		end := total * i / runs
		loadsBefore := len(doris.srv.Loads())
		cmd := start(end)
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		// Kill after a random number of loads, or at a random instant; one run in four
		// may finish, so later kills also hit a streaming job.
		wantLoads := loadsBefore + 1 + rnd.Intn(12)
		deadline := time.Now().Add(time.Duration(rnd.Intn(150)) * time.Millisecond)
		if rnd.Intn(4) == 0 {
			wantLoads, deadline = 1<<30, time.Now().Add(time.Hour)
		}
		killed := false
		for !killed {
			select {
			case err := <-exited:
				if err != nil {
					t.Fatalf("run %d (log end %d) failed: %v\n%s", i, end, err, outputs[cmd].String())
				}
				killed = true
				continue
			case <-time.After(2 * time.Millisecond):
			}
			if len(doris.srv.Loads()) >= wantLoads || time.Now().After(deadline) {
				_ = cmd.Process.Kill()
				<-exited
				kills++
				killed = true
				if st, err := loadStateFile(dir, "job"); err == nil {
					t.Logf("run %d killed after %d loads: phase %s, checkpoint %d, %d loads in flight",
						i, len(doris.srv.Loads())-loadsBefore, st.Phase, savedPosition(t, st), len(st.Loads))
				}
			}
		}
	}
	final := start(total)
	if err := final.Wait(); err != nil {
		t.Fatalf("final run failed: %v\n%s", err, outputs[final].String())
	}
	t.Logf("%d runs killed", kills)
	for _, c := range []struct {
		doris   string
		sources []string
	}{{"orders", []string{"orders"}}, {"events", []string{"events"}}, {"shards", []string{"s_1", "s_2"}}} {
		got, want := dumpRows(t, doris.srv, "dst", c.doris), fakeRows(db, c.sources...)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("Doris table %s differs from its source after %d kills: %d rows, want %d\n%s", c.doris, kills, len(got), len(want), diffRows(got, want))
		}
	}
}

// diffRows lists rows only one side has (with multiplicity).
func diffRows(got, want []string) string {
	count := map[string]int{}
	for _, r := range got {
		count[r]++
	}
	for _, r := range want {
		count[r]--
	}
	out := ""
	n := 0
	for r, c := range count {
		if c != 0 && n < 20 {
			out += fmt.Sprintf("  %+d × %s\n", c, r)
			n++
		}
	}
	return out
}

// startChild starts the helper process on a job; its output is collected.
func startChild(t *testing.T, job childJob) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	spec, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperEngineProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+string(spec))
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, out
}

// killLoop runs the job in child processes, each killed with SIGKILL after a random
// number of loads or a random time, while write keeps changing the source; then it
// stops the writer and lets a last run catch up.
func killLoop(t *testing.T, doris standIn, job childJob, runs int, write func(stop <-chan struct{})) {
	t.Helper()
	seed := time.Now().UnixNano()
	t.Logf("kill seed %d", seed)
	rnd := rand.New(rand.NewSource(seed))
	stop := make(chan struct{})
	writing := make(chan struct{})
	go func() { defer close(writing); write(stop) }()
	for i := 0; i < runs; i++ {
		before := len(doris.srv.Loads())
		cmd, out := startChild(t, job)
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		want := before + 1 + rnd.Intn(10)
		deadline := time.Now().Add(time.Duration(50+rnd.Intn(700)) * time.Millisecond)
		// Every other run is killed only once it streams, so kills hit every phase.
		streaming := i%2 == 1
	wait:
		for {
			select {
			case err := <-exited:
				close(stop)
				<-writing
				t.Fatalf("run %d ended by itself: %v\n%s", i, err, out.String())
			case <-time.After(5 * time.Millisecond):
			}
			if streaming {
				if st, err := loadStateFile(job.Flags["state-dir"], job.Flags["job-name"]); err == nil && st.Phase == "streaming" {
					streaming = false
					// Checkpoints come every second: some kills land before one,
					// some after a few.
					want = len(doris.srv.Loads()) + 1 + rnd.Intn(200)
					deadline = time.Now().Add(time.Duration(rnd.Intn(2500)) * time.Millisecond)
				}
				continue
			}
			if len(doris.srv.Loads()) >= want || time.Now().After(deadline) {
				_ = cmd.Process.Kill()
				<-exited
				if st, err := loadStateFile(job.Flags["state-dir"], job.Flags["job-name"]); err == nil {
					t.Logf("run %d killed after %d loads: phase %s, %d loads in flight", i, len(doris.srv.Loads())-before, st.Phase, len(st.Loads))
				}
				break wait
			}
		}
	}
	close(stop)
	<-writing
	job.Flags["stop-when-caught-up"] = "true"
	final, out := startChild(t, job)
	if err := final.Wait(); err != nil {
		t.Fatalf("the last run failed: %v\n%s", err, out.String())
	}
}

func TestMariaDBKillAndResume(t *testing.T) {
	srv := mariadb.Shared(t)
	db := srv.DB(t)
	srv.Exec(t, db,
		"CREATE TABLE orders (id INT PRIMARY KEY, note VARCHAR(64), qty INT)",
		"CREATE TABLE events (a INT, b VARCHAR(32))",
		"INSERT INTO orders SELECT seq, CONCAT('n', seq), seq FROM seq_1_to_400",
		"INSERT INTO events SELECT seq, 'seed' FROM seq_1_to_300",
	)
	doris := startStandIn(t)
	job := childJob{
		Kind: string(config.MySQL), Source: append(mysqlServerConf(srv, db), "scan.incremental.snapshot.chunk.size=20"),
		Sink:  append(doris.sinkConf(), "sink.buffer-flush.interval=20ms", "sink.buffer-flush.max-rows=40"),
		Flags: map[string]string{"database": "dst", "state-dir": t.TempDir(), "job-name": "kill", "snapshot-parallelism": "2"},
	}
	pool := srv.Open(t, db)
	next := 1000
	killLoop(t, doris, job, 10, func(stop <-chan struct{}) {
		rnd := rand.New(rand.NewSource(1))
		for {
			select {
			case <-stop:
				return
			case <-time.After(3 * time.Millisecond):
			}
			next++
			var stmts []string
			switch rnd.Intn(5) {
			case 0:
				stmts = []string{fmt.Sprintf("UPDATE orders SET note = 'u%d' WHERE id = %d", next, 1+rnd.Intn(next))}
			case 1:
				stmts = []string{fmt.Sprintf("DELETE FROM orders WHERE id = %d", 1+rnd.Intn(next))}
			case 2:
				stmts = []string{fmt.Sprintf("UPDATE orders SET id = %d WHERE id = %d", 100000+next, 1+rnd.Intn(400))}
			default:
				stmts = []string{fmt.Sprintf("INSERT INTO orders VALUES (%d, 'i', %d)", next, next), fmt.Sprintf("INSERT INTO events VALUES (%d, 'live')", next)}
			}
			for _, q := range stmts {
				if _, err := pool.Exec(q); err != nil {
					t.Errorf("source write %s: %v", q, err)
					return
				}
			}
		}
	})
	sameLines(t, "orders", dumpRows(t, doris.srv, "dst", "orders"), sqlRows(t, pool, "SELECT * FROM orders"))
	sameLines(t, "events", dumpRows(t, doris.srv, "dst", "events"), sqlRows(t, pool, "SELECT * FROM events"))
}

func TestPostgresKillAndResume(t *testing.T) {
	srv := pgkit.Shared(t)
	db := srv.DB(t)
	srv.Exec(t, db,
		"CREATE TABLE orders (id integer PRIMARY KEY, note varchar(64), qty integer)",
		"CREATE TABLE events (a integer, b varchar(32))",
		"ALTER TABLE events REPLICA IDENTITY FULL",
		"INSERT INTO orders SELECT g, 'n' || g, g FROM generate_series(1, 400) g",
		"INSERT INTO events SELECT g, 'seed' FROM generate_series(1, 300) g",
		"CREATE PUBLICATION kill_pub FOR ALL TABLES",
	)
	slot := fmt.Sprintf("kill_%d", time.Now().UnixNano()%1e9)
	conn := srv.Conn(t, db)
	t.Cleanup(func() { _, _ = conn.Exec(context.Background(), "SELECT pg_drop_replication_slot($1)", slot) })
	doris := startStandIn(t)
	job := childJob{
		Kind: string(config.Postgres),
		Source: []string{"hostname=" + srv.Host, fmt.Sprint("port=", srv.Port), "username=" + srv.ReplUser, "password=" + srv.ReplPassword,
			"database-name=" + db, "schema-name=public", "slot.name=" + slot, "publication.name=kill_pub", "connect.max-retries=0",
			"scan.incremental.snapshot.chunk.size=20"},
		Sink:  append(doris.sinkConf(), "sink.buffer-flush.interval=20ms", "sink.buffer-flush.max-rows=40"),
		Flags: map[string]string{"database": "dst", "state-dir": t.TempDir(), "job-name": "kill", "snapshot-parallelism": "2"},
	}
	writer := srv.Conn(t, db)
	next := 1000
	killLoop(t, doris, job, 8, func(stop <-chan struct{}) {
		rnd := rand.New(rand.NewSource(1))
		for {
			select {
			case <-stop:
				return
			case <-time.After(3 * time.Millisecond):
			}
			next++
			var stmts []string
			switch rnd.Intn(5) {
			case 0:
				stmts = []string{fmt.Sprintf("UPDATE orders SET note = 'u%d' WHERE id = %d", next, 1+rnd.Intn(next))}
			case 1:
				stmts = []string{fmt.Sprintf("DELETE FROM orders WHERE id = %d", 1+rnd.Intn(next))}
			case 2:
				stmts = []string{fmt.Sprintf("UPDATE orders SET id = %d WHERE id = %d", 100000+next, 1+rnd.Intn(400))}
			default:
				stmts = []string{fmt.Sprintf("INSERT INTO orders VALUES (%d, 'i', %d)", next, next), fmt.Sprintf("INSERT INTO events VALUES (%d, 'live')", next)}
			}
			for _, q := range stmts {
				if _, err := writer.Exec(context.Background(), q); err != nil {
					t.Errorf("source write %s: %v", q, err)
					return
				}
			}
		}
	})
	sameLines(t, "orders", dumpRows(t, doris.srv, "dst", "orders"), pgRows(t, conn, "SELECT * FROM orders"))
	sameLines(t, "events", dumpRows(t, doris.srv, "dst", "events"), pgRows(t, conn, "SELECT * FROM events"))
}
