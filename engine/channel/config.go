// Package channel is the end-to-end secure channel between two Portals
// nodes, and between a node and a relay: Noise_XX_25519_AESGCM_SHA256 with
// each side's identity carried in the handshake and bound to its Noise
// static key, then a framed, encrypted byte stream exposed as a net.Conn.
//
// The handshake, in Noise notation, with the payload each message carries:
//
//	-> e                    (empty)
//	<- e, ee, s, es         responder's identity payload
//	-> s, se                initiator's identity payload
//
// An identity payload holds the node's attestation of its static key and
// its display name (see payload.go). The initiator always names the
// identifier it expects and aborts if the responder proves another.
package channel

import (
	"context"
	"crypto/ed25519"
	"strconv"
	"time"

	"github.com/portalsapp/portals/engine/identity"
)

// Purpose names what a channel is for. It is part of the Noise prologue,
// so a handshake started for one purpose never completes as another.
type Purpose string

// Channel purposes.
const (
	// PurposeSession is a node-to-node session that carries portals.
	PurposeSession Purpose = "node-session"

	// PurposeRelayControl is a node's control channel to a relay.
	PurposeRelayControl Purpose = "relay-control"
)

// ProtocolVersion is the channel protocol version named in the prologue.
// Two builds with different versions never complete a handshake.
const ProtocolVersion = 1

// Default timing.
const (
	// DefaultHandshakeTimeout bounds a whole handshake when
	// Config.HandshakeTimeout is zero.
	DefaultHandshakeTimeout = 10 * time.Second

	// closeNotifyTimeout bounds the write of the close frame in Close, so
	// closing never blocks on a peer that stopped reading.
	closeNotifyTimeout = time.Second
)

// Config configures one side of a channel. A Config may be shared by many
// channels and must not be modified after first use.
type Config struct {
	// Purpose is mixed into the prologue. Required.
	Purpose Purpose

	// Credentials are this node's identity and attested static key.
	// Required.
	Credentials *Credentials

	// HandshakeTimeout bounds the handshake from the first byte sent to
	// the last byte received. Zero means DefaultHandshakeTimeout.
	HandshakeTimeout time.Duration

	// VerifyPeer, when set, is called with the authenticated peer before
	// the handshake completes; a non-nil error aborts the handshake. The
	// responder uses it to reject unknown initiators early.
	VerifyPeer func(Peer) error

	// Now returns the current time for checking the peer's attestation.
	// Nil means time.Now. Renewing our own attestation always uses
	// time.Now.
	Now func() time.Time

	// Test hooks; zero in production.
	protocolVersion int    // overrides ProtocolVersion when non-zero
	rekeyInterval   uint64 // overrides RekeyInterval when non-zero
}

// Peer is the authenticated other end of a channel.
type Peer struct {
	// ID is derived from PublicKey and is what authorization uses.
	ID identity.ID

	// PublicKey is the peer's Ed25519 identity key.
	PublicKey ed25519.PublicKey

	// DisplayName is a label chosen by the peer, for the UI only. It is
	// never an authorization input.
	DisplayName string
}

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Config) handshakeDeadline(ctx context.Context) time.Time {
	timeout := c.HandshakeTimeout
	if timeout <= 0 {
		timeout = DefaultHandshakeTimeout
	}

	deadline := time.Now().Add(timeout)
	if ctxDeadline, ok := ctx.Deadline(); ok && ctxDeadline.Before(deadline) {
		deadline = ctxDeadline
	}
	return deadline
}

func (c *Config) prologue() []byte {
	version := ProtocolVersion
	if c.protocolVersion != 0 {
		version = c.protocolVersion
	}
	return []byte("portals/" + strconv.Itoa(version) + "\x00" + string(c.Purpose))
}

func (c *Config) rekeyEvery() uint64 {
	if c.rekeyInterval != 0 {
		return c.rekeyInterval
	}
	return RekeyInterval
}
