package channel

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/flynn/noise"

	"github.com/portalsapp/portals/engine/identity"
)

// replaceAttestation swaps the attestation a Credentials sends, keeping its
// static key, so a test can present a forged or mismatched attestation.
func replaceAttestation(c *Credentials, attestation []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.attestation = attestation
}

func staticPublic(c *Credentials) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.static.Public
}

func randomKey(t *testing.T) []byte {
	t.Helper()
	k, err := cipherSuite.GenerateKeypair(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k.Public
}

// TestHandshakeFailsClosed runs handshakes that must not complete and
// checks which side detects what, and that no marker crosses.
func TestHandshakeFailsClosed(t *testing.T) {
	type setup func(t *testing.T, client, server *Config) (expected identity.ID)
	cases := []struct {
		name string
		// setup changes the configs and returns the identifier the client
		// pins, or the zero ID for the server's real one.
		setup setup
		// clientErr and serverErr are the errors each side must report; a
		// nil entry means that side's handshake may complete, but then its
		// first read must fail with nothing released.
		clientErr, serverErr error
	}{
		{
			name: "responder is not the pinned identity",
			setup: func(t *testing.T, client, server *Config) identity.ID {
				return newTestCredentials(t, "mallory").Identity().ID()
			},
			clientErr: ErrPeerMismatch,
			serverErr: errAny,
		},
		{
			name: "responder attests another key",
			setup: func(t *testing.T, client, server *Config) identity.ID {
				forged, err := server.Credentials.Identity().Attest(randomKey(t), time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				replaceAttestation(server.Credentials, forged)
				return identity.ID{}
			},
			clientErr: identity.ErrKeyMismatch,
			serverErr: errAny,
		},
		{
			name: "initiator attests another key",
			setup: func(t *testing.T, client, server *Config) identity.ID {
				forged, err := client.Credentials.Identity().Attest(randomKey(t), time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				replaceAttestation(client.Credentials, forged)
				return identity.ID{}
			},
			serverErr: identity.ErrKeyMismatch,
		},
		{
			name: "responder attestation expired",
			setup: func(t *testing.T, client, server *Config) identity.ID {
				client.Now = func() time.Time { return time.Now().Add(DefaultKeyLifetime + time.Minute) }
				return identity.ID{}
			},
			clientErr: identity.ErrExpired,
			serverErr: errAny,
		},
		{
			name: "initiator attestation expired",
			setup: func(t *testing.T, client, server *Config) identity.ID {
				server.Now = func() time.Time { return time.Now().Add(DefaultKeyLifetime + time.Minute) }
				return identity.ID{}
			},
			serverErr: identity.ErrExpired,
		},
		{
			name: "initiator attestation not yet valid",
			setup: func(t *testing.T, client, server *Config) identity.ID {
				server.Now = func() time.Time { return time.Now().Add(-2 * clockSkewAllowance) }
				return identity.ID{}
			},
			serverErr: identity.ErrNotYetValid,
		},
		{
			name: "invitation signature presented as attestation",
			setup: func(t *testing.T, client, server *Config) identity.ID {
				replaceAttestation(server.Credentials, retypedSignature(t, server.Credentials))
				return identity.ID{}
			},
			clientErr: identity.ErrInvalidSignature,
			serverErr: errAny,
		},
		{
			name: "invitation structure in place of attestation",
			setup: func(t *testing.T, client, server *Config) identity.ID {
				body := attestationBody(t, server.Credentials)
				invitation, err := server.Credentials.Identity().Sign(identity.TypeInvitation, body)
				if err != nil {
					t.Fatal(err)
				}
				replaceAttestation(server.Credentials, invitation)
				return identity.ID{}
			},
			clientErr: identity.ErrWrongType,
			serverErr: errAny,
		},
		{
			name: "purpose mismatch",
			setup: func(t *testing.T, client, server *Config) identity.ID {
				server.Purpose = PurposeRelayControl
				return identity.ID{}
			},
			clientErr: errAny,
			serverErr: errAny,
		},
		{
			name: "protocol version mismatch",
			setup: func(t *testing.T, client, server *Config) identity.ID {
				client.protocolVersion = ProtocolVersion + 1
				return identity.ID{}
			},
			clientErr: errAny,
			serverErr: errAny,
		},
		{
			name: "responder rejects initiator",
			setup: func(t *testing.T, client, server *Config) identity.ID {
				server.VerifyPeer = func(p Peer) error { return errors.New("not on the access list") }
				return identity.ID{}
			},
			serverErr: errAny,
		},
		{
			name: "initiator rejects responder",
			setup: func(t *testing.T, client, server *Config) identity.ID {
				client.VerifyPeer = func(p Peer) error { return errors.New("relay not trusted") }
				return identity.ID{}
			},
			clientErr: errAny,
			serverErr: errAny,
		},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client, server := testConfigs(t)
			expected := tc.setup(t, client, server)
			clientRaw, serverRaw := tcpPair(t)
			c, s := exchange(t, clientRaw, serverRaw, client, server, expected)

			checkSide(t, "client", c, tc.clientErr)
			checkSide(t, "server", s, tc.serverErr)
		})
	}
}

// errAny marks a side whose handshake must fail with any error.
var errAny = errors.New("any error")

func checkSide(t *testing.T, side string, r exchangeResult, want error) {
	t.Helper()
	switch {
	case want == nil:
		checkNothingReleased(t, side, r)
	case r.handshakeErr == nil:
		t.Errorf("%s completed its handshake, want error %v", side, want)
	case want != errAny && !errors.Is(r.handshakeErr, want):
		t.Errorf("%s handshake error %v, want %v", side, r.handshakeErr, want)
	}
}

// attestationBody returns the body of c's current attestation.
func attestationBody(t *testing.T, c *Credentials) []byte {
	t.Helper()
	c.mu.Lock()
	encoded := c.attestation
	c.mu.Unlock()
	_, body, err := identity.Open(encoded, identity.TypeChannelKey)
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), body...)
}

