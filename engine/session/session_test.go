package session

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/yamux"
	"github.com/portalsapp/portals/engine/channel"
	"go.uber.org/goleak"
)

// responseBound is how long any rejection may take to reach the opener on
// loopback. It is far below OpenTimeout, so a pass means "rejected", not
// "timed out".
const responseBound = 2 * time.Second

func TestEchoAndPeer(t *testing.T) {
	p := newPair(t, nil, nil, echo)

	s, err := p.client.OpenStream(context.Background(), PortalHeader("db"))
	if err != nil {
		t.Fatalf("opening portal db: %v", err)
	}
	defer s.Close()

	if got, want := s.Peer().ID, p.client.Peer().ID; got != want {
		t.Errorf("stream peer = %s, want the client session's peer %s", got.Short(), want.Short())
	}
	if got, want := p.client.Peer().DisplayName, "bob"; got != want {
		t.Errorf("client sees peer %q, want %q", got, want)
	}
	if got, want := p.server.Peer().DisplayName, "alice"; got != want {
		t.Errorf("server sees peer %q, want %q", got, want)
	}

	for _, msg := range []string{"hello", "second message"} {
		if _, err := s.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(s, got); err != nil {
			t.Fatalf("reading echo of %q: %v", msg, err)
		}
		if string(got) != msg {
			t.Errorf("echo = %q, want %q", got, msg)
		}
	}
}

