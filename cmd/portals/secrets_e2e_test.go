package main

import (
	"strings"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine/relay"
)

// TestRelayHidesLinkWhenNotTerminal starts a relay whose standard output
// is a pipe, as under systemd or with a log file: it must not print its
// link, which contains the registration secret, while relay link does.
func TestRelayHidesLinkWhenNotTerminal(t *testing.T) {
	dir := t.TempDir()
	p := startPortals(t, "relay", "--state-dir", dir, "--listen", freePort(t))
	waitUntil(t, 10*time.Second, "the relay to start", func() bool {
		return strings.Contains(p.stdout.String(), "portals relay link")
	})
	if strings.Contains(p.stdout.String(), relay.LinkPrefix) {
		t.Errorf("relay printed its link to a pipe: %q", p.stdout.String())
	}

	out, stderr, code := runPortals(t, "relay", "link", "--state-dir", dir)
	if code != 0 || !strings.HasPrefix(out, relay.LinkPrefix) {
		t.Errorf("relay link: exit %d, output %q, stderr %q; want the link", code, out, stderr)
	}
}

// TestUsageErrorsHideLinks passes a link where it does not belong: the
// error must not repeat the link's payload.
func TestUsageErrorsHideLinks(t *testing.T) {
	const payload = "aeg7tavgzfujbhtl6snvuhkksvpxbzgqa5f6znpk"
	for _, args := range [][]string{
		{"share", "db", "127.0.0.1:5432", "portals://invite/" + payload},
		{"accept", "portals://invite/x", "--port", "portals://invite/" + payload},
	} {
		_, stderr, code := runPortals(t, args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		if strings.Contains(stderr, payload) {
			t.Errorf("%v: error repeats the link payload: %q", args, stderr)
		}
	}
}

// TestUpRejectsUnusableTimings checks that durations too short to work are
// rejected before the engine starts.
func TestUpRejectsUnusableTimings(t *testing.T) {
	for _, args := range [][]string{
		{"--keepalive", "1ns"},
		{"--keepalive", "-1s"},
		{"--idle-timeout", "-5s"},
		{"--dial-timeout", "1us"},
	} {
		_, stderr, code := runPortals(t, append([]string{"up", "--state-dir", t.TempDir()}, args...)...)
		if code != 2 || !strings.Contains(stderr, args[0]) {
			t.Errorf("up %v: exit %d, %q; want exit 2 naming %s", args, code, stderr, args[0])
		}
	}
}
