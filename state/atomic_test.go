package state

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// saveVersion opens the job with fsys, sets the position to {"v":v} and saves.
func saveVersion(t *testing.T, dir string, fsys fileSystem, v string) error {
	t.Helper()
	s, err := openWith(dir, "j", fsys)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st := loadT(t, s)
	if err := st.SetPosition(raw(`{"v":` + v + `}`)); err != nil {
		t.Fatal(err)
	}
	return s.Save(st)
}

func positionOnDisk(t *testing.T, dir string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "j.json"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := decodeState(data)
	if err != nil {
		t.Fatalf("state file is not a complete state: %v\n%s", err, data)
	}
	return string(st.Position)
}

func TestAtomicSaveWithFailuresAtEachStep(t *testing.T) {
	steps := []struct {
		step    string
		wantPos string // what the file holds after the failed save
		temp    bool   // a crash at this step leaves a temp file
	}{
		{"create", `{"v":1}`, false},
		{"write", `{"v":1}`, true},
		{"sync", `{"v":1}`, true},
		{"close", `{"v":1}`, true},
		{"rename", `{"v":1}`, true},
		{"syncdir", `{"v":2}`, false}, // renamed already: the new state is in place
	}
	for _, tc := range steps {
		for _, crash := range []bool{false, true} {
			name := tc.step + "/error"
			if crash {
				name = tc.step + "/crash"
			}
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				if err := saveVersion(t, dir, osFS{}, "1"); err != nil {
					t.Fatal(err)
				}
				err := saveVersion(t, dir, &faultFS{fail: tc.step, crash: crash}, "2")
				if !errors.Is(err, errInjected) {
					t.Fatalf("Save with a failing %s returned %v", tc.step, err)
				}
				if got := positionOnDisk(t, dir); got != tc.wantPos {
					t.Errorf("after a failed %s the file holds position %s, want %s", tc.step, got, tc.wantPos)
				}
				wantNames := []string{"j.json", "j.lock"}
				names := dirNames(t, dir)
				if crash && tc.temp {
					if len(names) != 3 || !isTempOf(names[1], "j") {
						t.Errorf("a crash at %s should leave one temp file, directory holds %v", tc.step, names)
					}
				} else if !reflect.DeepEqual(names, wantNames) {
					t.Errorf("directory holds %v, want %v (temp file not removed)", names, wantNames)
				}

				// The next run cleans up and carries on from what is on disk.
				s := openT(t, dir, "j")
				if names := dirNames(t, dir); !reflect.DeepEqual(names, wantNames) {
					t.Errorf("after reopening the directory holds %v, want %v", names, wantNames)
				}
				st := loadT(t, s)
				if string(st.Position) != tc.wantPos {
					t.Errorf("reloaded position %s, want %s", st.Position, tc.wantPos)
				}
				if err := st.SetPosition(raw(`{"v":3}`)); err != nil {
					t.Fatal(err)
				}
				saveT(t, s, st)
				if got := positionOnDisk(t, dir); got != `{"v":3}` {
					t.Errorf("save after recovery wrote %s", got)
				}
			})
		}
	}
}

func TestSavesLeaveNoTempFiles(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, "j")
	st := loadT(t, s)
	for i := range 20 {
		st.PositionSeq = uint64(i + 1)
		saveT(t, s, st)
	}
	if names := dirNames(t, dir); !reflect.DeepEqual(names, []string{"j.json", "j.lock"}) {
		t.Errorf("directory holds %v after saves", names)
	}
	if got := loadT(t, s).PositionSeq; got != 20 {
		t.Errorf("last save not read back: position_seq %d", got)
	}
}

func TestOpenRemovesOnlyItsOwnStaleTempFiles(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{
		"j.json.tmp-123456",   // a crashed save of job j
		"j.json.tmp-99",       // another one
		"jx.json.tmp-5",       // job jx's
		"j.json.tmp-1.json",   // the state of a job named "j.json.tmp-1"
		"j.json.tmp-abc",      // not a name os.CreateTemp makes
		"other.json.tmp-7777", // job other's: its holder may be writing it
	} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	openT(t, dir, "j")
	want := []string{"j.json.tmp-1.json", "j.json.tmp-abc", "j.lock", "jx.json.tmp-5", "other.json.tmp-7777"}
	if names := dirNames(t, dir); !reflect.DeepEqual(names, want) {
		t.Errorf("after Open the directory holds %v, want %v", names, want)
	}
}

func TestReadingIgnoresATempFileOfALiveSave(t *testing.T) {
	dir := t.TempDir()
	if err := saveVersion(t, dir, osFS{}, "1"); err != nil {
		t.Fatal(err)
	}
	// A half-written temp file, as a concurrent Save would have it.
	if err := os.WriteFile(filepath.Join(dir, "j.json.tmp-42"), []byte(`{"format_version": 1, "pha`), 0o600); err != nil {
		t.Fatal(err)
	}
	sums, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != 1 || sums[0].Err != nil || sums[0].Position != `{"v":1}` {
		t.Errorf("List = %+v, want only job j at position {\"v\":1}", sums)
	}
	if _, err := os.Stat(filepath.Join(dir, "j.json.tmp-42")); err != nil {
		t.Errorf("List (which holds no lock) removed a temp file: %v", err)
	}
}