// retypedSignature signs a valid attestation body as an invitation and then
// relabels the structure as an attestation: the signature must not carry
// over from one type to the other.
func retypedSignature(t *testing.T, c *Credentials) []byte {
	t.Helper()
	signed, err := c.Identity().Sign(identity.TypeInvitation, attestationBody(t, c))
	if err != nil {
		t.Fatal(err)
	}
	signed[1] = byte(identity.TypeChannelKey)
	return signed
}

// lowOrderPoints are X25519 public keys of small order; any shared secret
// computed with them is fixed, so the handshake must reject them.
var lowOrderPoints = [][]byte{
	make([]byte, 32),
	append([]byte{1}, make([]byte, 31)...),
	{0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00},
}

// TestLowOrderEphemeralKey sends message 1 with a low-order ephemeral key.
func TestLowOrderEphemeralKey(t *testing.T) {
	for _, point := range lowOrderPoints {
		_, server := testConfigs(t)
		clientRaw, serverRaw := tcpPair(t)
		defer clientRaw.Close()

		msg := append([]byte{0, 32}, point...)
		clientRaw.Write(msg)

		start := time.Now()
		_, err := Server(context.Background(), serverRaw, server)
		if err == nil || !strings.Contains(err.Error(), "low order") {
			t.Errorf("ephemeral %x: server error %v, want a low-order point error", point[:4], err)
		}
		if time.Since(start) > time.Second {
			t.Errorf("ephemeral %x: rejection took %v, want immediate", point[:4], time.Since(start))
		}
	}
}

