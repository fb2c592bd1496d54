package sink

import (
	"crypto/rand"
	"encoding/hex"
	"sort"
	"sync"
	"time"
)

// BatchState is where a batch is in its delivery.
type BatchState uint8

const (
	// BatchSending: recorded, about to be (or being) sent; Doris may or may not have it.
	BatchSending BatchState = iota
	// BatchPrecommitted: a two-phase load was precommitted as TxnID; not yet visible.
	BatchPrecommitted
	// BatchLoaded: Doris confirmed the rows are in.
	BatchLoaded
)

func (s BatchState) String() string {
	switch s {
	case BatchPrecommitted:
		return "precommitted"
	case BatchLoaded:
		return "loaded"
	}
	return "sending"
}

// BatchRecord describes one batch: which changes of which table it holds and where its
// delivery stands. A batch holds the changes of one table from (FirstSeq, FirstOrd)
// through (LastSeq, LastOrd) inclusive, where Ord numbers a table's changes that share
// a sequence number, in arrival order; Changes is how many there are.
type BatchRecord struct {
	Label     string
	DB, Table string
	FirstSeq  uint64
	FirstOrd  uint32
	LastSeq   uint64
	LastOrd   uint32
	Changes   int
	TwoPhase  bool
	TxnID     int64
	State     BatchState
	Updated   time.Time
}

// Journal keeps batch records durable across a crash so a restarted job cuts replayed
// changes into the same batches, with the same labels, and resolves leftover two-phase
// transactions. The state store implements it; MemJournal serves runs without a state
// directory and tests. Implementations must be safe for concurrent use.
type Journal interface {
	// Epoch identifies the journal's lifetime: stable across restarts that resume from
	// it, new when it is created (1–16 characters of [-_A-Za-z0-9:]). It is part of
	// every label, so a fresh state never collides with labels Doris remembers from an
	// earlier one.
	Epoch() string
	// Record stores rec, replacing the record with the same Label. It must be durable
	// when it returns: the writer sends a batch only after recording it.
	Record(rec BatchRecord) error
	// Records returns every record kept, in the order they were first recorded.
	Records() ([]BatchRecord, error)
	// Forget drops the records whose LastSeq ≤ through; the writer calls it once a
	// checkpoint at through is saved, after which those changes are never replayed.
	Forget(through uint64) error
}

// MemJournal is a Journal in memory. It gives exactly-once delivery within one process
// (retries reuse labels) but nothing across a restart; its epoch is random.
type MemJournal struct {
	mu    sync.Mutex
	epoch string
	recs  map[string]*memEntry
	next  int
}

type memEntry struct {
	rec   BatchRecord
	order int
}

// NewMemJournal returns an empty in-memory journal with a random epoch.
func NewMemJournal() *MemJournal {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return NewMemJournalEpoch(hex.EncodeToString(b[:]))
}

// NewMemJournalEpoch returns an empty in-memory journal with the given epoch.
func NewMemJournalEpoch(epoch string) *MemJournal {
	return &MemJournal{epoch: epoch, recs: map[string]*memEntry{}}
}

// Epoch implements Journal.
func (j *MemJournal) Epoch() string { return j.epoch }

// Record implements Journal.
func (j *MemJournal) Record(rec BatchRecord) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if e, ok := j.recs[rec.Label]; ok {
		e.rec = rec
		return nil
	}
	j.recs[rec.Label] = &memEntry{rec: rec, order: j.next}
	j.next++
	return nil
}

// Records implements Journal.
func (j *MemJournal) Records() ([]BatchRecord, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	es := make([]*memEntry, 0, len(j.recs))
	for _, e := range j.recs {
		es = append(es, e)
	}
	sort.Slice(es, func(a, b int) bool { return es[a].order < es[b].order })
	out := make([]BatchRecord, len(es))
	for i, e := range es {
		out[i] = e.rec
	}
	return out, nil
}

// Forget implements Journal.
func (j *MemJournal) Forget(through uint64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for l, e := range j.recs {
		if e.rec.LastSeq <= through {
			delete(j.recs, l)
		}
	}
	return nil
}
