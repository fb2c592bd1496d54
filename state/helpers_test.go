package state

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

func openT(t *testing.T, dir, job string) *Store {
	t.Helper()
	s, err := Open(dir, job)
	if err != nil {
		t.Fatalf("Open(%q): %v", job, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func loadT(t *testing.T, s *Store) *State {
	t.Helper()
	st, err := s.Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return st
}

func saveT(t *testing.T, s *Store, st *State) {
	t.Helper()
	if err := s.Save(st); err != nil {
		t.Fatalf("Save: %v", err)
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func raw(s string) json.RawMessage { return json.RawMessage(s) }

func sampleIdentity() Identity {
	return Identity{
		SourceKind: "mysql",
		Source: SourceAddress{
			Hosts:     []string{"db1.example:3306"},
			Databases: []string{"shop"},
			Options:   map[string]string{"server-id": "5400"},
		},
		Filters:        Filters{Including: "orders|items", TablePrefix: "ods_"},
		TargetDatabase: "dw",
	}
}

// errInjected is what faultFS returns at the step it fails.
var errInjected = errors.New("injected failure")

// faultFS passes through to the real file system until the step named fail, which
// fails. With crash set, the process "dies" there: the step and every later call do
// nothing, as if the power went out, so no cleanup runs either.
type faultFS struct {
	fail    string // create, write, sync, close, rename, syncdir
	crash   bool
	crashed bool
	inner   osFS
}

func (f *faultFS) hit(step string) error {
	if f.crashed {
		return errInjected
	}
	if step == f.fail {
		f.crashed = f.crash
		return errInjected
	}
	return nil
}

func (f *faultFS) CreateTemp(dir, pattern string) (tempFile, error) {
	if err := f.hit("create"); err != nil {
		return nil, err
	}
	tf, err := f.inner.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &faultFile{tempFile: tf, fs: f}, nil
}

func (f *faultFS) Rename(o, n string) error {
	if err := f.hit("rename"); err != nil {
		return err
	}
	return f.inner.Rename(o, n)
}

func (f *faultFS) Remove(p string) error {
	if f.crashed {
		return errInjected
	}
	return f.inner.Remove(p)
}

func (f *faultFS) SyncDir(d string) error {
	if err := f.hit("syncdir"); err != nil {
		return err
	}
	return f.inner.SyncDir(d)
}

type faultFile struct {
	tempFile
	fs *faultFS
}

// Write writes half of p before failing, like a full disk.
func (f *faultFile) Write(p []byte) (int, error) {
	if err := f.fs.hit("write"); err != nil {
		n, _ := f.tempFile.Write(p[:len(p)/2])
		return n, err
	}
	return f.tempFile.Write(p)
}

func (f *faultFile) Sync() error {
	if err := f.fs.hit("sync"); err != nil {
		return err
	}
	return f.tempFile.Sync()
}

func (f *faultFile) Close() error {
	if f.fs.crashed {
		_ = f.tempFile.Close() // the kernel closes a dead process's files
		return errInjected
	}
	if err := f.fs.hit("close"); err != nil {
		_ = f.tempFile.Close()
		return err
	}
	return f.tempFile.Close()
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func fileMode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func statePath(dir, job string) string {
	stem, err := fileStem(job)
	if err != nil {
		panic(err)
	}
	return filepath.Join(dir, stem+stateSuffix)
}

func writeFile(dir, name, content string) error {
	return os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600)
}