// TestLowOrderStaticKey runs a hand-built initiator whose static key is a
// low-order point, attested by a real identity, in message 3.
func TestLowOrderStaticKey(t *testing.T) {
	for _, point := range lowOrderPoints {
		_, server := testConfigs(t)
		clientRaw, serverRaw := tcpPair(t)

		serverDone := make(chan error, 1)
		go func() {
			_, err := Server(context.Background(), serverRaw, server)
			serverDone <- err
		}()

		evil := newTestCredentials(t, "evil")
		attestation, err := evil.Identity().Attest(point, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		hs, err := noise.NewHandshakeState(noise.Config{
			CipherSuite:   cipherSuite,
			Pattern:       noise.HandshakeXX,
			Initiator:     true,
			Prologue:      server.prologue(),
			StaticKeypair: noise.DHKey{Private: make([]byte, 32), Public: point},
		})
		if err != nil {
			t.Fatal(err)
		}

		msg1, _, _, _ := hs.WriteMessage(nil, nil)
		clientRaw.Write(append([]byte{0, byte(len(msg1))}, msg1...))
		msg2, err := readHandshakeMessage(clientRaw)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := hs.ReadMessage(nil, msg2); err != nil {
			t.Fatal(err)
		}
		msg3, _, _, err := hs.WriteMessage(nil, payload{attestation: attestation, displayName: "evil"}.marshal())
		if err != nil {
			t.Fatal(err)
		}
		clientRaw.Write(append([]byte{byte(len(msg3) >> 8), byte(len(msg3))}, msg3...))

		if err := <-serverDone; err == nil {
			t.Errorf("static %x: server completed the handshake", point[:4])
		}
		clientRaw.Close()
	}
}

// TestHandshakeDeadline starts handshakes that never finish and checks
// that each side gives up at its deadline and closes the connection.
func TestHandshakeDeadline(t *testing.T) {
	for _, role := range []string{"server", "client"} {
		t.Run(role, func(t *testing.T) {
			client, server := testConfigs(t)
			client.HandshakeTimeout = 300 * time.Millisecond
			server.HandshakeTimeout = 300 * time.Millisecond
			silentPeer, raw := tcpPair(t)
			defer silentPeer.Close()

			start := time.Now()
			var err error
			if role == "server" {
				_, err = Server(context.Background(), raw, server)
			} else {
				_, err = Client(context.Background(), raw, client, server.Credentials.Identity().ID())
			}
			elapsed := time.Since(start)

			var netErr net.Error
			if !errors.As(err, &netErr) || !netErr.Timeout() {
				t.Errorf("error %v, want a timeout", err)
			}
			if elapsed < 250*time.Millisecond || elapsed > 2*time.Second {
				t.Errorf("gave up after %v, want about 300ms", elapsed)
			}
			checkClosedByPeer(t, silentPeer)
		})
	}
}

// TestHandshakeCancel cancels the context of a handshake in progress.
func TestHandshakeCancel(t *testing.T) {
	_, server := testConfigs(t)
	silentPeer, raw := tcpPair(t)
	defer silentPeer.Close()

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := Server(ctx, raw, server)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("cancel took %v to end the handshake", elapsed)
	}
	checkClosedByPeer(t, silentPeer)
}

// checkClosedByPeer fails unless the other end of conn has been closed.
func checkClosedByPeer(t *testing.T, conn net.Conn) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 1024)
	for {
		_, err := conn.Read(buf)
		if err == nil {
			continue
		}
		var netErr net.Error
		if errors.As(err, &netErr) && netErr.Timeout() {
			t.Error("the connection was left open after the handshake failed")
		}
		return
	}
}

// TestHandshakesDiffer checks that two handshakes between the same
// long-term keys produce different wire bytes and handshake hashes.
func TestHandshakesDiffer(t *testing.T) {
	client, server := testConfigs(t)
	staticBefore := staticPublic(client.Credentials)
	var wires [2][]byte
	var hashes [2][]byte
	for i := range 2 {
		clientRaw, serverRaw := tcpPair(t)
		rec := &recordConn{Conn: clientRaw}
		c, s := handshakePair(t, rec, serverRaw, client, server, identity.ID{})
		if c.err != nil || s.err != nil {
			t.Fatalf("handshake %d failed: %v, %v", i, c.err, s.err)
		}
		wires[i], hashes[i] = rec.bytes(), c.conn.HandshakeHash()
		c.conn.Close()
		s.conn.Close()
	}

	if !bytes.Equal(staticBefore, staticPublic(client.Credentials)) {
		t.Fatal("the client's static key changed between handshakes, so the test proves nothing")
	}
	if bytes.Equal(wires[0], wires[1]) {
		t.Error("two handshakes sent identical bytes")
	}
	if bytes.Equal(wires[0][:lengthSize+msg1Size], wires[1][:lengthSize+msg1Size]) {
		t.Error("two handshakes used the same ephemeral key")
	}
	if bytes.Equal(hashes[0], hashes[1]) {
		t.Error("two handshakes produced the same handshake hash")
	}
}
