package main

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/doris-sync/doris-sync/exitcode"
	"github.com/doris-sync/doris-sync/state"
)

func saveJob(t *testing.T, dir, job string, fill func(*state.State)) {
	t.Helper()
	st, err := state.Open(dir, job)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	fill(s)
	if err := st.Save(s); err != nil {
		t.Fatal(err)
	}
}

func TestStatusShowsPhasePositionRunAndSnapshot(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	saveJob(t, dir, "shop", func(s *state.State) {
		s.Phase = state.PhaseSnapshot
		if err := s.SetPosition(json.RawMessage(`{"kind":"mariadb-gtid","value":"0-1-42"}`)); err != nil {
			t.Fatal(err)
		}
		cuts := []json.RawMessage{json.RawMessage(`100`)}
		if _, err := s.PlanTable("shop.orders", "ods.ods_orders", 250, cuts); err != nil {
			t.Fatal(err)
		}
		s.StartRun(time.Now().Add(-2 * time.Second))
		s.FinishRun(time.Now(), errors.New("source unreachable: 127.0.0.1:3306"), map[string]int64{"ods.ods_orders": 100})
	})
	saveJob(t, dir, "crm", func(s *state.State) { s.Phase = state.PhaseStreaming })

	var out strings.Builder
	if err := showStatus(context.Background(), dir, "", &out); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"job crm", "job shop", "phase", "snapshot", "0-1-42",
		"failed (exit 1): source unreachable: 127.0.0.1:3306",
		"rows loaded", "ods.ods_orders", "shop.orders", "0/2", "copying",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("status output lacks %q:\n%s", want, text)
		}
	}
	if strings.Index(text, "job crm") > strings.Index(text, "job shop") {
		t.Errorf("jobs not sorted by name:\n%s", text)
	}

	out.Reset()
	if err := showStatus(context.Background(), dir, "crm", &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "shop") || !strings.Contains(out.String(), "streaming") {
		t.Errorf("status of one job:\n%s", out.String())
	}
}

func TestStatusUnknownJobAndMissingDirAreUsageErrors(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	err := showStatus(context.Background(), dir, "", &strings.Builder{})
	if exitcode.Of(err) != exitcode.UsageError || !strings.Contains(err.Error(), "no state directory") {
		t.Fatalf("missing dir: %v (exit %d)", err, exitcode.Of(err))
	}
	saveJob(t, dir, "shop", func(s *state.State) { s.Phase = state.PhaseDone })
	err = showStatus(context.Background(), dir, "nope", &strings.Builder{})
	if exitcode.Of(err) != exitcode.UsageError || !strings.Contains(err.Error(), `no job "nope"`) || !strings.Contains(err.Error(), "shop") {
		t.Fatalf("unknown job: %v (exit %d)", err, exitcode.Of(err))
	}
}

func TestStatusShowsLagAtTheLastCheckpoint(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	checkpoint := time.Date(2026, 5, 4, 2, 14, 31, 0, time.UTC)
	saveJob(t, dir, "shop", func(s *state.State) {
		s.Phase = state.PhaseStreaming
		s.SourceTime = checkpoint.Add(-95 * time.Second)
		s.CheckpointTime = checkpoint
		s.PositionLost = "replication slot shop was dropped by --drop-slot-and-publication at 2026-05-05T00:00:00Z"
	})
	saveJob(t, dir, "fresh", func(s *state.State) { s.Phase = state.PhaseSnapshot })
	var out strings.Builder
	if err := showStatus(context.Background(), dir, "", &out); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"lag            1m35s behind the source at the checkpoint of 2026-05-04T02:14:31Z (newest change it covers committed 2026-05-04T02:12:56Z)",
		"position lost  replication slot shop was dropped by --drop-slot-and-publication at 2026-05-05T00:00:00Z: the next run exits 3 unless run with --on-position-lost=resnapshot",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("status output lacks %q:\n%s", want, text)
		}
	}
	// A job without a checkpointed commit time shows no lag line.
	if strings.Count(text, "  lag ") != 1 {
		t.Errorf("want one lag line (job shop only):\n%s", text)
	}
}
