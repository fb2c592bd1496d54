package streamload

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
)

// Result is Doris's answer to a Stream Load: the BE's load result (reference
// doris-behaviour.md §2.1) or, when the FE refused the request itself, its short
// {"status":…,"msg":…} or {"msg":…,"code":…,"data":…} form (§1.2, §2.4).
type Result struct {
	TxnID                int64  `json:"TxnId"`
	Label                string `json:"Label"`
	TwoPhaseCommit       string `json:"TwoPhaseCommit"`
	GroupCommit          bool   `json:"GroupCommit"`
	Status               string `json:"Status"`
	ExistingJobStatus    string `json:"ExistingJobStatus"`
	Message              string `json:"Message"`
	NumberTotalRows      int64  `json:"NumberTotalRows"`
	NumberLoadedRows     int64  `json:"NumberLoadedRows"`
	NumberFilteredRows   int64  `json:"NumberFilteredRows"`
	NumberUnselectedRows int64  `json:"NumberUnselectedRows"`
	LoadBytes            int64  `json:"LoadBytes"`
	LoadTimeMs           int64  `json:"LoadTimeMs"`
	ErrorURL             string `json:"ErrorURL"`

	// The FE's own replies (lower-case keys).
	FEStatus string          `json:"status"`
	FEMsg    string          `json:"msg"`
	FECode   int             `json:"code"`
	FEData   json.RawMessage `json:"data"`
}

// Statuses of a load result.
const (
	StatusSuccess        = "Success"
	StatusPublishTimeout = "Publish Timeout"
	StatusLabelExists    = "Label Already Exists"
	StatusFail           = "Fail"
)

// Existing job statuses that come with StatusLabelExists.
const (
	JobRunning      = "RUNNING"
	JobPrecommitted = "PRECOMMITTED"
	JobFinished     = "FINISHED"
)

// Outcome is what the client should do with a load result.
type Outcome int

const (
	// Loaded: the rows are committed (Success, or Publish Timeout: committed, visible later).
	Loaded Outcome = iota
	// AlreadyLoaded: the label belongs to a finished load; this batch is in.
	AlreadyLoaded
	// Precommitted: a two-phase load succeeded; commit TxnID.
	Precommitted
	// LabelPrecommitted: an earlier two-phase load with this label waits; resolve it.
	LabelPrecommitted
	// LabelRunning: a load with this label is still running; wait and send again.
	LabelRunning
	// Retry: the load failed and was rolled back or its outcome is unknown; sending it
	// again with the same label is safe.
	Retry
	// Rejected: Doris refused the load for a reason a retry does not change.
	Rejected
)

var outcomeNames = [...]string{"loaded", "already loaded", "precommitted", "label precommitted", "label running", "retry", "rejected"}

func (o Outcome) String() string { return outcomeNames[o] }

// permanentFailures are message fragments of Fail results that resending the same body
// with the same headers cannot fix (doris-behaviour.md §2.2–2.3). Anything else (too many
// running transactions, cancelled, node failures, timeouts …) is retried.
var permanentFailures = []string{
	"too many filtered rows",
	"Encountered unqualified data",
	"Access denied",
	"no valid Basic authorization",
	"Unauthorized",
	"unknown database",
	"unknown table",
	"Unknown table",
	"Column has no default value",
	"Label format error",
	"unknown data format",
	"only supported in unique tables",
	"need to upgrade table to support batch delete",
	"There is no sequence column",
	"need to specify the sequence column",
	"label and group_commit can't be set",
	"is not supported",
	"unsupported",
	"Invalid",
	"exceed BE's conf",
	"exceed the max size",
	"body exceed max size",
	"There is no 100-continue header",
	"No database selected",
	"No table selected",
	"Need auth information",
	"only supported in unique table MoW",
	"Partial update should include all key columns",
	"the unmentioned columns should have default value",
	"Can't append new rows in partial update",
}

// Classify maps a load result to what the client should do, with the reason to report.
func Classify(r *Result) (Outcome, string) {
	switch r.Status {
	case StatusSuccess:
		if strings.EqualFold(r.TwoPhaseCommit, "true") {
			return Precommitted, ""
		}
		return Loaded, ""
	case StatusPublishTimeout:
		return Loaded, ""
	case StatusLabelExists:
		switch r.ExistingJobStatus {
		case JobFinished:
			return AlreadyLoaded, ""
		case JobPrecommitted:
			return LabelPrecommitted, r.Message
		case JobRunning:
			return LabelRunning, r.Message
		}
		return Retry, "label exists with job status " + strconv.Quote(r.ExistingJobStatus) + ": " + r.Message
	case StatusFail:
		return failOutcome(r.Message), r.Message
	case "":
		return feOutcome(r)
	}
	return Retry, "unknown load status " + strconv.Quote(r.Status) + ": " + r.Message
}

func failOutcome(msg string) Outcome {
	for _, p := range permanentFailures {
		if strings.Contains(msg, p) {
			return Rejected
		}
	}
	return Retry
}

// feOutcome classifies the FE's short replies.
func feOutcome(r *Result) (Outcome, string) {
	msg := r.FEMsg
	if len(r.FEData) > 0 && string(r.FEData) != "null" {
		var s string
		if json.Unmarshal(r.FEData, &s) == nil && s != "" {
			msg += ": " + s
		}
	}
	if msg == "" {
		return Retry, "reply without a load status"
	}
	if r.FECode == 401 || r.FECode == 403 {
		return Rejected, msg
	}
	return failOutcome(msg), msg
}

var txnInMessage = regexp.MustCompile(`relate to txn \[(\d+)\]`)

// ExistingTxnID extracts the transaction id from a Label Already Exists message
// (`Label [l] has already been used, relate to txn [N]`), or 0.
func ExistingTxnID(msg string) int64 {
	m := txnInMessage.FindStringSubmatch(msg)
	if m == nil {
		return 0
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// TxnOutcome is the meaning of a two-phase commit/abort reply.
type TxnOutcome int

const (
	// TxnDone: the operation took effect, or had already (commit of a committed or
	// visible transaction; abort of an aborted one).
	TxnDone TxnOutcome = iota
	// TxnCommitted: an abort found the transaction already committed or visible.
	TxnCommitted
	// TxnGone: a commit found the transaction aborted or no longer known; its rows are
	// not in and the batch must be loaded again.
	TxnGone
	// TxnRetry: a transient failure; try again.
	TxnRetry
)

// TxnReply is the BE's answer to a 2PC operation: {"status": …, "msg": …}.
type TxnReply struct {
	Status string `json:"status"`
	Msg    string `json:"msg"`
}

// ClassifyTxn maps a 2PC reply for operation op ("commit" or "abort") to its meaning
// (doris-behaviour.md §3: commit is not idempotent at the API level).
func ClassifyTxn(op string, r *TxnReply) TxnOutcome {
	if strings.EqualFold(r.Status, "Success") {
		return TxnDone
	}
	m := r.Msg
	lower := strings.ToLower(m)
	already := func(state string) bool { return strings.Contains(lower, "is already "+state) }
	switch op {
	case "commit":
		switch {
		case already("committed"), already("visible"):
			return TxnDone
		case already("aborted"), strings.Contains(lower, "not found"), strings.Contains(lower, "unknown database"):
			// Gone with its rows; a dropped database keeps nothing to commit either.
			return TxnGone
		}
	case "abort":
		switch {
		case already("aborted"), strings.Contains(lower, "not found"):
			return TxnDone
		case already("committed"), already("visible"):
			return TxnCommitted
		}
	}
	return TxnRetry
}
