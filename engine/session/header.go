package session

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
)

// Stream header and response wire layout.
//
// The opener of a stream writes one header, then waits for one response:
//
//	header: version (1 byte) | kind (1 byte) | value length (2 bytes, big-endian) | value
//	response: status (1 byte) | reason length (2 bytes, big-endian) | reason (UTF-8)
//
// The value is the service name for KindPortal, the invitation secret for
// KindRedeem and the 4-byte big-endian stream ID for KindReset. Every length is checked against its limit before anything is
// allocated for it.

// HeaderVersion is the header layout version, the first byte of every
// stream. An acceptor rejects any other version with StatusMalformed.
const HeaderVersion byte = 1

// Kind is the purpose of a stream. It is the second byte of a header.
type Kind byte

// Stream kinds.
const (
	// KindPortal (1) carries one portal connection to the service named
	// in the header value.
	KindPortal Kind = 1

	// KindRedeem (2) redeems an invitation; the header value is the
	// invitation secret.
	KindRedeem Kind = 2

	// KindReset (3) asks the acceptor to abort the stream with the ID in
	// the header value, as a TCP reset would: yamux v0.1.2 can send a
	// stream FIN but no reset, and a portal must never turn a reset into
	// a clean end of stream. The acceptor responds after the abort, so
	// the opener may close the stream once the response arrives.
	KindReset Kind = 3
)

// Status is the acceptor's response to a header. It is the first byte of an
// response.
type Status byte

// Response statuses. Zero is not a status, so a zeroed response never reads as
// success.
const (
	// StatusOK (1): the stream is accepted; stream data follows.
	StatusOK Status = 1

	// StatusDenied (2): the peer is not allowed to do this.
	StatusDenied Status = 2

	// StatusUnknownService (3): no service has the requested name.
	StatusUnknownService Status = 3

	// StatusUnreachable (4): the service exists but dialing it failed;
	// the reason gives the dial error.
	StatusUnreachable Status = 4

	// StatusExpired (5): the invitation has expired.
	StatusExpired Status = 5

	// StatusUsed (6): the invitation has no uses left.
	StatusUsed Status = 6

	// StatusUnknownKind (7): the acceptor does not handle this kind.
	StatusUnknownKind Status = 7

	// StatusMalformed (8): the header broke the layout (wrong version,
	// a length over its limit, a truncated field).
	StatusMalformed Status = 8
)

// Limits, in bytes.
const (
	// MaxServiceNameSize limits a KindPortal header value.
	MaxServiceNameSize = 64

	// MaxSecretSize limits a KindRedeem header value.
	MaxSecretSize = 64

	// streamIDSize is the size of a KindReset header value.
	streamIDSize = 4

	// maxValueSize limits any header value, including one of an unknown
	// kind, which is read only to be discarded.
	maxValueSize = 256

	// MaxReasonSize limits a response reason. Longer reasons are cut when
	// written.
	MaxReasonSize = 256

	headerFixedSize   = 4 // version, kind, value length
	responseFixedSize = 3 // status, reason length
)

// Errors from reading headers and responses. They are wrapped with the value
// that failed.
var (
	// ErrSessionLost is returned by Stream.Read when the session ended
	// before the peer closed the stream, so the data may be incomplete.
	ErrSessionLost = errors.New("session: the session ended before the stream did; the data may be incomplete")

	// ErrMalformed reports a header or response that breaks the wire layout.
	ErrMalformed = errors.New("session: malformed stream header")

	// errUnknownKind reports a well-formed header of a kind this build
	// does not define. The acceptor rejects it with StatusUnknownKind.
	errUnknownKind = errors.New("session: unknown stream kind")
)

var kindNames = map[Kind]string{
	KindPortal: "portal",
	KindRedeem: "redeem",
	KindReset:  "reset",
}

var statusNames = map[Status]string{
	StatusOK:             "ok",
	StatusDenied:         "denied",
	StatusUnknownService: "unknown-service",
	StatusUnreachable:    "unreachable",
	StatusExpired:        "expired",
	StatusUsed:           "used",
	StatusUnknownKind:    "unknown-kind",
	StatusMalformed:      "malformed",
}

// String returns the kind's wire name, or "kind(N)" for an unknown value.
func (k Kind) String() string {
	if name, ok := kindNames[k]; ok {
		return name
	}
	return fmt.Sprintf("kind(%d)", byte(k))
}

// String returns the status's wire name, or "status(N)" for an unknown
// value.
func (s Status) String() string {
	if name, ok := statusNames[s]; ok {
		return name
	}
	return fmt.Sprintf("status(%d)", byte(s))
}

// Secret is an invitation secret. It formats as "[redacted]" with every fmt
// verb and in slog, which TestSecretNeverPrints checks. A conversion to
// string or a write of its bytes still exposes it.
type Secret []byte

// String returns "[redacted]".
func (Secret) String() string { return "[redacted]" }

// Format writes "[redacted]" for every verb, including %x and %#v.
func (Secret) Format(f fmt.State, _ rune) { io.WriteString(f, "[redacted]") }

