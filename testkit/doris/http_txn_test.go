package doris

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestLabelDuplicateFinishedRunningPrecommitted(t *testing.T) {
	h := newHarness(t, Options{})
	h.usersTable("db1", "users")
	h.usersTable("db2", "users")

	first := h.load("db1", "users", map[string]string{"label": "batch-1"}, "1\ta\t1\n")
	wantStatus(t, first, StatusSuccess, "OK")
	dup := h.load("db1", "users", map[string]string{"label": "batch-1"}, "2\tb\t2\n")
	wantMsg := fmt.Sprintf("[LABEL_ALREADY_EXISTS]errCode = 2, detailMessage = Label [batch-1] has already been used, relate to txn [%d]", first.TxnId)
	if dup.Status != StatusLabelExists || dup.ExistingJobStatus != "FINISHED" || dup.TxnId != -1 || dup.Message != wantMsg {
		t.Fatalf("duplicate of a finished load:\n%s\nwant message %s", dup.raw, wantMsg)
	}
	// Labels are per database.
	wantStatus(t, h.load("db2", "users", map[string]string{"label": "batch-1"}, "2\tb\t2\n"), StatusSuccess, "OK")

	// A load in progress holds its label as RUNNING.
	pw, running := h.streamingLoad("db1", "users", map[string]string{"label": "batch-2"}, "3\tc\t3\n")
	dup = h.load("db1", "users", map[string]string{"label": "batch-2"}, "4\td\t4\n")
	if dup.Status != StatusLabelExists || dup.ExistingJobStatus != "RUNNING" || !strings.Contains(dup.Message, "Label [batch-2] has already been used, relate to txn [") {
		t.Fatalf("duplicate of a running load: %s", dup.raw)
	}
	pw.Close()
	r := h.result(running)
	wantStatus(t, r, StatusSuccess, "OK")
	if !strings.Contains(dup.Message, fmt.Sprintf("relate to txn [%d]", r.TxnId)) {
		t.Fatalf("RUNNING message %q does not name txn %d", dup.Message, r.TxnId)
	}

	// A pre-committed 2PC load holds its label as PRECOMMITTED.
	pre := h.load("db1", "users", map[string]string{"label": "batch-3", "two_phase_commit": "true"}, "5\te\t5\n")
	wantStatus(t, pre, StatusSuccess, "OK")
	dup = h.load("db1", "users", map[string]string{"label": "batch-3"}, "5\te\t5\n")
	if dup.ExistingJobStatus != "PRECOMMITTED" || !strings.Contains(dup.Message, fmt.Sprintf("relate to txn [%d]", pre.TxnId)) {
		t.Fatalf("duplicate of a precommitted load: %s", dup.raw)
	}
	wantRows(t, h.rows("db1", "users"), "id=1,name=a,score=1.00", "id=3,name=c,score=3.00")
}

func TestLabelRetentionAndCountCap(t *testing.T) {
	h := newHarness(t, Options{LabelKeep: time.Hour, LabelNumCap: 3})
	clock := newFakeClock(h.s)
	h.usersTable("db1", "users")
	h.usersTable("db2", "users")

	r := h.load("db1", "users", map[string]string{"label": "keep"}, "1\ta\t1\n")
	wantStatus(t, r, StatusSuccess, "OK")
	clock.Advance(59 * time.Minute)
	if d := h.load("db1", "users", map[string]string{"label": "keep"}, "1\ta\t1\n"); d.ExistingJobStatus != "FINISHED" {
		t.Fatalf("label forgotten too early: %s", d.raw)
	}
	clock.Advance(2 * time.Minute)
	wantStatus(t, h.load("db1", "users", map[string]string{"label": "keep"}, "1\ta\t1\n"), StatusSuccess, "OK")
	// The forgotten txn is gone for 2PC too.
	got := h.twoPC("db1", map[string]string{"txn_id": fmt.Sprint(r.TxnId), "txn_operation": "commit"})
	if got["msg"] != fmt.Sprintf("errCode = 2, detailMessage = transaction [%d] not found", r.TxnId) {
		t.Fatalf("commit of a forgotten txn: %v", got)
	}

	for i := 1; i <= 4; i++ {
		wantStatus(t, h.load("db2", "users", map[string]string{"label": fmt.Sprint("cap-", i)}, "1\ta\t1\n"), StatusSuccess, "OK")
	}
	// Four finished txns with a cap of three: the oldest label is forgotten.
	if d := h.load("db2", "users", map[string]string{"label": "cap-2"}, "1\ta\t1\n"); d.ExistingJobStatus != "FINISHED" {
		t.Fatalf("cap-2 should still be remembered: %s", d.raw)
	}
	wantStatus(t, h.load("db2", "users", map[string]string{"label": "cap-1"}, "1\ta\t1\n"), StatusSuccess, "OK")
	// Reusing cap-1 pushed cap-2 out.
	wantStatus(t, h.load("db2", "users", map[string]string{"label": "cap-2"}, "1\ta\t1\n"), StatusSuccess, "OK")
}

