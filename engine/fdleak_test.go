package engine_test

import (
	"net"
	"os"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine"
	"github.com/portalsapp/portals/engine/session"
	"github.com/portalsapp/portals/engine/state"
)

func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count file descriptors: %v", err)
	}
	return len(entries)
}

// TestNoFDLeak runs engines, a relay and sessions on both routes, closes
// everything, and checks that the process has no more descriptors than
// before.
func TestNoFDLeak(t *testing.T) {
	// Start the network poller first, so its descriptors count in the
	// baseline.
	if ln, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
		ln.Close()
	}
	baseline := openFDs(t)

	t.Run("run", func(t *testing.T) {
		r := startRelay(t)
		b := startNode(t, "B", "", withListen)
		a := startNode(t, "A", "", nil)
		c := startNode(t, "C", "", nil)
		addRelay(t, b, r.link)
		waitFor(t, b, "registered", upTimeout, relayState(r.ID(), engine.StateUp))
		addPeer(t, a, directPeer(b.ID(), b.listenAddr(t)))
		addPeer(t, c, state.Peer{ID: b.ID(), Routes: []state.Route{relayRoute(r)}})
		waitFor(t, a, "B up", upTimeout, peerUpVia(b.ID(), "direct "))
		waitFor(t, c, "B up", upTimeout, peerUpVia(b.ID(), "relay "))
		expectStatus(t, a, b.ID(), session.PortalHeader("web"), session.StatusUnknownService, 2*time.Second)
		expectStatus(t, c, b.ID(), session.PortalHeader("web"), session.StatusUnknownService, 2*time.Second)
	})

	deadline := time.Now().Add(2 * time.Second)
	now := openFDs(t)
	for now > baseline && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		now = openFDs(t)
	}
	if now > baseline {
		t.Errorf("%d file descriptors open after closing everything, want at most %d as before", now, baseline)
	}
}
