package sink

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/doris-sync/doris-sync/schema"
	"github.com/doris-sync/doris-sync/sink/encode"
)

// Updates that leave columns unchanged (schema.Unchanged: the source did not send the
// value) are loaded as Doris partial-column updates: a Stream Load with
// partial_columns=true whose columns header names the key columns and the columns
// present, so Doris keeps the stored value of every other column (doris-behaviour.md
// §5.3). One load has one column list, so rows that leave the same columns unchanged
// share a batch, and a table's batch is cut whenever the column set changes: batches of
// a table load strictly one after the other, so every key's changes stay in order.

// partialShape is how rows that leave the same columns unchanged are loaded: an
// encoder of the columns present only, and headers naming them.
type partialShape struct {
	cols   []int // the columns present, in table order (the key columns among them)
	enc    encode.Encoder
	header http.Header
	row    []any // the present values of the row being encoded (under the table's lock)
}

// project returns the row's present values, in the shape's column order.
func (p *partialShape) project(row []any) []any {
	for i, c := range p.cols {
		p.row[i] = row[c]
	}
	return p.row
}

// partialFor returns the partial shape an Update that leaves columns unchanged loads
// with, or nil for a change that carries every value. It refuses, naming the table, the
// column and the remedy, every case where a partial update would store something else
// than the source has: tables that cannot take one, an unchanged key, a changed key
// (the new key's row does not exist, so the columns left out would take defaults).
// Caller holds t.mu.
func (t *tableState) partialFor(ch Change) (*partialShape, error) {
	sh := t.shape
	if ch.Op != Update || len(ch.Row) != len(sh.cols) {
		return nil, nil // inserts and deletes never leave a value out; the encoder checks lengths
	}
	first := -1
	var kb [32]byte
	key := kb[:0]
	for i, v := range ch.Row {
		if schema.IsUnchanged(v) {
			if first < 0 {
				first = i
			}
			key = binary.AppendUvarint(key, uint64(i))
		}
	}
	if first < 0 {
		return nil, nil
	}
	spec := &sh.spec
	col := spec.Columns[first].Name
	switch {
	case spec.Model != Unique:
		return nil, t.unchangedError(ch, col, "it is a DUPLICATE KEY table, which cannot update some columns of a row")
	case spec.MergeOnRead:
		return nil, t.unchangedError(ch, col, "it is a merge-on-read UNIQUE table, and Doris updates some columns of a row only in merge-on-write tables")
	case first < spec.KeyColumns:
		return nil, t.unchangedError(ch, col, "it is a key column, and a row cannot be found without its key")
	case ch.Before != nil && !sameKey(ch.Before, ch.Row, spec.KeyColumns):
		return nil, t.unchangedError(ch, col, "the update changed the row's key, and the row under the new key does not have the old values")
	}
	if p := sh.partials[string(key)]; p != nil {
		return p, nil
	}
	p, err := newPartialShape(sh, ch.Row)
	if err != nil {
		return nil, fmt.Errorf("sink: %s.%s: partial update: %w", t.db, t.name, err)
	}
	sh.partials[string(key)] = p
	return p, nil
}

// unchangedError explains why a row that leaves a column unchanged cannot be loaded.
// Writing the row whole would overwrite the stored value, so the job stops instead.
func (t *tableState) unchangedError(ch Change, col, why string) error {
	return fmt.Errorf("sink: %s.%s change at sequence %d: the source did not send column %s (its value is unchanged, "+
		"for example a PostgreSQL TOASTed value the update did not touch), and it cannot be loaded as a partial update of the "+
		"other columns: %s. Writing the row whole would overwrite the stored value, so nothing is written: make the source send "+
		"every column (PostgreSQL: ALTER TABLE <source table> REPLICA IDENTITY FULL) and resume",
		t.db, t.name, ch.Seq, col, why)
}

// newPartialShape builds the shape of the columns row holds values for.
func newPartialShape(sh *tableShape, row []any) (*partialShape, error) {
	p := &partialShape{}
	var cols []encode.Column
	var names strings.Builder
	for i, c := range sh.cols {
		if schema.IsUnchanged(row[i]) {
			continue
		}
		if strings.ContainsAny(c.Name, "`") {
			return nil, errors.New("column name " + c.Name + " cannot be listed in the columns header")
		}
		if names.Len() > 0 {
			names.WriteByte(',')
		}
		names.WriteString("`" + c.Name + "`")
		p.cols = append(p.cols, i)
		cols = append(cols, c)
	}
	p.row = make([]any, len(p.cols))
	if sh.csv {
		enc, err := encode.NewCSV(cols, false, sh.sep, sh.delim)
		if err != nil {
			return nil, err
		}
		p.enc = enc
	} else {
		p.enc = encode.NewJSON(cols, false)
	}
	h := sh.header.Clone()
	// Rows of a partial update are never deletes: no delete sign.
	h.Del("hidden_columns")
	h.Set("partial_columns", "true")
	h.Set("columns", names.String())
	if seq := sh.spec.SequenceColumn; seq != "" {
		if i := columnIndexFold(sh.cols, seq); i >= 0 && schema.IsUnchanged(row[i]) {
			// Doris keeps the stored sequence value of a partial update that does not
			// name the sequence column.
			h.Del("function_column.sequence_col")
		}
	}
	p.header = h
	return p, nil
}

func columnIndexFold(cols []encode.Column, name string) int {
	for i, c := range cols {
		if strings.EqualFold(c.Name, name) {
			return i
		}
	}
	return -1
}

// deleteRow is row as the row of a delete: only its key matters, so a column the
// source did not send becomes NULL (a delete under PostgreSQL's default replica
// identity carries the key alone). A key column the source did not send is an error.
func (t *tableState) deleteRow(row []any) ([]any, error) {
	var out []any
	for i, v := range row {
		if !schema.IsUnchanged(v) {
			continue
		}
		if i < t.shape.spec.KeyColumns && i < len(t.shape.spec.Columns) {
			return nil, errors.New("the source did not send the key column " + t.shape.spec.Columns[i].Name + " of a deleted row")
		}
		if out == nil {
			out = append([]any(nil), row...)
		}
		out[i] = nil
	}
	if out == nil {
		return row, nil
	}
	return out, nil
}
