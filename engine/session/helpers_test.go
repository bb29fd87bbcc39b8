package session

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine/channel"
	"github.com/portalsapp/portals/engine/identity"
)

// testLogger logs to the test at Debug level, so yamux and session lines
// show up with -v and when a test fails.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// channelConfig returns a session-purpose channel config for a fresh
// identity.
func channelConfig(t testing.TB, name string) *channel.Config {
	t.Helper()
	id, err := identity.Generate(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := channel.NewCredentials(id, name, 0)
	if err != nil {
		t.Fatal(err)
	}
	return &channel.Config{Purpose: channel.PurposeSession, Credentials: creds, HandshakeTimeout: 5 * time.Second}
}

// tcpPair returns both ends of a loopback TCP connection. With a proxy the
// dialer's end goes through it.
func tcpPair(t testing.TB, via *proxy) (dialed, accepted net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	addr := ln.Addr().String()
	if via != nil {
		addr = via.start(t, addr)
	}

	done := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		done <- c
	}()
	dialed, err = net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if accepted = <-done; accepted == nil {
		t.Fatal("accepting the loopback connection failed")
	}
	return dialed, accepted
}

// pair is a client and a server session over real channels; the server
// serves streams with a handler, the client serves none unless asked.
type pair struct {
	client, server *Session
	serving        sync.WaitGroup
}

// newPair handshakes a channel over loopback TCP (through via, if not
// nil), starts both sessions and serves the server side with h. Everything
// is closed at cleanup.
func newPair(t testing.TB, cfg *Config, via *proxy, h Handler) *pair {
	t.Helper()
	clientRaw, serverRaw := tcpPair(t, via)
	clientCfg, serverCfg := channelConfig(t, "alice"), channelConfig(t, "bob")

	type result struct {
		conn *channel.Conn
		err  error
	}
	serverDone := make(chan result, 1)
	go func() {
		c, err := channel.Server(context.Background(), serverRaw, serverCfg)
		serverDone <- result{c, err}
	}()
	clientConn, err := channel.Client(context.Background(), clientRaw, clientCfg, serverCfg.Credentials.Identity().ID())
	server := <-serverDone
	if err != nil || server.err != nil {
		t.Fatalf("channel handshake failed: client: %v, server: %v", err, server.err)
	}

	return startPair(t, cfg, clientConn, server.conn, h)
}

func startPair(t testing.TB, cfg *Config, clientConn, serverConn *channel.Conn, h Handler) *pair {
	t.Helper()
	if cfg == nil {
		cfg = &Config{}
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}

	p := &pair{}
	var err error
	if p.client, err = Client(clientConn, cfg); err != nil {
		t.Fatal(err)
	}
	if p.server, err = Server(serverConn, cfg); err != nil {
		t.Fatal(err)
	}

	p.serving.Add(1)
	go func() {
		defer p.serving.Done()
		p.server.Serve(h)
	}()
	t.Cleanup(p.close)
	return p
}

// close closes both sessions and waits for Serve to return.
func (p *pair) close() {
	p.client.Close()
	p.server.Close()
	p.serving.Wait()
}

// echo is a Handler that accepts every portal stream and echoes it,
// passing on the half-close, and denies everything else.
func echo(_ context.Context, _ channel.Peer, h Header) Response {
	if h.Kind != KindPortal {
		return Response{Status: StatusDenied, Reason: "echo serves portals only"}
	}
	return Response{Status: StatusOK, Serve: func(s *Stream) {
		defer s.Close()
		io.Copy(s, s)
		s.CloseWrite()
	}}
}

// proxy forwards one TCP connection and can freeze: after Freeze it stops
// forwarding in both directions without closing anything, like a peer
// whose process is stopped.
type proxy struct {
	freeze  chan struct{}
	release chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
}

func newProxy() *proxy {
	return &proxy{freeze: make(chan struct{}), release: make(chan struct{})}
}

// Freeze stops forwarding.
func (p *proxy) Freeze() { p.once.Do(func() { close(p.freeze) }) }

// start listens on loopback, forwards the first connection to target and
// returns the address to dial. Everything stops at cleanup.
func (p *proxy) start(t testing.TB, target string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}

	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer ln.Close()
		p.forward(ln, target)
	}()
	t.Cleanup(func() {
		close(p.release)
		ln.Close()
		p.wg.Wait()
	})
	return ln.Addr().String()
}

func (p *proxy) forward(ln net.Listener, target string) {
	in, err := ln.Accept()
	if err != nil {
		return
	}
	defer in.Close()
	out, err := net.DialTimeout("tcp", target, 5*time.Second)
	if err != nil {
		return
	}
	defer out.Close()

	done := make(chan struct{}, 2)
	go p.pump(out, in, done)
	go p.pump(in, out, done)
	<-done
	<-p.release
	in.Close()
	out.Close()
	<-done
}

// pump copies src to dst until an error, or until frozen; a frozen pump
// drops what it read and returns, leaving both connections open.
func (p *proxy) pump(dst, src net.Conn, done chan<- struct{}) {
	defer func() { done <- struct{}{} }()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		select {
		case <-p.freeze:
			return
		default:
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				closeWrite(dst)
			}
			return
		}
	}
}

func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
}
