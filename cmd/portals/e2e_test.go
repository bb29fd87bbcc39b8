package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine"
	"github.com/portalsapp/portals/engine/identity"
	"github.com/portalsapp/portals/engine/relay"
)

// relayRoute returns a state.json peer entry that reaches id through the
// relay of link.
func relayPeerState(t *testing.T, id, link string) string {
	t.Helper()
	l, err := relay.ParseLink(link)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`{"version": 1, "peers": [{"id": %q, "routes": [{"relay": %q, "relay_id": %q}]}]}`,
		id, l.Addr, l.RelayID.String())
}

func TestSecondUpExitsAtOnce(t *testing.T) {
	dir := t.TempDir()
	startPortals(t, "up", "--state-dir", dir)
	waitSnapshot(t, dir, 10*time.Second, "the first engine", func(*engine.Snapshot) bool { return true })

	start := time.Now()
	_, stderr, code := runPortals(t, "up", "--state-dir", dir)
	if code == 0 {
		t.Fatal("the second portals up exited 0")
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("the second portals up took %v to exit", elapsed)
	}
	if !strings.Contains(stderr, "another engine") || !strings.Contains(stderr, dir) {
		t.Errorf("message %q does not name the running engine and the directory", stderr)
	}
}

func TestIDWithAndWithoutEngine(t *testing.T) {
	dir := t.TempDir()
	_, stderr, code := runPortals(t, "id", "--state-dir", dir)
	if code == 0 || !strings.Contains(stderr, "portals up") {
		t.Errorf("id before any start: exit %d, %q; want a failure that says to run portals up", code, stderr)
	}

	up := startPortals(t, "up", "--state-dir", dir)
	waitSnapshot(t, dir, 10*time.Second, "the engine", func(*engine.Snapshot) bool { return true })
	running := nodeIDOf(t, dir)
	if _, err := identity.ParseID(running); err != nil {
		t.Fatalf("portals id printed %q: %v", running, err)
	}

	up.kill()
	if stopped := nodeIDOf(t, dir); stopped != running {
		t.Errorf("id without the engine is %s, with it %s", stopped, running)
	}
}

func TestRelayLinkCommand(t *testing.T) {
	dir := t.TempDir()
	relayProc, link := startRelay(t, dir, freePort(t))

	out, stderr, code := runPortals(t, "relay", "link", "--state-dir", dir)
	if code != 0 {
		t.Fatalf("relay link failed (%d): %s", code, stderr)
	}
	if got := strings.TrimSpace(out); got != link {
		t.Errorf("relay link printed %q, the relay printed %q", got, link)
	}

	// The same identity and secret survive a restart of the relay.
	relayProc.kill()
	_, again := startRelay(t, dir, freePort(t))
	before, _ := relay.ParseLink(link)
	after, _ := relay.ParseLink(again)
	if before.RelayID != after.RelayID || before.Secret != after.Secret {
		t.Error("the relay changed its identity or secret across a restart")
	}
}

func TestRegistrationWithoutSecretRefused(t *testing.T) {
	_, link := startRelay(t, t.TempDir(), freePort(t))
	wrong, err := relay.ParseLink(link)
	if err != nil {
		t.Fatal(err)
	}
	wrong.Secret[0] ^= 0xff

	dir := t.TempDir()
	startPortals(t, "up", "--state-dir", dir, "--relay", wrong.String())
	waitSnapshot(t, dir, 10*time.Second, "the relay to reject the registration", func(s *engine.Snapshot) bool {
		return relayState(s) == engine.StateDown && strings.Contains(s.Relays[0].LastError, "rejected")
	})
}

// TestDeadPeerDetectedByKeepalive stops a peer with SIGSTOP, so its
// sockets stay open but it answers nothing, and checks that the other node
// marks it down within the default bound of 15 s.
func TestDeadPeerDetectedByKeepalive(t *testing.T) {
	sharerDir, dialerDir := t.TempDir(), t.TempDir()
	addr := freePort(t)
	sharer := startPortals(t, "up", "--state-dir", sharerDir, "--listen", addr)
	waitSnapshot(t, sharerDir, 10*time.Second, "the sharer", func(*engine.Snapshot) bool { return true })
	sharerID := nodeIDOf(t, sharerDir)

	writeState(t, dialerDir, fmt.Sprintf(`{"version": 1, "peers": [{"id": %q, "routes": [{"direct": %q}]}]}`, sharerID, addr))
	startPortals(t, "up", "--state-dir", dialerDir)
	waitSnapshot(t, dialerDir, 10*time.Second, "the direct session", func(s *engine.Snapshot) bool {
		return peerState(s, sharerID) == engine.StateUp
	})

	if err := sharer.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	took := waitSnapshot(t, dialerDir, 20*time.Second, "the stopped peer to be marked down", func(s *engine.Snapshot) bool {
		return peerState(s, sharerID) != engine.StateUp
	})
	t.Logf("stopped peer detected after %v", took)
	if took > 15*time.Second+time.Second {
		t.Errorf("detection took %v, want within the 15 s keepalive bound", took)
	}
}

