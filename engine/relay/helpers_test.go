package relay

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine/channel"
	"github.com/portalsapp/portals/engine/identity"
)

// newTestCredentials returns credentials for a fresh identity.
func newTestCredentials(t testing.TB, name string) *channel.Credentials {
	t.Helper()
	id, err := identity.Generate(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := channel.NewCredentials(id, name, 0)
	if err != nil {
		t.Fatal(err)
	}
	return creds
}

// testRelay is a relay serving on loopback with a listener that records
// every byte the relay reads.
type testRelay struct {
	*Server
	addr     string
	recorder *recorder
}

// startRelay starts a relay on 127.0.0.1 and closes it at cleanup. edit may
// change the config before the server is created.
func startRelay(t *testing.T, edit func(*Config)) *testRelay {
	t.Helper()
	cfg := Config{
		Credentials:   newTestCredentials(t, "relay"),
		AdvertiseAddr: "relay.example:7700",
		ConnRate:      1000,
		ConnBurst:     1000,
		Logger:        testLogger(t),
	}
	if edit != nil {
		edit(&cfg)
	}
	srv, err := NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(&recordingListener{Listener: ln, rec: rec}) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return &testRelay{Server: srv, addr: ln.Addr().String(), recorder: rec}
}

// register registers creds at r with the relay's secret and closes the
// registration at cleanup.
func (r *testRelay) register(t *testing.T, creds *channel.Credentials) *Registration {
	t.Helper()
	reg, err := Register(context.Background(), RegisterConfig{
		Addr:        r.addr,
		RelayID:     r.ID(),
		Secret:      r.secret[:],
		Credentials: creds,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	return reg
}

// connect dials target through r and runs both ends of the end-to-end
// handshake: the dialer as channel.Client, the target as channel.Server
// over the next dial-back of reg. Both channels close at cleanup.
func (r *testRelay) connect(t *testing.T, dialer *channel.Credentials, reg *Registration, target *channel.Credentials) (a, b *channel.Conn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	type result struct {
		conn *channel.Conn
		err  error
	}
	served := make(chan result, 1)
	go func() {
		raw, err := reg.Accept()
		if err != nil {
			served <- result{nil, err}
			return
		}
		conn, err := channel.Server(ctx, raw, &channel.Config{Purpose: channel.PurposeSession, Credentials: target})
		served <- result{conn, err}
	}()

	raw, err := Dial(ctx, r.addr, target.Identity().ID())
	if err != nil {
		t.Fatal(err)
	}
	a, err = channel.Client(ctx, raw, &channel.Config{Purpose: channel.PurposeSession, Credentials: dialer}, target.Identity().ID())
	if err != nil {
		t.Fatal(err)
	}
	res := <-served
	if res.err != nil {
		t.Fatal(res.err)
	}
	t.Cleanup(func() {
		a.Close()
		res.conn.Close()
	})
	return a, res.conn
}

// testLogger logs to the test output at debug level when -v is given.
func testLogger(t *testing.T) *slog.Logger {
	if !testing.Verbose() {
		return nil
	}
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// recorder stores every byte read from the relay's accepted connections.
type recorder struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (r *recorder) bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.buf.Bytes())
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
	return &recordingConn{TCPConn: c.(*net.TCPConn), rec: l.rec}, nil
}

// recordingConn records what the relay reads. It embeds *net.TCPConn, so
// the relay can still call CloseWrite.
type recordingConn struct {
	*net.TCPConn
	rec *recorder
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.TCPConn.Read(p)
	c.rec.mu.Lock()
	c.rec.buf.Write(p[:n])
	c.rec.mu.Unlock()
	return n, err
}

// rawHello connects to addr and sends h.
func rawHello(t *testing.T, addr string, h hello) net.Conn {
	t.Helper()
	c, err := openRelayConn(context.Background(), addr, h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// readStatusByte reads one status byte within 2 s.
func readStatusByte(t *testing.T, c net.Conn) byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	var b [1]byte
	if _, err := c.Read(b[:]); err != nil {
		t.Fatalf("reading status: %v", err)
	}
	return b[0]
}
