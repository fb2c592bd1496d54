package doris

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// staged rows of a load, in the column layout they were converted for.
type staged struct {
	cols        []Column
	rows        []Row
	dels        []bool
	partialCols []int
}

// bodyReader remembers network read errors so they are told apart from bad
// compressed data.
type bodyReader struct {
	countingReader
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.countingReader.Read(p)
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

// execute reads and converts the body, then commits (or pre-commits) the load.
func (l *loadRun) execute(p *loadPlan) *loadError {
	readAt := time.Now()
	br := &bodyReader{countingReader: countingReader{r: l.r.Body}}
	body, err := decompressor(br, l.h.compress)
	if err != nil {
		l.res.LoadBytes = br.n
		return l.readError(br, err)
	}
	if l.s.Opts.Discard {
		n, err := countRecords(body, &l.h)
		l.res.LoadBytes = br.n
		if err != nil {
			return l.readError(br, err)
		}
		l.res.Total, l.res.ReadDataTimeMs = n, msSince(readAt)
		return l.commit(p, &staged{cols: p.cols})
	}
	data, err := io.ReadAll(body)
	l.res.LoadBytes = br.n
	if err != nil {
		return l.readError(br, err)
	}
	l.res.ReadDataTimeMs = msSince(readAt)

	writeAt := time.Now()
	st := &staged{cols: p.cols, partialCols: p.partialCols}
	var fatal error
	emit := func(rec record) {
		if fatal != nil {
			return
		}
		l.res.Total++
		if rec.bad != "" {
			l.filter(rec.bad, rec.src)
			return
		}
		row, del, reason, err := l.convertRow(p, rec.fields)
		switch {
		case err != nil:
			fatal = err
		case reason != "":
			l.filter(reason, rec.src)
		default:
			st.rows = append(st.rows, row)
			st.dels = append(st.dels, del)
		}
	}
	if l.h.format == "json" {
		jsonRecords(data, &l.h, p, emit)
	} else {
		csvRecords(data, &l.h, len(p.sources), emit)
	}
	if fatal != nil {
		return notModeled("%s", strings.TrimSuffix(fatal.Error(), ": "+ErrUnsupportedValue.Error()))
	}
	l.res.WriteDataTimeMs = msSince(writeAt)
	if lerr := l.commit(p, st); lerr != nil {
		return lerr
	}
	if l.fault == FaultResetAfterCommit {
		l.dropConnection()
	}
	return nil
}

func (l *loadRun) readError(br *bodyReader, err error) *loadError {
	if br.err != nil || errors.Is(err, io.ErrUnexpectedEOF) && l.h.compress == "" {
		return &loadError{code: "NETWORK_ERROR", msg: "receive body don't equal with body bytes"}
	}
	return &loadError{code: "INTERNAL_ERROR", msg: fmt.Sprintf("failed to decompress %s body: %v", l.h.compress, err)}
}

// filter counts a rejected row and writes it to the error log like Doris
// (RuntimeState::append_error_msg_to_file: the first 50 rows, then one notice).
func (l *loadRun) filter(reason, src string) {
	l.res.Filtered++
	l.errorRows++
	switch {
	case l.errorRows <= maxErrorRows:
		l.errorLines = append(l.errorLines, fmt.Sprintf("Reason: %s. src line [%s]; ", reason, src))
	case l.errorRows == maxErrorRows+1:
		l.errorLines = append(l.errorLines, fmt.Sprintf("TOO MUCH ERROR! already reach %d. show no more next error.", maxErrorRows))
	}
}

// commit checks the filter ratio and makes the rows visible (or stages them for 2PC),
// all under Catalog.Mu so a load is atomic for readers.
func (l *loadRun) commit(p *loadPlan, st *staged) *loadError {
	s := l.s
	commitAt := time.Now()
	s.Catalog.Mu.Lock()
	defer s.Catalog.Mu.Unlock()
	s.cleanTxnsLocked()
	t := l.t
	if t.status != txnPrepare { // aborted meanwhile: txn timeout or a 2PC abort by label
		return feError("transaction [%d] is already aborted, abort reason: %s", t.id, t.reason)
	}
	tbl := s.Catalog.Table(p.db, p.table)
	if tbl == nil {
		return unknownTableError(p.table)
	}
	st.remapTo(tbl, p.now)
	if p.partial && !s.Opts.Discard {
		if lerr := l.checkPartialNewKeys(tbl, p, st); lerr != nil {
			return lerr
		}
	}
	l.res.Loaded = l.res.Total - l.res.Filtered - l.res.Unselected
	if len(l.errorLines) > 0 {
		l.res.ErrorURL = "http://" + s.beHostPort(l.r) + "/api/_load_error_log?file=" + s.saveErrorLog(l.errorLines)
	}
	if selected := l.res.Total - l.res.Unselected; selected > 0 && float64(l.res.Filtered)/float64(selected) > l.h.maxFilterRatio {
		return &loadError{code: "DATA_QUALITY_ERROR", msg: "too many filtered rows"}
	}
	l.res.Status, l.res.Message = StatusSuccess, "OK"
	if l.res.TwoPhaseCommit {
		t.status = txnPrecommitted
		t.precommitAt = s.now()
		t.applyStaged = func() *loadError { return s.applyStagedLocked(p, st) }
		return nil
	}
	if lerr := s.applyStagedLocked(p, st); lerr != nil {
		return lerr
	}
	if l.fault == FaultPublishTimeout {
		s.finishTxnLocked(t, txnCommitted)
		l.res.Status = StatusPublishTimeout
		l.res.Message = "[PUBLISH_TIMEOUT]transaction commit successfully, BUT data will be visible later"
	} else {
		s.finishTxnLocked(t, txnVisible)
	}
	l.res.CommitTimeMs = msSince(commitAt)
	return nil
}

// applyStagedLocked writes staged rows into the table with its key model's semantics.
func (s *Server) applyStagedLocked(p *loadPlan, st *staged) *loadError {
	tbl := s.Catalog.Table(p.db, p.table)
	if tbl == nil {
		return unknownTableError(p.table)
	}
	st.remapTo(tbl, p.now)
	if len(st.rows) == 0 {
		return nil
	}
	if !p.partial {
		tbl.Apply(st.rows, st.dels)
		return nil
	}
	fill := func(c int) Value {
		v, err := staticDefault(&tbl.Columns[c], p.now)
		if err != nil {
			return Value{Null: true}
		}
		return v
	}
	// Runs of upserts merge columns; runs of deletes remove keys; order is kept.
	for i := 0; i < len(st.rows); {
		j := i
		for j < len(st.rows) && st.dels[j] == st.dels[i] {
			j++
		}
		if st.dels[i] {
			tbl.Apply(st.rows[i:j], st.dels[i:j])
		} else {
			tbl.MergeColumns(st.rows[i:j], st.partialCols, fill)
		}
		i = j
	}
	return nil
}

// checkPartialNewKeys applies the rules for rows whose key is not in the table yet:
// partial_update_new_key_behavior ERROR fails the load, strict mode filters the row,
// and otherwise every unmentioned column needs a default or NULL.
func (l *loadRun) checkPartialNewKeys(tbl *Table, p *loadPlan, st *staged) *loadError {
	mentioned := map[int]bool{}
	for _, c := range st.partialCols {
		mentioned[c] = true
	}
	uncoverable := false
	for c, col := range tbl.Columns {
		if !mentioned[c] && !col.Nullable && !col.HasDefault && !col.AutoInc {
			uncoverable = true
		}
	}
	seen := map[string]bool{}
	var rows []Row
	var dels []bool
	for i, row := range st.rows {
		k := tbl.keyString(row.Vals)
		if _, exists := tbl.Lookup(row.Vals); !exists && !seen[k] && !st.dels[i] {
			keyText := keyDisplay(tbl, row.Vals)
			switch {
			case p.newKeyError:
				return invalidArg("Can't append new rows in partial update when partial_update_new_key_behavior is ERROR. Row with key=[%s] is not in table.", keyText)
			case p.strict:
				l.res.Filtered++
				l.errorRows++
				if l.errorRows <= maxErrorRows {
					l.errorLines = append(l.errorLines, fmt.Sprintf("Reason: the key [%s] is not in the table; strict mode partial update does not insert new rows. src line []; ", keyText))
				}
				continue
			case uncoverable:
				return &loadError{code: "INVALID_SCHEMA", msg: "the unmentioned columns should have default value or be nullable for newly inserted rows in non-strict mode partial update"}
			}
		}
		seen[k] = true
		rows = append(rows, row)
		dels = append(dels, st.dels[i])
	}
	st.rows, st.dels = rows, dels
	return nil
}

func keyDisplay(tbl *Table, vals []Value) string {
	parts := make([]string, tbl.KeyCount)
	for i := range parts {
		if vals[i].Null {
			parts[i] = "NULL"
		} else {
			parts[i] = vals[i].S
		}
	}
	return strings.Join(parts, ", ")
}

// remapTo moves staged rows to the table's current layout when a schema change ran
// between planning and applying: columns are matched by name, new ones get defaults.
func (st *staged) remapTo(tbl *Table, now time.Time) {
	if sameColumns(st.cols, tbl.Columns) {
		return
	}
	from := make([]int, len(tbl.Columns))
	for c, col := range tbl.Columns {
		from[c] = -1
		for o := range st.cols {
			if strings.EqualFold(st.cols[o].Name, col.Name) {
				from[c] = o
			}
		}
	}
	for i := range st.rows {
		old := st.rows[i].Vals
		vals := make([]Value, len(tbl.Columns))
		for c := range vals {
			if from[c] >= 0 {
				vals[c] = old[from[c]]
			} else if v, err := staticDefault(&tbl.Columns[c], now); err == nil {
				vals[c] = v
			} else {
				vals[c] = Value{Null: true}
			}
		}
		st.rows[i].Vals = vals
	}
	var pc []int
	for c := range tbl.Columns {
		for _, o := range st.partialCols {
			if from[c] == o {
				pc = append(pc, c)
			}
		}
	}
	st.partialCols = pc
	st.cols = append([]Column(nil), tbl.Columns...)
}

func sameColumns(a, b []Column) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Type.String() != b[i].Type.String() {
			return false
		}
	}
	return true
}
