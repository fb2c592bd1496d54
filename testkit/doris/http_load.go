package doris

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// loadError is a failed load: the BE status code name and the message after it.
type loadError struct {
	code     string
	msg      string
	existing string // Label Already Exists: the holder's ExistingJobStatus
}

func (e *loadError) message() string { return "[" + e.code + "]" + e.msg }

func invalidArg(format string, args ...any) *loadError {
	return &loadError{code: "INVALID_ARGUMENT", msg: fmt.Sprintf(format, args...)}
}

// feError is an error the FE raised (begin txn, planning): Doris wraps the FE's
// UserException text and reports it with status ANALYSIS_ERROR.
func feError(format string, args ...any) *loadError {
	return &loadError{code: "ANALYSIS_ERROR", msg: "errCode = 2, detailMessage = " + fmt.Sprintf(format, args...)}
}

func unknownTableError(table string) *loadError {
	return &loadError{code: "ANALYSIS_ERROR", msg: "errCode = 7, detailMessage = unknown table, tableName=" + table}
}

// notModeled fails a load that uses something the stand-in does not implement, so a
// test never passes by the stand-in silently ignoring a header.
func notModeled(format string, args ...any) *loadError {
	return &loadError{code: "NOT_IMPLEMENTED_ERROR", msg: "the Doris stand-in does not model " + fmt.Sprintf(format, args...)}
}

// Doris limits used by header checks.
const (
	streamingLoadMaxBytes     = 10240 << 20 // streaming_load_max_mb
	streamingLoadJSONMaxBytes = 100 << 20   // streaming_load_json_max_mb
	maxStreamLoadTimeout      = 259200      // max_stream_load_timeout_second
	defaultStreamLoadTimeout  = 259200      // stream_load_default_timeout_second
)

// loadHeaders are the parsed Stream Load headers.
type loadHeaders struct {
	format           string // "csv" or "json"
	csvHeaderLines   int    // csv_with_names: 1, csv_with_names_and_types: 2
	compress         string // "", "gz", "bz2", "deflate"
	jsonByLine       bool
	stripOuterArray  bool
	jsonRoot         string
	jsonPaths        string
	colSep           []byte
	lineDelim        []byte
	enclose, escape  byte
	hasEnclose       bool
	hasEscape        bool
	trimDoubleQuotes bool
	skipLines        int
	emptyFieldAsNull bool
	columns          []string // nil when the header is absent
	hiddenColumns    []string
	strict           bool
	maxFilterRatio   float64
	timeout          int
	mergeType        string // APPEND, DELETE or MERGE
	deleteCond       string
	seqCol           string
	partial          bool
	newKeyError      bool
}

// parseFormat is LoadUtil::parse_format plus the stand-in's decompression support.
// JSON with compress_type is accepted: the newest Doris docs list compression for JSON
// Stream Load (2.x/3.0 BEs answer `unknown data format` instead).
func parseFormat(r *http.Request, h *loadHeaders) *loadError {
	raw := r.Header.Get("format")
	f := strings.ToLower(raw)
	switch f {
	case "", "csv":
		h.format = "csv"
	case "csv_with_names":
		h.format, h.csvHeaderLines = "csv", 1
	case "csv_with_names_and_types":
		h.format, h.csvHeaderLines = "csv", 2
	case "json":
		h.format = "json"
	case "parquet", "orc", "wal":
		return notModeled("format %s", raw)
	default:
		return &loadError{code: "DATA_FILE_TYPE_ERROR", msg: "unknown data format, format=" + raw}
	}
	switch c := strings.ToLower(r.Header.Get("compress_type")); c {
	case "", "gz", "bz2", "deflate":
		h.compress = c
	case "lzo", "lz4", "lz4_block", "lzop", "snappy_block":
		if h.format == "csv" {
			return notModeled("compress_type %s", c)
		}
		return &loadError{code: "DATA_FILE_TYPE_ERROR", msg: "unknown data format, format=" + raw}
	default:
		return &loadError{code: "DATA_FILE_TYPE_ERROR", msg: "unknown data format, format=" + raw}
	}
	return nil
}

