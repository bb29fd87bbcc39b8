package main

import (
	"encoding/json"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine"
	"github.com/portalsapp/portals/engine/invite"
)

// acceptFails runs `portals accept` with args on the node of dir, checks
// that it exits 1 within timeout, and returns its stderr.
func acceptFails(t *testing.T, dir string, timeout time.Duration, link string, extra ...string) (string, time.Duration) {
	t.Helper()
	args := append([]string{"accept", link, "--state-dir", dir}, extra...)
	stdout, stderr, code, took := runPortalsWithin(t, timeout, args...)
	if code != 1 {
		t.Errorf("accept: exit %d, want 1; stdout %q, stderr %q", code, stdout, stderr)
	}
	return stderr, took
}

// wantInStderr checks that stderr contains every one of parts.
func wantInStderr(t *testing.T, stderr string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(stderr, p) {
			t.Errorf("stderr %q does not contain %q", stderr, p)
		}
	}
}

// noInlet checks that nothing was saved on the accepter.
func noInlet(t *testing.T, dir string) {
	t.Helper()
	if st := readState(t, dir); len(st.Inlets) != 0 || len(st.Peers) != 0 {
		t.Errorf("after the failed accept state.json has inlets %+v and peers %+v, want none", st.Inlets, st.Peers)
	}
	if s := lsJSON(t, dir); len(s.Inlets) != 0 {
		t.Errorf("after the failed accept ls --json lists inlets %+v, want none", s.Inlets)
	}
}

// TestAcceptExpiredAtSharer shortens the invitation in the sharer's
// state.json while the engine runs, so only the sharer's records show it expired.
func TestAcceptExpiredAtSharer(t *testing.T) {
	n := startTwoNodes(t)
	mustPortals(t, "share", "db", serveTCP(t, echo), "--state-dir", n.sharerDir)
	link := strings.TrimSpace(mustPortals(t, "invite", "db", "--expires", "1m", "--state-dir", n.sharerDir))

	st := readState(t, n.sharerDir)
	if len(st.Services) != 1 || len(st.Services[0].Invitations) != 1 {
		t.Fatalf("sharer state has services %+v, want one with one invitation", st.Services)
	}
	inv := &st.Services[0].Invitations[0]
	if ttl := inv.Expires.Sub(inv.Created); ttl != time.Minute {
		t.Errorf("invite --expires 1m saved a lifetime of %v", ttl)
	}
	inv.Created = time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Second)
	inv.Expires = inv.Created.Add(time.Hour)
	data, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	writeState(t, n.sharerDir, string(data))
	waitSnapshot(t, n.sharerDir, 10*time.Second, "the sharer to apply the edit", func(s *engine.Snapshot) bool {
		return len(s.Services) == 1 && s.Services[0].Invitations == 0
	})

	stderr, _ := acceptFails(t, n.accepterDir, 30*time.Second, link)
	wantInStderr(t, stderr, "expired", "ask the sharer for a new")
	noInlet(t, n.accepterDir)
}

// TestAcceptExpiredLink accepts a link whose own expiry has passed: the
// accepter refuses it without asking the sharer.
func TestAcceptExpiredLink(t *testing.T) {
	n := startTwoNodes(t)
	link := n.shareAndInvite(t, "db", serveTCP(t, echo))
	l, err := invite.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	l.Expires = time.Now().Add(-time.Hour)
	expired, err := l.Text()
	if err != nil {
		t.Fatal(err)
	}

	stderr, took := acceptFails(t, n.accepterDir, 10*time.Second, expired)
	wantInStderr(t, stderr, "expired", "ask the sharer for a new one")
	if took > 2*time.Second {
		t.Errorf("refusing an expired link took %v, want it at once", took)
	}
	noInlet(t, n.accepterDir)
}

// TestAcceptUsedLink accepts a single-use link from a second node.
func TestAcceptUsedLink(t *testing.T) {
	n := startTwoNodes(t)
	link := n.shareAndInvite(t, "db", serveTCP(t, echo))
	first := accept(t, n.accepterDir, link)
	echoOnce(t, first.Addr)

	second := t.TempDir()
	startPortals(t, "up", "--state-dir", second)
	waitSnapshot(t, second, 10*time.Second, "the second accepter", func(*engine.Snapshot) bool { return true })
	stderr, _ := acceptFails(t, second, 30*time.Second, link)
	wantInStderr(t, stderr, "already used", "ask the sharer for a new")
	noInlet(t, second)

	if s := lsJSON(t, n.sharerDir); len(s.Services) != 1 || len(s.Services[0].Access) != 1 {
		t.Errorf("sharer access list is %+v, want the first accepter only", s.Services)
	}
}

// TestRevokedCannotConnect revokes an accepter and then connects through
// its inlet.
func TestRevokedCannotConnect(t *testing.T) {
	n := startTwoNodes(t)
	link := n.shareAndInvite(t, "db", serveTCP(t, echo))
	inlet := accept(t, n.accepterDir, link)
	echoOnce(t, inlet.Addr)

	accepterID := nodeIDOf(t, n.accepterDir)
	mustPortals(t, "revoke", "db", accepterID, "--state-dir", n.sharerDir)
	s := lsJSON(t, n.sharerDir)
	if len(s.Services) != 1 || len(s.Services[0].Access) != 0 {
		t.Errorf("after revoke the sharer's ls --json shows access %+v, want nobody", s.Services)
	}

	expectRejected(t, inlet.Addr)
	waitUntil(t, 5*time.Second, `"denied" in the accepter's log`, func() bool {
		return strings.Contains(n.accepter.stderr.String(), "denied")
	})
}

