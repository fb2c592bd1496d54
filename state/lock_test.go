package state

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/doris-sync/doris-sync/exitcode"
)

// The cross-process test re-runs this test binary as a child that takes a job's lock,
// says "locked" and holds it until its stdin closes or it is killed.
const (
	holdDirEnv = "STATE_TEST_HOLD_DIR"
	holdJobEnv = "STATE_TEST_HOLD_JOB"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(holdDirEnv); dir != "" {
		os.Exit(holdLock(dir, os.Getenv(holdJobEnv)))
	}
	os.Exit(m.Run())
}

func holdLock(dir, job string) int {
	s, err := Open(dir, job)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent goes away
	_ = s.Close()
	return 0
}

func TestLockAcrossProcessesAndAfterSIGKILL(t *testing.T) {
	dir := t.TempDir()
	const job = "cron job"
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), holdDirEnv+"="+dir, holdJobEnv+"="+job)
	child.Stderr = os.Stderr
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	waited := false
	t.Cleanup(func() {
		_ = stdin.Close()
		if !waited {
			_ = child.Process.Kill()
			_ = child.Wait()
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("child did not take the lock: %q, %v", line, err)
	}

	_, err = Open(dir, job)
	if err == nil {
		t.Fatal("Open succeeded while another process holds the job")
	}
	pid := strconv.Itoa(child.Process.Pid)
	if !errors.Is(err, ErrLocked) || exitcode.Of(err) != 1 || !strings.Contains(err.Error(), "held by pid "+pid+" ") ||
		!strings.Contains(err.Error(), `job "cron job"`) || !strings.Contains(err.Error(), "cron%20job.lock") {
		t.Fatalf("error does not name the job, lock file and holder pid %s (exit %d): %v", pid, exitcode.Of(err), err)
	}

	// A killed holder runs no cleanup; the kernel drops its lock all the same.
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = child.Wait()
	waited = true
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die of SIGKILL: %v", err)
	}
	s, err := Open(dir, job)
	if err != nil {
		t.Fatalf("Open after the holder was killed: %v", err)
	}
	defer s.Close()
	holder, err := os.ReadFile(dir + "/cron%20job.lock")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(holder), `"pid":`+strconv.Itoa(os.Getpid())+",") {
		t.Errorf("lock file still names the dead holder: %s", holder)
	}
}

func TestLockMessageWithoutHolderInfo(t *testing.T) {
	dir := t.TempDir()
	s := openT(t, dir, "j")
	// An older or interrupted holder may have left nothing readable.
	if err := os.WriteFile(dir+"/j.lock", []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir, "j")
	if err == nil || !strings.Contains(err.Error(), "holder unknown") {
		t.Errorf("error %v, want it to say the holder is unknown", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dir + "/j.lock"); len(b) != 0 {
		t.Errorf("Close left holder info in the lock file: %q", b)
	}
}
