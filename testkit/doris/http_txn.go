package doris

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"
)

// txnStatus is a load transaction's state in the FE's transaction manager.
type txnStatus int

const (
	txnPrepare txnStatus = iota
	txnPrecommitted
	txnCommitted // committed but not yet visible (Publish Timeout)
	txnVisible
	txnAborted
)

func (st txnStatus) final() bool { return st >= txnCommitted }

// existingJobStatus maps a blocking txn to the ExistingJobStatus Doris reports.
func (st txnStatus) existingJobStatus() string {
	switch st {
	case txnPrecommitted:
		return "PRECOMMITTED"
	case txnCommitted, txnVisible:
		return "FINISHED"
	}
	return "RUNNING"
}

// Reasons a txn is aborted, as Doris words them.
const (
	abortUser    = "User Abort"
	abortTimeout = "timeout by txn manager"
)

type txn struct {
	id          int64
	db, table   string
	label       string
	status      txnStatus
	reason      string // abort reason
	begin       time.Time
	timeout     time.Duration // PREPARE txns older than this are aborted
	precommitAt time.Time
	finishedAt  time.Time
	applyStaged func() *loadError // 2PC: makes the staged rows visible
}

// txnManager is the FE transaction manager. Guarded by Catalog.Mu.
type txnManager struct {
	nextID int64
	byID   map[int64]*txn
	byDB   map[string][]*txn // known txns per db, in begin order
}

func (m *txnManager) init() {
	m.nextID = 1
	m.byID = map[int64]*txn{}
	m.byDB = map[string][]*txn{}
}

func (m *txnManager) newID() int64 {
	id := m.nextID
	m.nextID++
	return id
}

// cleanTxnsLocked does what the FE's transaction cleaner does, evaluated lazily on each
// transaction operation with the stand-in clock: expire PREPARE txns past their load
// timeout and PRECOMMITTED txns past PrecommitTimeout, then forget finished txns older
// than LabelKeep or beyond LabelNumCap per database (oldest first).
func (s *Server) cleanTxnsLocked() {
	m := &s.web.txns
	now := s.now()
	for _, t := range m.byID {
		switch {
		case t.status == txnPrepare && t.timeout > 0 && now.Sub(t.begin) > t.timeout:
			s.abortTxnLocked(t, abortTimeout)
		case t.status == txnPrecommitted && now.Sub(t.precommitAt) > s.Opts.PrecommitTimeout:
			s.abortTxnLocked(t, abortTimeout)
		}
	}
	for db, list := range m.byDB {
		var finished []*txn
		for _, t := range list {
			if t.status.final() {
				finished = append(finished, t)
			}
		}
		sort.SliceStable(finished, func(i, j int) bool { return finished[i].finishedAt.Before(finished[j].finishedAt) })
		drop := map[*txn]bool{}
		for i, t := range finished {
			overCap := s.Opts.LabelNumCap > 0 && len(finished)-i > s.Opts.LabelNumCap
			if overCap || now.Sub(t.finishedAt) > s.Opts.LabelKeep {
				drop[t] = true
			}
		}
		if len(drop) == 0 {
			continue
		}
		kept := list[:0]
		for _, t := range list {
			if drop[t] {
				delete(m.byID, t.id)
				continue
			}
			kept = append(kept, t)
		}
		m.byDB[db] = kept
	}
}

func (s *Server) abortTxnLocked(t *txn, reason string) {
	t.status = txnAborted
	t.reason = reason
	t.finishedAt = s.now()
	t.applyStaged = nil
}

func (s *Server) finishTxnLocked(t *txn, st txnStatus) {
	t.status = st
	t.finishedAt = s.now()
	t.applyStaged = nil
}

// labelHolderLocked returns the non-ABORTED txn that holds label in db, if any.
func (s *Server) labelHolderLocked(db, label string) *txn {
	for _, t := range s.web.txns.byDB[db] {
		if t.label == label && t.status != txnAborted {
			return t
		}
	}
	return nil
}

// beginTxnLocked registers a PREPARE txn. Callers have checked the label.
func (s *Server) beginTxnLocked(db, table, label string, timeout time.Duration) *txn {
	m := &s.web.txns
	t := &txn{id: m.newID(), db: db, table: table, label: label, status: txnPrepare, begin: s.now(), timeout: timeout}
	m.byID[t.id] = t
	m.byDB[db] = append(m.byDB[db], t)
	return t
}

