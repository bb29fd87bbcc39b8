package identity

import (
	"crypto/ed25519"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// ChannelKeySize is the size of an X25519 public key, in bytes.
const ChannelKeySize = 32

// attestationBodySize is the body of a TypeChannelKey structure:
//
//	offset  size  field
//	0       32    X25519 public key
//	32      8     not before, Unix seconds (signed)
//	40      8     not after, Unix seconds (signed)
const attestationBodySize = ChannelKeySize + 8 + 8

// Errors returned by [Attestation.Check].
var (
	ErrKeyMismatch = errors.New("identity: attested channel key differs from the key in use")
	ErrExpired     = errors.New("identity: attestation has expired")
	ErrNotYetValid = errors.New("identity: attestation is not valid yet")
)

// Attestation is an identity's signed statement that an X25519 key is its
// Noise static key during a validity window. It lets the Noise key rotate
// while the identity, and so the identifier, stays the same.
type Attestation struct {
	Signer     ed25519.PublicKey
	ChannelKey [ChannelKeySize]byte
	NotBefore  time.Time
	NotAfter   time.Time
}

// Attest signs an attestation of channelKey valid from notBefore to
// notAfter, both inclusive. Both are rounded down to whole seconds, which
// must then differ.
func (i *Identity) Attest(channelKey []byte, notBefore, notAfter time.Time) ([]byte, error) {
	if len(channelKey) != ChannelKeySize {
		return nil, fmt.Errorf("identity: channel key is %d bytes, want %d", len(channelKey), ChannelKeySize)
	}
	// Compare what is encoded, so that Attest never signs a window that
	// ParseAttestation refuses.
	if notAfter.Unix() <= notBefore.Unix() {
		return nil, fmt.Errorf("identity: attestation window from %v to %v must end at least one second after it starts", notBefore, notAfter)
	}

	body := make([]byte, 0, attestationBodySize)
	body = append(body, channelKey...)
	body = binary.BigEndian.AppendUint64(body, uint64(notBefore.Unix()))
	body = binary.BigEndian.AppendUint64(body, uint64(notAfter.Unix()))
	return i.Sign(TypeChannelKey, body)
}

// ParseAttestation verifies the signature and layout of an encoded
// attestation. It does not check the validity window or the key in use:
// call [Attestation.Check] for that.
func ParseAttestation(data []byte) (*Attestation, error) {
	signer, body, err := Open(data, TypeChannelKey)
	if err != nil {
		return nil, err
	}
	if len(body) != attestationBodySize {
		return nil, fmt.Errorf("%w: attestation body is %d bytes, want %d", ErrMalformed, len(body), attestationBodySize)
	}

	a := &Attestation{
		Signer:    append(ed25519.PublicKey(nil), signer...),
		NotBefore: time.Unix(int64(binary.BigEndian.Uint64(body[32:40])), 0),
		NotAfter:  time.Unix(int64(binary.BigEndian.Uint64(body[40:48])), 0),
	}
	copy(a.ChannelKey[:], body[:ChannelKeySize])
	if !a.NotAfter.After(a.NotBefore) {
		return nil, fmt.Errorf("%w: attestation window ends before it starts", ErrMalformed)
	}
	return a, nil
}

// ID returns the identifier of the identity that signed the attestation.
func (a *Attestation) ID() ID {
	return IDFromPublicKey(a.Signer)
}

// Check verifies that the attestation covers channelKey at time now.
func (a *Attestation) Check(channelKey []byte, now time.Time) error {
	if subtle.ConstantTimeCompare(a.ChannelKey[:], channelKey) != 1 {
		return ErrKeyMismatch
	}
	if now.Before(a.NotBefore) {
		return fmt.Errorf("%w: it starts at %v, now is %v; check the clock of both computers", ErrNotYetValid, a.NotBefore.UTC(), now.UTC())
	}
	if now.After(a.NotAfter) {
		return fmt.Errorf("%w: it ended at %v, now is %v; the peer must restart to renew it or fix its clock", ErrExpired, a.NotAfter.UTC(), now.UTC())
	}
	return nil
}
