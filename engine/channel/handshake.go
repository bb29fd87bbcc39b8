package channel

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/flynn/noise"

	"github.com/portalsapp/portals/engine/identity"
)

// maxHandshakeMessageSize bounds one handshake message, in bytes. Message 2
// is the largest: e (32), encrypted s (48), and an encrypted payload.
const maxHandshakeMessageSize = 32 + 48 + maxPayloadSize + tagSize

// msg1Size is the exact size of message 1: an ephemeral key and no payload.
const msg1Size = 32

// Handshake errors.
var (
	// ErrPeerMismatch means the responder proved an identity other than
	// the one the initiator expected.
	ErrPeerMismatch = errors.New("channel: peer is not the expected node")

	// ErrHandshakeMessage means a handshake message had an invalid size.
	ErrHandshakeMessage = errors.New("channel: invalid handshake message")
)

// Client runs the initiator side of the handshake over conn and returns the
// secure channel. expected is the identifier the responder must prove. On
// any error Client closes conn. The handshake ends at the earlier of ctx's
// deadline and cfg's handshake timeout; cancelling ctx aborts it.
func Client(ctx context.Context, conn net.Conn, cfg *Config, expected identity.ID) (*Conn, error) {
	if expected.IsZero() {
		conn.Close()
		return nil, errors.New("channel: internal error: client handshake without an expected peer")
	}
	h, err := newHandshake(cfg, conn, true)
	if err != nil {
		return nil, err
	}
	h.expected = expected
	return h.run(ctx, h.clientSteps)
}

// Server runs the responder side of the handshake over conn and returns the
// secure channel. The caller authorizes the peer through cfg.VerifyPeer or
// by inspecting [Conn.Peer]. On any error Server closes conn.
func Server(ctx context.Context, conn net.Conn, cfg *Config) (*Conn, error) {
	h, err := newHandshake(cfg, conn, false)
	if err != nil {
		return nil, err
	}
	return h.run(ctx, h.serverSteps)
}

// handshake holds one side of a handshake in progress. It is used by one
// goroutine and discarded after run.
type handshake struct {
	cfg       *Config
	conn      net.Conn
	initiator bool
	state     *noise.HandshakeState
	local     payload
	expected  identity.ID // initiator only

	peer    Peer
	send    *noise.CipherState
	receive *noise.CipherState
}

func newHandshake(cfg *Config, conn net.Conn, initiator bool) (*handshake, error) {
	if cfg.Credentials == nil || cfg.Purpose == "" {
		conn.Close()
		return nil, errors.New("channel: internal error: Config needs Credentials and Purpose")
	}

	static, attestation, err := cfg.Credentials.current(time.Now())
	if err != nil {
		conn.Close()
		return nil, err
	}
	state, err := noise.NewHandshakeState(noise.Config{
		CipherSuite:   cipherSuite,
		Pattern:       noise.HandshakeXX,
		Initiator:     initiator,
		Prologue:      cfg.prologue(),
		StaticKeypair: static,
	})
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("channel: starting handshake: %w", err)
	}

	local := payload{attestation: attestation, displayName: cfg.Credentials.DisplayName()}
	return &handshake{cfg: cfg, conn: conn, initiator: initiator, state: state, local: local}, nil
}

// run drives steps under the handshake deadline and builds the Conn.
func (h *handshake) run(ctx context.Context, steps func() error) (*Conn, error) {
	if err := h.conn.SetDeadline(h.cfg.handshakeDeadline(ctx)); err != nil {
		h.conn.Close()
		return nil, fmt.Errorf("channel: setting handshake deadline: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { h.conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if err := steps(); err != nil {
		h.conn.Close()
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", err, ctx.Err())
		}
		return nil, fmt.Errorf("channel: handshake with %v: %w", h.conn.RemoteAddr(), err)
	}

	if !stop() {
		h.conn.Close()
		return nil, fmt.Errorf("channel: handshake with %v: %w", h.conn.RemoteAddr(), ctx.Err())
	}
	if err := h.conn.SetDeadline(time.Time{}); err != nil {
		h.conn.Close()
		return nil, fmt.Errorf("channel: clearing handshake deadline: %w", err)
	}
	return newConn(h.conn, h.cfg, h.peer, h.state.ChannelBinding(), h.send, h.receive), nil
}

