package cases_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine/state"
)

// C11: another program already listens on the port an accepter requests.
// Accept fails at once with an error naming the address, and nothing is
// half-created: no inlet, no saved peer, the invitation still unused.
func TestPortInUse(t *testing.T) {
	for _, host := range []string{"127.0.0.1", "localhost"} {
		t.Run(host, func(t *testing.T) {
			eachRoute(t, func(t *testing.T, route string) {
				ln := occupy(t, host)
				_, port := splitPort(t, ln.Addr().String())
				target := listen(t)
				p := openPortal(t, route, target.Addr().String(), nil)

				link, err := p.sharer.Invite("svc", 0, 0)
				if err != nil {
					t.Fatalf("sharer: Invite: %v", err)
				}
				before := p.accepter.Snapshot()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				start := time.Now()
				res, err := p.accepter.Accept(ctx, link, port)
				elapsed := time.Since(start)

				want := "127.0.0.1:" + strconv.Itoa(port)
				if err == nil {
					t.Fatalf("Accept on port %d held by another program succeeded with inlet %s, want an error naming %s", port, res.Addr, want)
				}
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Accept error %q does not name the address %s", err, want)
				}
				if elapsed > time.Second {
					t.Errorf("Accept failed after %v, want at once (under 1 s)", elapsed)
				}

				after := p.accepter.Snapshot()
				if len(after.Inlets) != len(before.Inlets) {
					t.Errorf("accepter has %d inlets after the failed Accept, want %d as before", len(after.Inlets), len(before.Inlets))
				}
				saved, err := state.Load(after.StateDir)
				if err != nil {
					t.Fatalf("loading the accepter's state: %v", err)
				}
				for _, in := range saved.Inlets {
					if in.Port == port {
						t.Errorf("accepter saved inlet %q on port %d, which it cannot listen on", in.Name, port)
					}
				}
				if n := openInvitations(p); n != 1 {
					t.Errorf("sharer has %d open invitations after the failed Accept, want 1: the invitation was spent on an inlet that was never made", n)
				}
			})
		})
	}
}

// occupy listens on host with port 7000 when it is free, else on a free
// port, as another program would, and stops at cleanup.
func occupy(t *testing.T, host string) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "7000"))
	if err != nil {
		t.Logf("port 7000 on %s is not free (%v); using a free port", host, err)
		ln, err = net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func openInvitations(p *portalPath) int {
	for _, s := range p.sharer.Snapshot().Services {
		if s.Name == "svc" {
			return s.Invitations
		}
	}
	return -1
}
