package doris

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Load result statuses (reference/doris-behaviour.md §2.2).
const (
	StatusSuccess        = "Success"
	StatusPublishTimeout = "Publish Timeout"
	StatusLabelExists    = "Label Already Exists"
	StatusFail           = "Fail"
)

// loadResult is the BE's StreamLoadContext::to_json.
type loadResult struct {
	TxnID             int64
	Label             string
	Comment           string
	TwoPhaseCommit    bool
	GroupCommit       bool
	Status            string
	ExistingJobStatus string
	Message           string
	Total, Loaded     int64
	Filtered          int64
	Unselected        int64
	LoadBytes         int64
	LoadTimeMs        int64
	BeginTxnTimeMs    int64
	PutTimeMs         int64
	ReadDataTimeMs    int64
	WriteDataTimeMs   int64
	CommitTimeMs      int64
	ErrorURL          string
}

// JSON renders the result exactly as Doris does: keys in Doris's order, rapidjson's
// pretty form (4-space indent), then a trailing newline.
func (r *loadResult) JSON() []byte {
	var b bytes.Buffer
	first := true
	field := func(key, value string) {
		if !first {
			b.WriteString(",\n")
		}
		first = false
		b.WriteString("    " + jsonString(key) + ": " + value)
	}
	num := func(v int64) string { return strconv.FormatInt(v, 10) }
	b.WriteString("{\n")
	field("TxnId", num(r.TxnID))
	field("Label", jsonString(r.Label))
	field("Comment", jsonString(r.Comment))
	if r.GroupCommit {
		field("GroupCommit", "true")
	} else {
		field("TwoPhaseCommit", jsonString(strconv.FormatBool(r.TwoPhaseCommit)))
	}
	field("Status", jsonString(r.Status))
	if r.Status == StatusLabelExists {
		field("ExistingJobStatus", jsonString(r.ExistingJobStatus))
	}
	field("Message", jsonString(r.Message))
	field("NumberTotalRows", num(r.Total))
	field("NumberLoadedRows", num(r.Loaded))
	field("NumberFilteredRows", num(r.Filtered))
	field("NumberUnselectedRows", num(r.Unselected))
	field("LoadBytes", num(r.LoadBytes))
	field("LoadTimeMs", num(r.LoadTimeMs))
	if !r.GroupCommit {
		field("BeginTxnTimeMs", num(r.BeginTxnTimeMs))
	}
	field("StreamLoadPutTimeMs", num(r.PutTimeMs))
	field("ReadDataTimeMs", num(r.ReadDataTimeMs))
	field("WriteDataTimeMs", num(r.WriteDataTimeMs))
	if !r.GroupCommit {
		field("CommitAndPublishTimeMs", num(r.CommitTimeMs))
	}
	if r.ErrorURL != "" {
		field("ErrorURL", jsonString(r.ErrorURL))
	}
	b.WriteString("\n}\n")
	return b.Bytes()
}

// jsonString quotes s as a JSON string without HTML escaping (Doris does not escape <>&).
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// writeStatusJSON answers with the BE's Status::to_json form (rapidjson pretty form).
func writeStatusJSON(w http.ResponseWriter, status, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte("{\n    \"status\": " + jsonString(status) + ",\n    \"msg\": " + jsonString(msg) + "\n}"))
}

// msSince is a duration in whole milliseconds, as Doris reports its timings.
func msSince(t time.Time) int64 { return time.Since(t).Milliseconds() }

// LoadRecord is one Stream Load request as the BE saw it, for test assertions.
type LoadRecord struct {
	Time           time.Time         `json:"time"`
	DB             string            `json:"db"`
	Table          string            `json:"table"`
	Label          string            `json:"label"`
	TxnID          int64             `json:"txn_id"`
	TwoPhaseCommit bool              `json:"two_phase_commit"`
	Headers        map[string]string `json:"headers"`
	Status         string            `json:"status"` // "" when a fault answered without a load result
	Message        string            `json:"message"`
	TotalRows      int64             `json:"total_rows"`
	LoadedRows     int64             `json:"loaded_rows"`
	FilteredRows   int64             `json:"filtered_rows"`
	UnselectedRows int64             `json:"unselected_rows"`
	LoadBytes      int64             `json:"load_bytes"`
	Fault          string            `json:"fault,omitempty"`
}

// recordedHeaders are the request headers a LoadRecord keeps (never Authorization).
var recordedHeaders = []string{
	"format", "columns", "hidden_columns", "merge_type", "delete", "function_column.sequence_col",
	"strict_mode", "max_filter_ratio", "partial_columns", "unique_key_update_mode", "two_phase_commit",
	"group_commit", "compress_type", "read_json_by_line", "strip_outer_array", "jsonpaths", "json_root",
	"column_separator", "line_delimiter", "enclose", "escape", "timeout", "comment", "Expect",
	"Content-Length", "Transfer-Encoding",
}

func selectedHeaders(r *http.Request) map[string]string {
	out := map[string]string{}
	for _, k := range recordedHeaders {
		if v := r.Header.Get(k); v != "" {
			out[k] = v
		}
	}
	if len(r.TransferEncoding) > 0 {
		out["Transfer-Encoding"] = strings.Join(r.TransferEncoding, ",")
	}
	return out
}

func (s *Server) recordLoad(rec LoadRecord) {
	s.web.mu.Lock()
	defer s.web.mu.Unlock()
	if len(s.web.loads) >= maxLoadRecords {
		s.web.loads = s.web.loads[1:]
	}
	s.web.loads = append(s.web.loads, rec)
}

// Loads returns every load request the BE has seen, oldest first.
func (s *Server) Loads() []LoadRecord {
	s.web.mu.Lock()
	defer s.web.mu.Unlock()
	return append([]LoadRecord(nil), s.web.loads...)
}