// TestRelayRestart kills the relay with SIGKILL, keeps it down, and starts
// it again on the same port: while it is down every node backs off with
// little CPU and few log lines, and after it is back every node is
// registered again within 5 s.
func TestRelayRestart(t *testing.T) {
	relayDir, addr := t.TempDir(), freePort(t)
	relayProc, link := startRelay(t, relayDir, addr)

	var nodes []*proc
	var dirs []string
	for range 2 {
		dir := t.TempDir()
		nodes = append(nodes, startPortals(t, "up", "--state-dir", dir, "--relay", link))
		dirs = append(dirs, dir)
	}
	for _, dir := range dirs {
		waitSnapshot(t, dir, 10*time.Second, "the first registration", func(s *engine.Snapshot) bool {
			return relayState(s) == engine.StateUp
		})
	}

	relayProc.kill()
	for _, dir := range dirs {
		waitSnapshot(t, dir, 20*time.Second, "the lost registration", func(s *engine.Snapshot) bool {
			return relayState(s) != engine.StateUp
		})
	}

	const downtime = 10 * time.Second
	cpuBefore := make([]time.Duration, len(nodes))
	logsBefore := make([]int, len(nodes))
	for i, n := range nodes {
		cpuBefore[i] = n.cpuTime(t)
		logsBefore[i] = strings.Count(n.stderr.String(), "\n")
	}
	time.Sleep(downtime)
	for i, n := range nodes {
		cpu := n.cpuTime(t) - cpuBefore[i]
		lines := strings.Count(n.stderr.String(), "\n") - logsBefore[i]
		t.Logf("node %d while the relay was down for %v: %v CPU, %d log lines", i, downtime, cpu, lines)
		if cpu > 500*time.Millisecond {
			t.Errorf("node %d used %v of CPU in %v of relay downtime, want under 500ms", i, cpu, downtime)
		}
		if lines > 5 {
			t.Errorf("node %d wrote %d log lines in %v of relay downtime, want at most 5", i, lines, downtime)
		}
	}

	back := time.Now()
	startRelay(t, relayDir, addr)
	for i, dir := range dirs {
		waitSnapshot(t, dir, 5*time.Second, fmt.Sprintf("node %d to register again", i), func(s *engine.Snapshot) bool {
			return relayState(s) == engine.StateUp
		})
		t.Logf("node %d registered again %v after the relay came back", i, time.Since(back))
	}
}

// TestNodeRestartReplacesRegistration kills a registered node with SIGKILL
// and restarts it on the same state directory: the relay takes the new
// registration at once, and a peer reaches the node again through it.
func TestNodeRestartReplacesRegistration(t *testing.T) {
	_, link := startRelay(t, t.TempDir(), freePort(t))
	sharerDir, dialerDir := t.TempDir(), t.TempDir()
	sharer := startPortals(t, "up", "--state-dir", sharerDir, "--relay", link)
	waitSnapshot(t, sharerDir, 10*time.Second, "the registration", func(s *engine.Snapshot) bool {
		return relayState(s) == engine.StateUp
	})
	sharerID := nodeIDOf(t, sharerDir)

	writeState(t, dialerDir, relayPeerState(t, sharerID, link))
	startPortals(t, "up", "--state-dir", dialerDir)
	waitSnapshot(t, dialerDir, 10*time.Second, "the session through the relay", func(s *engine.Snapshot) bool {
		return peerState(s, sharerID) == engine.StateUp
	})

	sharer.kill()
	restarted := time.Now()
	startPortals(t, "up", "--state-dir", sharerDir)
	took := waitSnapshot(t, sharerDir, 5*time.Second, "the new registration", func(s *engine.Snapshot) bool {
		return relayState(s) == engine.StateUp
	})
	t.Logf("restarted node registered %v after its start", took)
	if took > 2*time.Second {
		t.Errorf("the restarted node took %v to register, want the stale registration replaced at once", took)
	}

	waitSnapshot(t, dialerDir, 10*time.Second, "the session to the restarted node", func(s *engine.Snapshot) bool {
		for _, p := range s.Peers {
			if p.ID.String() == sharerID && p.State == engine.StateUp && p.Since.After(restarted) {
				return true
			}
		}
		return false
	})
}

// TestStateEditByHand adds a peer by editing state.json while the engine
// runs, then makes an invalid edit that must be rejected with a log line
// while the session stays up.
func TestStateEditByHand(t *testing.T) {
	sharerDir, dialerDir := t.TempDir(), t.TempDir()
	addr := freePort(t)
	startPortals(t, "up", "--state-dir", sharerDir, "--listen", addr)
	waitSnapshot(t, sharerDir, 10*time.Second, "the sharer", func(*engine.Snapshot) bool { return true })
	sharerID := nodeIDOf(t, sharerDir)

	dialer := startPortals(t, "up", "--state-dir", dialerDir)
	waitSnapshot(t, dialerDir, 10*time.Second, "the dialer", func(*engine.Snapshot) bool { return true })

	writeState(t, dialerDir, fmt.Sprintf(`{"version": 1, "peers": [{"id": %q, "routes": [{"direct": %q}]}]}`, sharerID, addr))
	waitSnapshot(t, dialerDir, 10*time.Second, "the peer added by hand", func(s *engine.Snapshot) bool {
		return peerState(s, sharerID) == engine.StateUp
	})

	writeState(t, dialerDir, `{"version": 1, "peers": [{"id": "pid1-not-an-identifier", "routes": []}]}`)
	waitUntil(t, 10*time.Second, "the rejection log line", func() bool {
		return strings.Contains(dialer.stderr.String(), "state file edit rejected") &&
			strings.Contains(dialer.stderr.String(), "peers[0].id")
	})
	if s := snapshot(dialerDir); s == nil || peerState(s, sharerID) != engine.StateUp {
		t.Errorf("after the invalid edit the session is not up: %+v", s)
	}
	if _, err := filepath.Abs(dialerDir); err != nil {
		t.Fatal(err)
	}
}