func (h *handshake) clientSteps() error {
	// -> e
	if err := h.writeMessage(nil); err != nil {
		return fmt.Errorf("writing message 1: %w", err)
	}

	// <- e, ee, s, es
	if err := h.readMessage(); err != nil {
		return fmt.Errorf("reading message 2: %w", err)
	}
	if h.peer.ID != h.expected {
		return fmt.Errorf("%w: expected %v, it proved %v", ErrPeerMismatch, h.expected, h.peer.ID)
	}

	// -> s, se
	if err := h.writeMessage(h.local.marshal()); err != nil {
		return fmt.Errorf("writing message 3: %w", err)
	}
	return nil
}

func (h *handshake) serverSteps() error {
	// -> e
	msg, err := readHandshakeMessage(h.conn)
	if err != nil {
		return fmt.Errorf("reading message 1: %w", err)
	}
	if len(msg) != msg1Size {
		return fmt.Errorf("reading message 1: %w: %d bytes, want %d", ErrHandshakeMessage, len(msg), msg1Size)
	}
	if _, _, _, err := h.state.ReadMessage(nil, msg); err != nil {
		return fmt.Errorf("reading message 1: %w", err)
	}

	// <- e, ee, s, es
	if err := h.writeMessage(h.local.marshal()); err != nil {
		return fmt.Errorf("writing message 2: %w", err)
	}

	// -> s, se
	if err := h.readMessage(); err != nil {
		return fmt.Errorf("reading message 3: %w", err)
	}
	return nil
}

// writeMessage writes the next handshake message with payload. The last
// message also yields the transport ciphers.
func (h *handshake) writeMessage(payload []byte) error {
	msg, cs1, cs2, err := h.state.WriteMessage(make([]byte, lengthSize, lengthSize+maxHandshakeMessageSize), payload)
	if err != nil {
		return err
	}
	binary.BigEndian.PutUint16(msg, uint16(len(msg)-lengthSize))
	if _, err := h.conn.Write(msg); err != nil {
		return err
	}

	if cs1 != nil {
		h.setCiphers(cs1, cs2)
	}
	return nil
}

// readMessage reads the next handshake message, which must carry the
// peer's identity payload, and authenticates the peer.
func (h *handshake) readMessage() error {
	msg, err := readHandshakeMessage(h.conn)
	if err != nil {
		return err
	}
	plain, cs1, cs2, err := h.state.ReadMessage(nil, msg)
	if err != nil {
		return err
	}
	if err := h.authenticate(plain); err != nil {
		return err
	}

	if cs1 != nil {
		h.setCiphers(cs1, cs2)
	}
	return nil
}

// authenticate checks the peer's identity payload and binds it to the Noise
// remote static key that the handshake has just proven.
func (h *handshake) authenticate(plain []byte) error {
	p, err := parsePayload(plain)
	if err != nil {
		return err
	}
	attestation, err := identity.ParseAttestation(p.attestation)
	if err != nil {
		return err
	}
	if err := attestation.Check(h.state.PeerStatic(), h.cfg.now()); err != nil {
		return err
	}

	h.peer = Peer{ID: attestation.ID(), PublicKey: attestation.Signer, DisplayName: p.displayName}
	if h.cfg.VerifyPeer != nil {
		if err := h.cfg.VerifyPeer(h.peer); err != nil {
			return fmt.Errorf("peer %v rejected: %w", h.peer.ID.Short(), err)
		}
	}
	return nil
}

// setCiphers orders the two CipherStates that Split returns: the first
// encrypts initiator-to-responder traffic.
func (h *handshake) setCiphers(initiatorToResponder, responderToInitiator *noise.CipherState) {
	if h.initiator {
		h.send, h.receive = initiatorToResponder, responderToInitiator
		return
	}
	h.send, h.receive = responderToInitiator, initiatorToResponder
}

// readHandshakeMessage reads one length-prefixed handshake message. The
// length is checked before anything is allocated.
func readHandshakeMessage(r io.Reader) ([]byte, error) {
	var header [lengthSize]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		return nil, err
	}

	size := int(binary.BigEndian.Uint16(header[:]))
	if size > maxHandshakeMessageSize {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrHandshakeMessage, size, maxHandshakeMessageSize)
	}

	msg := make([]byte, size)
	if _, err := io.ReadFull(r, msg); err != nil {
		return nil, err
	}
	return msg, nil
}