func TestTwoPhaseCommitLifecycleAndErrors(t *testing.T) {
	h := newHarness(t, Options{PrecommitTimeout: 10 * time.Minute})
	clock := newFakeClock(h.s)
	h.usersTable("db1", "users")
	analysis := func(msg string) map[string]string {
		return map[string]string{"status": "ANALYSIS_ERROR", "msg": "errCode = 2, detailMessage = " + msg}
	}
	check := func(name string, got, want map[string]string) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: got %v\nwant %v", name, got, want)
		}
	}

	pre := h.load("db1", "users", map[string]string{"label": "tx1", "two_phase_commit": "true"}, "1\ta\t1\n")
	wantStatus(t, pre, StatusSuccess, "OK")
	if pre.TwoPhaseCommit != "true" || pre.CommitAndPublishTimeMs != 0 {
		t.Fatalf("precommit result: %s", pre.raw)
	}
	if rows := h.rows("db1", "users"); len(rows) != 0 {
		t.Fatalf("precommitted rows are visible: %v", rows)
	}
	id := fmt.Sprint(pre.TxnId)
	check("commit", h.twoPC("db1", map[string]string{"txn_id": id, "txn_operation": "commit"}),
		map[string]string{"status": "Success", "msg": "transaction [" + id + "] commit successfully."})
	wantRows(t, h.rows("db1", "users"), "id=1,name=a,score=1.00")
	check("commit again", h.twoPC("db1", map[string]string{"txn_id": id, "txn_operation": "commit"}),
		analysis("transaction ["+id+"] is already visible, not pre-committed."))
	check("abort visible", h.twoPC("db1", map[string]string{"txn_id": id, "txn_operation": "abort"}),
		analysis("transaction ["+id+"] is already VISIBLE, could not abort."))

	pre = h.load("db1", "users", map[string]string{"label": "tx2", "two_phase_commit": "true"}, "2\tb\t2\n")
	id = fmt.Sprint(pre.TxnId)
	check("abort by label", h.twoPC("db1", map[string]string{"label": "tx2", "txn_operation": "abort"}),
		map[string]string{"status": "Success", "msg": "label [tx2] abort successfully."})
	check("commit aborted", h.twoPC("db1", map[string]string{"txn_id": id, "txn_operation": "commit"}),
		analysis("transaction ["+id+"] is already aborted. abort reason: User Abort"))
	check("abort aborted", h.twoPC("db1", map[string]string{"txn_id": id, "txn_operation": "abort"}),
		analysis("transaction ["+id+"] is already aborted, abort reason: User Abort"))
	wantStatus(t, h.load("db1", "users", map[string]string{"label": "tx2"}, "2\tb\t2\n"), StatusSuccess, "OK")

	check("unknown txn", h.twoPC("db1", map[string]string{"txn_id": "999999", "txn_operation": "commit"}),
		analysis("transaction [999999] not found"))
	check("commit unknown label", h.twoPC("db1", map[string]string{"label": "nope", "txn_operation": "commit"}),
		analysis("transaction not found, label=nope"))
	check("abort unknown label", h.twoPC("db1", map[string]string{"label": "nope", "txn_operation": "abort"}),
		analysis("running transaction not found, label=nope"))
	check("bad txn id", h.twoPC("db1", map[string]string{"txn_id": "abc", "txn_operation": "commit"}),
		map[string]string{"status": "INTERNAL_ERROR", "msg": "convert txn_id [abc] failed"})
	check("bad operation", h.twoPC("db1", map[string]string{"txn_id": id, "txn_operation": "COMMIT"}),
		map[string]string{"status": "INTERNAL_ERROR", "msg": "transaction operation should be 'commit' or 'abort'"})
	check("unknown db", h.twoPC("nodb", map[string]string{"txn_id": id, "txn_operation": "commit"}),
		analysis("unknown database, database=nodb"))

	// A txn still loading cannot be committed.
	pw, running := h.streamingLoad("db1", "users", map[string]string{"label": "tx3", "two_phase_commit": "true"}, "3\tc\t3\n")
	h.s.Catalog.Mu.Lock()
	var loadingID int64
	for _, tx := range h.s.web.txns.byDB["db1"] {
		if tx.label == "tx3" {
			loadingID = tx.id
		}
	}
	h.s.Catalog.Mu.Unlock()
	check("commit prepare", h.twoPC("db1", map[string]string{"txn_id": fmt.Sprint(loadingID), "txn_operation": "commit"}),
		analysis(fmt.Sprintf("transaction [%d] is prepare, not pre-committed.", loadingID)))
	pw.Close()
	r := h.result(running)
	wantStatus(t, r, StatusSuccess, "OK")

	// Precommitted txns expire; the label is then free again.
	clock.Advance(11 * time.Minute)
	check("commit expired", h.twoPC("db1", map[string]string{"txn_id": fmt.Sprint(r.TxnId), "txn_operation": "commit"}),
		analysis(fmt.Sprintf("transaction [%d] is already aborted. abort reason: timeout by txn manager", r.TxnId)))
	wantStatus(t, h.load("db1", "users", map[string]string{"label": "tx3"}, "3\tc\t3\n"), StatusSuccess, "OK")

	// The table-qualified 2PC path works the same; the body is Doris's pretty form.
	pre = h.load("db1", "users", map[string]string{"two_phase_commit": "true"}, "4\td\t4\n")
	hdr := withDefaults(map[string]string{"txn_id": fmt.Sprint(pre.TxnId), "txn_operation": "commit"})
	resp, body := h.put("http://"+h.s.BEAddr()+"/api/db1/users/_stream_load_2pc", hdr, nil)
	want := fmt.Sprintf("{\n    \"status\": \"Success\",\n    \"msg\": \"transaction [%d] commit successfully.\"\n}", pre.TxnId)
	if resp.StatusCode != 200 || body != want {
		t.Fatalf("table 2PC path: %d %q", resp.StatusCode, body)
	}
	wantRows(t, h.rows("db1", "users"), "id=1,name=a,score=1.00", "id=2,name=b,score=2.00", "id=3,name=c,score=3.00", "id=4,name=d,score=4.00")
}

