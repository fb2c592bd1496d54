package state

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Store is one job's checkpoint file, locked for the life of the run. Its methods are
// safe for concurrent use; the State values it returns are not (see State).
type Store struct {
	dir      string
	job      string
	path     string // <dir>/<file stem>.json
	lockPath string // <dir>/<file stem>.lock
	lock     *os.File
	fs       fileSystem
	now      func() time.Time

	mu     sync.Mutex
	closed bool
	buf    bytes.Buffer // reused by Save
}

// Open opens (creating if needed) the state of jobName under dir and locks it until
// Close. The directory is created with mode 0700, the files with 0600. When another
// process (or another Store in this process) holds the job, Open fails at once with an
// error naming the job, the lock file and the holder; it matches ErrLocked and exits 1.
func Open(dir, jobName string) (*Store, error) {
	return openWith(dir, jobName, osFS{})
}

func openWith(dir, jobName string, fsys fileSystem) (*Store, error) {
	stem, err := fileStem(jobName)
	if err != nil {
		return nil, err
	}
	if dir == "" {
		return nil, errors.New("open state: no state directory given (--state-dir)")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open state of job %q: create state directory: %w", jobName, err)
	}
	s := &Store{
		dir:      dir,
		job:      jobName,
		path:     filepath.Join(dir, stem+stateSuffix),
		lockPath: filepath.Join(dir, stem+lockSuffix),
		fs:       fsys,
		now:      func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) },
	}
	lock, err := acquireLock(jobName, s.lockPath)
	if err != nil {
		return nil, err
	}
	s.lock = lock
	// Only the lock holder may remove temp files: another holder's would be in use.
	if err := removeStaleTemps(dir, stem); err != nil {
		_ = releaseLock(lock)
		return nil, fmt.Errorf("open state of job %q: %w", jobName, err)
	}
	return s, nil
}

// Job is the job name the store was opened for.
func (s *Store) Job() string { return s.job }

// Path is the state file's path (it may not exist yet).
func (s *Store) Path() string { return s.path }

// Close releases the lock. The state file stays; a Store cannot be used after Close.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if err := releaseLock(s.lock); err != nil {
		return fmt.Errorf("close state of job %q: %w", s.job, err)
	}
	return nil
}

// Load reads the job's state. A job without a state file gets a new State (phase
// planning, a fresh journal epoch, no identity yet); nothing is written until Save.
func (s *Store) Load() (*State, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("load state of job %q: store is closed", s.job)
	}
	return s.load()
}

func (s *Store) load() (*State, error) {
	data, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return newState(s.job)
	}
	if err != nil {
		return nil, fmt.Errorf("load state of job %q: %w", s.job, err)
	}
	st, err := decodeState(data)
	if err != nil {
		return nil, fmt.Errorf("load state of job %q from %s: %w", s.job, s.path, err)
	}
	return st, nil
}

// Save writes st as the job's state, replacing the file atomically, and returns once it
// is durable. It stamps st with the format version, the job name and the Created and
// Updated times. The caller must not change st while Save runs.
func (s *Store) Save(st *State) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("save state of job %q: store is closed", s.job)
	}
	now := s.now()
	st.FormatVersion = FormatVersion
	st.JobName = s.job
	if st.Created.IsZero() {
		st.Created = now
	}
	st.Updated = now
	s.buf.Reset()
	enc := json.NewEncoder(&s.buf)
	if err := enc.Encode(st); err != nil {
		return fmt.Errorf("save state of job %q: encode: %w", s.job, err)
	}
	if err := writeAtomic(s.fs, s.dir, s.path, s.buf.Bytes()); err != nil {
		return fmt.Errorf("save state of job %q: %w", s.job, err)
	}
	return nil
}

// CheckIdentity refuses to go on when the saved state belongs to a different job than
// id (see IdentityMismatchError); a job without a saved state or without a saved
// identity passes. The error exits 2.
func (s *Store) CheckIdentity(id Identity) error {
	st, err := s.Load()
	if err != nil {
		return err
	}
	return s.checkIdentity(st, id)
}

// Resume loads the job's state and makes sure it belongs to id: a new state (or one
// saved before it had an identity) takes id, a state of a different job is refused.
func (s *Store) Resume(id Identity) (*State, error) {
	st, err := s.Load()
	if err != nil {
		return nil, err
	}
	if err := s.checkIdentity(st, id); err != nil {
		return nil, err
	}
	if st.Job == nil {
		sealed, err := id.Seal()
		if err != nil {
			return nil, fmt.Errorf("state of job %q: %w", s.job, err)
		}
		st.Job = &sealed
	}
	return st, nil
}

func (s *Store) checkIdentity(st *State, id Identity) error {
	if st.Job == nil {
		return nil
	}
	now, err := id.Seal()
	if err != nil {
		return fmt.Errorf("state of job %q: %w", s.job, err)
	}
	// Canonicalise the saved side too, so a hand-edited order is not a difference.
	saved, err := st.Job.Seal()
	if err != nil {
		return fmt.Errorf("saved state of job %q: %w", s.job, err)
	}
	return compareIdentity(s.job, s.path, saved, now)
}
