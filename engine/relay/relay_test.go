package relay

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine/channel"
	"github.com/portalsapp/portals/engine/identity"
)

// TestRelayEndToEnd sends 8 MiB each way between two nodes through the
// relay and checks both streams byte for byte.
func TestRelayEndToEnd(t *testing.T) {
	relay := startRelay(t, nil)
	alice, bob := newTestCredentials(t, "alice"), newTestCredentials(t, "bob")
	reg := relay.register(t, bob)

	a, b := relay.connect(t, alice, reg, bob)
	if a.Peer().ID != bob.Identity().ID() || b.Peer().ID != alice.Identity().ID() {
		t.Fatal("end-to-end peers are not alice and bob")
	}

	const size = 8 << 20
	errs := make(chan error, 2)
	go func() { errs <- transfer(a, b, size) }()
	go func() { errs <- transfer(b, a, size) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// transfer writes size random bytes to w, half-closes it, and checks that
// r reads exactly those bytes and then io.EOF.
func transfer(w, r *channel.Conn, size int) error {
	data := make([]byte, size)
	rand.Read(data)
	go func() {
		w.Write(data)
		w.CloseWrite()
	}()

	got, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if sha256.Sum256(got) != sha256.Sum256(data) {
		return errors.New("received bytes differ from sent bytes")
	}
	return nil
}

func TestRegistrationSecret(t *testing.T) {
	allowed := newTestCredentials(t, "allowed")
	relay := startRelay(t, func(c *Config) { c.Allowlist = append(c.Allowlist, allowed.Identity().ID()) })

	wrong := bytes.Repeat([]byte{7}, secretSize)
	cases := []struct {
		name    string
		creds   *channel.Credentials
		secret  []byte
		wantErr error
	}{
		{"no secret", newTestCredentials(t, "stranger"), nil, ErrRegistrationRejected},
		{"wrong secret", newTestCredentials(t, "stranger"), wrong, ErrRegistrationRejected},
		{"allowlisted without secret", allowed, nil, nil},
		{"right secret", newTestCredentials(t, "member"), relay.secret[:], nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reg, err := Register(context.Background(), RegisterConfig{
				Addr: relay.addr, RelayID: relay.ID(), Secret: tc.secret, Credentials: tc.creds,
			})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Register error = %v, want %v", err, tc.wantErr)
			}
			if err == nil {
				reg.Close()
			} else if bytes.Contains([]byte(err.Error()), relay.secret[:]) {
				t.Fatal("error contains the secret")
			}
		})
	}
}

func TestRegistrationWrongRelayID(t *testing.T) {
	relay := startRelay(t, nil)
	other := newTestCredentials(t, "impostor")

	_, err := Register(context.Background(), RegisterConfig{
		Addr: relay.addr, RelayID: other.Identity().ID(), Secret: relay.secret[:], Credentials: newTestCredentials(t, "bob"),
	})
	if !errors.Is(err, channel.ErrPeerMismatch) {
		t.Fatalf("Register error = %v, want ErrPeerMismatch", err)
	}
}

// TestReregistrationReplaces checks that a second registration of the same
// identifier ends the first at once and receives the next dial.
func TestReregistrationReplaces(t *testing.T) {
	relay := startRelay(t, nil)
	alice, bob := newTestCredentials(t, "alice"), newTestCredentials(t, "bob")
	old := relay.register(t, bob)
	replacement := relay.register(t, bob)

	select {
	case <-old.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("old registration still alive 2 s after replacement")
	}
	if old.Err() == nil {
		t.Fatal("old registration died without a reason")
	}

	a, b := relay.connect(t, alice, replacement, bob)
	if _, err := a.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 5)
	if _, err := io.ReadFull(b, got); err != nil || string(got) != "hello" {
		t.Fatalf("read %q, %v", got, err)
	}
}

func TestDialNotRegistered(t *testing.T) {
	relay := startRelay(t, nil)
	start := time.Now()

	_, err := Dial(context.Background(), relay.addr, newTestCredentials(t, "nobody").Identity().ID())
	if !errors.Is(err, ErrNotRegistered) {
		t.Fatalf("Dial error = %v, want ErrNotRegistered", err)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Fatalf("not-registered answer took %v, want under 1 s", elapsed)
	}
}

