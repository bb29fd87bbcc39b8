package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine"
	"github.com/portalsapp/portals/engine/relay"
	"github.com/portalsapp/portals/engine/session"
	"github.com/portalsapp/portals/engine/state"
)

func TestRegistrationNeedsSecret(t *testing.T) {
	r := startRelay(t)
	b := startNode(t, "B", "", nil)

	wrong := r.link
	wrong.Secret[0] ^= 0xff
	addRelay(t, b, wrong)
	s := waitFor(t, b, "registration refused", upTimeout, relayState(r.ID(), engine.StateDown))
	st, _ := relayIn(s, r.ID())
	if !strings.Contains(st.LastError, "rejected") {
		t.Errorf("relay last_error is %q, want it to say the registration was rejected", st.LastError)
	}

	// Let the retry loop fail five times, as for a user who notices the
	// mistake later. Its steps are 250 ms, 500 ms, 1 s, 2 s and 4 s, so the
	// next wait is 2 to 4 s with jitter. No attempt may succeed meanwhile.
	waitLogLines(t, r.logs, "relay", 5, upTimeout, "relay registration rejected")
	if got, _ := relayIn(b.Snapshot(), r.ID()); got.State != engine.StateDown {
		t.Fatalf("relay state is %q with a wrong secret, want %q", got.State, engine.StateDown)
	}

	start := time.Now()
	addRelay(t, b, r.link)
	waitFor(t, b, "registered with the right secret", upTimeout, relayState(r.ID(), engine.StateUp))
	elapsed := time.Since(start)
	t.Logf("registered %v after the right link was added", elapsed.Round(time.Millisecond))
	// Correcting the link is an edit of the relay and should apply at
	// once, as a changed address does, not after the backoff of the
	// failing secret.
	if elapsed > time.Second {
		t.Errorf("registration with the corrected secret took %v, want under 1 s: AddRelay with only a new secret waits for the retry backoff", elapsed)
	}
}

func TestRestartReplacesRegistration(t *testing.T) {
	r := startRelay(t)
	p := startProxy(t, r.addr)
	dirB := t.TempDir()
	b := startNode(t, "B", dirB, nil)
	a := startNode(t, "A", "", nil)

	viaProxy := r.link
	viaProxy.Addr = p.addr()
	addRelay(t, b, viaProxy)
	waitFor(t, b, "registered through the proxy", upTimeout, relayState(r.ID(), engine.StateUp))
	addPeer(t, a, state.Peer{ID: b.ID(), Routes: []state.Route{relayRoute(r)}})
	waitFor(t, a, "B up through the relay", upTimeout, peerUpVia(b.ID(), "relay "))

	// Freeze B's path, stop B, and point its state file at the relay
	// itself, as if B came back on another network.
	p.freeze()
	b.close(t)
	st, err := state.Load(dirB)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Relays) != 1 || st.Relays[0].Addr != p.addr() {
		t.Fatalf("B's state file lists relays %+v, want the one relay at %s", st.Relays, p.addr())
	}
	st.Relays[0].Addr = r.addr
	if err := state.Save(dirB, st); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	b2 := startNode(t, "B restarted", dirB, nil)
	if b2.ID() != b.ID() {
		t.Fatalf("restarted B has identifier %v, want the same as before, %v", b2.ID().Short(), b.ID().Short())
	}
	waitFor(t, b2, "registered again", 2*time.Second, relayState(r.ID(), engine.StateUp))
	t.Logf("registered again %v after the restart", time.Since(start).Round(time.Millisecond))

	// A's old session went through the frozen proxy and ends by keepalive.
	// Then A redials with backoff and must reach the new B.
	waitFor(t, b2, "A up, inbound through the relay", 15*time.Second, func(s *engine.Snapshot) bool {
		p, ok := peerIn(s, a.ID())
		return ok && p.State == engine.StateUp && p.Inbound
	})
	waitFor(t, a, "B up again through the relay", upTimeout, peerUpVia(b.ID(), "relay "))
	t.Logf("A reached the restarted B %v after the restart", time.Since(start).Round(time.Millisecond))
	expectStatus(t, a, b.ID(), session.PortalHeader("web"), session.StatusUnknownService, 2*time.Second)
}

func TestAddRelayRejectsMalformedLink(t *testing.T) {
	b := startNode(t, "B", "", nil)
	err := b.AddRelay(context.Background(), "portals://relay/not-a-link")
	if err == nil {
		t.Fatal("AddRelay accepted a malformed link")
	}
	if !strings.Contains(err.Error(), relay.ErrInvalidLink.Error()) {
		t.Errorf("AddRelay error is %q, want it to say %q", err, relay.ErrInvalidLink)
	}
	if n := len(b.Snapshot().Relays); n != 0 {
		t.Errorf("snapshot lists %d relays after a failed AddRelay, want 0", n)
	}
}
