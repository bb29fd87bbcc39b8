package relay

import (
	"errors"
	"fmt"
	"io"
)

// Control message, sent in both directions inside the control channel after
// the Noise handshake:
//
//	type (1 byte) | body length (2 bytes, big-endian) | body
//
// The body length is checked against the type's limits before any body byte
// is read.
const (
	// controlHeaderSize is the size of type and body length.
	controlHeaderSize = 3

	// maxDialerAddrSize is the largest dialer address in a dial-back
	// request, in bytes. Longer addresses are cut, as they are only for
	// logs.
	maxDialerAddrSize = 64

	// maxControlBodySize is the largest body of any control message, in
	// bytes: a dial-back request with the longest address.
	maxControlBodySize = tokenSize + maxDialerAddrSize
)

// secretSize is the size of a relay's registration secret, in bytes.
const secretSize = 32

// msgType is the type byte of a control message.
type msgType byte

// Control message types.
const (
	// msgRegister, node to relay, requests registration of the node's identifier.
	// The body is the 32-byte registration secret, or empty for a node on
	// the relay's allowlist.
	msgRegister msgType = 1

	// msgRegistered, relay to node, confirms the registration. Empty body.
	msgRegistered msgType = 2

	// msgRejected, relay to node, is the one fixed reply to a registration
	// that is not authorized. Empty body. The relay closes the channel
	// after it.
	msgRejected msgType = 3

	// msgDialBack, relay to node, requests that the node open a dial-back
	// connection. The body is the 32-byte token, then the dialer's address
	// as text (0 to 64 bytes), for the node's logs only.
	msgDialBack msgType = 4

	// msgPing, either direction, keeps the channel alive. Empty body. Nobody
	// replies to it, because each side sends its own.
	msgPing msgType = 5
)

// ErrControlMessage is wrapped by every error that parsing a control
// message returns.
var ErrControlMessage = errors.New("relay: invalid control message")

// controlMessage is a parsed control message. The body lives in a fixed
// array, so reading a message never allocates.
type controlMessage struct {
	typ  msgType
	size int
	buf  [maxControlBodySize]byte
}

// body returns the message body.
func (m *controlMessage) body() []byte {
	return m.buf[:m.size]
}

// String returns the type's name for logs.
func (t msgType) String() string {
	switch t {
	case msgRegister:
		return "register"
	case msgRegistered:
		return "registered"
	case msgRejected:
		return "rejected"
	case msgDialBack:
		return "dial-back"
	case msgPing:
		return "ping"
	default:
		return fmt.Sprintf("unknown(%d)", byte(t))
	}
}

// checkBodySize reports whether size is a valid body size for t.
func (t msgType) checkBodySize(size int) error {
	ok := false
	switch t {
	case msgRegister:
		ok = size == 0 || size == secretSize
	case msgRegistered, msgRejected, msgPing:
		ok = size == 0
	case msgDialBack:
		ok = size >= tokenSize && size <= maxControlBodySize
	default:
		return fmt.Errorf("%w: %s type", ErrControlMessage, t)
	}
	if !ok {
		return fmt.Errorf("%w: %s body of %d bytes", ErrControlMessage, t, size)
	}
	return nil
}

// appendControl appends a control message of type t with body to b. The
// caller keeps body within the type's limits.
func appendControl(b []byte, t msgType, body []byte) []byte {
	if err := t.checkBodySize(len(body)); err != nil {
		panic("relay: internal error: encoding " + err.Error())
	}

	b = append(b, byte(t), byte(len(body)>>8), byte(len(body)))
	return append(b, body...)
}

// readControl reads one control message from r into m.
func readControl(r io.Reader, m *controlMessage) error {
	var header [controlHeaderSize]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		return fmt.Errorf("relay: reading control message header: %w", err)
	}

	m.typ, m.size = msgType(header[0]), int(header[1])<<8|int(header[2])
	if err := m.typ.checkBodySize(m.size); err != nil {
		return err
	}

	if _, err := io.ReadFull(r, m.body()); err != nil {
		return fmt.Errorf("relay: reading %d-byte %s body: %w", m.size, m.typ, err)
	}
	return nil
}

// dialBackBody returns the body of a dial-back request: the token, then the
// dialer's address cut to maxDialerAddrSize bytes.
func dialBackBody(tok token, dialerAddr string) []byte {
	if len(dialerAddr) > maxDialerAddrSize {
		dialerAddr = dialerAddr[:maxDialerAddrSize]
	}
	return append(tok[:], dialerAddr...)
}

// parseDialBack splits a dial-back body into the token and the dialer's
// address.
func parseDialBack(body []byte) (token, string) {
	var tok token
	copy(tok[:], body[:tokenSize])
	return tok, string(body[tokenSize:])
}
