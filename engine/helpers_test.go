package engine_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
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
	"github.com/portalsapp/portals/engine/session"
	"github.com/portalsapp/portals/engine/state"
)

// Timing used by most tests. The keepalive is short so that sessions
// notice a closed peer quickly, but long enough for -race on two cores.
const (
	testKeepAlive = 500 * time.Millisecond
	upTimeout     = 10 * time.Second
)

// logBuffer collects an engine's log lines. It is safe for concurrent use.
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

// node is a running engine with its state directory and logs.
type node struct {
	*engine.Engine
	name   string
	dir    string
	logs   *logBuffer
	closed bool
}

// startNode starts an engine in dir (a new temporary directory when dir
// is empty) and closes it at cleanup. edit may change the options.
func startNode(t *testing.T, name, dir string, edit func(*engine.Options)) *node {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	logs := &logBuffer{}
	opts := engine.Options{
		StateDir:          dir,
		VaultKind:         "file",
		KeepAliveInterval: testKeepAlive,
		Logger:            slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if edit != nil {
		edit(&opts)
	}
	e, err := engine.Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("starting engine %s: %v", name, err)
	}
	n := &node{Engine: e, name: name, dir: dir, logs: logs}
	t.Cleanup(func() {
		if !n.closed {
			n.close(t)
		}
		if t.Failed() {
			t.Logf("logs of %s:\n%s", name, logs.String())
		}
	})
	return n
}

// close closes the engine and fails the test if Close fails.
func (n *node) close(t *testing.T) {
	t.Helper()
	n.closed = true
	if err := n.Close(); err != nil {
		t.Errorf("closing engine %s: %v", n.name, err)
	}
}

// listenAddr returns the first address the node accepts direct sessions on.
func (n *node) listenAddr(t *testing.T) string {
	t.Helper()
	s := n.Snapshot()
	if len(s.Listen) == 0 {
		t.Fatalf("engine %s listens on nothing, want the address from Options.Listen", n.name)
	}
	return s.Listen[0]
}

// withListen makes an engine accept direct sessions on a free loopback port.
func withListen(o *engine.Options) { o.Listen = []string{"127.0.0.1:0"} }

// waitFor waits until cond holds for a snapshot of n, or fails the test
// after timeout with the last snapshot. It returns the snapshot that
// satisfied cond.
func waitFor(t *testing.T, n *node, what string, timeout time.Duration, cond func(*engine.Snapshot) bool) *engine.Snapshot {
	t.Helper()
	updates, cancel := n.Subscribe()
	defer cancel()
	timer := time.NewTimer(timeout)
	defer timer.Stop()

	var last *engine.Snapshot
	for {
		select {
		case s, ok := <-updates:
			if !ok {
				t.Fatalf("%s: engine %s closed while waiting for: %s", n.name, n.name, what)
			}
			last = s
			if cond(s) {
				return s
			}
		case <-timer.C:
			t.Fatalf("engine %s: still waiting after %v for: %s\nlast snapshot: %s", n.name, timeout, what, snapshotJSON(last))
			return nil
		}
	}
}

func snapshotJSON(s *engine.Snapshot) string {
	if s == nil {
		return "none"
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err.Error()
	}
	return string(data)
}

// peerIn returns the status of peer id in s.
func peerIn(s *engine.Snapshot, id identity.ID) (engine.PeerStatus, bool) {
	for _, p := range s.Peers {
		if p.ID == id {
			return p, true
		}
	}
	return engine.PeerStatus{}, false
}

// relayIn returns the status of relay id in s.
func relayIn(s *engine.Snapshot, id identity.ID) (engine.RelayStatus, bool) {
	for _, r := range s.Relays {
		if r.ID == id {
			return r, true
		}
	}
	return engine.RelayStatus{}, false
}

// peerUpVia returns a condition: peer id is up on a route starting with prefix.
func peerUpVia(id identity.ID, prefix string) func(*engine.Snapshot) bool {
	return func(s *engine.Snapshot) bool {
		p, ok := peerIn(s, id)
		return ok && p.State == engine.StateUp && strings.HasPrefix(p.Route, prefix)
	}
}

// relayState returns a condition: relay id is in the given state.
func relayState(id identity.ID, want string) func(*engine.Snapshot) bool {
	return func(s *engine.Snapshot) bool {
		r, ok := relayIn(s, id)
		return ok && r.State == want
	}
}

// directPeer is a peer entry reaching id at addr.
func directPeer(id identity.ID, addr string) state.Peer {
	return state.Peer{ID: id, Routes: []state.Route{{Direct: addr}}}
}

// relayRoute is a route to a peer through r.
func relayRoute(r *testRelay) state.Route {
	return state.Route{Relay: r.addr, RelayID: r.ID()}
}

// addPeer adds p to n and fails the test on error.
func addPeer(t *testing.T, n *node, p state.Peer) {
	t.Helper()
	if err := n.AddPeer(p); err != nil {
		t.Fatalf("engine %s: AddPeer(%v): %v", n.name, p.ID.Short(), err)
	}
}

