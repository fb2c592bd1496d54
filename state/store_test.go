package state

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/exitcode"
)

func TestOpenCreatesPrivateDirectoryAndFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "state")
	s := openT(t, dir, "shop")
	st := loadT(t, s)
	saveT(t, s, st)
	if m := fileMode(t, dir); m != 0o700 {
		t.Errorf("state directory mode %o, want 700", m)
	}
	if m := fileMode(t, filepath.Join(dir, "shop.json")); m != 0o600 {
		t.Errorf("state file mode %o, want 600", m)
	}
	if m := fileMode(t, filepath.Join(dir, "shop.lock")); m != 0o600 {
		t.Errorf("lock file mode %o, want 600", m)
	}
	if s.Path() != filepath.Join(dir, "shop.json") || s.Job() != "shop" {
		t.Errorf("Path/Job = %q/%q", s.Path(), s.Job())
	}
}

func TestSaveReplacesAWiderModeFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "j.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := openT(t, dir, "j")
	st, err := newState("j")
	if err != nil {
		t.Fatal(err)
	}
	saveT(t, s, st)
	if m := fileMode(t, filepath.Join(dir, "j.json")); m != 0o600 {
		t.Errorf("state file mode after save %o, want 600", m)
	}
}

func TestJobNameToFileName(t *testing.T) {
	for name, want := range map[string]string{
		"shop":              "shop",
		"mysql-shop-to-dw":  "mysql-shop-to-dw",
		"a.b_c":             "a.b_c",
		"a b":               "a%20b",
		"a%20b":             "a%2520b",
		".hidden":           "%2Ehidden",
		"ütf":               "%C3%BCtf",
		"x.json.tmp-1":      "x.json.tmp-1",
		"semi;colon$dollar": "semi%3Bcolon%24dollar",
	} {
		got, err := fileStem(name)
		if err != nil || got != want {
			t.Errorf("fileStem(%q) = %q, %v; want %q", name, got, err, want)
			continue
		}
		back, err := jobFromStem(got)
		if err != nil || back != name {
			t.Errorf("jobFromStem(%q) = %q, %v; want %q", got, back, err, name)
		}
	}
	for name, wantMsg := range map[string]string{
		"":                       "job name is empty",
		"a/b":                    "contains a path separator",
		"/etc/passwd":            "contains a path separator",
		`a\b`:                    "contains a path separator",
		"..":                     "not a usable name",
		".":                      "not a usable name",
		strings.Repeat("x", 201): "too long",
	} {
		_, err := Open(t.TempDir(), name)
		if err == nil || !strings.Contains(err.Error(), wantMsg) {
			t.Errorf("Open(%q) error %v, want it to say %q", name, err, wantMsg)
			continue
		}
		if exitcode.Of(err) != exitcode.UsageError {
			t.Errorf("Open(%q): exit code %d, want 2", name, exitcode.Of(err))
		}
	}
}

func TestSecondOpenOfAJobFailsAtOnce(t *testing.T) {
	dir := t.TempDir()
	first := openT(t, dir, "shop job")
	_, err := Open(dir, "shop job")
	if err == nil {
		t.Fatal("second Open of a locked job succeeded")
	}
	if !errors.Is(err, ErrLocked) {
		t.Errorf("error does not match ErrLocked: %v", err)
	}
	if exitcode.Of(err) != exitcode.RuntimeError {
		t.Errorf("exit code %d, want 1", exitcode.Of(err))
	}
	lockPath := filepath.Join(dir, "shop%20job.lock")
	for _, want := range []string{`job "shop job" is already running`, lockPath, "pid " + strconv.Itoa(os.Getpid()), "since "} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	// Another job in the same directory is independent.
	other, err := Open(dir, "other")
	if err != nil {
		t.Fatalf("Open of another job: %v", err)
	}
	_ = other.Close()
	// Once the holder closes, the job opens again.
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(dir, "shop job")
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	_ = again.Close()
}

func TestLoadOfANewJob(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, "fresh")
	st := loadT(t, s)
	if st.Phase != PhasePlanning || st.Job != nil || st.Position != nil || len(st.Snapshot) != 0 || len(st.Loads) != 0 {
		t.Errorf("new state not empty: %+v", st)
	}
	if len(st.Epoch) != 8 || strings.Trim(st.Epoch, "0123456789abcdef") != "" {
		t.Errorf("epoch %q is not 8 hex digits", st.Epoch)
	}
	if _, err := os.Stat(s.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load wrote a state file (stat: %v)", err)
	}
	other := loadT(t, s)
	if other.Epoch == st.Epoch {
		t.Errorf("two new states share epoch %q", st.Epoch)
	}
}

func TestSaveAndResumeRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, "shop")
	st, err := s.Resume(sampleIdentity())
	if err != nil {
		t.Fatal(err)
	}
	st.Phase = PhaseStreaming
	if err := st.SetPosition(raw(`{"kind": "mysql", "value": {"gtid": "0-1-42"}}`)); err != nil {
		t.Fatal(err)
	}
	st.PositionSeq = 77
	if _, err := st.PlanTable("shop.orders", "dw.ods_orders", 1000, []json.RawMessage{raw(`[100]`), raw(`[200]`)}); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkChunkDone("shop.orders", Chunk{Index: 0, End: raw(`[100]`)}, 99); err != nil {
		t.Fatal(err)
	}
	if err := st.AddLoad(LoadRecord{Label: "l1", DB: "dw", Table: "ods_orders", FirstSeq: 1, LastSeq: 5, Changes: 5,
		TwoPhase: true, TxnID: 42, State: LoadPrecommitted, Updated: mustTime("2026-01-02T03:04:05Z")}); err != nil {
		t.Fatal(err)
	}
	if err := st.AppendSchema("shop.orders", SchemaVersion{Position: raw(`{"p":1}`), Table: raw(`{"cols":["id"]}`), DDL: "CREATE TABLE orders (id int)"}); err != nil {
		t.Fatal(err)
	}
	st.StartRun(mustTime("2026-01-02T03:00:00Z"))
	st.FinishRun(mustTime("2026-01-02T03:01:30Z"), nil, map[string]int64{"dw.ods_orders": 99})
	saveT(t, s, st)
	created := st.Created
	if created.IsZero() || st.Updated.Before(created) || st.JobName != "shop" || st.FormatVersion != FormatVersion {
		t.Errorf("Save did not stamp the state: %+v", st)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2 := openT(t, dir, "shop")
	got, err := s2.Resume(sampleIdentity())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, st) {
		gj, _ := json.Marshal(got)
		sj, _ := json.Marshal(st)
		t.Errorf("resumed state differs\n got %s\nwant %s", gj, sj)
	}
	saveT(t, s2, got)
	if !got.Created.Equal(created) {
		t.Errorf("Created changed on the second save: %v → %v", created, got.Created)
	}
	if got.LastRun.Duration != Duration(90*time.Second) || !got.LastRun.OK {
		t.Errorf("last run %+v", got.LastRun)
	}
}

func TestStoreRefusesUseAfterClose(t *testing.T) {
	s, err := Open(t.TempDir(), "j")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.Load(); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Load after Close: %v", err)
	}
	if err := s.Save(&State{}); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Save after Close: %v", err)
	}
}

func TestVersionsAndDamagedFilesAreRefused(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, "v")
	valid := loadT(t, s)
	saveT(t, s, valid)
	good, err := os.ReadFile(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	withVersion := func(v string) string {
		return strings.Replace(string(good), `"format_version":1`, `"format_version":`+v, 1)
	}
	if !strings.Contains(string(good), `"format_version":1`) {
		t.Fatalf("saved file has no format_version 1:\n%s", good)
	}
	cases := map[string]struct{ content, want string }{
		"newer":         {withVersion("2"), "format version 2 was written by a newer doris-sync (this one reads version 1)"},
		"older":         {withVersion("0"), "format version 0 is not supported by this doris-sync (it reads version 1) and no migration exists"},
		"no version":    {`{"job_name":"v"}`, "has no format_version"},
		"truncated":     {string(good[:len(good)/2]), "not a valid state file"},
		"unknown key":   {strings.Replace(string(good), `"phase"`, `"phaze"`, 1), `unknown field "phaze"`},
		"bad phase":     {strings.Replace(string(good), `"phase":"planning"`, `"phase":"copying"`, 1), `unknown phase "copying"`},
		"garbage bytes": {"\x00\x01", "not a valid state file"},
	}
	for name, c := range cases {
		if err := os.WriteFile(s.Path(), []byte(c.content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := s.Load()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Load error %v, want it to say %q", name, err, c.want)
			continue
		}
		if !strings.Contains(err.Error(), s.Path()) || !strings.Contains(err.Error(), `job "v"`) {
			t.Errorf("%s: error %q does not name the job and file", name, err)
		}
	}
}

func TestConcurrentSavesOfOneStore(t *testing.T) {
	s := openT(t, t.TempDir(), "j")
	done := make(chan error, 2)
	for g := range 2 {
		st := loadT(t, s)
		st.PositionSeq = uint64(g + 1)
		go func() {
			var err error
			for range 10 {
				if err = s.Save(st); err != nil {
					break
				}
			}
			done <- err
		}()
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if seq := loadT(t, s).PositionSeq; seq != 1 && seq != 2 {
		t.Errorf("after concurrent saves the file holds position_seq %d", seq)
	}
}
