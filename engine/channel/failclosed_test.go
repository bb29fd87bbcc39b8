package channel

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine/identity"
)

// captureConn diverts writes into a buffer once capturing is on, so a test
// can seal frames with a real Conn and then put chosen bytes on the wire.
type captureConn struct {
	net.Conn
	mu        sync.Mutex
	capturing bool
	captured  bytes.Buffer
}

func (c *captureConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.capturing {
		return c.captured.Write(p)
	}
	return c.Conn.Write(p)
}

func (c *captureConn) startCapture() {
	c.mu.Lock()
	c.capturing = true
	c.mu.Unlock()
}

// sealFrames returns the wire bytes of one frame per message, sealed by a
// real client channel, and the server end that expects them.
func sealFrames(t *testing.T, messages ...string) (frames [][]byte, wire net.Conn, server *Conn) {
	t.Helper()
	clientCfg, serverCfg := testConfigs(t)
	clientRaw, serverRaw := tcpPair(t)
	capture := &captureConn{Conn: clientRaw}
	c, s := handshakePair(t, capture, serverRaw, clientCfg, serverCfg, identity.ID{})
	if c.err != nil || s.err != nil {
		t.Fatalf("handshake failed: client: %v, server: %v", c.err, s.err)
	}
	t.Cleanup(func() { s.conn.Close() })

	capture.startCapture()
	for _, m := range messages {
		if _, err := c.conn.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
	}

	raw := capture.captured.Bytes()
	for len(raw) > 0 {
		size := lengthSize + int(binary.BigEndian.Uint16(raw))
		frames = append(frames, append([]byte(nil), raw[:size]...))
		raw = raw[size:]
	}
	if len(frames) != len(messages) {
		t.Fatalf("sealed %d frames for %d messages", len(frames), len(messages))
	}
	return frames, clientRaw, s.conn
}

// TestTransportFailsClosed puts replayed, reordered, dropped, truncated
// and malformed frames on the wire and checks that the receiver releases
// exactly the authentic prefix and then fails with a final error.
func TestTransportFailsClosed(t *testing.T) {
	cases := []struct {
		name    string
		wire    func(f [][]byte) [][]byte
		want    string
		wantErr error
	}{
		{"replayed frame", func(f [][]byte) [][]byte { return [][]byte{f[0], f[0]} }, "one", ErrFrameAuth},
		{"replayed later", func(f [][]byte) [][]byte { return [][]byte{f[0], f[1], f[0]} }, "onetwo", ErrFrameAuth},
		{"reordered frames", func(f [][]byte) [][]byte { return [][]byte{f[1], f[0]} }, "", ErrFrameAuth},
		{"dropped frame", func(f [][]byte) [][]byte { return [][]byte{f[0], f[2]} }, "one", ErrFrameAuth},
		{"truncated frame", func(f [][]byte) [][]byte { return [][]byte{f[0], f[1][:len(f[1])-1]} }, "one", ErrTruncated},
		{"cut inside length prefix", func(f [][]byte) [][]byte { return [][]byte{f[0], f[1][:1]} }, "one", ErrTruncated},
		{"cut without close frame", func(f [][]byte) [][]byte { return [][]byte{f[0], f[1]} }, "onetwo", ErrTruncated},
		{"length prefix below minimum", func(f [][]byte) [][]byte { return [][]byte{{0, minFrameSize - 1}, f[0][2:]} }, "", ErrBadFrame},
		{"zero length prefix", func(f [][]byte) [][]byte { return [][]byte{{0, 0}} }, "", ErrBadFrame},
		{"length prefix covers two frames", func(f [][]byte) [][]byte {
			merged := append(append([]byte(nil), f[0]...), f[1][2:]...)
			binary.BigEndian.PutUint16(merged, uint16(len(merged)-lengthSize))
			return [][]byte{merged}
		}, "", ErrFrameAuth},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			frames, wire, server := sealFrames(t, "one", "two", "three")
			go func() {
				for _, b := range tc.wire(frames) {
					wire.Write(b)
				}
				wire.Close()
			}()

			server.SetReadDeadline(time.Now().Add(5 * time.Second))
			got, err := io.ReadAll(server)
			if string(got) != tc.want {
				t.Errorf("released %q, want %q", got, tc.want)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("read error %v, want %v", err, tc.wantErr)
			}
			if _, again := server.Read(make([]byte, 1)); !errors.Is(again, tc.wantErr) {
				t.Errorf("second read error %v, want the same final error %v", again, tc.wantErr)
			}
		})
	}
}

// TestFrameFromAnotherChannel injects a frame sealed for one channel into
// a different channel, whose keys come from another handshake.
func TestFrameFromAnotherChannel(t *testing.T) {
	frames, _, _ := sealFrames(t, "secret")

	clientCfg, serverCfg := testConfigs(t)
	client, server := connectedPair(t, transports[1], clientCfg, serverCfg)
	go func() {
		client.NetConn().Write(frames[0])
		client.NetConn().Close()
	}()

	server.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(server)
	if len(got) != 0 {
		t.Errorf("released %q, want nothing", got)
	}
	if !errors.Is(err, ErrFrameAuth) {
		t.Errorf("read error %v, want ErrFrameAuth", err)
	}
}

// TestLengthPrefixRejectedBeforeBody checks that a handshake message whose
// length prefix exceeds the limit is rejected after reading only the prefix.
func TestLengthPrefixRejectedBeforeBody(t *testing.T) {
	stream := &countingReader{r: io.MultiReader(bytes.NewReader([]byte{0xff, 0xff}), zeroReader{})}
	_, err := readHandshakeMessage(stream)
	if !errors.Is(err, ErrHandshakeMessage) {
		t.Fatalf("got %v, want ErrHandshakeMessage", err)
	}
	if stream.n != lengthSize {
		t.Errorf("read %d bytes, want only the %d-byte prefix", stream.n, lengthSize)
	}

	// The same over a live connection: the server fails at once instead
	// of waiting out its handshake deadline for 65535 bytes.
	_, serverCfg := testConfigs(t)
	clientRaw, serverRaw := tcpPair(t)
	defer clientRaw.Close()
	clientRaw.Write([]byte{0xff, 0xff})

	start := time.Now()
	if _, err := Server(context.Background(), serverRaw, serverCfg); !errors.Is(err, ErrHandshakeMessage) {
		t.Errorf("server handshake error %v, want ErrHandshakeMessage", err)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("server took %v to reject the prefix, want well under its %v deadline", elapsed, serverCfg.HandshakeTimeout)
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
