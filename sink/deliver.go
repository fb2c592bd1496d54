package sink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/klauspost/compress/gzip"

	"github.com/doris-sync/doris-sync/sink/streamload"
)

// worker loads queued batches, one table at a time, until the writer closes.
func (w *Writer) worker() {
	defer w.wg.Done()
	for {
		w.mu.Lock()
		for len(w.ready) == 0 && !w.closing && w.err == nil {
			w.cond.Wait()
		}
		// After a failure the job is stopping: load nothing more.
		if len(w.ready) == 0 || w.err != nil {
			w.mu.Unlock()
			return
		}
		t := w.ready[0]
		w.ready[0] = nil
		w.ready = w.ready[1:]
		w.mu.Unlock()

		t.mu.Lock()
		b := t.queue[0]
		t.queue[0] = nil
		t.queue = t.queue[1:]
		t.inflight = b
		t.mu.Unlock()

		err := w.deliver(t, b)

		t.mu.Lock()
		if err == nil {
			t.inflight = nil
			if len(t.queue) > 0 {
				w.schedule(t)
			} else {
				t.scheduled = false
			}
		}
		// On failure the batch stays in flight and the table stays scheduled: nothing
		// later of this table may overtake it, and FlushedThrough stays below it.
		t.mu.Unlock()
		if err != nil {
			w.fail(err)
			continue
		}
		w.mem.Add(-int64(b.size + len(b.wire)))
		w.putChunks(b.body)
		w.notify()
	}
}