// TestRelaySeesCiphertextOnly sends a marker through the end-to-end channel
// and checks that no byte sequence the relay read contains it.
func TestRelaySeesCiphertextOnly(t *testing.T) {
	relay := startRelay(t, nil)
	alice, bob := newTestCredentials(t, "alice"), newTestCredentials(t, "bob")
	reg := relay.register(t, bob)
	a, b := relay.connect(t, alice, reg, bob)

	marker := []byte("PLAINTEXT-MARKER-5b1f0c7e-must-never-reach-the-relay")
	payload := bytes.Repeat(marker, 1000)
	for _, dir := range [][2]*channel.Conn{{a, b}, {b, a}} {
		go dir[0].Write(payload)
		got := make([]byte, len(payload))
		if _, err := io.ReadFull(dir[1], got); err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("payload did not arrive intact: %v", err)
		}
	}

	recorded := relay.recorder.bytes()
	if len(recorded) < 2*len(payload) {
		t.Fatalf("relay recorded %d bytes, want at least %d: the recorder misses the splice", len(recorded), 2*len(payload))
	}
	if bytes.Contains(recorded, marker) || bytes.Contains(recorded, marker[:16]) {
		t.Fatal("relay saw plaintext")
	}
}

// TestSplicesIndependent stalls one session's reader and checks that
// another session still moves 4 MiB within a bound.
func TestSplicesIndependent(t *testing.T) {
	relay := startRelay(t, nil)
	alice, bob := newTestCredentials(t, "alice"), newTestCredentials(t, "bob")
	reg := relay.register(t, bob)
	stalledA, _ := relay.connect(t, alice, reg, bob)
	a, b := relay.connect(t, alice, reg, bob)

	// Fill every buffer on the stalled path: its reader never reads.
	stalledDone := make(chan struct{})
	go func() {
		defer close(stalledDone)
		chunk := make([]byte, 64<<10)
		stalledA.SetWriteDeadline(time.Now().Add(20 * time.Second))
		for range 1 << 10 {
			if _, err := stalledA.Write(chunk); err != nil {
				return
			}
		}
	}()
	time.Sleep(300 * time.Millisecond)

	start := time.Now()
	if err := transfer(a, b, 4<<20); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Fatalf("transfer beside a stalled session took %v, want under 10 s", elapsed)
	}

	select {
	case <-stalledDone:
		t.Fatal("the stalled writer finished: its reader was not stalled, so the test proves nothing")
	default:
	}
	stalledA.Close()
	<-stalledDone
}

// dialBackToken registers a node by hand, dials it, and returns the token
// of the dial-back request, the dialer's connection and the control channel.
func dialBackToken(t *testing.T, relay *testRelay) (token, net.Conn) {
	t.Helper()
	bob := newTestCredentials(t, "bob")
	cfg := RegisterConfig{Addr: relay.addr, RelayID: relay.ID(), Secret: relay.secret[:], Credentials: bob}
	control, err := openControl(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { control.Close() })
	if err := register(control, cfg); err != nil {
		t.Fatal(err)
	}

	dialer := rawHello(t, relay.addr, hello{kind: kindDial, body: bob.Identity().ID()})
	var msg controlMessage
	control.SetReadDeadline(time.Now().Add(5 * time.Second))
	for msg.typ != msgDialBack {
		if err := readControl(control, &msg); err != nil {
			t.Fatal(err)
		}
	}
	tok, _ := parseDialBack(msg.body())
	return tok, dialer
}

func TestDialBackTokenOneTime(t *testing.T) {
	relay := startRelay(t, nil)
	tok, dialer := dialBackToken(t, relay)

	first := rawHello(t, relay.addr, hello{kind: kindDialBack, body: tok})
	if got := readStatusByte(t, first); got != statusOK {
		t.Fatalf("first dial-back status = %d, want ok", got)
	}
	if got := readStatusByte(t, dialer); got != statusOK {
		t.Fatalf("dialer status = %d, want ok", got)
	}

	replay := rawHello(t, relay.addr, hello{kind: kindDialBack, body: tok})
	if got := readStatusByte(t, replay); got != statusRejected {
		t.Fatalf("replayed dial-back status = %d, want rejected", got)
	}
}

func TestDialBackTokenExpires(t *testing.T) {
	relay := startRelay(t, func(c *Config) { c.DialBackTimeout = 200 * time.Millisecond })
	tok, dialer := dialBackToken(t, relay)

	if got := readStatusByte(t, dialer); got != statusUnavailable {
		t.Fatalf("dialer status = %d, want unavailable", got)
	}
	late := rawHello(t, relay.addr, hello{kind: kindDialBack, body: tok})
	if got := readStatusByte(t, late); got != statusRejected {
		t.Fatalf("expired dial-back status = %d, want rejected", got)
	}
}

