// Package relay is the Portals relay and the node side of it. A relay
// splices a dialing node's outbound TCP connection to a registered node's
// outbound TCP connection, byte for byte. The two nodes run the end-to-end
// secure channel over the splice, so the relay only ever handles
// ciphertext.
//
// Every TCP connection to a relay starts with a plaintext hello frame that
// names its kind (hello.go). A control connection then runs a Noise XX
// handshake with purpose [channel.PurposeRelayControl] and carries control
// messages (control.go). A dial or dial-back connection receives one status
// byte and, on success, becomes one half of a splice (splice.go).
//
// The server is in server.go, the node side in client.go, and the relay
// link that sharers paste in link.go.
package relay

import (
	"errors"
	"fmt"
	"io"

	"github.com/portalsapp/portals/engine/identity"
)

// Hello frame, sent in plaintext by the node as the first bytes of every TCP
// connection to a relay:
//
//	magic "prly" (4 bytes) | version (1) | kind (1) | body length (1) | body
//
// The body length must equal the size that the kind requires, and it is
// checked before any body byte is read.
const (
	// helloMagic starts every hello frame, so a stray client (an HTTP
	// probe, a port scanner) is rejected on its first bytes.
	helloMagic = "prly"

	// helloVersion is the only hello version this build speaks.
	helloVersion = 1

	// helloHeaderSize is the size of magic, version, kind and body length.
	helloHeaderSize = len(helloMagic) + 3

	// maxHelloBodySize is the largest body of any kind, in bytes.
	maxHelloBodySize = 32

	// maxHelloSize is the largest whole hello frame, in bytes.
	maxHelloSize = helloHeaderSize + maxHelloBodySize
)

// helloKind is the kind byte of a hello frame.
type helloKind byte

// Hello kinds.
const (
	// kindControl opens a node's control channel. The body is empty.
	kindControl helloKind = 1

	// kindDial requests a connection to a registered node. The body is
	// the target's 32-byte identifier.
	kindDial helloKind = 2

	// kindDialBack is the target's connection for a dial-back request. The body is the 32-byte
	// one-time token from that request.
	kindDialBack helloKind = 3
)

// tokenSize is the size of a dial-back token, in bytes.
const tokenSize = 32

// token is a one-time dial-back token: 256 random bits.
type token [tokenSize]byte

// Status byte, sent by the relay to a dial or dial-back connection once the
// outcome is decided. Only statusOK is followed by spliced bytes. After any
// other status the relay closes the connection.
const (
	// statusOK means the splice is ready: every later byte comes from the
	// other node.
	statusOK byte = 0

	// statusNotRegistered means no node is registered under the target
	// identifier. The dialer learns this at once.
	statusNotRegistered byte = 1

	// statusUnavailable means the target is registered but did not dial
	// back in time, or the relay has too many dials pending.
	statusUnavailable byte = 2

	// statusRejected is the one fixed reply to a malformed hello or an
	// unknown or expired token. It tells the peer nothing more.
	statusRejected byte = 3
)

// ErrHello is wrapped by every error that parsing a hello frame returns.
var ErrHello = errors.New("relay: invalid hello frame")

// hello is a parsed hello frame. body holds the identifier or the token,
// and it is all zeros for kindControl.
type hello struct {
	kind helloKind
	body [maxHelloBodySize]byte
}

// bodySize returns the body size that kind requires, or -1 for an unknown
// kind.
func (k helloKind) bodySize() int {
	switch k {
	case kindControl:
		return 0
	case kindDial:
		return len(identity.ID{})
	case kindDialBack:
		return tokenSize
	default:
		return -1
	}
}

// String returns the kind's name for logs.
func (k helloKind) String() string {
	switch k {
	case kindControl:
		return "control"
	case kindDial:
		return "dial"
	case kindDialBack:
		return "dial-back"
	default:
		return fmt.Sprintf("unknown(%d)", byte(k))
	}
}

// appendHello appends the encoding of h to b.
func appendHello(b []byte, h hello) []byte {
	size := h.kind.bodySize()
	if size < 0 {
		panic("relay: internal error: encoding a hello of unknown kind")
	}

	b = append(b, helloMagic...)
	b = append(b, helloVersion, byte(h.kind), byte(size))
	return append(b, h.body[:size]...)
}

// readHello reads one hello frame from r. It reads the fixed header, checks
// magic, version, kind and body length, and only then reads the body, into
// a fixed array. It never allocates in proportion to the input.
func readHello(r io.Reader) (hello, error) {
	var header [helloHeaderSize]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		return hello{}, fmt.Errorf("%w: reading header: %w", ErrHello, err)
	}

	h, size, err := parseHelloHeader(header)
	if err != nil {
		return hello{}, err
	}

	if _, err := io.ReadFull(r, h.body[:size]); err != nil {
		return hello{}, fmt.Errorf("%w: reading %d-byte %s body: %w", ErrHello, size, h.kind, err)
	}
	return h, nil
}

// parseHelloHeader checks a hello header and returns the kind and the body
// size to read.
func parseHelloHeader(header [helloHeaderSize]byte) (hello, int, error) {
	if string(header[:len(helloMagic)]) != helloMagic {
		return hello{}, 0, fmt.Errorf("%w: magic is %q, not %q", ErrHello, header[:len(helloMagic)], helloMagic)
	}

	version, kind, size := header[4], helloKind(header[5]), int(header[6])
	if version != helloVersion {
		return hello{}, 0, fmt.Errorf("%w: version %d, this build speaks %d: update the older side", ErrHello, version, helloVersion)
	}
	want := kind.bodySize()
	if want < 0 {
		return hello{}, 0, fmt.Errorf("%w: %s kind", ErrHello, kind)
	}
	if size != want {
		return hello{}, 0, fmt.Errorf("%w: %s body is %d bytes, want %d", ErrHello, kind, size, want)
	}
	return hello{kind: kind}, size, nil
}