// LogValue returns "[redacted]".
func (Secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// Header is the first message on a stream. Service is set for KindPortal
// and Secret for KindRedeem; the other field stays empty.
type Header struct {
	Kind     Kind
	Service  string
	Secret   Secret
	StreamID uint32 // KindReset only
}

// PortalHeader returns the header of a portal stream to service.
func PortalHeader(service string) Header {
	return Header{Kind: KindPortal, Service: service}
}

// RedeemHeader returns the header of a stream that redeems secret.
func RedeemHeader(secret Secret) Header {
	return Header{Kind: KindRedeem, Secret: secret}
}

// ResetHeader returns the header that asks the peer to abort stream id.
func ResetHeader(id uint32) Header {
	return Header{Kind: KindReset, StreamID: id}
}

// LogValue shows the kind and the service, never the secret.
func (h Header) LogValue() slog.Value {
	if h.Kind == KindPortal {
		return slog.GroupValue(slog.String("kind", h.Kind.String()), slog.String("service", h.Service))
	}
	return slog.GroupValue(slog.String("kind", h.Kind.String()))
}

// String is the short form used in errors: "portal db" or "redeem".
func (h Header) String() string {
	if h.Kind == KindPortal {
		return "portal " + h.Service
	}
	return h.Kind.String()
}

// value returns the header value and its limit for the kind.
func (h Header) value() ([]byte, int, error) {
	switch h.Kind {
	case KindPortal:
		return []byte(h.Service), MaxServiceNameSize, nil
	case KindRedeem:
		return h.Secret, MaxSecretSize, nil
	case KindReset:
		return binary.BigEndian.AppendUint32(nil, h.StreamID), streamIDSize, nil
	}
	return nil, 0, fmt.Errorf("%w %d: use KindPortal, KindRedeem or KindReset", errUnknownKind, byte(h.Kind))
}

// appendHeader appends the wire form of h. It fails on an unknown kind, an
// empty value or a value over the kind's limit.
func appendHeader(b []byte, h Header) ([]byte, error) {
	value, limit, err := h.value()
	if err != nil {
		return nil, err
	}
	if len(value) == 0 || len(value) > limit {
		return nil, fmt.Errorf("session: %s header value is %d bytes, want 1 to %d", h.Kind, len(value), limit)
	}

	b = append(b, HeaderVersion, byte(h.Kind))
	b = binary.BigEndian.AppendUint16(b, uint16(len(value)))
	return append(b, value...), nil
}

// readHeader reads one header. A malformed header returns an error wrapping
// ErrMalformed; a well-formed header of an unknown kind returns the kind and
// an error wrapping errUnknownKind.
func readHeader(r io.Reader) (Header, error) {
	var fixed [headerFixedSize]byte
	if _, err := io.ReadFull(r, fixed[:]); err != nil {
		return Header{}, fmt.Errorf("session: reading stream header: %w", err)
	}
	if fixed[0] != HeaderVersion {
		return Header{}, fmt.Errorf("%w: version %d, want %d", ErrMalformed, fixed[0], HeaderVersion)
	}

	h := Header{Kind: Kind(fixed[1])}
	size := int(binary.BigEndian.Uint16(fixed[2:]))
	limit := kindLimit(h.Kind)
	if size == 0 || size > limit {
		return h, fmt.Errorf("%w: %s value length %d bytes, limit %d", ErrMalformed, h.Kind, size, limit)
	}

	value := make([]byte, size)
	if _, err := io.ReadFull(r, value); err != nil {
		return h, fmt.Errorf("%w: reading %s value of %d bytes: %v", ErrMalformed, h.Kind, size, err)
	}
	return fillHeader(h, value)
}

// kindLimit returns the value limit for k; unknown kinds get maxValueSize.
func kindLimit(k Kind) int {
	switch k {
	case KindPortal:
		return MaxServiceNameSize
	case KindRedeem:
		return MaxSecretSize
	case KindReset:
		return streamIDSize
	}
	return maxValueSize
}

func fillHeader(h Header, value []byte) (Header, error) {
	switch h.Kind {
	case KindPortal:
		h.Service = string(value)
	case KindRedeem:
		h.Secret = value
	case KindReset:
		if len(value) != streamIDSize {
			return h, fmt.Errorf("%w: reset value is %d bytes, want %d", ErrMalformed, len(value), streamIDSize)
		}
		h.StreamID = binary.BigEndian.Uint32(value)
	default:
		return h, fmt.Errorf("%w %d", errUnknownKind, byte(h.Kind))
	}
	return h, nil
}

// appendResponse appends the wire form of a response. A reason over
// MaxReasonSize is cut.
func appendResponse(b []byte, status Status, reason string) []byte {
	if len(reason) > MaxReasonSize {
		reason = reason[:MaxReasonSize]
	}
	b = append(b, byte(status))
	b = binary.BigEndian.AppendUint16(b, uint16(len(reason)))
	return append(b, reason...)
}

// readResponse reads one response. The reason comes from the peer: show it,
// never act on it.
func readResponse(r io.Reader) (Status, string, error) {
	var fixed [responseFixedSize]byte
	if _, err := io.ReadFull(r, fixed[:]); err != nil {
		return 0, "", fmt.Errorf("session: reading stream response: %w", err)
	}

	status := Status(fixed[0])
	size := int(binary.BigEndian.Uint16(fixed[1:]))
	if size > MaxReasonSize {
		return status, "", fmt.Errorf("%w: response reason length %d bytes, limit %d", ErrMalformed, size, MaxReasonSize)
	}

	reason := make([]byte, size)
	if _, err := io.ReadFull(r, reason); err != nil {
		return status, "", fmt.Errorf("session: reading %d-byte reason of response %s: %w", size, status, err)
	}
	return status, string(reason), nil
}

// StatusError is the error OpenStream returns when the peer responds
// anything but StatusOK. Use errors.As to get the status.
type StatusError struct {
	// Header is the request. Its secret, if any, formats as "[redacted]".
	Header Header

	// Status is the peer's response.
	Status Status

	// Reason is the peer's explanation, possibly empty. It is text from
	// the peer: show it, never act on it.
	Reason string
}

// Error returns the request and the peer's status and reason.
func (e *StatusError) Error() string {
	msg := fmt.Sprintf("session: peer responded %s to %s", e.Status, e.Header)
	if e.Reason != "" {
		msg += fmt.Sprintf(": %q", e.Reason)
	}
	return msg
}
