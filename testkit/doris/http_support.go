package doris

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Fault actions a test can inject into the next matching loads.
const (
	FaultFail             = "fail"               // answer a Fail result
	FaultHTTP500          = "http500"            // answer HTTP 500
	FaultReset            = "reset"              // close the connection without answering, nothing loaded
	FaultResetAfterCommit = "reset_after_commit" // load and commit, then close without answering
	FaultTimeout          = "timeout"            // hold the request until the client gives up (max 60 s)
	FaultPublishTimeout   = "publish_timeout"    // commit the data, answer Publish Timeout
	FaultLabelRunning     = "label_running"      // answer Label Already Exists / RUNNING
	FaultSlow             = "slow"               // wait DelayMs, then load normally
)

// FaultMessage is the Message of a load failed by a FaultFail fault.
const FaultMessage = "[INTERNAL_ERROR]doris stand-in injected fault"

// Fault makes the next Count loads that match behave abnormally.
type Fault struct {
	Match   FaultMatch `json:"match"`
	Action  string     `json:"action"`
	Count   int        `json:"count"`    // loads affected; ≤ 0 means 1
	DelayMs int        `json:"delay_ms"` // FaultSlow only
}

// FaultMatch selects loads; empty fields match anything, Label is a prefix.
type FaultMatch struct {
	DB    string `json:"db"`
	Table string `json:"table"`
	Label string `json:"label"`
}

func validFaultAction(a string) bool {
	switch a {
	case FaultFail, FaultHTTP500, FaultReset, FaultResetAfterCommit, FaultTimeout, FaultPublishTimeout, FaultLabelRunning, FaultSlow:
		return true
	}
	return false
}

// InjectFault queues a fault; faults are consulted in the order injected.
func (s *Server) InjectFault(f Fault) {
	if f.Count <= 0 {
		f.Count = 1
	}
	s.web.mu.Lock()
	defer s.web.mu.Unlock()
	s.web.faults = append(s.web.faults, &f)
}

// ClearFaults drops every queued fault.
func (s *Server) ClearFaults() {
	s.web.mu.Lock()
	defer s.web.mu.Unlock()
	s.web.faults = nil
}

// takeFault consumes one use of the first fault matching the load, if any.
func (s *Server) takeFault(db, table, label string) *Fault {
	s.web.mu.Lock()
	defer s.web.mu.Unlock()
	for i, f := range s.web.faults {
		m := f.Match
		if (m.DB != "" && m.DB != db) || (m.Table != "" && m.Table != table) || !strings.HasPrefix(label, m.Label) {
			continue
		}
		f.Count--
		if f.Count <= 0 {
			s.web.faults = append(s.web.faults[:i:i], s.web.faults[i+1:]...)
		}
		c := *f
		return &c
	}
	return nil
}

func (s *Server) routeSupport(mux *http.ServeMux) {
	mux.HandleFunc("GET /_standin/dump/{db}/{table}", s.serveDump)
	mux.HandleFunc("POST /_standin/faults", s.serveInjectFault)
	mux.HandleFunc("DELETE /_standin/faults", func(w http.ResponseWriter, r *http.Request) {
		s.ClearFaults()
		writeCompactJSON(w, http.StatusOK, `{"status":"OK"}`)
	})
	mux.HandleFunc("GET /_standin/loads", func(w http.ResponseWriter, r *http.Request) {
		body, err := json.Marshal(s.Loads())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		writeCompactJSON(w, http.StatusOK, string(body))
	})
}

func (s *Server) serveInjectFault(w http.ResponseWriter, r *http.Request) {
	var f Fault
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		http.Error(w, "bad fault: "+err.Error(), http.StatusBadRequest)
		return
	}
	if !validFaultAction(f.Action) {
		http.Error(w, fmt.Sprintf("bad fault: unknown action %q", f.Action), http.StatusBadRequest)
		return
	}
	s.InjectFault(f)
	writeCompactJSON(w, http.StatusOK, `{"status":"OK"}`)
}

// Dump returns the visible rows of db.table ordered by key: one map per row, column
// name → value as Doris prints it (string), or nil for NULL.
func (s *Server) Dump(db, table string) ([]map[string]any, error) {
	cols, rows, err := s.visibleRows(db, table)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(rows))
	for i, row := range rows {
		m := make(map[string]any, len(cols))
		for c, col := range cols {
			if row.Vals[c].Null {
				m[col.Name] = nil
			} else {
				m[col.Name] = row.Vals[c].S
			}
		}
		out[i] = m
	}
	return out, nil
}

func (s *Server) visibleRows(db, table string) ([]Column, []Row, error) {
	s.Catalog.Mu.Lock()
	defer s.Catalog.Mu.Unlock()
	if s.Catalog.DBs[db] == nil {
		return nil, nil, fmt.Errorf("dump %s.%s: unknown database", db, table)
	}
	t := s.Catalog.Table(db, table)
	if t == nil {
		return nil, nil, fmt.Errorf("dump %s.%s: unknown table", db, table)
	}
	rows := t.VisibleRows()
	for i := range rows { // Vals alias the store, which partial updates change in place
		rows[i].Vals = append([]Value(nil), rows[i].Vals...)
	}
	return append([]Column(nil), t.Columns...), rows, nil
}

// serveDump writes visible rows as JSON lines with keys in table column order.
func (s *Server) serveDump(w http.ResponseWriter, r *http.Request) {
	cols, rows, err := s.visibleRows(r.PathValue("db"), r.PathValue("table"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	var b strings.Builder
	for _, row := range rows {
		b.WriteByte('{')
		for c, col := range cols {
			if c > 0 {
				b.WriteByte(',')
			}
			b.WriteString(jsonString(col.Name) + ":")
			if row.Vals[c].Null {
				b.WriteString("null")
			} else {
				b.WriteString(jsonString(row.Vals[c].S))
			}
		}
		b.WriteString("}\n")
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Write([]byte(b.String()))
}

// saveErrorLog stores the rejected rows of a load and returns the file name that
// GET /api/_load_error_log?file=... serves.
func (s *Server) saveErrorLog(lines []string) string {
	id := make([]byte, 16)
	rand.Read(id)
	h := hex.EncodeToString(id)
	name := fmt.Sprintf("__shard_%d/error_log_insert_stmt_%s-%s_%s_%s", id[0]%8, h[:16], h[16:], h[:16], h[16:])
	s.web.mu.Lock()
	defer s.web.mu.Unlock()
	if len(s.web.errOrder) >= maxErrorLogs {
		delete(s.web.errLogs, s.web.errOrder[0])
		s.web.errOrder = s.web.errOrder[1:]
	}
	s.web.errLogs[name] = strings.Join(lines, "\n") + "\n"
	s.web.errOrder = append(s.web.errOrder, name)
	return name
}

func (s *Server) serveErrorLog(w http.ResponseWriter, r *http.Request) {
	s.web.mu.Lock()
	text, ok := s.web.errLogs[r.URL.Query().Get("file")]
	s.web.mu.Unlock()
	if !ok {
		http.Error(w, "error log not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte(text))
}
