package channel

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine/identity"
)

// Markers are the first data each side sends after the handshake. A test
// fails if a marker reaches the other side through a tampered direction.
const (
	clientMarker = "client-plaintext-marker"
	serverMarker = "server-plaintext-marker"
)

// tamperConn flips one bit of the byte at offset at of the stream written
// through it. The caller's buffer is never modified.
type tamperConn struct {
	net.Conn
	at      int
	mu      sync.Mutex
	written int
}

func (c *tamperConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	start := c.written
	c.written += len(p)
	c.mu.Unlock()

	if c.at >= start && c.at < start+len(p) {
		modified := append([]byte(nil), p...)
		modified[c.at-start] ^= 0x01
		p = modified
	}
	return c.Conn.Write(p)
}

// recordConn records every byte written through it.
type recordConn struct {
	net.Conn
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *recordConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.buf.Write(p)
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *recordConn) bytes() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte(nil), c.buf.Bytes()...)
}

// exchangeResult is what one side saw in exchange.
type exchangeResult struct {
	handshakeErr error
	received     []byte
	readErr      error
}

// exchange runs a handshake over the raw pair, then has each side that
// completed it send its marker, close its direction, and read everything.
func exchange(t *testing.T, clientRaw, serverRaw net.Conn, client, server *Config, expected identity.ID) (clientSide, serverSide exchangeResult) {
	t.Helper()
	c, s := handshakePair(t, clientRaw, serverRaw, client, server, expected)

	var wg sync.WaitGroup
	run := func(h handshakeResult, marker string, out *exchangeResult) {
		defer wg.Done()
		out.handshakeErr = h.err
		if h.err != nil {
			return
		}
		defer h.conn.Close()

		written := make(chan struct{})
		go func() {
			defer close(written)
			h.conn.Write([]byte(marker))
			h.conn.CloseWrite()
		}()
		h.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		out.received, out.readErr = io.ReadAll(h.conn)
		<-written
	}
	wg.Add(2)
	go run(c, clientMarker, &clientSide)
	go run(s, serverMarker, &serverSide)
	wg.Wait()
	return clientSide, serverSide
}

// checkNothingReleased fails unless the side failed its handshake or its
// reading ended in an error with no data released.
func checkNothingReleased(t *testing.T, side string, r exchangeResult) {
	t.Helper()
	if r.handshakeErr != nil {
		return
	}
	if len(r.received) != 0 {
		t.Errorf("%s released %d bytes of plaintext (%q), want none", side, len(r.received), r.received)
	}
	if r.readErr == nil {
		t.Errorf("%s read to a clean end of stream, want an error", side)
	}
}

// TestTamperEveryByte modifies, in turn, every byte of the three handshake
// messages and of the first transport frame in each direction, and checks
// that the receiving side never releases plaintext and never completes a
// handshake over a modified message.
func TestTamperEveryByte(t *testing.T) {
	clientCfg, serverCfg := testConfigs(t)
	clientCfg.HandshakeTimeout = 2 * time.Second
	serverCfg.HandshakeTimeout = 2 * time.Second

	// A clean run measures the bytes each direction carries: message 1,
	// message 3 and a frame from the client; message 2 and a frame from
	// the server.
	clientRaw, serverRaw := tcpPair(t)
	clientRec, serverRec := &recordConn{Conn: clientRaw}, &recordConn{Conn: serverRaw}
	c, s := exchange(t, clientRec, serverRec, clientCfg, serverCfg, identity.ID{})
	if string(c.received) != serverMarker || string(s.received) != clientMarker {
		t.Fatalf("clean exchange failed: client got %q (%v), server got %q (%v)", c.received, c.readErr, s.received, s.readErr)
	}
	closeFrame := lengthSize + minFrameSize
	clientBytes := len(clientRec.bytes()) - closeFrame
	serverBytes := len(serverRec.bytes()) - closeFrame
	clientHandshake := clientBytes - (lengthSize + minFrameSize + len(clientMarker))
	serverHandshake := serverBytes - (lengthSize + minFrameSize + len(serverMarker))
	t.Logf("client sends %d handshake bytes and a %d-byte frame; server sends %d and %d",
		clientHandshake, clientBytes-clientHandshake, serverHandshake, serverBytes-serverHandshake)

	directions := []struct {
		name           string
		total          int
		handshakeBytes int
		fromClient     bool
	}{
		{"client-to-server", clientBytes, clientHandshake, true},
		{"server-to-client", serverBytes, serverHandshake, false},
	}
	for _, d := range directions {
		t.Run(d.name, func(t *testing.T) {
			for at := 0; at < d.total; at++ {
				t.Run(fmt.Sprint(at), func(t *testing.T) {
					t.Parallel()
					clientRaw, serverRaw := tcpPair(t)
					if d.fromClient {
						clientRaw = &tamperConn{Conn: clientRaw, at: at}
					} else {
						serverRaw = &tamperConn{Conn: serverRaw, at: at}
					}
					c, s := exchange(t, clientRaw, serverRaw, clientCfg, serverCfg, identity.ID{})

					receiver, receiverName := s, "server"
					if !d.fromClient {
						receiver, receiverName = c, "client"
					}
					if at < d.handshakeBytes && receiver.handshakeErr == nil {
						t.Errorf("%s completed a handshake over a modified message (byte %d)", receiverName, at)
					}
					checkNothingReleased(t, receiverName, receiver)
				})
			}
		})
	}
}
