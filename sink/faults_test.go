package sink

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/testkit/doris"
)

// checkExactlyOnce asserts events holds ids 1..n exactly once each.
func checkExactlyOnce(t *testing.T, d *standin, table string, n int) {
	t.Helper()
	rows := d.dump("d", table)
	seen := map[string]int{}
	for _, r := range rows {
		seen[r["id"].(string)]++
	}
	for i := 1; i <= n; i++ {
		id := strconv.Itoa(i)
		if seen[id] != 1 {
			t.Errorf("row %s is in the table %d times, want exactly once", id, seen[id])
		}
	}
	if len(rows) != n {
		t.Errorf("table has %d rows, want %d", len(rows), n)
	}
}

func writeEvents(t *testing.T, w *Writer, h *TableHandle, from, to int) {
	t.Helper()
	for i := from; i <= to; i++ {
		write(t, w, h, Change{Seq: uint64(i), Op: Insert, Row: []any{int64(i), "event " + strconv.Itoa(i)}})
	}
}

// labelsSent counts load attempts per label.
func labelsSent(d *standin, table string) map[string]int {
	out := map[string]int{}
	for _, l := range d.s.Loads() {
		if l.Table == table {
			out[l.Label]++
		}
	}
	return out
}

// Every failure mode of a load is survived without losing or doubling a row of a
// DUPLICATE table, and every retry reuses the batch's label.
func TestFaultsNeitherLoseNorDoubleRows(t *testing.T) {
	cases := []struct {
		action  string
		count   int
		retried bool // the faulted batch must have been sent more than once
	}{
		{doris.FaultFail, 2, true},
		{doris.FaultHTTP500, 2, true},
		{doris.FaultReset, 2, true},
		{doris.FaultResetAfterCommit, 1, true},
		{doris.FaultTimeout, 1, true},
		{doris.FaultPublishTimeout, 2, false},
		{doris.FaultLabelRunning, 2, true},
		{doris.FaultSlow, 2, false},
	}
	for _, twoPhase := range []TwoPhaseMode{TwoPhaseOff, TwoPhaseOn} {
		for _, c := range cases {
			name := c.action + "/2pc=" + strconv.FormatBool(twoPhase == TwoPhaseOn)
			t.Run(name, func(t *testing.T) {
				d := startStandin(t, doris.Options{})
				d.addTable(eventsTable)
				cfg := d.config()
				cfg.TwoPhase = twoPhase
				cfg.FlushMaxRows = 10
				cfg.ReadTimeout = time.Second
				w := openWriter(t, cfg, nil, nil)
				h := register(t, w, eventsTable)
				// The fault hits the second batch (labels carry the first sequence).
				label := batchLabel(cfg.LabelPrefix, "d", "events", w.epoch, 11, 0, 10)
				d.s.InjectFault(doris.Fault{Match: doris.FaultMatch{Table: "events", Label: label}, Action: c.action, Count: c.count, DelayMs: 50})
				writeEvents(t, w, h, 1, 25)
				flushAll(t, w)
				checkExactlyOnce(t, d, "events", 25)
				if ft := w.FlushedThrough(); ft != 25 {
					t.Errorf("FlushedThrough = %d, want 25", ft)
				}
				sent := labelsSent(d, "events")
				if len(sent) != 3 {
					t.Errorf("labels sent: %v, want 3 batches", sent)
				}
				if c.retried && sent[label] < 2 {
					t.Errorf("batch %s sent %d times, want a retry with the same label (labels: %v)", label, sent[label], sent)
				}
				if !c.retried && sent[label] != 1 {
					t.Errorf("batch %s sent %d times, want once", label, sent[label])
				}
				s := w.Stats()[0]
				if s.Rows != 25 || s.Loads != 3 {
					t.Errorf("stats rows=%d loads=%d, want 25 rows in 3 loads", s.Rows, s.Loads)
				}
				if c.retried && s.Retries == 0 {
					t.Errorf("stats show no retry")
				}
			})
		}
	}
}

func TestRetriesExhaustedNameTableLabelAndCause(t *testing.T) {
	d := startStandin(t, doris.Options{})
	d.addTable(eventsTable)
	cfg := d.config()
	cfg.MaxRetries = 2
	cfg.TwoPhase = TwoPhaseOff
	w := openWriter(t, cfg, nil, nil)
	h := register(t, w, eventsTable)
	d.s.InjectFault(doris.Fault{Match: doris.FaultMatch{Table: "events"}, Action: doris.FaultFail, Count: 100})
	writeEvents(t, w, h, 1, 5)
	err := w.FlushAll(context.Background())
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("FlushAll = %v, want a *LoadError", err)
	}
	label := batchLabel("test", "d", "events", w.epoch, 1, 0, 5)
	for _, part := range []string{"d.events", label, "after 2 retries", "injected fault"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not mention %q", err, part)
		}
	}
	if n := labelsSent(d, "events")[label]; n != 3 {
		t.Errorf("label sent %d times, want 1 + 2 retries", n)
	}
	if ft := w.FlushedThrough(); ft != 0 {
		t.Errorf("FlushedThrough = %d after a failed load, want 0", ft)
	}
	if err := w.Write(context.Background(), h, Change{Seq: 6, Op: Insert, Row: []any{int64(6), "x"}}); !errors.As(err, &le) {
		t.Errorf("Write after the failure = %v, want the load error", err)
	}
}

