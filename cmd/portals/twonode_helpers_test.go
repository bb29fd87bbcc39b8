package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine"
	"github.com/portalsapp/portals/engine/state"
)

// twoNodes is a relay, a sharer registered with it and an accepter that
// reaches the sharer only through it, each a separate portals process.
type twoNodes struct {
	relayLink   string
	sharerDir   string
	accepterDir string
	sharer      *proc
	accepter    *proc
}

// startTwoNodes starts the relay and both engines and waits until the
// sharer is registered and the accepter responds on its local API.
func startTwoNodes(t *testing.T) *twoNodes {
	t.Helper()
	n := &twoNodes{sharerDir: t.TempDir(), accepterDir: t.TempDir()}
	_, n.relayLink = startRelay(t, t.TempDir(), freePort(t))
	n.startSharer(t)
	n.startAccepter(t)
	return n
}

func (n *twoNodes) startSharer(t *testing.T) {
	t.Helper()
	n.sharer = startPortals(t, "up", "--state-dir", n.sharerDir, "--relay", n.relayLink)
	waitSnapshot(t, n.sharerDir, 10*time.Second, "the sharer to register with the relay", func(s *engine.Snapshot) bool {
		return relayState(s) == engine.StateUp
	})
}

func (n *twoNodes) startAccepter(t *testing.T) {
	t.Helper()
	n.accepter = startPortals(t, "up", "--state-dir", n.accepterDir)
	waitSnapshot(t, n.accepterDir, 10*time.Second, "the accepter's engine", func(*engine.Snapshot) bool { return true })
}

// shareAndInvite shares target under name on the sharer and returns a
// single-use invitation link.
func (n *twoNodes) shareAndInvite(t *testing.T, name, target string) string {
	t.Helper()
	mustPortals(t, "share", name, target, "--state-dir", n.sharerDir)
	return strings.TrimSpace(mustPortals(t, "invite", name, "--state-dir", n.sharerDir))
}

// accept redeems link on the node of dir and returns the new inlet.
func accept(t *testing.T, dir, link string, extra ...string) engine.AcceptResult {
	t.Helper()
	args := append([]string{"accept", link, "--state-dir", dir, "--json"}, extra...)
	var result engine.AcceptResult
	if err := json.Unmarshal([]byte(mustPortals(t, args...)), &result); err != nil {
		t.Fatalf("portals accept --json printed no AcceptResult: %v", err)
	}
	return result
}

// mustPortals runs a short command, fails the test unless it exits 0, and
// returns its stdout.
func mustPortals(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, code := runPortals(t, args...)
	if code != 0 {
		t.Fatalf("portals %s: exit %d, want 0; stderr:\n%s", strings.Join(args, " "), code, stderr)
	}
	return stdout
}

// runPortalsWithin runs a short command that must end within timeout, and
// returns its output, exit code and duration.
func runPortalsWithin(t *testing.T, timeout time.Duration, args ...string) (stdout, stderr string, code int, took time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, portalsBin, args...)
	cmd.Env = append(os.Environ(), "PORTALS_VAULT=file", "PORTALS_HOME=")

	// On timeout, kill the process group: `portals demo` has children.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	took = time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("portals %s did not end within %v; stderr:\n%s", strings.Join(args, " "), timeout, errOut.String())
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return out.String(), errOut.String(), exit.ExitCode(), took
	}
	if err != nil {
		t.Fatalf("running portals %v: %v", args, err)
	}
	return out.String(), errOut.String(), 0, took
}

// terminate sends SIGTERM and waits up to 10 s for the process to end.
func (p *proc) terminate(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("portals did not exit within 10s of SIGTERM")
	}
}

// readState reads the state file of dir, or returns an empty state when
// none was written yet.
func readState(t *testing.T, dir string) *state.State {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, state.FileName))
	if errors.Is(err, os.ErrNotExist) {
		return state.Default()
	}
	if err != nil {
		t.Fatal(err)
	}
	var st state.State
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatalf("state file of %s: %v", dir, err)
	}
	return &st
}

// lsJSON runs `portals ls --json` on dir and decodes the snapshot.
func lsJSON(t *testing.T, dir string) *engine.Snapshot {
	t.Helper()
	out := mustPortals(t, "ls", "--json", "--state-dir", dir)
	var s engine.Snapshot
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("portals ls --json printed something that is not a snapshot: %v\n%s", err, out)
	}
	return &s
}

// serveTCP accepts connections on a free loopback port and hands each to
// handle in its own goroutine. It stops at cleanup.
func serveTCP(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String()
}

// echo copies everything it reads back to the writer.
func echo(c net.Conn) { io.Copy(c, c) }

// streamPattern writes the bytes 0, 1, ... 255, 0, 1 ... until the
// connection breaks.
func streamPattern(c net.Conn) {
	buf := make([]byte, 32<<10)
	for i := range buf {
		buf[i] = byte(i)
	}
	for {
		if _, err := c.Write(buf); err != nil {
			return
		}
	}
}

// echoOnce sends a line through addr and checks that it comes back.
func echoOnce(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dialing %s: %v", addr, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	const msg = "hello through the portal\n"
	if _, err := io.WriteString(c, msg); err != nil {
		t.Fatalf("writing to %s: %v", addr, err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("reading the echo from %s: %v (got %q)", addr, err, got)
	}
	if string(got) != msg {
		t.Fatalf("echo through %s is %q, want %q", addr, got, msg)
	}
}

// expectRejected connects to addr and checks that the connection is closed
// or reset within 20 s without a single byte received.
func expectRejected(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		// No data either, but the design keeps the inlet listening after
		// a rejection, so log the failed dial for the reader.
		t.Logf("dialing %s failed at once: %v", addr, err)
		return
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	io.WriteString(c, "anyone there?\n")
	n, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the connection through %s stayed open for 20s, want it closed or reset", addr)
	}
	if n != 0 {
		t.Errorf("received %d bytes through %s, want none", n, addr)
	}
}
