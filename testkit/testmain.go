// Package testkit is what integration tests share within one test binary: Main, which stops
// every shared database server once the tests are done, and the child-process plumbing the
// server launchers (testkit/mariadb, testkit/postgres, testkit/mysql) are built on.
//
// A package that uses shared servers declares
//
//	func TestMain(m *testing.M) { testkit.Main(m) }
package testkit

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ErrNoMain is returned by RegisterStop when the test binary does not run through Main,
// so nothing would stop a shared server after the tests.
var ErrNoMain = errors.New("shared test servers need testkit.Main: add `func TestMain(m *testing.M) { testkit.Main(m) }` to the test package")

var registry struct {
	mu      sync.Mutex
	running bool
	stops   []func()
}

// Main runs the tests, then stops every shared server (newest first) and exits with the
// tests' exit code.
func Main(m *testing.M) {
	registry.mu.Lock()
	registry.running = true
	registry.mu.Unlock()

	code := m.Run()

	registry.mu.Lock()
	stops := registry.stops
	registry.stops = nil
	registry.running = false
	registry.mu.Unlock()
	for i := len(stops) - 1; i >= 0; i-- {
		stops[i]()
	}
	os.Exit(code)
}

// RegisterStop records stop to be run by Main after the tests. It fails with ErrNoMain
// when the binary does not run through Main.
func RegisterStop(stop func()) error {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if !registry.running {
		return ErrNoMain
	}
	registry.stops = append(registry.stops, stop)
	return nil
}

// TempDir creates parent/prefix-PID-RANDOM for a server's files. The path stays short
// because unix socket paths are limited to 107 bytes, and it is not t.TempDir, whose 0700
// parent would lock out a server running as another user. Directories of earlier test
// binaries that died without cleaning up (their PID is gone) are removed first.
func TempDir(parent, prefix string) (string, error) {
	if parent == "" {
		parent = os.TempDir()
	}
	sweepStale(parent, prefix)
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("temp dir name: %w", err)
	}
	dir := filepath.Join(parent, fmt.Sprintf("%s-%d-%s", prefix, os.Getpid(), hex.EncodeToString(b[:])))
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", fmt.Errorf("create temp dir: %w", err)
	}
	return dir, nil
}

func sweepStale(parent, prefix string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix+"-")
		if !ok || !e.IsDir() {
			continue
		}
		pidText, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			_ = os.RemoveAll(filepath.Join(parent, e.Name()))
		}
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago. A server can still
// lose it to another process; launchers retry on "Address already in use".
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Process is a server running as a child of the test binary in its own process group.
type Process struct {
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
	stop    sync.Once
}

// StartProcess starts cmd in a new process group that receives SIGKILL if the test binary
// dies, so a crashed or killed test run leaves no server behind. cmd.SysProcAttr may carry a
// Credential; the rest of it is set here.
func StartProcess(cmd *exec.Cmd) (*Process, error) {
	attr := &syscall.SysProcAttr{}
	if cmd.SysProcAttr != nil {
		attr.Credential = cmd.SysProcAttr.Credential
	}
	attr.Setpgid = true
	attr.Pdeathsig = syscall.SIGKILL
	cmd.SysProcAttr = attr
	if err := spawn(cmd); err != nil {
		return nil, fmt.Errorf("start %s: %w", filepath.Base(cmd.Path), err)
	}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Pdeathsig fires when the OS thread that forked the child exits, not the process. Go may
// retire threads, so every child is forked from one locked thread that lives as long as the
// test binary.
var spawner struct {
	once sync.Once
	reqs chan spawnReq
}

type spawnReq struct {
	cmd   *exec.Cmd
	reply chan error
}

func spawn(cmd *exec.Cmd) error {
	spawner.once.Do(func() {
		spawner.reqs = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked: this thread must outlive every child
			for r := range spawner.reqs {
				r.reply <- r.cmd.Start()
			}
		}()
	})
	reply := make(chan error, 1)
	spawner.reqs <- spawnReq{cmd: cmd, reply: reply}
	return <-reply
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// ExitErr is the process's exit status; call it only after Done is closed.
func (p *Process) ExitErr() error { return p.waitErr }

// Stop sends sig, waits up to grace for the process to exit, then SIGKILLs its whole process
// group. Helpers the server left in its group are killed either way. Safe to call twice.
func (p *Process) Stop(sig syscall.Signal, grace time.Duration) {
	p.stop.Do(func() {
		pgid := p.cmd.Process.Pid
		_ = p.cmd.Process.Signal(sig)
		timer := time.NewTimer(grace)
		defer timer.Stop()
		select {
		case <-p.done:
		case <-timer.C:
		}
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	})
}

// ErrExited is returned by WaitReady when the server process exits before it is ready.
var ErrExited = errors.New("server process exited")

// WaitReady polls probe until it succeeds, the process exits (ErrExited) or timeout passes.
// The error carries probe's last error.
func WaitReady(p *Process, timeout time.Duration, probe func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := probe()
		if err == nil {
			return nil
		}
		select {
		case <-p.Done():
			return fmt.Errorf("%w (%v) before it was ready; last probe: %v", ErrExited, p.ExitErr(), err)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s: %w", timeout, err)
		}
		select {
		case <-p.Done():
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// LogTail returns the last max bytes of a server log, for error messages.
func LogTail(path string, max int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no server log: %v)", err)
	}
	if len(b) > max {
		b = b[len(b)-max:]
		if i := strings.IndexByte(string(b), '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return strings.TrimSpace(string(b))
}

// RandomSecret returns a fresh random password for a test user.
func RandomSecret() (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random password: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// DBName returns a database name unique within the server for the calling test: lower case
// letters, digits and underscores, at most 48 bytes, so it needs no quoting in MySQL or
// PostgreSQL.
func DBName(t testing.TB, seq uint64) string {
	var b strings.Builder
	for _, r := range strings.ToLower(t.Name()) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	name := strings.Trim(b.String(), "_")
	if len(name) > 32 {
		name = name[:32]
	}
	return fmt.Sprintf("t_%s_%d", name, seq)
}