// TestHalfClose pins what yamux's Close does, as documented on Stream:
// after CloseWrite the writer can still read, the reader gets io.EOF and
// can still write, and a Write after CloseWrite fails.
func TestHalfClose(t *testing.T) {
	received := make(chan string, 1)
	p := newPair(t, nil, nil, func(context.Context, channel.Peer, Header) Response {
		return Response{Status: StatusOK, Serve: func(s *Stream) {
			defer s.Close()
			s.Write([]byte("greeting"))
			s.CloseWrite()
			if _, err := s.Write([]byte("x")); err == nil {
				t.Error("Write after CloseWrite succeeded on the server side")
			}
			data, err := io.ReadAll(s)
			if err != nil {
				t.Errorf("server reading after its CloseWrite: %v", err)
			}
			received <- string(data)
		}}
	})

	s, err := p.client.OpenStream(context.Background(), PortalHeader("db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	data, err := io.ReadAll(s)
	if err != nil || string(data) != "greeting" {
		t.Fatalf("client read %q, %v; want \"greeting\" then EOF", data, err)
	}
	if _, err := s.Write([]byte("reply after peer FIN")); err != nil {
		t.Fatalf("client Write after the peer's CloseWrite: %v", err)
	}
	if err := s.CloseWrite(); err != nil {
		t.Fatal(err)
	}

	select {
	case got := <-received:
		if got != "reply after peer FIN" {
			t.Errorf("server read %q after its CloseWrite", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("server never saw the client's FIN")
	}
}

// TestCloseWakesRead checks that Close unblocks a Read on the same stream.
func TestCloseWakesRead(t *testing.T) {
	p := newPair(t, nil, nil, echo)
	s, err := p.client.OpenStream(context.Background(), PortalHeader("db"))
	if err != nil {
		t.Fatal(err)
	}

	readErr := make(chan error, 1)
	go func() {
		_, err := s.Read(make([]byte, 1))
		readErr <- err
	}()
	time.Sleep(50 * time.Millisecond)
	s.Close()

	select {
	case err := <-readErr:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("blocked Read returned %v, want net.ErrClosed", err)
		}
	case <-time.After(responseBound):
		t.Fatal("Close did not wake a blocked Read")
	}
}

func TestLargeTransferByteIdentical(t *testing.T) {
	p := newPair(t, nil, nil, echo)
	s, err := p.client.OpenStream(context.Background(), PortalHeader("db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	const size = 16 << 20
	data := make([]byte, size)
	rand.Read(data)

	writeErr := make(chan error, 1)
	go func() {
		_, err := io.Copy(s, bytes.NewReader(data))
		if err == nil {
			err = s.CloseWrite()
		}
		writeErr <- err
	}()

	got, err := io.ReadAll(s)
	if err != nil {
		t.Fatalf("reading the echo: %v", err)
	}
	if err := <-writeErr; err != nil {
		t.Fatalf("writing %d bytes: %v", size, err)
	}
	if len(got) != size || sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("echo differs: got %d bytes, want %d identical bytes", len(got), size)
	}
}

func TestRejectionsAreTypedErrors(t *testing.T) {
	p := newPair(t, nil, nil, func(_ context.Context, _ channel.Peer, h Header) Response {
		switch {
		case h.Kind == KindRedeem:
			return Response{Status: StatusExpired}
		case h.Service == "db":
			return Response{Status: StatusDenied, Reason: "not invited"}
		}
		return Response{Status: StatusUnreachable, Reason: "dial tcp 127.0.0.1:5432: connection refused"}
	})

	cases := []struct {
		name   string
		header Header
		status Status
		reason string
	}{
		{"denied", PortalHeader("db"), StatusDenied, "not invited"},
		{"unreachable", PortalHeader("web"), StatusUnreachable, "dial tcp 127.0.0.1:5432: connection refused"},
		{"expired", RedeemHeader(Secret("s3cret-value")), StatusExpired, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := p.client.OpenStream(context.Background(), tc.header)
			assertStatus(t, err, tc.status, tc.reason)
			if elapsed := time.Since(start); elapsed > responseBound {
				t.Errorf("response took %v, want under %v", elapsed, responseBound)
			}
		})
	}
}

func TestUnknownKindGetsResponse(t *testing.T) {
	p := newPair(t, nil, nil, echo)
	raw, err := p.client.mux.OpenStream()
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()

	h := Header{Kind: 9}
	wire := []byte{HeaderVersion, 9, 0, 3, 'a', 'b', 'c'}
	ctx, cancel := context.WithTimeout(context.Background(), responseBound)
	defer cancel()
	assertStatus(t, p.client.ask(ctx, raw, h, wire), StatusUnknownKind, "")

	// The public API refuses to send an unknown kind at all.
	if _, err := p.client.OpenStream(ctx, h); err == nil {
		t.Error("OpenStream sent a header of unknown kind 9")
	}
}

func TestMalformedHeaders(t *testing.T) {
	p := newPair(t, &Config{HeaderTimeout: 500 * time.Millisecond}, nil, echo)

	cases := []struct {
		name   string
		wire   []byte
		status Status // zero: the stream is closed without a response
	}{
		{"bad version", []byte{7, 1, 0, 2, 'd', 'b'}, StatusMalformed},
		{"oversized length", []byte{HeaderVersion, byte(KindPortal), 0xff, 0xff}, StatusMalformed},
		{"oversized unknown kind", []byte{HeaderVersion, 200, 0xff, 0xff}, StatusMalformed},
		{"empty value", []byte{HeaderVersion, byte(KindPortal), 0, 0}, StatusMalformed},
		{"truncated then FIN", []byte{HeaderVersion, byte(KindPortal)}, 0},
		{"silence", nil, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, err := rawExchange(p.client, tc.wire, tc.status != 0 || tc.wire != nil)
			if tc.status == 0 {
				if !errors.Is(err, io.EOF) {
					t.Errorf("got status %s, err %v; want the stream closed without a response", status, err)
				}
				return
			}
			if err != nil || status != tc.status {
				t.Errorf("got status %s, err %v; want %s", status, err, tc.status)
			}
		})
	}

	// The session still serves well-formed streams.
	s, err := p.client.OpenStream(context.Background(), PortalHeader("db"))
	if err != nil {
		t.Fatalf("opening a stream after malformed ones: %v", err)
	}
	s.Close()
}

// rawExchange writes wire on a bare yamux stream, half-closes it if fin,
// and reads the response within 2 s.
func rawExchange(s *Session, wire []byte, fin bool) (Status, error) {
	raw, err := s.mux.OpenStream()
	if err != nil {
		return 0, err
	}
	defer raw.Close()

	raw.SetDeadline(time.Now().Add(responseBound))
	if _, err := raw.Write(wire); err != nil {
		return 0, err
	}
	if fin {
		raw.Close()
	}
	status, _, err := readResponse(raw)
	return status, err
}

func TestOpenTimeoutWhenHandlerHangs(t *testing.T) {
	release := make(chan struct{})
	p := newPair(t, nil, nil, func(ctx context.Context, _ channel.Peer, _ Header) Response {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return Response{Status: StatusDenied}
	})
	defer close(release)

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.client.OpenStream(ctx, PortalHeader("db"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("OpenStream with a hanging handler: %v, want context.DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed > responseBound {
		t.Errorf("OpenStream took %v with a 300ms deadline", elapsed)
	}
}

// TestDeadPeerDetected freezes the TCP path and expects both sides to end
// the session within 3 × KeepAliveInterval plus scheduling slack. The three
// parts are one pause, one ping write and one wait for the reply.
func TestDeadPeerDetected(t *testing.T) {
	const interval = 500 * time.Millisecond
	const bound = 3 * interval
	const slack = 1500 * time.Millisecond

	via := newProxy()
	p := newPair(t, &Config{KeepAliveInterval: interval}, via, echo)
	if _, err := p.client.RTT(); err != nil {
		t.Fatalf("ping before the freeze: %v", err)
	}

	via.Freeze()
	start := time.Now()
	for name, s := range map[string]*Session{"client": p.client, "server": p.server} {
		select {
		case <-s.Done():
			t.Logf("%s detected the dead peer after %v (bound %v)", name, time.Since(start).Round(time.Millisecond), bound)
		case <-time.After(bound + slack - time.Since(start)):
			t.Fatalf("%s session still alive %v after the freeze, bound %v", name, time.Since(start), bound)
		}
	}

	if _, err := p.client.OpenStream(context.Background(), PortalHeader("db")); err == nil {
		t.Error("OpenStream succeeded on a dead session")
	}
}

func TestManyConcurrentStreams(t *testing.T) {
	baseline := goleak.IgnoreCurrent()
	p := newPair(t, nil, nil, echo)

	const streams = 200
	const size = 64 << 10
	var wg sync.WaitGroup
	errs := make(chan error, streams)
	for i := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := echoOnce(p.client, size, byte(i)); err != nil {
				errs <- fmt.Errorf("stream %d: %w", i, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	waitNoStreams(t, p.client, p.server)
	p.close()
	goleak.VerifyNone(t, baseline)
}

// echoOnce sends size bytes of fill through an echo stream and checks them.
func echoOnce(s *Session, size int, fill byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := s.OpenStream(ctx, PortalHeader("db"))
	if err != nil {
		return err
	}
	defer st.Close()

	data := bytes.Repeat([]byte{fill}, size)
	go func() {
		st.Write(data)
		st.CloseWrite()
	}()
	got, err := io.ReadAll(st)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, data) {
		return fmt.Errorf("echo of %d bytes differs (got %d bytes)", size, len(got))
	}
	return nil
}

// waitNoStreams waits up to 5 s for yamux to free every stream on both
// sides, which happens once both have sent FIN.
func waitNoStreams(t *testing.T, sessions ...*Session) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, s := range sessions {
		for s.mux.NumStreams() != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%d streams still open on %s", s.mux.NumStreams(), s.Peer().ID.Short())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func TestRTTAndClose(t *testing.T) {
	p := newPair(t, nil, nil, echo)
	rtt, err := p.client.RTT()
	if err != nil || rtt <= 0 || rtt > responseBound {
		t.Fatalf("RTT = %v, %v; want a positive loopback round trip", rtt, err)
	}

	p.client.Close()
	select {
	case <-p.server.Done():
	case <-time.After(responseBound):
		t.Fatal("server session still alive after the client closed")
	}
	if _, err := p.client.RTT(); !errors.Is(err, yamux.ErrSessionShutdown) {
		t.Errorf("RTT after Close: %v, want yamux.ErrSessionShutdown", err)
	}
}

func assertStatus(t *testing.T, err error, status Status, reason string) {
	t.Helper()
	var se *StatusError
	if !errors.As(err, &se) {
		t.Fatalf("got %v, want a *StatusError with %s", err, status)
	}
	if se.Status != status || se.Reason != reason {
		t.Errorf("got %s %q, want %s %q", se.Status, se.Reason, status, reason)
	}
}

// TestSessionLossIsNotEOF checks that a stream whose session dies returns
// ErrSessionLost, never the io.EOF of a peer's clean end of stream.
func TestSessionLossIsNotEOF(t *testing.T) {
	p := newPair(t, nil, nil, echo)
	s, err := p.client.OpenStream(context.Background(), PortalHeader("db"))
	if err != nil {
		t.Fatal(err)
	}

	readErr := make(chan error, 1)
	go func() {
		_, err := io.ReadAll(s)
		readErr <- err
	}()
	time.Sleep(50 * time.Millisecond)
	p.server.Close()

	select {
	case err := <-readErr:
		if !errors.Is(err, ErrSessionLost) {
			t.Errorf("read after the session died returned %v, want ErrSessionLost", err)
		}
	case <-time.After(responseBound):
		t.Fatal("the session's end did not wake a blocked Read")
	}
}
