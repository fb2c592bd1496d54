package state

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// fileSystem is the seam between Save and the operating system, so tests can fail or
// "crash" between the steps of an atomic write.
type fileSystem interface {
	CreateTemp(dir, pattern string) (tempFile, error)
	Rename(oldPath, newPath string) error
	Remove(path string) error
	SyncDir(dir string) error
}

type tempFile interface {
	Name() string
	Write(p []byte) (int, error)
	Sync() error
	Close() error
}

type osFS struct{}

// CreateTemp creates the file with mode 0600.
func (osFS) CreateTemp(dir, pattern string) (tempFile, error) { return os.CreateTemp(dir, pattern) }
func (osFS) Rename(oldPath, newPath string) error             { return os.Rename(oldPath, newPath) }
func (osFS) Remove(path string) error                         { return os.Remove(path) }

// SyncDir makes a rename in dir durable.
func (osFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeAtomic replaces path with data: write a temp file next to it, fsync it, rename it
// over path, fsync the directory. Until the rename, path keeps its old content; after
// it, path has the new content complete. A failure before the rename removes the temp
// file; a crash leaves it for removeStaleTemps.
func writeAtomic(fsys fileSystem, dir, path string, data []byte) (err error) {
	f, err := fsys.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temp file: %w", err)
	}
	tmp := f.Name()
	renamed := false
	defer func() {
		if err != nil && !renamed {
			if rerr := fsys.Remove(tmp); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
				err = errors.Join(err, fmt.Errorf("remove temp file: %w", rerr))
			}
		}
	}()
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("fsync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if err := fsys.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename %s over %s: %w", tmp, path, err)
	}
	renamed = true
	if err := fsys.SyncDir(dir); err != nil {
		return fmt.Errorf("fsync directory %s after replacing %s: %w", dir, path, err)
	}
	return nil
}