// addRelay adds link to n and fails the test on error.
func addRelay(t *testing.T, n *node, link relay.Link) {
	t.Helper()
	if err := n.AddRelay(context.Background(), link.String()); err != nil {
		t.Fatalf("engine %s: AddRelay: %v", n.name, err)
	}
}

// expectStatus opens a stream with h over n's session with peer and
// checks that the peer responds with want within timeout.
func expectStatus(t *testing.T, n *node, peer identity.ID, h session.Header, want session.Status, timeout time.Duration) {
	t.Helper()
	sess, err := n.Session(peer)
	if err != nil {
		t.Fatalf("engine %s: Session: %v", n.name, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	start := time.Now()
	stream, err := sess.OpenStream(ctx, h)
	elapsed := time.Since(start)
	if err == nil {
		stream.Close()
		t.Fatalf("OpenStream(%v) succeeded, want the peer to respond %v", h, want)
	}
	var se *session.StatusError
	if !errors.As(err, &se) {
		t.Fatalf("OpenStream(%v) after %v: %v, want a *session.StatusError with %v", h, elapsed, err, want)
	}
	if se.Status != want {
		t.Errorf("OpenStream(%v): peer responded %v (%q), want %v", h, se.Status, se.Reason, want)
	}
	if elapsed > timeout {
		t.Errorf("OpenStream(%v) got a response after %v, want within %v", h, elapsed, timeout)
	}
}

// testRelay is an in-process relay on a loopback port whose listener
// records every byte it reads from and writes to accepted connections.
type testRelay struct {
	*relay.Server
	addr string
	link relay.Link
	rec  *recorder
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
		ConnRate:      1000,
		ConnBurst:     1000,
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

	rec := &recorder{}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(&recordingListener{Listener: ln, rec: rec}) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-served; !errors.Is(err, relay.ErrServerClosed) {
			t.Errorf("relay Serve returned %v, want relay.ErrServerClosed", err)
		}
		if t.Failed() {
			t.Logf("logs of the relay:\n%s", logs.String())
		}
	})
	return &testRelay{Server: srv, addr: ln.Addr().String(), link: link, rec: rec, logs: logs}
}

// recorder keeps every byte that crossed the relay's connections, in
// either direction. It is safe for concurrent use.
type recorder struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (r *recorder) add(p []byte) {
	r.mu.Lock()
	r.buf.Write(p)
	r.mu.Unlock()
}

func (r *recorder) bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.buf.Bytes())
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.Len()
}

type recordingListener struct {
	net.Listener
	rec *recorder
}

func (l *recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &recordingConn{Conn: c, rec: l.rec}, nil
}

// recordingConn records what the relay reads and writes. It forwards
// CloseWrite so that the relay's half-close still works.
type recordingConn struct {
	net.Conn
	rec *recorder
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.rec.add(p[:n])
	return n, err
}

func (c *recordingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.rec.add(p[:n])
	return n, err
}

func (c *recordingConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// proxy forwards TCP connections from its own loopback port to target
// until frozen. Frozen, it keeps every connection open but forwards
// nothing, like a path that went dead without a reset.
type proxy struct {
	ln     net.Listener
	target string
	frozen chan struct{}
	freeze func()
	done   chan struct{}
	wg     sync.WaitGroup

	mu    sync.Mutex
	conns []net.Conn
}

// startProxy starts a proxy to target and stops it at cleanup.
func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, frozen: make(chan struct{}), done: make(chan struct{})}
	p.freeze = sync.OnceFunc(func() { close(p.frozen) })
	p.wg.Add(1)
	go p.acceptLoop()
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) track(c net.Conn) {
	p.mu.Lock()
	p.conns = append(p.conns, c)
	p.mu.Unlock()
}

func (p *proxy) acceptLoop() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.track(c)
		select {
		case <-p.frozen:
			continue // accepted and left hanging
		default:
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.track(up)
		p.wg.Add(2)
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

// pipe copies src to dst until an error, or until the proxy is frozen,
// after which it swallows what it reads and closes nothing.
func (p *proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		select {
		case <-p.frozen:
			<-p.done
			return
		default:
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				err = werr
			}
		}
		if err != nil {
			select {
			case <-p.frozen:
				<-p.done
				return
			default:
			}
			dst.Close()
			src.Close()
			return
		}
	}
}

func (p *proxy) stop() {
	p.ln.Close()
	close(p.done)
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// closedPort returns a loopback address on which nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// waitLog waits until n's logs contain every part on one line, or fails
// after timeout. Logs have no event to wait on, so it polls.
func waitLog(t *testing.T, n *node, timeout time.Duration, parts ...string) string {
	t.Helper()
	lines := waitLogLines(t, n.logs, "engine "+n.name, 1, timeout, parts...)
	return lines[0]
}

// waitLogLines waits until logs contain at least count lines with every
// part, and returns them. It fails the test after timeout.
func waitLogLines(t *testing.T, logs *logBuffer, source string, count int, timeout time.Duration, parts ...string) []string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var found []string
		for line := range strings.Lines(logs.String()) {
			if containsAll(line, parts) {
				found = append(found, line)
			}
		}
		if len(found) >= count {
			return found
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d log lines containing all of %q within %v, want %d", source, len(found), parts, timeout, count)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
