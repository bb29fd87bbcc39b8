package cases_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine"
	"github.com/portalsapp/portals/engine/channel"
	"github.com/portalsapp/portals/engine/identity"
	"github.com/portalsapp/portals/engine/relay"
)

// setupTimeout bounds each step of setting up a portal.
//
// The in-process engines keep the default keepalive (5 s). With 500 ms,
// the busy sessions of TestResetPropagation under -race ended with
// "keepalive timeout": a ping waits behind the data frames already queued
// on the session, which take longer than 500 ms to drain there.
const setupTimeout = 15 * time.Second

// routes are the two ways every case runs: the accepter dials the sharer's
// listener, or both meet through a relay.
var routes = []string{"direct", "relay"}

// logBuffer collects log lines. It is safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines returns the lines of b that contain every part.
func (b *logBuffer) lines(parts ...string) []string {
	var found []string
	for line := range strings.Lines(b.String()) {
		if containsAll(line, parts) {
			found = append(found, line)
		}
	}
	return found
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// node is an engine running in this process.
type node struct {
	*engine.Engine
	name string
	logs *logBuffer
}

// startNode starts an engine with a file vault in a new temporary state
// directory and closes it at cleanup. edit may change the options.
func startNode(t *testing.T, name string, edit func(*engine.Options)) *node {
	t.Helper()
	logs := &logBuffer{}
	opts := engine.Options{
		StateDir:  t.TempDir(),
		VaultKind: "file",
		Logger:    slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if edit != nil {
		edit(&opts)
	}
	e, err := engine.Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("starting engine %s: %v", name, err)
	}
	n := &node{Engine: e, name: name, logs: logs}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("closing engine %s: %v", name, err)
		}
		if t.Failed() {
			t.Logf("logs of engine %s:\n%s", name, logs.String())
		}
	})
	return n
}

// waitSnapshot waits until cond holds for a snapshot of n, or fails the
// test after timeout.
func waitSnapshot(t *testing.T, n *node, what string, timeout time.Duration, cond func(*engine.Snapshot) bool) {
	t.Helper()
	updates, cancel := n.Subscribe()
	defer cancel()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	if cond(n.Snapshot()) {
		return
	}
	for {
		select {
		case s, ok := <-updates:
			if !ok {
				t.Fatalf("engine %s closed while waiting for %s", n.name, what)
			}
			if cond(s) {
				return
			}
		case <-timer.C:
			t.Fatalf("engine %s: still waiting after %v for %s", n.name, timeout, what)
		}
	}
}

// testRelay is a relay server running in this process on a loopback port.
type testRelay struct {
	*relay.Server
	addr string
	link relay.Link
	logs *logBuffer
}

// startRelay starts a relay and closes it at cleanup.
func startRelay(t *testing.T) *testRelay {
	t.Helper()
	id, err := identity.Generate(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := channel.NewCredentials(id, "relay", 0)
	if err != nil {
		t.Fatal(err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	srv, err := relay.NewServer(relay.Config{
		Credentials:   creds,
		AdvertiseAddr: ln.Addr().String(),
		Logger:        slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	link, err := srv.Link()
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-served; !errors.Is(err, relay.ErrServerClosed) {
			t.Errorf("relay Serve returned %v, want relay.ErrServerClosed", err)
		}
		if t.Failed() {
			t.Logf("logs of the relay:\n%s", logs.String())
		}
	})
	return &testRelay{Server: srv, addr: ln.Addr().String(), link: link, logs: logs}
}

// portalPath is a portal between two in-process engines: a client that
// connects to inlet reaches target through the accepter, the route and
// the sharer.
type portalPath struct {
	route    string
	inlet    string
	sharer   *node
	accepter *node
	relay    *testRelay // nil on the direct route
}

// openPortal starts a sharer and an accepter on route, shares target as
// the service "svc", invites and accepts it, and returns the path.
// sharerOpts, when not nil, changes the sharer's options.
func openPortal(t *testing.T, route, target string, sharerOpts func(*engine.Options)) *portalPath {
	t.Helper()
	p := &portalPath{route: route}
	edit := func(o *engine.Options) {
		if route == "direct" {
			o.Listen = []string{"127.0.0.1:0"}
		}
		if sharerOpts != nil {
			sharerOpts(o)
		}
	}
	p.sharer = startNode(t, "sharer", edit)
	p.accepter = startNode(t, "accepter", nil)
	if route == "relay" {
		p.relay = startRelay(t)
		if err := p.sharer.AddRelay(context.Background(), p.relay.link.String()); err != nil {
			t.Fatalf("sharer: AddRelay: %v", err)
		}
		waitSnapshot(t, p.sharer, "the relay registration", setupTimeout, func(s *engine.Snapshot) bool {
			return len(s.Relays) == 1 && s.Relays[0].State == engine.StateUp
		})
	}

	if err := p.sharer.Share("svc", target); err != nil {
		t.Fatalf("sharer: Share: %v", err)
	}
	link, err := p.sharer.Invite("svc", 0, 0)
	if err != nil {
		t.Fatalf("sharer: Invite: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	res, err := p.accepter.Accept(ctx, link, 0)
	if err != nil {
		t.Fatalf("accepter: Accept: %v", err)
	}
	p.inlet = res.Addr

	want := "direct "
	if route == "relay" {
		want = "relay "
	}
	waitSnapshot(t, p.accepter, "the session to the sharer on the "+route+" route", setupTimeout, func(s *engine.Snapshot) bool {
		for _, peer := range s.Peers {
			if peer.ID == p.sharer.ID() && peer.State == engine.StateUp && strings.HasPrefix(peer.Route, want) {
				return true
			}
		}
		return false
	})
	return p
}

// dial connects a client to the inlet.
func (p *portalPath) dial(t *testing.T) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", p.inlet, 5*time.Second)
	if err != nil {
		t.Fatalf("dialing the inlet %s: %v", p.inlet, err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.TCPConn)
}

// serviceConns returns the live connections the sharer counts for "svc".
func (p *portalPath) serviceConns() int {
	for _, s := range p.sharer.Snapshot().Services {
		if s.Name == "svc" {
			return s.Connections
		}
	}
	return -1
}

// eachRoute runs test as a subtest on every route.
func eachRoute(t *testing.T, test func(t *testing.T, route string)) {
	t.Helper()
	for _, route := range routes {
		t.Run(route, func(t *testing.T) { test(t, route) })
	}
}

// listen starts a TCP listener on a free loopback port, closed at cleanup.
func listen(t *testing.T) *net.TCPListener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.(*net.TCPListener)
}

// closedAddr returns a loopback address on which nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// waitUntil polls cond every 20 ms until it holds or timeout passes, and
// reports whether it held.
func waitUntil(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}