// TestAcceptMalformedLink accepts every truncation of a real link and
// links with one payload character changed.
func TestAcceptMalformedLink(t *testing.T) {
	n := startTwoNodes(t)
	link := n.shareAndInvite(t, "db", serveTCP(t, echo))

	var bad []string
	for i := range len(link) {
		bad = append(bad, link[:i])
	}
	payload := len(invite.LinkPrefix)
	for _, i := range []int{payload, payload + 1, payload + 40, (payload + len(link)) / 2, len(link) - 8} {
		b := []byte(link)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		bad = append(bad, string(b))
	}

	// Four at a time: each is one process and one local API call.
	var mu sync.Mutex
	failures := map[string]string{}
	work := make(chan string)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for text := range work {
				stdout, stderr, code, _ := runPortalsWithin(t, 10*time.Second, "accept", text, "--state-dir", n.accepterDir)
				if code != 1 || !strings.Contains(stderr, "invalid invitation link") {
					mu.Lock()
					failures[text] = stdout + stderr
					mu.Unlock()
				}
			}
		})
	}
	for _, text := range bad {
		work <- text
	}
	close(work)
	wg.Wait()

	t.Logf("tried %d malformed links", len(bad))
	for text, out := range failures {
		t.Errorf("accept %q (%d of %d characters): want exit 1 and \"invalid invitation link\", got %q", text, len(text), len(link), out)
	}
	noInlet(t, n.accepterDir)
}

// TestAcceptUnsharedService accepts a link to a service that was unshared
// after the invitation was made.
func TestAcceptUnsharedService(t *testing.T) {
	n := startTwoNodes(t)
	link := n.shareAndInvite(t, "db", serveTCP(t, echo))
	mustPortals(t, "unshare", "db", "--state-dir", n.sharerDir)

	stderr, _ := acceptFails(t, n.accepterDir, 30*time.Second, link)
	wantInStderr(t, stderr, `"db"`)
	noInlet(t, n.accepterDir)
}

// TestAcceptSharerOffline accepts while the sharer is offline: stopped
// (SIGTERM, so it leaves the relay) or frozen (SIGSTOP, so the relay still
// lists it but it sends nothing). The error names the relay route tried,
// within the dial bound of 20 s.
func TestAcceptSharerOffline(t *testing.T) {
	for _, tc := range []struct {
		name   string
		signal syscall.Signal
	}{
		{"stopped", syscall.SIGTERM},
		{"frozen", syscall.SIGSTOP},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := startTwoNodes(t)
			link := n.shareAndInvite(t, "db", serveTCP(t, echo))
			l, err := invite.Parse(link)
			if err != nil {
				t.Fatal(err)
			}
			if tc.signal == syscall.SIGTERM {
				n.sharer.terminate(t)
			} else if err := n.sharer.cmd.Process.Signal(tc.signal); err != nil {
				t.Fatal(err)
			}

			const bound = 20 * time.Second
			stderr, took := acceptFails(t, n.accepterDir, 60*time.Second, link)
			t.Logf("accept with the sharer %s failed after %v: %s", tc.name, took, stderr)
			for _, r := range l.Routes {
				wantInStderr(t, stderr, "relay "+r.Relay)
			}
			if took > bound+time.Second {
				t.Errorf("accept took %v to fail, want at most %v", took, bound)
			}
			noInlet(t, n.accepterDir)
		})
	}
}

// TestAcceptPortInUse accepts on a port something else listens on: it
// fails at once, saves nothing and leaves the invitation usable.
func TestAcceptPortInUse(t *testing.T) {
	n := startTwoNodes(t)
	link := n.shareAndInvite(t, "db", serveTCP(t, echo))

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	_, port, _ := net.SplitHostPort(addr)

	stderr, took := acceptFails(t, n.accepterDir, 10*time.Second, link, "--port", port)
	wantInStderr(t, stderr, addr, "--port")
	if took > 2*time.Second {
		t.Errorf("accept on a busy port took %v to fail, want at once", took)
	}
	noInlet(t, n.accepterDir)
	if s := lsJSON(t, n.sharerDir); len(s.Services) != 1 || s.Services[0].Invitations != 1 || len(s.Services[0].Access) != 0 {
		t.Errorf("after the failed accept the sharer shows %+v, want the invitation open and nobody on the access list", s.Services)
	}

	inlet := accept(t, n.accepterDir, link)
	echoOnce(t, inlet.Addr)
}

// TestInviteCancel cancels the open invitation to a shared service from
// the command line: the link stops working and nothing is saved on the
// accepting node.
func TestInviteCancel(t *testing.T) {
	n := startTwoNodes(t)
	link := n.shareAndInvite(t, "db", serveTCP(t, echo))

	out := mustPortals(t, "invite", "db", "--cancel", "--state-dir", n.sharerDir)
	if !strings.Contains(out, "cancelled 1 open invitation(s) to db") {
		t.Errorf("invite --cancel printed %q, want the count and the service", out)
	}
	if st := readState(t, n.sharerDir); len(st.Services) != 1 || len(st.Services[0].Invitations) != 0 {
		t.Errorf("sharer state has services %+v, want one with no invitations", st.Services)
	}

	stderr, _ := acceptFails(t, n.accepterDir, 30*time.Second, link)
	wantInStderr(t, stderr, "no invitation matches")
	noInlet(t, n.accepterDir)

	_, stderr, code, _ := runPortalsWithin(t, 10*time.Second, "invite", "db", "--cancel", "--uses", "2", "--state-dir", n.sharerDir)
	if code != 2 {
		t.Errorf("invite --cancel --uses 2: exit %d, want 2", code)
	}
	wantInStderr(t, stderr, "--cancel creates no link")
}
