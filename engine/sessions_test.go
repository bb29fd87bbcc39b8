package engine_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine"
	"github.com/portalsapp/portals/engine/session"
	"github.com/portalsapp/portals/engine/state"
)

func TestDirectSession(t *testing.T) {
	b := startNode(t, "B", "", withListen)
	a := startNode(t, "A", "", nil)
	addr := b.listenAddr(t)
	if !strings.HasPrefix(addr, "127.0.0.1:") || strings.HasSuffix(addr, ":0") {
		t.Fatalf("B's snapshot lists listen address %q, want 127.0.0.1 with the port the system chose", addr)
	}

	addPeer(t, a, directPeer(b.ID(), addr))

	sa := waitFor(t, a, "B up with a direct route and an RTT", upTimeout, func(s *engine.Snapshot) bool {
		p, ok := peerIn(s, b.ID())
		return ok && p.State == engine.StateUp && p.RTT > 0
	})
	pa, _ := peerIn(sa, b.ID())
	if want := "direct " + addr; pa.Route != want {
		t.Errorf("A shows route %q to B, want %q", pa.Route, want)
	}
	if pa.Inbound {
		t.Error("A shows its session with B as inbound, want outbound: A dialed it")
	}

	sb := waitFor(t, b, "A up with an RTT", upTimeout, func(s *engine.Snapshot) bool {
		p, ok := peerIn(s, a.ID())
		return ok && p.State == engine.StateUp && p.RTT > 0
	})
	pb, _ := peerIn(sb, a.ID())
	if !strings.HasPrefix(pb.Route, "direct") {
		t.Errorf("B shows route %q to A, want one starting with \"direct\"", pb.Route)
	}
	if !pb.Inbound {
		t.Error("B shows its session with A as outbound, want inbound: A dialed it")
	}

	// B shares no service, so it rejects the stream. The response still
	// proves that the stream was opened and served.
	expectStatus(t, a, b.ID(), session.PortalHeader("web"), session.StatusUnknownService, 2*time.Second)
}

func TestRelaySession(t *testing.T) {
	r := startRelay(t)
	b := startNode(t, "B", "", nil)
	a := startNode(t, "A", "", nil)

	addRelay(t, b, r.link)
	waitFor(t, b, "registered with the relay", upTimeout, relayState(r.ID(), engine.StateUp))

	addPeer(t, a, state.Peer{ID: b.ID(), Routes: []state.Route{relayRoute(r)}})
	sa := waitFor(t, a, "B up through the relay", upTimeout, peerUpVia(b.ID(), "relay "))
	pa, _ := peerIn(sa, b.ID())
	if want := "relay " + r.addr; pa.Route != want {
		t.Errorf("A shows route %q to B, want %q", pa.Route, want)
	}
	waitFor(t, b, "A up, inbound through the relay", upTimeout, func(s *engine.Snapshot) bool {
		p, ok := peerIn(s, a.ID())
		return ok && p.State == engine.StateUp && p.Inbound && strings.HasPrefix(p.Route, "relay ")
	})

	expectStatus(t, a, b.ID(), session.PortalHeader("web"), session.StatusUnknownService, 2*time.Second)
}

func TestPreferDirect(t *testing.T) {
	r := startRelay(t)
	b := startNode(t, "B", "", withListen)
	addRelay(t, b, r.link)
	waitFor(t, b, "registered with the relay", upTimeout, relayState(r.ID(), engine.StateUp))

	t.Run("both routes work", func(t *testing.T) {
		a := startNode(t, "A", "", nil)
		// The relay route comes first, so order alone cannot explain a
		// direct win.
		addPeer(t, a, state.Peer{ID: b.ID(), Routes: []state.Route{relayRoute(r), {Direct: b.listenAddr(t)}}})
		s := waitFor(t, a, "B up", upTimeout, func(s *engine.Snapshot) bool {
			p, ok := peerIn(s, b.ID())
			return ok && p.State == engine.StateUp
		})
		p, _ := peerIn(s, b.ID())
		if !strings.HasPrefix(p.Route, "direct ") {
			t.Errorf("A reached B over %q, want the direct route", p.Route)
		}
	})

	t.Run("direct address dead", func(t *testing.T) {
		a := startNode(t, "A", "", nil)
		start := time.Now()
		addPeer(t, a, state.Peer{ID: b.ID(), Routes: []state.Route{{Direct: closedPort(t)}, relayRoute(r)}})
		waitFor(t, a, "B up through the relay", 2*time.Second, peerUpVia(b.ID(), "relay "))
		t.Logf("up through the relay %v after AddPeer", time.Since(start).Round(time.Millisecond))
	})
}