func TestRejectedLoadReportsRejectedRows(t *testing.T) {
	d := startStandin(t, doris.Options{})
	d.addTable(usersTable)
	w := openWriter(t, d.config(), nil, nil)
	h := register(t, w, usersTable)
	write(t, w, h, Change{Seq: 1, Op: Insert, Row: []any{int64(1), "fits", int64(1)}})
	write(t, w, h, Change{Seq: 2, Op: Insert, Row: []any{int64(2), strings.Repeat("x", 21), int64(2)}})
	err := w.FlushAll(context.Background())
	if err == nil {
		t.Fatal("a row too long for VARCHAR(20) was accepted")
	}
	for _, part := range []string{"d.users", "too many filtered rows", "first rejected rows", "xxxxxxxxxxxxxxxxxxxxx"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error does not mention %q:\n%v", part, err)
		}
	}
	if n := len(d.s.Loads()); n != 1 {
		t.Errorf("a data-quality rejection was sent %d times, want once (not retryable)", n)
	}
}

// faultyJournal simulates a crash around a journal write: when crash matches a record,
// the record is stored (store=true) or not, and the write fails, which stops the writer
// exactly there, as a kill -9 would.
type faultyJournal struct {
	*MemJournal
	mu    sync.Mutex
	crash func(BatchRecord) (hit, store bool)
}

func (j *faultyJournal) Record(rec BatchRecord) error {
	j.mu.Lock()
	crash := j.crash
	j.mu.Unlock()
	if crash != nil {
		if hit, store := crash(rec); hit {
			if store {
				_ = j.MemJournal.Record(rec)
			}
			j.mu.Lock()
			j.crash = nil
			j.mu.Unlock()
			return errors.New("simulated crash")
		}
	}
	return j.MemJournal.Record(rec)
}

// crashAndReplay runs a first writer until the journal "crashes" on the second batch,
// then a second writer with the same journal replays all changes (nothing was
// checkpointed), and returns the second writer's stats.
func crashAndReplay(t *testing.T, d *standin, cfg Config, crash func(BatchRecord) (bool, bool)) TableStats {
	t.Helper()
	mem := NewMemJournalEpoch("e1")
	j := &faultyJournal{MemJournal: mem, crash: crash}
	w1 := openWriter(t, cfg, j, nil)
	h1 := register(t, w1, eventsTable)
	writeEvents(t, w1, h1, 1, 25)
	if err := w1.FlushAll(context.Background()); err == nil || !strings.Contains(err.Error(), "simulated crash") {
		t.Fatalf("first run FlushAll = %v, want the simulated crash", err)
	}
	through := w1.FlushedThrough()
	_ = w1.Close(context.Background())
	if through != 10 {
		t.Fatalf("first run flushed through %d, want 10 (first batch only)", through)
	}
	w2 := openWriter(t, cfg, mem, nil)
	h2 := register(t, w2, eventsTable)
	// The source replays from the checkpoint; here everything after sequence 0 comes
	// again, including the first batch the journal knows is loaded.
	writeEvents(t, w2, h2, 1, 25)
	flushAll(t, w2)
	if ft := w2.FlushedThrough(); ft != 25 {
		t.Errorf("replay flushed through %d, want 25", ft)
	}
	return w2.Stats()[0]
}

func isBatch2(r BatchRecord) bool { return r.FirstSeq == 11 }

func TestCrashAfterLoadBeforeRecordIsDeduplicatedByLabel(t *testing.T) {
	d := startStandin(t, doris.Options{})
	d.addTable(eventsTable)
	cfg := d.config()
	cfg.FlushMaxRows = 10
	cfg.TwoPhase = TwoPhaseOff
	st := crashAndReplay(t, d, cfg, func(r BatchRecord) (bool, bool) {
		return isBatch2(r) && r.State == BatchLoaded, false // Doris has it; the journal never hears
	})
	checkExactlyOnce(t, d, "events", 25)
	if st.ReplaySkipped != 10 {
		t.Errorf("replay skipped %d changes, want the 10 of the batch recorded as loaded", st.ReplaySkipped)
	}
	label := batchLabel("test", "d", "events", "e1", 11, 0, 10)
	var statuses []string
	for _, l := range d.s.Loads() {
		if l.Label == label {
			statuses = append(statuses, l.Status)
		}
	}
	if len(statuses) != 2 || statuses[0] != "Success" || statuses[1] != "Label Already Exists" {
		t.Errorf("loads of %s: %v, want Success then Label Already Exists (the replay refused by Doris)", label, statuses)
	}
}

func TestCrashAfterRecordBeforeSendLoadsOnReplay(t *testing.T) {
	d := startStandin(t, doris.Options{})
	d.addTable(eventsTable)
	cfg := d.config()
	cfg.FlushMaxRows = 10
	cfg.TwoPhase = TwoPhaseOff
	crashAndReplay(t, d, cfg, func(r BatchRecord) (bool, bool) {
		return isBatch2(r) && r.State == BatchSending, true // recorded, never sent
	})
	checkExactlyOnce(t, d, "events", 25)
}

