package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/exitcode"
)

func labels(ls []LoadRecord) string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Label+":"+string(l.State))
	}
	return strings.Join(out, " ")
}

func TestLoadRecords(t *testing.T) {
	st, _ := newState("j")
	add := func(l LoadRecord) {
		t.Helper()
		if err := st.AddLoad(l); err != nil {
			t.Fatal(err)
		}
	}
	add(LoadRecord{Label: "a", DB: "dw", Table: "t1", LastSeq: 10, State: LoadSending})
	add(LoadRecord{Label: "b", DB: "dw", Table: "t2", LastSeq: 20, State: LoadSending, TwoPhase: true})
	add(LoadRecord{Label: "c", DB: "dw", Table: "t1", LastSeq: 30, State: LoadSending})
	add(LoadRecord{Label: "b", DB: "dw", Table: "t2", LastSeq: 20, State: LoadPrecommitted, TwoPhase: true, TxnID: 7})
	if got := labels(st.Loads); got != "a:sending b:precommitted c:sending" {
		t.Errorf("after replacing b: %s", got)
	}
	if st.Loads[1].TxnID != 7 {
		t.Errorf("replaced record lost its txn id: %+v", st.Loads[1])
	}
	if got := labels(st.LoadsOf("dw", "t1")); got != "a:sending c:sending" {
		t.Errorf("LoadsOf(dw.t1) = %s", got)
	}
	if !st.ResolveLoad("a") || st.ResolveLoad("a") {
		t.Error("ResolveLoad did not drop a exactly once")
	}
	st.ForgetLoads(20)
	if got := labels(st.Loads); got != "c:sending" {
		t.Errorf("after ForgetLoads(20): %s", got)
	}
	if err := st.AddLoad(LoadRecord{DB: "dw", Table: "t1", State: LoadSending}); err == nil {
		t.Error("a load without a label was recorded")
	}
	if err := st.AddLoad(LoadRecord{Label: "x", State: "loaded"}); err == nil {
		t.Error("a load with an unknown state was recorded")
	}
}

// pos encodes a test position: a plain number compared numerically.
func pos(n int) json.RawMessage { return raw(strconv.Itoa(n)) }

func atOrBefore(limit int) AtOrBefore {
	return func(p json.RawMessage) (bool, error) {
		n, err := strconv.Atoi(string(p))
		return n <= limit, err
	}
}

