package state

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// helperTimeout bounds every wait on the helper process.
const helperTimeout = 10 * time.Second

// lockHelper is a second process that holds the lock on a directory.
type lockHelper struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
}

// startLockHelper re-executes the test binary as a process that locks dir,
// and waits until it holds the lock.
func startLockHelper(t *testing.T, dir string) *lockHelper {
	t.Helper()

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	// The race detector otherwise sleeps for a second when the helper exits.
	cmd.Env = append(os.Environ(), helperLockEnv+"="+dir, "GORACE=atexit_sleep_ms=0")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	h := &lockHelper{cmd: cmd, stdin: stdin, lines: make(chan string, 4)}
	go h.readLines(stdout)
	t.Cleanup(h.stop)

	h.expect(t, "locked")
	return h
}

// readLines forwards the helper's output lines until it closes stdout.
func (h *lockHelper) readLines(stdout io.Reader) {
	defer close(h.lines)
	scanner := bufio.NewScanner(stdout)
	for scanner.Scan() {
		h.lines <- scanner.Text()
	}
}

// expect waits for the next output line and fails unless it is want.
func (h *lockHelper) expect(t *testing.T, want string) {
	t.Helper()

	select {
	case line := <-h.lines:
		if line != want {
			t.Fatalf("helper printed %q, want %q", line, want)
		}
	case <-time.After(helperTimeout):
		t.Fatalf("helper printed nothing within %v, want %q", helperTimeout, want)
	}
}

// stop ends the helper by closing its stdin, kills it if needed, and
// reaps it. It is safe to call after kill.
func (h *lockHelper) stop() {
	h.stdin.Close()
	timer := time.AfterFunc(helperTimeout, func() { h.cmd.Process.Kill() })
	defer timer.Stop()

	h.cmd.Wait()
	for range h.lines {
	}
}

func TestLockExcludesOtherProcess(t *testing.T) {
	dir := t.TempDir()
	helper := startLockHelper(t, dir)

	_, err := Lock(dir)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("Lock while another process holds it: error = %v, want ErrLocked", err)
	}
	pid := strconv.Itoa(helper.cmd.Process.Pid)
	assertContains(t, err.Error(), "another engine (pid "+pid+")", dir, "--state-dir")
}

func TestLockReleasedOnClose(t *testing.T) {
	dir := t.TempDir()
	helper := startLockHelper(t, dir)

	if _, err := helper.stdin.Write([]byte("unlock\n")); err != nil {
		t.Fatal(err)
	}
	helper.expect(t, "unlocked")

	lock, err := Lock(dir)
	if err != nil {
		t.Fatalf("Lock after the other process closed its lock: %v", err)
	}
	if err := lock.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestLockReleasedOnProcessDeath(t *testing.T) {
	dir := t.TempDir()
	helper := startLockHelper(t, dir)

	if err := helper.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	helper.cmd.Wait()

	lock, err := Lock(dir)
	if err != nil {
		t.Fatalf("Lock after the holder was killed: %v", err)
	}
	lock.Close()
}

func TestLockExcludesSameProcess(t *testing.T) {
	dir := t.TempDir()
	first, err := Lock(dir)
	if err != nil {
		t.Fatalf("first Lock: %v", err)
	}

	_, err = Lock(dir)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Lock in the same process: error = %v, want ErrLocked", err)
	}
	assertContains(t, err.Error(), "pid "+strconv.Itoa(os.Getpid()))

	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	again, err := Lock(dir)
	if err != nil {
		t.Fatalf("Lock after Close: %v", err)
	}
	again.Close()
}

func TestLockFileNamesHolder(t *testing.T) {
	dir := t.TempDir()
	lock, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()

	data, err := os.ReadFile(dir + "/" + LockFileName)
	if err != nil {
		t.Fatal(err)
	}
	if want := strconv.Itoa(os.Getpid()) + "\n"; string(data) != want {
		t.Errorf("lock file contains %q, want %q", data, want)
	}
}