// TestMalformedHello sends broken hello frames and checks that each gets
// the fixed refusal and a close within the bound, not a hang.
func TestMalformedHello(t *testing.T) {
	relay := startRelay(t, func(c *Config) { c.HelloTimeout = 500 * time.Millisecond })
	cases := []struct {
		name  string
		bytes []byte
	}{
		{"http", []byte("GET / HTTP/1.1\r\n\r\n")},
		{"bad version", []byte("prly\x09\x01\x00")},
		{"unknown kind", []byte("prly\x01\x09\x00")},
		{"oversized length", []byte("prly\x01\x02\xff")},
		{"control with body", []byte("prly\x01\x01\x01x")},
		{"truncated body", []byte("prly\x01\x02\x20abc")},
		{"nothing", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", relay.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Write(tc.bytes)

			c.SetReadDeadline(time.Now().Add(3 * time.Second))
			got, err := io.ReadAll(c)
			if err != nil {
				t.Fatalf("relay did not close: %v", err)
			}
			if !bytes.Equal(got, []byte{statusRejected}) {
				t.Fatalf("relay sent %q, want the fixed refusal", got)
			}
		})
	}
}

func TestSourceRateLimit(t *testing.T) {
	relay := startRelay(t, func(c *Config) { c.ConnRate, c.ConnBurst = 0.001, 3 })
	target := newTestCredentials(t, "nobody").Identity().ID()

	for i := range 3 {
		if _, err := Dial(context.Background(), relay.addr, target); !errors.Is(err, ErrNotRegistered) {
			t.Fatalf("dial %d: error %v, want ErrNotRegistered", i, err)
		}
	}
	if _, err := Dial(context.Background(), relay.addr, target); err == nil || errors.Is(err, ErrNotRegistered) {
		t.Fatalf("dial over the rate limit: error %v, want a closed connection", err)
	}
}

// TestSpliceIdleTimeout checks that a splice with no traffic ends.
func TestSpliceIdleTimeout(t *testing.T) {
	relay := startRelay(t, func(c *Config) { c.IdleTimeout = 300 * time.Millisecond })
	alice, bob := newTestCredentials(t, "alice"), newTestCredentials(t, "bob")
	reg := relay.register(t, bob)
	a, _ := relay.connect(t, alice, reg, bob)

	a.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := a.Read(make([]byte, 1))
	if err == nil || isTimeout(err) {
		t.Fatalf("read on idle splice: %v, want the relay to close it", err)
	}
}

func TestRegistrationDoneOnRelayClose(t *testing.T) {
	relay := startRelay(t, nil)
	reg := relay.register(t, newTestCredentials(t, "bob"))
	relay.Close()

	select {
	case <-reg.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("registration still alive 2 s after the relay closed")
	}
	if _, err := reg.Accept(); err == nil {
		t.Fatal("Accept after death returned no error")
	}
}

func TestPendingDialLimitPerTarget(t *testing.T) {
	relay := startRelay(t, func(c *Config) { c.MaxPendingPerTarget = 1 })
	_, _ = dialBackToken(t, relay)

	relay.mu.Lock()
	var target identity.ID
	for id := range relay.nodes {
		target = id
	}
	relay.mu.Unlock()

	second := rawHello(t, relay.addr, hello{kind: kindDial, body: target})
	if got := readStatusByte(t, second); got != statusUnavailable {
		t.Fatalf("dial over the per-target limit: status %d, want unavailable", got)
	}
}

// TestSpliceHalfClose checks that one node ending its direction leaves the
// other direction working.
func TestSpliceHalfClose(t *testing.T) {
	relay := startRelay(t, nil)
	alice, bob := newTestCredentials(t, "alice"), newTestCredentials(t, "bob")
	reg := relay.register(t, bob)
	a, b := relay.connect(t, alice, reg, bob)

	if _, err := a.Write([]byte("request")); err != nil {
		t.Fatal(err)
	}
	if err := a.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	b.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(b)
	if err != nil || string(got) != "request" {
		t.Fatalf("b read %q, %v, want the request then EOF", got, err)
	}

	if _, err := b.Write([]byte("response")); err != nil {
		t.Fatalf("writing after the peer half-closed: %v", err)
	}
	b.CloseWrite()
	a.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err = io.ReadAll(a)
	if err != nil || string(got) != "response" {
		t.Fatalf("a read %q, %v, want the response then EOF", got, err)
	}
}