func TestFailedLoadAbortsItsTxn(t *testing.T) {
	h := newHarness(t, Options{})
	h.usersTable("db1", "users")
	r := h.load("db1", "users", map[string]string{"label": "bad"}, "x\ta\t1\n")
	wantStatus(t, r, StatusFail, "too many filtered rows")
	got := h.twoPC("db1", map[string]string{"txn_id": fmt.Sprint(r.TxnId), "txn_operation": "commit"})
	if !strings.Contains(got["msg"], fmt.Sprintf("transaction [%d] is already aborted. abort reason: [DATA_QUALITY_ERROR]too many filtered rows", r.TxnId)) {
		t.Fatalf("failed load's txn: %v", got)
	}
	wantStatus(t, h.load("db1", "users", map[string]string{"label": "bad"}, "1\ta\t1\n"), StatusSuccess, "OK")
}

func TestPrepareTxnExpiresAfterLoadTimeout(t *testing.T) {
	h := newHarness(t, Options{})
	clock := newFakeClock(h.s)
	h.usersTable("db1", "users")
	pw, running := h.streamingLoad("db1", "users", map[string]string{"label": "slowload", "timeout": "60"}, "1\ta\t1\n")
	clock.Advance(2 * time.Minute)
	// The txn manager aborts the load; its label is free again.
	wantStatus(t, h.load("db1", "users", map[string]string{"label": "slowload"}, "2\tb\t2\n"), StatusSuccess, "OK")
	pw.Close()
	r := h.result(running)
	wantStatus(t, r, StatusFail, "abort reason: timeout by txn manager")
	wantRows(t, h.rows("db1", "users"), "id=2,name=b,score=2.00")
}