// parseProcessPut applies the header checks of StreamLoadAction::_process_put, in
// its order, plus the stand-in's refusal of headers it does not model.
func parseProcessPut(r *http.Request, h *loadHeaders) *loadError {
	get := r.Header.Get
	var err *loadError
	if h.colSep, err = separator(get("column_separator"), "\t"); err != nil {
		return err
	}
	if h.lineDelim, err = separator(get("line_delimiter"), "\n"); err != nil {
		return err
	}
	if v := get("enclose"); v != "" {
		if len(v) != 1 {
			return invalidArg("enclose must be single-char, actually is %s", v)
		}
		h.enclose, h.hasEnclose = v[0], true
	}
	if v := get("escape"); v != "" {
		if len(v) != 1 {
			return invalidArg("escape must be single-char, actually is %s", v)
		}
		h.escape, h.hasEscape = v[0], true
	}
	if get("partitions") != "" || get("temporary_partitions") != "" {
		if get("partitions") != "" && get("temporary_partitions") != "" {
			return invalidArg("Can not specify both partitions and temporary partitions")
		}
		return notModeled("the partitions/temporary_partitions headers")
	}
	if get("negative") == "true" {
		return notModeled("negative loads")
	}
	if v := get("strict_mode"); v != "" {
		switch strings.ToLower(v) {
		case "true":
			h.strict = true
		case "false":
		default:
			return invalidArg("Invalid strict mode format. Must be bool type")
		}
	}
	if v := get("exec_mem_limit"); v != "" {
		if _, e := strconv.ParseInt(v, 10, 64); e != nil {
			return invalidArg("Invalid mem limit format, stoll")
		}
	}
	h.jsonPaths = get("jsonpaths")
	h.jsonRoot = get("json_root")
	byLine, strip := get("read_json_by_line"), get("strip_outer_array")
	h.stripOuterArray = strings.EqualFold(strip, "true")
	h.jsonByLine = strings.EqualFold(byLine, "true")
	if byLine == "" && strip == "" {
		h.jsonByLine = true // master BE: NDJSON when neither layout header is given
	}
	h.seqCol = get("function_column.sequence_col")
	h.mergeType = "APPEND"
	if v := get("merge_type"); v != "" {
		switch up := strings.ToUpper(v); up {
		case "APPEND", "DELETE", "MERGE":
			h.mergeType = up
		default:
			return invalidArg("Invalid merge type %s", v)
		}
		if h.mergeType == "MERGE" && get("delete") == "" {
			return invalidArg("Excepted DELETE ON clause when merge type is MERGE.")
		}
		if h.mergeType != "MERGE" && get("delete") != "" {
			return invalidArg("Not support DELETE ON clause when merge type is not MERGE.")
		}
	}
	h.deleteCond = get("delete")
	if h.deleteCond != "" && h.mergeType != "MERGE" {
		// Doris forwards it to the planner; the stand-in refuses rather than guess.
		return invalidArg("Not support DELETE ON clause when merge type is not MERGE.")
	}
	if v := get("max_filter_ratio"); v != "" {
		h.maxFilterRatio = strtod(v)
	}
	if v := get("hidden_columns"); v != "" {
		h.hiddenColumns = splitList(strings.ReplaceAll(v, " ", ""))
	}
	h.trimDoubleQuotes = strings.EqualFold(get("trim_double_quotes"), "true")
	if v := get("skip_lines"); v != "" {
		n, e := strconv.Atoi(v)
		if e != nil {
			return invalidArg("Invalid format of 'skip_lines': '%s'", v)
		}
		if n < 0 {
			return invalidArg("Invalid 'skip_lines': %d", n)
		}
		h.skipLines = n
	}
	if v := get("unique_key_update_mode"); v != "" {
		switch strings.ToUpper(v) {
		case "UPSERT":
		case "UPDATE_FIXED_COLUMNS":
			h.partial = true
		case "UPDATE_FLEXIBLE_COLUMNS":
			if h.format != "json" {
				return invalidArg("flexible partial update only support json format as input file currently")
			}
			return notModeled("flexible partial update (UPDATE_FLEXIBLE_COLUMNS)")
		default:
			return invalidArg("Invalid unique_key_partial_mode %s, must be one of 'UPSERT', 'UPDATE_FIXED_COLUMNS' or 'UPDATE_FLEXIBLE_COLUMNS'", v)
		}
	} else if strings.EqualFold(get("partial_columns"), "true") {
		h.partial = true
	}
	if v := get("partial_update_new_key_behavior"); v != "" {
		switch strings.ToUpper(v) {
		case "APPEND":
		case "ERROR":
			h.newKeyError = true
		default:
			return invalidArg("Invalid partial_update_new_key_behavior %s, must be one of {'APPEND', 'ERROR'}", strings.ToUpper(v))
		}
	}
	if strings.EqualFold(get("empty_field_as_null"), "true") {
		h.emptyFieldAsNull = true
	}
	if get("where") != "" {
		return notModeled("the where header")
	}
	if v := get("columns"); v != "" {
		cols, lerr := parseColumnsHeader(v)
		if lerr != nil {
			return lerr
		}
		h.columns = cols
	}
	return nil
}

