package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine"
	"github.com/portalsapp/portals/engine/localapi"
)

// portalsBin is the binary under test, built once by TestMain.
var portalsBin string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "portals-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)

	portalsBin = filepath.Join(dir, "portals")
	build := exec.Command("go", "build", "-o", portalsBin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building portals for the end-to-end tests failed:", err)
		return 1
	}
	return m.Run()
}

// proc is a running portals process.
type proc struct {
	cmd    *exec.Cmd
	stdout *syncBuffer
	stderr *syncBuffer
	exited chan struct{}
	err    error // valid after exited is closed
}

// startPortals starts the binary with args and the file vault, and kills
// it at cleanup.
func startPortals(t *testing.T, args ...string) *proc {
	t.Helper()
	p := &proc{stdout: &syncBuffer{}, stderr: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(portalsBin, args...)
	p.cmd.Env = append(os.Environ(), "PORTALS_VAULT=file", "PORTALS_HOME=")
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting portals %v: %v", args, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()

	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGCONT)
		p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("portals %s stderr:\n%s", strings.Join(args, " "), p.stderr.String())
		}
	})
	return p
}

// kill sends SIGKILL and waits for the process to end.
func (p *proc) kill() {
	p.cmd.Process.Kill()
	<-p.exited
}

// cpuTime returns the user and system CPU time the process has used,
// from /proc/PID/stat.
func (p *proc) cpuTime(t *testing.T) time.Duration {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command name, which is in parentheses and may
	// contain spaces: utime and stime are fields 14 and 15 of the line.
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+2:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticksPerSecond
}

// freePort returns a loopback address with a port that was free a moment
// ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startRelay runs `portals relay` and returns it with its link.
func startRelay(t *testing.T, dir, addr string) (*proc, string) {
	t.Helper()
	p := startPortals(t, "relay", "--state-dir", dir, "--listen", addr, "--print-link")
	var link string
	waitUntil(t, 10*time.Second, "the relay to print its link", func() bool {
		for _, line := range strings.Split(p.stdout.String(), "\n") {
			if strings.HasPrefix(line, "portals://relay/") {
				link = line
				return true
			}
		}
		return false
	})
	return p, link
}

// snapshot asks the engine of dir for its snapshot, or returns nil when
// it does not answer.
func snapshot(dir string) *engine.Snapshot {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s, err := localapi.NewClient(dir).Snapshot(ctx)
	if err != nil {
		return nil
	}
	return s
}

// waitSnapshot polls the engine of dir until cond holds, and returns the
// time it took.
func waitSnapshot(t *testing.T, dir string, timeout time.Duration, what string, cond func(*engine.Snapshot) bool) time.Duration {
	t.Helper()
	start := time.Now()
	waitUntil(t, timeout, what, func() bool {
		s := snapshot(dir)
		return s != nil && cond(s)
	})
	return time.Since(start)
}

func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func relayState(s *engine.Snapshot) string {
	if len(s.Relays) != 1 {
		return ""
	}
	return s.Relays[0].State
}

func peerState(s *engine.Snapshot, id string) string {
	for _, p := range s.Peers {
		if p.ID.String() == id {
			return p.State
		}
	}
	return ""
}

// runPortals runs a short command and returns its output and exit code.
func runPortals(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(portalsBin, args...)
	cmd.Env = append(os.Environ(), "PORTALS_VAULT=file", "PORTALS_HOME=")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if exit, ok := err.(*exec.ExitError); ok {
		return out.String(), errOut.String(), exit.ExitCode()
	}
	if err != nil {
		t.Fatalf("running portals %v: %v", args, err)
	}
	return out.String(), errOut.String(), 0
}

// nodeID returns the identifier of the node with state directory dir.
func nodeIDOf(t *testing.T, dir string) string {
	t.Helper()
	out, errOut, code := runPortals(t, "id", "--state-dir", dir)
	if code != 0 {
		t.Fatalf("portals id failed (%d): %s", code, errOut)
	}
	return strings.TrimSpace(out)
}

// writeState writes a state file the way an editor does: a new file
// renamed over the old one.
func writeState(t *testing.T, dir, content string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(dir, "state.json.edit")
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "state.json")); err != nil {
		t.Fatal(err)
	}
}
