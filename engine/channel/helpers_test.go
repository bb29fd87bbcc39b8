package channel

import (
	"context"
	"crypto/rand"
	"net"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine/identity"
	"github.com/portalsapp/portals/engine/internal/loopback"
)

// newTestCredentials returns credentials for a fresh identity.
func newTestCredentials(t testing.TB, name string) *Credentials {
	t.Helper()
	id, err := identity.Generate(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := NewCredentials(id, name, 0)
	if err != nil {
		t.Fatal(err)
	}
	return creds
}

// testConfigs returns a client and a server config for the session purpose
// with fresh identities.
func testConfigs(t testing.TB) (client, server *Config) {
	t.Helper()
	client = &Config{Purpose: PurposeSession, Credentials: newTestCredentials(t, "alice"), HandshakeTimeout: 5 * time.Second}
	server = &Config{Purpose: PurposeSession, Credentials: newTestCredentials(t, "bob"), HandshakeTimeout: 5 * time.Second}
	return client, server
}

// transport makes a connected pair of net.Conns.
type transport struct {
	name string
	pipe func(t testing.TB) (net.Conn, net.Conn)
}

var transports = []transport{
	{"pipe", func(testing.TB) (net.Conn, net.Conn) { return net.Pipe() }},
	{"tcp", tcpPair},
}

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t testing.TB) (net.Conn, net.Conn) {
	dialed, accepted := loopback.TCPPair(t)
	return dialed, accepted
}

type handshakeResult struct {
	conn *Conn
	err  error
}

// handshakePair runs both handshake sides over the two raw ends and returns
// their results. The client pins the server's identifier unless expected is
// non-zero.
func handshakePair(t testing.TB, clientRaw, serverRaw net.Conn, client, server *Config, expected identity.ID) (handshakeResult, handshakeResult) {
	t.Helper()
	if expected.IsZero() {
		expected = server.Credentials.Identity().ID()
	}

	serverDone := make(chan handshakeResult, 1)
	go func() {
		c, err := Server(context.Background(), serverRaw, server)
		serverDone <- handshakeResult{c, err}
	}()
	c, err := Client(context.Background(), clientRaw, client, expected)
	return handshakeResult{c, err}, <-serverDone
}

// connectedPair returns an established channel over tr, closed at cleanup.
func connectedPair(t testing.TB, tr transport, client, server *Config) (*Conn, *Conn) {
	t.Helper()
	clientRaw, serverRaw := tr.pipe(t)
	c, s := handshakePair(t, clientRaw, serverRaw, client, server, identity.ID{})
	if c.err != nil || s.err != nil {
		t.Fatalf("handshake failed: client: %v, server: %v", c.err, s.err)
	}
	t.Cleanup(func() {
		c.conn.Close()
		s.conn.Close()
	})
	return c.conn, s.conn
}
