package identity

import (
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
)

// Type names the kind of a signed structure. Its label is part of the
// signed bytes, so a signature made over one type never verifies as
// another.
type Type uint8

// Signed structure types. The numbers are wire values.
const (
	// TypeChannelKey is an attestation of a node's X25519 Noise static key
	// (see [Attestation]).
	TypeChannelKey Type = 1

	// TypeInvitation is an invitation payload signed by the sharing node.
	TypeInvitation Type = 2
)

// typeLabels are the domain-separation labels mixed into each signature.
var typeLabels = map[Type]string{
	TypeChannelKey: "channel-key-attestation",
	TypeInvitation: "invitation",
}

// String returns the type's label, or "type(N)" for an unknown value.
func (t Type) String() string {
	if label, ok := typeLabels[t]; ok {
		return label
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// Wire layout of a signed structure (all integers big-endian):
//
//	offset  size  field
//	0       1     format version (signedVersion)
//	1       1     type
//	2       32    signer's Ed25519 public key
//	34      2     body length N
//	36      N     body
//	36+N    64    Ed25519 signature
//
// The signature covers signContext, the type label, a zero byte, and bytes
// 0 to 36+N of the structure.
const (
	signedVersion    = 1
	signedHeaderSize = 1 + 1 + ed25519.PublicKeySize + 2

	// MaxBodySize is the largest body a signed structure can carry, in
	// bytes. It keeps a structure inside one Noise message.
	MaxBodySize = 4096

	// MaxSignedSize is the largest encoded signed structure, in bytes.
	MaxSignedSize = signedHeaderSize + MaxBodySize + ed25519.SignatureSize
)

// signContext separates our signatures from any other use of an Ed25519 key.
const signContext = "portals signed structure v1\x00"

// Errors returned when opening a signed structure. Each returned error wraps
// exactly one of them.
var (
	ErrMalformed        = errors.New("identity: malformed signed structure")
	ErrWrongType        = errors.New("identity: signed structure has the wrong type")
	ErrInvalidSignature = errors.New("identity: invalid signature")
)

// Sign encodes body as a signed structure of type t.
func (i *Identity) Sign(t Type, body []byte) ([]byte, error) {
	if _, ok := typeLabels[t]; !ok {
		return nil, fmt.Errorf("identity: internal error: signing unknown %v", t)
	}
	if len(body) > MaxBodySize {
		return nil, fmt.Errorf("identity: %v body is %d bytes, the limit is %d", t, len(body), MaxBodySize)
	}

	out := make([]byte, 0, signedHeaderSize+len(body)+ed25519.SignatureSize)
	out = append(out, signedVersion, byte(t))
	out = append(out, i.public...)
	out = binary.BigEndian.AppendUint16(out, uint16(len(body)))
	out = append(out, body...)

	signature := ed25519.Sign(i.secret.private, signedMessage(t, out))
	return append(out, signature...), nil
}

// Open checks that data is a well-formed signed structure of type want with
// a valid signature, and returns the signer's public key and the body. The
// returned slices alias data.
func Open(data []byte, want Type) (signer ed25519.PublicKey, body []byte, err error) {
	if _, ok := typeLabels[want]; !ok {
		return nil, nil, fmt.Errorf("identity: internal error: opening unknown %v", want)
	}
	if len(data) < signedHeaderSize+ed25519.SignatureSize {
		return nil, nil, fmt.Errorf("%w: %d bytes is shorter than the minimum of %d", ErrMalformed, len(data), signedHeaderSize+ed25519.SignatureSize)
	}
	if data[0] != signedVersion {
		return nil, nil, fmt.Errorf("%w: format version %d, this build reads version %d", ErrMalformed, data[0], signedVersion)
	}
	if got := Type(data[1]); got != want {
		return nil, nil, fmt.Errorf("%w: got %v, want %v", ErrWrongType, got, want)
	}

	bodyLen := int(binary.BigEndian.Uint16(data[34:36]))
	if bodyLen > MaxBodySize {
		return nil, nil, fmt.Errorf("%w: %d-byte body, the limit is %d", ErrMalformed, bodyLen, MaxBodySize)
	}
	if want := signedHeaderSize + bodyLen + ed25519.SignatureSize; len(data) != want {
		return nil, nil, fmt.Errorf("%w: %d bytes for a %d-byte body, want %d", ErrMalformed, len(data), bodyLen, want)
	}

	signed := data[:signedHeaderSize+bodyLen]
	signer = ed25519.PublicKey(data[2:34])
	signature := data[signedHeaderSize+bodyLen:]
	if !ed25519.Verify(signer, signedMessage(want, signed), signature) {
		return nil, nil, fmt.Errorf("%w on %v from %v", ErrInvalidSignature, want, IDFromPublicKey(signer).Short())
	}
	return signer, data[signedHeaderSize : signedHeaderSize+bodyLen], nil
}

func signedMessage(t Type, encoded []byte) []byte {
	msg := make([]byte, 0, len(signContext)+len(typeLabels[t])+1+len(encoded))
	msg = append(msg, signContext...)
	msg = append(msg, typeLabels[t]...)
	msg = append(msg, 0)
	return append(msg, encoded...)
}
