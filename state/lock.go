package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/doris-sync/doris-sync/exitcode"
)

// ErrLocked is matched (errors.Is) by the error of Open when another run holds the job.
var ErrLocked = errors.New("job is locked by another run")

// lockedError says which job, which lock file and which holder; it exits 1.
type lockedError struct {
	job, path string
	holder    string
}

func (e *lockedError) Error() string {
	return fmt.Sprintf("job %q is already running (%s; lock %s): wait for that run to end or stop it — two runs of one job must not share its state",
		e.job, e.holder, e.path)
}

func (e *lockedError) Is(target error) bool { return target == ErrLocked }

// lockHolder is what the holder writes into the lock file, for the message a second run
// prints.
type lockHolder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host,omitempty"`
	Started time.Time `json:"started"`
}

func (h lockHolder) String() string {
	s := fmt.Sprintf("held by pid %d", h.PID)
	if h.Host != "" {
		s += " on " + h.Host
	}
	return s + " since " + h.Started.Format(time.RFC3339)
}

// acquireLock opens (creating) the lock file and takes an exclusive, non-blocking flock
// on it. The kernel drops the lock when the holder's file is closed or the process dies,
// so a stale lock of a killed run never blocks the next one. The file is never deleted:
// deleting it would let two runs lock two different inodes of the same name.
func acquireLock(job, path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open state of job %q: open lock file: %w", job, err)
	}
	busy, err := tryLock(f)
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("open state of job %q: lock %s: %w", job, path, err)
	}
	if busy {
		holder := readHolder(f)
		_ = f.Close()
		return nil, exitcode.Runtime(&lockedError{job: job, path: path, holder: holder})
	}
	host, _ := os.Hostname()
	data, _ := json.Marshal(lockHolder{PID: os.Getpid(), Host: host, Started: time.Now().UTC().Truncate(time.Second)})
	if err := writeHolder(f, append(data, '\n')); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("open state of job %q: write lock holder to %s: %w", job, path, err)
	}
	return f, nil
}

func writeHolder(f *os.File, data []byte) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt(data, 0)
	return err
}

// readHolder describes the holder from the lock file; the holder may have locked the
// file and not written yet, or be an older build that wrote something else.
func readHolder(f *os.File) string {
	buf := make([]byte, 512)
	n, _ := f.ReadAt(buf, 0)
	text := strings.TrimSpace(string(buf[:n]))
	var h lockHolder
	if text == "" || json.Unmarshal([]byte(text), &h) != nil || h.PID == 0 {
		return "holder unknown"
	}
	return h.String()
}

// releaseLock clears the holder line and closes the file, which drops the lock.
func releaseLock(f *os.File) error {
	_ = f.Truncate(0) // only cosmetic: a stale line must not mislead whoever reads it
	return f.Close()
}