// deliver loads one batch until Doris has it: the label is recorded before the first
// byte is sent and reused by every retry, so Doris deduplicates a batch that got in
// while we did not hear back.
func (w *Writer) deliver(t *tableState, b *batch) error {
	ctx := w.ctx
	start := time.Now()
	body := b.body
	if w.cfg.gzip() {
		if b.wire == nil {
			b.wire = gzipBody(b.body, b.size)
			w.addMem(int64(len(b.wire)))
		}
		body = [][]byte{b.wire}
	}
	h := b.shape.header
	if b.partial != nil {
		h = b.partial.header
	}
	h = h.Clone()
	if b.label != "" {
		h.Set("label", b.label)
	}
	rec := BatchRecord{
		Label: b.label, DB: t.db, Table: t.name,
		FirstSeq: b.first.seq, FirstOrd: b.first.ord, LastSeq: b.last.seq, LastOrd: b.last.ord,
		Changes: b.changes, TwoPhase: b.shape.twoPhase, State: BatchSending,
	}
	journaled := b.label != ""
	if journaled {
		if err := w.record(rec); err != nil {
			return &LoadError{DB: t.db, Table: t.name, Label: b.label, Err: err}
		}
	}
	lerr := func(err error) error { return &LoadError{DB: t.db, Table: t.name, Label: b.label, Err: err} }
	bo := w.newBackoff()
	failures := 0
	var runningSince time.Time
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return lerr(fmt.Errorf("abandoned: %w", err))
		}
		res, err := w.client.Load(ctx, &streamload.Request{DB: t.db, Table: t.name, Header: h, Body: body, Attempt: attempt})
		var out streamload.Outcome
		var reason string
		if err != nil {
			var pe *streamload.PermanentError
			if errors.As(err, &pe) {
				t.stats.failures.Add(1)
				return lerr(err)
			}
			out, reason = streamload.Retry, err.Error()
		} else {
			out, reason = streamload.Classify(res)
		}
		switch out {
		case streamload.Loaded, streamload.AlreadyLoaded:
			if out == streamload.AlreadyLoaded {
				w.log.Info("batch was already loaded (label finished)", "table", t.db+"."+t.name, "label", b.label)
			}
			return w.loaded(t, b, rec, res, start)
		case streamload.Precommitted, streamload.LabelPrecommitted:
			txn := res.TxnID
			if out == streamload.LabelPrecommitted {
				// Our label, so our rows: an earlier attempt precommitted; finish it.
				txn = streamload.ExistingTxnID(res.Message)
			}
			if txn < 0 {
				txn = 0 // unknown: commit by label
			}
			if txn > 0 {
				rec.State, rec.TxnID = BatchPrecommitted, txn
				if err := w.record(rec); err != nil {
					return lerr(err)
				}
			}
			done, err := w.commit(ctx, t.db, txn, b.label)
			if err != nil {
				t.stats.failures.Add(1)
				return lerr(err)
			}
			if done {
				return w.loaded(t, b, rec, res, start)
			}
			// The transaction was aborted (expired or lost): the label is free again.
			reason = "precommitted transaction " + strconv.FormatInt(txn, 10) + " was aborted before its commit"
			rec.State, rec.TxnID = BatchSending, 0
			if err := w.record(rec); err != nil {
				return lerr(err)
			}
		case streamload.LabelRunning:
			// A load with our label is still running (an attempt we stopped waiting
			// for). Wait and ask again with the same label; it ends FINISHED or frees it.
			if runningSince.IsZero() {
				runningSince = time.Now()
			} else if time.Since(runningSince) > w.runningWait {
				t.stats.failures.Add(1)
				return lerr(fmt.Errorf("label still RUNNING after %s", w.runningWait))
			}
			t.stats.retries.Add(1)
			if err := sleep(ctx, bo.NextBackOff()); err != nil {
				return lerr(fmt.Errorf("abandoned: %w", err))
			}
			continue
		case streamload.Rejected:
			t.stats.failures.Add(1)
			msg := reason
			if res != nil && res.ErrorURL != "" {
				if rows, err := w.client.ErrorLog(ctx, res.ErrorURL, 5); err == nil && rows != "" {
					msg += "; first rejected rows:\n" + rows
				} else if err != nil {
					msg += " (error log unavailable: " + err.Error() + ")"
				}
			}
			if b.partial != nil {
				msg += "; this was a partial-column update (values the source did not send are left as they are), " +
					"which needs a merge-on-write UNIQUE table on Doris ≥ 2.0; or make the source send every column " +
					"(PostgreSQL: ALTER TABLE <source table> REPLICA IDENTITY FULL)"
			}
			return lerr(errors.New("Doris rejected the load: " + msg))
		}
		// Retry: failed and rolled back, or outcome unknown. The same label makes a
		// second copy impossible.
		t.stats.failures.Add(1)
		failures++
		if failures > w.cfg.MaxRetries {
			return lerr(fmt.Errorf("still failing after %d retries: %s", w.cfg.MaxRetries, reason))
		}
		t.stats.retries.Add(1)
		d := bo.NextBackOff()
		w.log.Warn("load failed; retrying with the same label", "table", t.db+"."+t.name, "label", b.label,
			"attempt", attempt+1, "in", d, "cause", reason)
		if err := sleep(ctx, d); err != nil {
			return lerr(fmt.Errorf("abandoned: %w", err))
		}
	}
}

func (w *Writer) loaded(t *tableState, b *batch, rec BatchRecord, res *streamload.Result, start time.Time) error {
	if rec.Label != "" {
		rec.State = BatchLoaded
		if err := w.record(rec); err != nil {
			return &LoadError{DB: t.db, Table: t.name, Label: b.label, Err: err}
		}
	}
	d := time.Since(start)
	t.stats.rows.Add(int64(b.rows))
	if b.partial != nil {
		t.stats.partialRows.Add(int64(b.rows))
	}
	t.stats.bytes.Add(int64(b.size))
	t.stats.loads.Add(1)
	t.stats.observeLoad(d)
	if res != nil && res.NumberFilteredRows > 0 {
		t.stats.filtered.Add(res.NumberFilteredRows)
		w.log.Warn("Doris filtered rows within max_filter_ratio", "table", t.db+"."+t.name, "label", b.label,
			"filtered", res.NumberFilteredRows, "error_url", res.ErrorURL)
	}
	w.log.Debug("loaded", "table", t.db+"."+t.name, "label", b.label, "rows", b.rows, "bytes", b.size, "took", d)
	return nil
}