// labelExistsMessage is the FE's LabelAlreadyUsedException text.
func labelExistsMessage(label string, id int64) string {
	return fmt.Sprintf("[LABEL_ALREADY_EXISTS]errCode = 2, detailMessage = Label [%s] has already been used, relate to txn [%d]", label, id)
}

// be2PC is the BE's StreamLoad2PCAction: commit or abort a PRECOMMITTED txn by txn_id
// or label. Results use the BE Status JSON form {"status": CODE, "msg": text}.
func (s *Server) be2PC(w http.ResponseWriter, r *http.Request) {
	db := r.PathValue("db")
	label := r.Header.Get("label")
	rawID := r.Header.Get("txn_id")
	op := r.Header.Get("txn_operation")
	success := ""
	if label != "" {
		success += "label [" + label + "] "
	}
	var id int64 = -1
	if rawID != "" {
		success += "transaction [" + rawID + "] "
		v, err := strconv.ParseUint(rawID, 10, 63)
		if err != nil {
			writeStatusJSON(w, "INTERNAL_ERROR", fmt.Sprintf("convert txn_id [%s] failed", rawID))
			return
		}
		id = int64(v)
	}
	success += op + " successfully."
	if op != "commit" && op != "abort" {
		writeStatusJSON(w, "INTERNAL_ERROR", "transaction operation should be 'commit' or 'abort'")
		return
	}
	user, pass, ok := parseBasicAuth(r.Header.Get("Authorization"))
	if !ok {
		writeStatusJSON(w, "NOT_AUTHORIZED", "no valid Basic authorization")
		return
	}
	if denied := s.checkPassword(r, user, pass); denied != "" {
		writeStatusJSON(w, "ANALYSIS_ERROR", "errCode = 2, detailMessage = "+denied)
		return
	}
	if msg := s.operate2PC(db, id, label, op); msg != "" {
		writeStatusJSON(w, "ANALYSIS_ERROR", "errCode = 2, detailMessage = "+msg)
		return
	}
	writeStatusJSON(w, "Success", success)
}

// operate2PC commits or aborts; it returns the FE's error text, or "" on success.
func (s *Server) operate2PC(db string, id int64, label, op string) string {
	s.Catalog.Mu.Lock()
	defer s.Catalog.Mu.Unlock()
	s.cleanTxnsLocked()
	if s.Catalog.DBs[db] == nil {
		return "unknown database, database=" + db
	}
	var t *txn
	if id >= 0 {
		t = s.web.txns.byID[id]
		if t == nil || t.db != db {
			return fmt.Sprintf("transaction [%d] not found", id)
		}
	} else if label != "" {
		for _, c := range s.web.txns.byDB[db] {
			if c.label != label {
				continue
			}
			if c.status == txnPrecommitted || (op == "abort" && c.status == txnPrepare) {
				t = c
			}
		}
		if t == nil {
			if op == "commit" {
				return "transaction not found, label=" + label
			}
			return "running transaction not found, label=" + label
		}
	} else {
		return "No transaction id or label selected."
	}
	if op == "commit" {
		switch t.status {
		case txnPrepare:
			return fmt.Sprintf("transaction [%d] is prepare, not pre-committed.", t.id)
		case txnCommitted:
			return fmt.Sprintf("transaction [%d] is already committed, not pre-committed.", t.id)
		case txnVisible:
			return fmt.Sprintf("transaction [%d] is already visible, not pre-committed.", t.id)
		case txnAborted:
			return fmt.Sprintf("transaction [%d] is already aborted. abort reason: %s", t.id, t.reason)
		}
		if t.applyStaged != nil {
			if lerr := t.applyStaged(); lerr != nil {
				return lerr.msg
			}
		}
		s.finishTxnLocked(t, txnVisible)
		return ""
	}
	switch t.status {
	case txnCommitted:
		return fmt.Sprintf("transaction [%d] is already COMMITTED, could not abort.", t.id)
	case txnVisible:
		return fmt.Sprintf("transaction [%d] is already VISIBLE, could not abort.", t.id)
	case txnAborted:
		return fmt.Sprintf("transaction [%d] is already aborted, abort reason: %s", t.id, t.reason)
	}
	s.abortTxnLocked(t, abortUser)
	return ""
}