// separator decodes a column_separator/line_delimiter header: hex form \xHH… becomes
// bytes (FE Separator.convertSeparator); anything else is taken literally.
func separator(v, def string) ([]byte, *loadError) {
	if v == "" {
		return []byte(def), nil
	}
	if len(v) >= 2 && v[0] == '\\' && (v[1] == 'x' || v[1] == 'X') {
		hx := v[2:]
		switch {
		case hx == "":
			return nil, feError("Hex str is empty")
		case len(hx)%2 != 0:
			return nil, feError("Hex str length error")
		}
		b, err := hex.DecodeString(hx)
		if err != nil {
			return nil, feError("Hex str format error")
		}
		return b, nil
	}
	return []byte(v), nil
}

// strtod parses the longest numeric prefix like C's strtod (garbage → 0), which is
// how the BE reads max_filter_ratio.
func strtod(s string) float64 {
	s = strings.TrimLeft(s, " \t")
	for end := len(s); end > 0; end-- {
		if f, err := strconv.ParseFloat(s[:end], 64); err == nil {
			return f
		}
	}
	return 0
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseColumnsHeader splits the columns header at top-level commas. Plain (possibly
// back-quoted) names are modelled; expressions (c=expr) are not.
func parseColumnsHeader(v string) ([]string, *loadError) {
	var items []string
	depth, start := 0, 0
	var quote byte
	for i := 0; i <= len(v); i++ {
		if i == len(v) || (v[i] == ',' && depth == 0 && quote == 0) {
			items = append(items, strings.TrimSpace(v[start:i]))
			start = i + 1
			continue
		}
		switch c := v[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"' || c == '`':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
		}
	}
	names := make([]string, 0, len(items))
	seen := map[string]bool{}
	for _, it := range items {
		if strings.Contains(it, "=") || strings.ContainsAny(it, "()") {
			return nil, notModeled("column expressions in the columns header (%s)", it)
		}
		name := strings.Trim(it, "`")
		if name == "" {
			return nil, feError("Syntax error in columns header: %s", v)
		}
		if seen[strings.ToLower(name)] {
			return nil, feError("Duplicate column: %s", name)
		}
		seen[strings.ToLower(name)] = true
		names = append(names, name)
	}
	return names, nil
}

func newUUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// loadRun is one Stream Load request at the BE.
type loadRun struct {
	s           *Server
	w           http.ResponseWriter
	r           *http.Request
	start       time.Time
	db, table   string
	res         loadResult
	rec         LoadRecord
	h           loadHeaders
	user, pass  string
	groupCommit bool
	t           *txn
	fault       string // the action of the fault applied, if any
	answered    bool   // a fault answers instead of the load result (drop or http500)
	drop        bool   // close the connection without an answer
	http500     bool   // answer HTTP 500
	errorLines  []string
	errorRows   int64
}

// beStreamLoad executes a Stream Load like the BE (StreamLoadAction): header checks,
// begin txn, plan, read and convert the body, filter ratio, commit or pre-commit.
// Every outcome is HTTP 200 with the result JSON, except injected faults.
func (s *Server) beStreamLoad(w http.ResponseWriter, r *http.Request) {
	l := &loadRun{s: s, w: w, r: r, start: time.Now(), db: r.PathValue("db"), table: r.PathValue("table")}
	l.res = loadResult{
		TxnID:          -1,
		Label:          r.Header.Get("label"),
		Comment:        r.Header.Get("comment"),
		TwoPhaseCommit: r.Header.Get("two_phase_commit") == "true",
	}
	l.rec = LoadRecord{Time: l.start, DB: l.db, Table: l.table, Headers: selectedHeaders(r), TwoPhaseCommit: l.res.TwoPhaseCommit}
	if lerr := l.run(); lerr != nil {
		l.fail(lerr)
	}
	l.rec.Label, l.rec.TxnID, l.rec.Fault = l.res.Label, l.res.TxnID, l.fault
	if !l.answered {
		l.res.LoadTimeMs = msSince(l.start)
		l.rec.Status, l.rec.Message = l.res.Status, l.res.Message
		l.rec.TotalRows, l.rec.LoadedRows, l.rec.FilteredRows, l.rec.UnselectedRows = l.res.Total, l.res.Loaded, l.res.Filtered, l.res.Unselected
		l.rec.LoadBytes = l.res.LoadBytes
	}
	// Record before answering: a client that has seen the outcome (or the reset) must
	// find the load in Loads().
	s.recordLoad(l.rec)
	switch {
	case l.drop:
		l.closeConnection()
	case l.http500:
		http.Error(w, "doris stand-in injected fault: http500", http.StatusInternalServerError)
	case !l.answered:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		w.Write(l.res.JSON())
	}
}

// fail turns an error into the load result, rolling back the txn if one was begun.
func (l *loadRun) fail(lerr *loadError) {
	if lerr.existing != "" {
		l.res.Status = StatusLabelExists
		l.res.ExistingJobStatus = lerr.existing
		l.res.Message = lerr.msg
		return
	}
	l.res.Status = StatusFail
	l.res.Message = lerr.message()
	if l.t != nil {
		l.s.Catalog.Mu.Lock()
		if l.t.status == txnPrepare {
			l.s.abortTxnLocked(l.t, l.res.Message)
		}
		l.s.Catalog.Mu.Unlock()
	}
}

func (l *loadRun) run() *loadError {
	r, s := l.r, l.s
	if gc := r.Header.Get("group_commit"); gc != "" {
		if !validGroupCommit(gc) {
			return invalidArg("group_commit can only be [async_mode, sync_mode, off_mode]")
		}
		if !strings.EqualFold(gc, "off_mode") && l.canGroupCommit() {
			if l.res.Label != "" {
				return invalidArg("label and group_commit can't be set at the same time")
			}
			l.groupCommit = true
		}
	}
	switch {
	case l.groupCommit:
		id := newUUID()
		l.res.GroupCommit = true
		l.res.Label = "group_commit_" + strings.ReplaceAll(id[:18], "-", "") + "_" + strings.ReplaceAll(id[19:], "-", "")
	case l.res.Label == "":
		l.res.Label = newUUID()
	}
	var ok bool
	if l.user, l.pass, ok = parseBasicAuth(r.Header.Get("Authorization")); !ok {
		return &loadError{code: "NOT_AUTHORIZED", msg: "no valid Basic authorization"}
	}
	if lerr := parseFormat(r, &l.h); lerr != nil {
		return lerr
	}
	if lerr := l.checkBodySize(); lerr != nil {
		return lerr
	}
	l.h.timeout = defaultStreamLoadTimeout
	if v := r.Header.Get("timeout"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return invalidArg("Invalid timeout format, stoi")
		}
		l.h.timeout = n
	}
	if f := s.takeFault(l.db, l.table, l.res.Label); f != nil {
		l.fault = f.Action
		if lerr, done := l.applyFault(f); done || lerr != nil {
			return lerr
		}
	}
	beginAt := time.Now()
	if lerr := l.begin(); lerr != nil {
		return lerr
	}
	l.res.BeginTxnTimeMs = msSince(beginAt)
	if lerr := parseProcessPut(r, &l.h); lerr != nil {
		return lerr
	}
	putAt := time.Now()
	p, lerr := l.plan()
	if lerr != nil {
		return lerr
	}
	l.res.PutTimeMs = msSince(putAt)
	return l.execute(p)
}

// canGroupCommit mirrors StreamLoadAction::_can_group_commit: group commit silently
// falls back to a normal load for 2PC, partial updates, partitions and empty bodies.
func (l *loadRun) canGroupCommit() bool {
	get := l.r.Header.Get
	chunked := len(l.r.TransferEncoding) > 0
	if l.r.ContentLength == 0 && !chunked {
		return false
	}
	mode := strings.ToUpper(get("unique_key_update_mode"))
	return !l.res.TwoPhaseCommit && !strings.EqualFold(get("partial_columns"), "true") &&
		get("partitions") == "" && get("temporary_partitions") == "" &&
		mode != "UPDATE_FIXED_COLUMNS" && mode != "UPDATE_FLEXIBLE_COLUMNS"
}

// checkBodySize applies the BE's Content-Length rules.
func (l *loadRun) checkBodySize() *loadError {
	cl := l.r.Header.Get("Content-Length")
	chunked := len(l.r.TransferEncoding) > 0
	if cl != "" {
		n := l.r.ContentLength
		byLine := strings.EqualFold(l.r.Header.Get("read_json_by_line"), "true")
		mib := func(v int64) float64 { return float64(v) / (1 << 20) }
		if l.h.format == "json" && n > streamingLoadJSONMaxBytes && !byLine {
			return &loadError{code: "EXCEEDED_LIMIT", msg: fmt.Sprintf("json body size %d bytes (%.2f MiB) exceeds the limit of %d bytes (%d MiB) set by BE's conf streaming_load_json_max_mb. Increase it if you are sure this load is reasonable",
				n, mib(n), streamingLoadJSONMaxBytes, streamingLoadJSONMaxBytes>>20)}
		}
		if n > streamingLoadMaxBytes {
			return &loadError{code: "EXCEEDED_LIMIT", msg: fmt.Sprintf("body size %d bytes (%.2f MiB) exceeds the limit of %d bytes (%d MiB) set by BE's conf streaming_load_max_mb. Increase it if you are sure this load is reasonable",
				n, mib(n), int64(streamingLoadMaxBytes), streamingLoadMaxBytes>>20)}
		}
	}
	if cl == "" && !chunked {
		return invalidArg("content_length is empty and transfer-encoding!=chunked, please set content_length or transfer-encoding=chunked")
	}
	// Go's server drops Content-Length when the request is chunked, so the BE's
	// "please do not set both" case cannot reach this handler.
	return nil
}

// applyFault performs an injected fault. done means the request is fully handled.
func (l *loadRun) applyFault(f *Fault) (*loadError, bool) {
	switch f.Action {
	case FaultFail:
		return &loadError{code: "INTERNAL_ERROR", msg: strings.TrimPrefix(FaultMessage, "[INTERNAL_ERROR]")}, true
	case FaultHTTP500:
		l.answered, l.http500 = true, true
		return nil, true
	case FaultReset:
		l.dropConnection()
		return nil, true
	case FaultTimeout:
		io.Copy(io.Discard, l.r.Body)
		l.s.sleep(l.r.Context(), heldRequestMax)
		l.dropConnection()
		return nil, true
	case FaultLabelRunning:
		l.s.Catalog.Mu.Lock()
		id := l.s.web.txns.newID()
		l.s.Catalog.Mu.Unlock()
		return &loadError{code: "LABEL_ALREADY_EXISTS", msg: labelExistsMessage(l.res.Label, id), existing: "RUNNING"}, true
	case FaultSlow:
		if !l.s.sleep(l.r.Context(), time.Duration(f.DelayMs)*time.Millisecond) {
			l.dropConnection()
			return nil, true
		}
	case FaultPublishTimeout, FaultResetAfterCommit:
		// applied when the load commits
	default:
		return &loadError{code: "INTERNAL_ERROR", msg: "doris stand-in: unknown fault action " + f.Action}, true
	}
	return nil, false
}

// dropConnection closes the client connection without an answer.
func (l *loadRun) dropConnection() { l.answered, l.drop = true, true }

// closeConnection does what dropConnection asked for, once the load is recorded.
func (l *loadRun) closeConnection() {
	hj, ok := l.w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // net/http aborts the response without answering
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	conn.Close()
}

// begin is the FE's loadTxnBegin: password, database, table, timeout range, label
// format and label uniqueness, in that order.
func (l *loadRun) begin() *loadError {
	s := l.s
	s.Catalog.Mu.Lock()
	defer s.Catalog.Mu.Unlock()
	s.cleanTxnsLocked()
	if denied := s.checkPassword(l.r, l.user, l.pass); denied != "" {
		return feError("%s", denied)
	}
	if s.Catalog.DBs[l.db] == nil {
		return feError("unknown database, database=%s", l.db)
	}
	if s.Catalog.Table(l.db, l.table) == nil {
		return unknownTableError(l.table)
	}
	if l.h.timeout < 1 || l.h.timeout > maxStreamLoadTimeout {
		return feError("Invalid timeout: '%d'. Expected values should be between 1 and %d seconds", l.h.timeout, maxStreamLoadTimeout)
	}
	if !l.groupCommit {
		if !ValidLabel(l.res.Label) {
			return feError("Label format error. regex: %s, label: %s", LabelPattern, l.res.Label)
		}
		if t := s.labelHolderLocked(l.db, l.res.Label); t != nil {
			return &loadError{code: "LABEL_ALREADY_EXISTS", msg: labelExistsMessage(l.res.Label, t.id), existing: t.status.existingJobStatus()}
		}
	}
	l.t = s.beginTxnLocked(l.db, l.table, l.res.Label, time.Duration(l.h.timeout)*time.Second)
	l.res.TxnID = l.t.id
	return nil
}