func TestTwoPhaseCrashAfterPrecommitIsCommittedOnRestart(t *testing.T) {
	d := startStandin(t, doris.Options{})
	d.addTable(eventsTable)
	cfg := d.config()
	cfg.FlushMaxRows = 10 // DUPLICATE table: 2PC in auto mode
	st := crashAndReplay(t, d, cfg, func(r BatchRecord) (bool, bool) {
		return isBatch2(r) && r.State == BatchPrecommitted, true // precommitted, never committed
	})
	checkExactlyOnce(t, d, "events", 25)
	if st.ReplaySkipped != 20 {
		t.Errorf("replay skipped %d changes, want 20 (batch 1, and batch 2 committed at restart)", st.ReplaySkipped)
	}
}

func TestTwoPhaseCrashAfterCommitBeforeRecord(t *testing.T) {
	d := startStandin(t, doris.Options{})
	d.addTable(eventsTable)
	cfg := d.config()
	cfg.FlushMaxRows = 10
	crashAndReplay(t, d, cfg, func(r BatchRecord) (bool, bool) {
		return isBatch2(r) && r.State == BatchLoaded, false // committed; journal still says precommitted
	})
	checkExactlyOnce(t, d, "events", 25)
}

func TestTwoPhaseCrashBeforePrecommitRecord(t *testing.T) {
	d := startStandin(t, doris.Options{})
	d.addTable(eventsTable)
	cfg := d.config()
	cfg.FlushMaxRows = 10
	crashAndReplay(t, d, cfg, func(r BatchRecord) (bool, bool) {
		// Doris precommitted it, but the journal only knows the batch was being sent:
		// restart commits it by label.
		return isBatch2(r) && r.State == BatchPrecommitted, false
	})
	checkExactlyOnce(t, d, "events", 25)
}

func TestDivergedReplayStopsOnDuplicateTable(t *testing.T) {
	d := startStandin(t, doris.Options{})
	d.addTable(eventsTable)
	cfg := d.config()
	cfg.FlushMaxRows = 10
	cfg.TwoPhase = TwoPhaseOff
	mem := NewMemJournalEpoch("e1")
	j := &faultyJournal{MemJournal: mem, crash: func(r BatchRecord) (bool, bool) { return r.State == BatchSending, true }}
	w1 := openWriter(t, cfg, j, nil)
	h1 := register(t, w1, eventsTable)
	writeEvents(t, w1, h1, 1, 10)
	_ = w1.FlushAll(context.Background())
	_ = w1.Close(context.Background())

	w2 := openWriter(t, cfg, mem, nil)
	h2 := register(t, w2, eventsTable)
	writeEvents(t, w2, h2, 1, 5)
	var err error
	for i := 7; i <= 12 && err == nil; i++ { // sequence 6 never comes back
		err = w2.Write(context.Background(), h2, Change{Seq: uint64(i), Op: Insert, Row: []any{int64(i), "x"}})
	}
	if err == nil || !strings.Contains(err.Error(), "differ from the journaled batch") || !strings.Contains(err.Error(), "DUPLICATE") {
		t.Fatalf("diverged replay error = %v", err)
	}
	if len(d.dump("d", "events")) != 0 {
		t.Errorf("rows were loaded from a diverged replay")
	}
}

// A batch the journal shows loaded is skipped on replay, and the batches around it are
// cut at its edges so every record keeps describing a range a later replay can re-form.
func TestReplayCutsBatchesAroundJournaledOnes(t *testing.T) {
	d := startStandin(t, doris.Options{})
	d.addTable(eventsTable)
	cfg := d.config()
	cfg.TwoPhase = TwoPhaseOff
	j := NewMemJournalEpoch("e1")
	j.Record(BatchRecord{Label: "earlier_run_batch", DB: "d", Table: "events", FirstSeq: 6, LastSeq: 10, Changes: 5, State: BatchLoaded})
	w := openWriter(t, cfg, j, nil)
	h := register(t, w, eventsTable)
	writeEvents(t, w, h, 1, 15)
	flushAll(t, w)
	var ids []string
	for _, r := range d.dump("d", "events") {
		ids = append(ids, r["id"].(string))
	}
	if strings.Join(ids, ",") != "1,2,3,4,5,11,12,13,14,15" {
		t.Errorf("loaded ids %v, want 1-5 and 11-15 (6-10 are recorded as loaded)", ids)
	}
	recs, _ := j.Records()
	var ranges []string
	for _, r := range recs {
		ranges = append(ranges, strconv.FormatUint(r.FirstSeq, 10)+"-"+strconv.FormatUint(r.LastSeq, 10))
	}
	if strings.Join(ranges, ",") != "6-10,1-5,11-15" {
		t.Errorf("journal ranges %v, want disjoint batches 6-10, 1-5, 11-15", ranges)
	}
	if st := w.Stats()[0]; st.ReplaySkipped != 5 {
		t.Errorf("ReplaySkipped = %d", st.ReplaySkipped)
	}
}