// commit finishes a precommitted transaction (by id, or by label when the id is
// unknown). It returns true when the rows are in, false when the transaction is gone
// and the batch must be sent again.
func (w *Writer) commit(ctx context.Context, db string, txn int64, label string) (bool, error) {
	bo := w.newBackoff()
	for attempt := 0; ; attempt++ {
		reply, err := w.client.TwoPhase(ctx, db, "commit", txn, label, attempt)
		var reason string
		if err != nil {
			var pe *streamload.PermanentError
			if errors.As(err, &pe) {
				return false, fmt.Errorf("commit transaction %d: %w", txn, err)
			}
			reason = err.Error()
		} else {
			switch streamload.ClassifyTxn("commit", reply) {
			case streamload.TxnDone:
				return true, nil
			case streamload.TxnGone:
				return false, nil
			}
			reason = reply.Status + ": " + reply.Msg
		}
		if attempt >= w.cfg.MaxRetries {
			return false, fmt.Errorf("commit transaction %d still failing after %d retries: %s", txn, w.cfg.MaxRetries, reason)
		}
		w.log.Warn("commit failed; retrying", "db", db, "txn", txn, "label", label, "cause", reason)
		if err := sleep(ctx, bo.NextBackOff()); err != nil {
			return false, err
		}
	}
}

// recover resolves what the journal says an earlier run left: two-phase loads that may
// be precommitted are committed (their rows are exactly the journaled batch, which the
// replay would otherwise load again), and every record is kept so replayed changes are
// cut into the same batches.
func (w *Writer) recover(ctx context.Context) error {
	recs, err := w.journal.Records()
	if err != nil {
		return fmt.Errorf("sink: read journal: %w", err)
	}
	for i := range recs {
		r := &recs[i]
		if r.State != BatchLoaded && !r.TwoPhase && time.Since(r.Updated) > labelKeep {
			w.log.Warn("a batch from an earlier run has an unknown outcome and is older than Doris keeps labels; "+
				"if it was loaded, replaying it loads its rows again (DUPLICATE tables)",
				"table", r.DB+"."+r.Table, "label", r.Label, "recorded", r.Updated)
		}
		if r.State == BatchLoaded || !r.TwoPhase {
			continue
		}
		txn := int64(0)
		if r.State == BatchPrecommitted {
			txn = r.TxnID
		}
		done, err := w.commit(ctx, r.DB, txn, r.Label)
		if err != nil {
			return fmt.Errorf("sink: resolve precommitted load %s of %s.%s: %w", r.Label, r.DB, r.Table, err)
		}
		if done {
			r.State = BatchLoaded
			w.log.Info("committed a load left precommitted by an earlier run", "table", r.DB+"."+r.Table, "label", r.Label)
		} else {
			r.State, r.TxnID = BatchSending, 0
		}
		if err := w.record(*r); err != nil {
			return fmt.Errorf("sink: %w", err)
		}
	}
	for _, r := range recs {
		k := tableKey{r.DB, r.Table}
		w.recovered[k] = append(w.recovered[k], r)
	}
	return nil
}

// labelKeep is how long Doris remembers a stream load label (streaming_label_keep_max_second).
const labelKeep = 12 * time.Hour

func (w *Writer) record(rec BatchRecord) error {
	rec.Updated = time.Now()
	if err := w.journal.Record(rec); err != nil {
		return fmt.Errorf("journal record %s: %w", rec.Label, err)
	}
	return nil
}

func (w *Writer) newBackoff() *backoff.ExponentialBackOff {
	return &backoff.ExponentialBackOff{
		InitialInterval:     w.cfg.RetryInterval,
		RandomizationFactor: 0.2,
		Multiplier:          2,
		MaxInterval:         w.cfg.RetryMaxInterval,
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

var gzipPool = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

func gzipBody(body [][]byte, size int) []byte {
	var out bytes.Buffer
	out.Grow(size/4 + 64)
	zw := gzipPool.Get().(*gzip.Writer)
	zw.Reset(&out)
	for _, c := range body {
		_, _ = zw.Write(c) // writes to a bytes.Buffer cannot fail
	}
	_ = zw.Close()
	gzipPool.Put(zw)
	return out.Bytes()
}