func TestSchemaHistory(t *testing.T) {
	st, _ := newState("j")
	for _, v := range []SchemaVersion{
		{Position: pos(10), Table: raw(`{"cols":["id"]}`), DDL: "CREATE TABLE t (id int)"},
		{Position: pos(20), Table: raw(`{"cols":["id","a"]}`), DDL: "ALTER TABLE t ADD a int"},
		{Position: pos(30), Table: raw(`{"cols":["id","a","b"]}`), DDL: "ALTER TABLE t ADD b int"},
	} {
		if err := st.AppendSchema("shop.t", v); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.AppendSchema("shop.u", SchemaVersion{Position: pos(5)}); err != nil {
		t.Fatal(err)
	}
	for at, want := range map[int]string{25: "ALTER TABLE t ADD a int", 30: "ALTER TABLE t ADD b int", 10: "CREATE TABLE t (id int)"} {
		v, ok, err := st.SchemaAt("shop.t", atOrBefore(at))
		if err != nil || !ok || v.DDL != want {
			t.Errorf("SchemaAt(%d) = %q, %v, %v; want %q", at, v.DDL, ok, err, want)
		}
	}
	if _, ok, _ := st.SchemaAt("shop.t", atOrBefore(9)); ok {
		t.Error("SchemaAt before the first version found one")
	}

	if err := st.PruneSchemaHistory(atOrBefore(25)); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range st.SchemaHistory["shop.t"] {
		got = append(got, string(v.Position))
	}
	if strings.Join(got, ",") != "20,30" {
		t.Errorf("after pruning at 25 the history holds positions %v, want 20,30 (the one in force and the newer)", got)
	}
	if len(st.SchemaHistory["shop.u"]) != 1 {
		t.Error("pruning dropped the only version of a table")
	}
	if err := st.PruneSchemaHistory(atOrBefore(1)); err != nil || len(st.SchemaHistory["shop.t"]) != 2 {
		t.Errorf("pruning before every version dropped some: %v, %d left", err, len(st.SchemaHistory["shop.t"]))
	}
	bad := func(json.RawMessage) (bool, error) { return false, errors.New("incomparable") }
	if err := st.PruneSchemaHistory(bad); err == nil || !strings.Contains(err.Error(), "incomparable") {
		t.Errorf("a comparison error was not returned: %v", err)
	}
	if err := st.AppendSchema("shop.t", SchemaVersion{}); err == nil {
		t.Error("a version without a position was appended")
	}
}

func TestRunOutcome(t *testing.T) {
	st, _ := newState("j")
	start := mustTime("2026-03-01T02:00:00Z")
	st.StartRun(start)
	if st.LastRun.Finished != (time.Time{}) || st.LastRun.OK {
		t.Errorf("a started run already has an outcome: %+v", st.LastRun)
	}
	rows := map[string]int64{"dw.t": 5}
	st.FinishRun(start.Add(2500*time.Millisecond), fmt.Errorf("read binlog: %w", exitcode.PositionLost(errors.New("purged"))), rows)
	rows["dw.t"] = 99
	r := st.LastRun
	if r.OK || r.ExitCode != 3 || r.Error != "read binlog: purged" || r.Duration != Duration(2500*time.Millisecond) || r.Rows["dw.t"] != 5 {
		t.Errorf("failed run recorded as %+v", r)
	}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"duration":"2.5s"`) {
		t.Errorf("duration not written as text: %s", data)
	}
	var back Run
	if err := json.Unmarshal(data, &back); err != nil || !reflect.DeepEqual(&back, r) {
		t.Errorf("run did not round-trip: %+v, %v", back, err)
	}
	st.StartRun(start.Add(time.Hour))
	st.FinishRun(start.Add(time.Hour+time.Minute), nil, nil)
	if !st.LastRun.OK || st.LastRun.ExitCode != 0 || st.LastRun.Error != "" {
		t.Errorf("successful run recorded as %+v", st.LastRun)
	}
}

func TestListWhileAJobIsLocked(t *testing.T) {
	dir := t.TempDir()
	running := openT(t, dir, "b-running")
	st, err := running.Resume(sampleIdentity())
	if err != nil {
		t.Fatal(err)
	}
	st.Phase = PhaseSnapshot
	if err := st.SetPosition(raw(`{"kind":"mysql","value":"0-1-9"}`)); err != nil {
		t.Fatal(err)
	}
	tp, _ := st.PlanTable("shop.orders", "dw.orders", 1000, cuts(`[500]`))
	if err := st.MarkChunkDone("shop.orders", tp.Pending()[0], 480); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PlanTable("shop.items", "dw.items", 10, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.AddLoad(LoadRecord{Label: "l", DB: "dw", Table: "orders", State: LoadSending}); err != nil {
		t.Fatal(err)
	}
	st.StartRun(mustTime("2026-03-01T02:00:00Z"))
	saveT(t, running, st)

	idle := openT(t, dir, "a idle")
	ist := loadT(t, idle)
	ist.StartRun(mustTime("2026-03-01T01:00:00Z"))
	ist.FinishRun(mustTime("2026-03-01T01:00:10Z"), nil, map[string]int64{"dw.x": 7})
	saveT(t, idle, ist)
	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(dir, "broken.json", `{"format_version": 9}`); err != nil {
		t.Fatal(err)
	}

	sums, err := List(dir) // "b-running" still holds its lock
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != 3 || sums[0].Job != "a idle" || sums[1].Job != "b-running" || sums[2].Job != "broken" {
		t.Fatalf("List = %+v", sums)
	}
	a, b, broken := sums[0], sums[1], sums[2]
	if a.Err != nil || a.Phase != PhasePlanning || a.LastRun == nil || !a.LastRun.OK || a.LastRun.Duration != Duration(10*time.Second) {
		t.Errorf("idle job summary %+v", a)
	}
	if b.Err != nil || b.Phase != PhaseSnapshot || b.Position != `{"kind":"mysql","value":"0-1-9"}` || b.LoadsInFlight != 1 ||
		b.LastRun == nil || !b.LastRun.Finished.IsZero() || !b.Updated.Equal(st.Updated) {
		t.Errorf("running job summary %+v", b)
	}
	wantTables := []TableSummary{
		{Source: "shop.items", Doris: "dw.items", TotalEstimate: 10, Chunks: 1},
		{Source: "shop.orders", Doris: "dw.orders", Rows: 480, TotalEstimate: 1000, Chunks: 2, ChunksDone: 1},
	}
	if !reflect.DeepEqual(b.Tables, wantTables) {
		t.Errorf("tables %+v, want %+v", b.Tables, wantTables)
	}
	if broken.Err == nil || !strings.Contains(broken.Err.Error(), "newer doris-sync") {
		t.Errorf("broken file summary error: %v", broken.Err)
	}
	if _, err := List(dir + "/missing"); err == nil {
		t.Error("List of a missing directory succeeded")
	}
}

func TestAddLoadStampsTheTime(t *testing.T) {
	st, _ := newState("j")
	before := time.Now().UTC()
	if err := st.AddLoad(LoadRecord{Label: "a", State: LoadSending}); err != nil {
		t.Fatal(err)
	}
	if st.Loads[0].Updated.Before(before) {
		t.Errorf("Updated %v not set to the time of recording", st.Loads[0].Updated)
	}
}