func TestStreamAnswers(t *testing.T) {
	b := startNode(t, "B", "", withListen)
	a := startNode(t, "A", "", nil)
	addPeer(t, a, directPeer(b.ID(), b.listenAddr(t)))
	waitFor(t, a, "B up", upTimeout, peerUpVia(b.ID(), "direct "))

	expectStatus(t, a, b.ID(), session.PortalHeader("nope"), session.StatusUnknownService, time.Second)
	expectStatus(t, a, b.ID(), session.RedeemHeader(session.Secret("not-an-invitation-secret")), session.StatusDenied, time.Second)
}

// TestRelaySeesCiphertextOnly sends a unique service name through the
// relay and checks that the relay never carried it in clear.
func TestRelaySeesCiphertextOnly(t *testing.T) {
	r := startRelay(t)
	b := startNode(t, "B", "", nil)
	a := startNode(t, "A", "", nil)
	addRelay(t, b, r.link)
	waitFor(t, b, "registered with the relay", upTimeout, relayState(r.ID(), engine.StateUp))
	addPeer(t, a, state.Peer{ID: b.ID(), Routes: []state.Route{relayRoute(r)}})
	waitFor(t, a, "B up through the relay", upTimeout, peerUpVia(b.ID(), "relay "))

	random := make([]byte, 16)
	rand.Read(random)
	marker := "marker-" + hex.EncodeToString(random)
	if len(marker) > session.MaxServiceNameSize {
		t.Fatalf("marker is %d bytes, more than a service name may hold", len(marker))
	}

	before := r.rec.len()
	expectStatus(t, a, b.ID(), session.PortalHeader(marker), session.StatusUnknownService, 2*time.Second)
	after := r.rec.len()

	if after <= before {
		t.Fatalf("the relay recorded %d bytes before the stream and %d after, want more after: the recording missed the stream", before, after)
	}
	recorded := r.rec.bytes()

	// Positive control: the dial hello names the target in clear, so the
	// recording must contain B's identifier. Otherwise it missed traffic.
	bID := b.ID()
	if !bytes.Contains(recorded, bID[:]) {
		t.Fatalf("the recording does not contain B's identifier from the dial hello: the recorder missed the relay's traffic")
	}
	if bytes.Contains(recorded, []byte(marker)) {
		t.Errorf("the relay carried the service name %q in clear", marker)
	}
	if bytes.Contains(recorded, random) {
		t.Errorf("the relay carried the marker's random bytes %x in clear", random)
	}
	if bytes.Contains(recorded, []byte(hex.EncodeToString(random))) {
		t.Errorf("the relay carried the marker's hex text in clear")
	}
	t.Logf("the relay carried %d bytes, %d of them for the stream", after, after-before)
}

func TestPeerDownDetection(t *testing.T) {
	const interval = 300 * time.Millisecond
	b := startNode(t, "B", "", func(o *engine.Options) {
		withListen(o)
		o.KeepAliveInterval = interval
	})
	a := startNode(t, "A", "", func(o *engine.Options) { o.KeepAliveInterval = interval })
	p := startProxy(t, b.listenAddr(t))

	addPeer(t, a, directPeer(b.ID(), p.addr()))
	waitFor(t, a, "B up through the proxy", upTimeout, peerUpVia(b.ID(), "direct "+p.addr()))

	p.freeze()
	start := time.Now()
	limit := 3*interval + time.Second
	s := waitFor(t, a, "B no longer up", limit, func(s *engine.Snapshot) bool {
		p, ok := peerIn(s, b.ID())
		return ok && p.State != engine.StateUp
	})
	elapsed := time.Since(start)
	st, _ := peerIn(s, b.ID())
	if st.State != engine.StateDown && st.State != engine.StateConnecting {
		t.Errorf("A shows B %q after the path froze, want %q or %q", st.State, engine.StateDown, engine.StateConnecting)
	}
	t.Logf("A saw B %s %v after the path froze (keepalive %v, limit %v)", st.State, elapsed.Round(time.Millisecond), interval, limit)
}
