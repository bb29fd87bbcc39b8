package identity_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/portalsapp/portals/engine/identity"
)

// RFC 8032, section 7.1, test 1: a seed whose public key comes from the
// RFC rather than from this package.
const (
	rfc8032Seed   = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
	rfc8032Public = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"

	// rfc8032ID is the identifier of rfc8032Public, computed outside Go
	// (Python hashlib and base64) from the documented derivation.
	rfc8032ID = "pid12l47oki7ycygxdrnmnnatrg63vnw33eqhgyhzmdjgtpgpuccnkhq"
)

// Documented wire values, written out here so that a change in the
// package cannot change what the tests expect.
const (
	wireVersion        = 1
	wireHeaderSize     = 1 + 1 + 32 + 2
	wireSignatureSize  = 64
	wireMinSize        = wireHeaderSize + wireSignatureSize
	wireSignContext    = "portals signed structure v1\x00"
	wireLabelChannel   = "channel-key-attestation"
	wireLabelInvite    = "invitation"
	wireAttestBodySize = 32 + 8 + 8
	wireIDLabel        = "portals identifier v1 ed25519\x00"
)

// allTypes lists every signed structure type with its documented label.
var allTypes = []struct {
	typ   identity.Type
	label string
}{
	{identity.TypeChannelKey, wireLabelChannel},
	{identity.TypeInvitation, wireLabelInvite},
}

// sentinels are the errors that Open and ParseAttestation wrap.
var sentinels = []error{identity.ErrMalformed, identity.ErrWrongType, identity.ErrInvalidSignature}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("decoding hex %q: %v", s, err)
	}
	return b
}

func mustFromSeed(t testing.TB, seed []byte) *identity.Identity {
	t.Helper()
	id, err := identity.FromSeed(seed)
	if err != nil {
		t.Fatalf("FromSeed: %v", err)
	}
	return id
}

// fixedIdentity returns the identity of a seed made of one repeated byte.
func fixedIdentity(t testing.TB, b byte) *identity.Identity {
	t.Helper()
	return mustFromSeed(t, bytes.Repeat([]byte{b}, ed25519.SeedSize))
}

func randomIdentity(t testing.TB) *identity.Identity {
	t.Helper()
	id, err := identity.Generate(rand.Reader)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return id
}

func mustSign(t testing.TB, id *identity.Identity, typ identity.Type, body []byte) []byte {
	t.Helper()
	data, err := id.Sign(typ, body)
	if err != nil {
		t.Fatalf("Sign(%v, %d-byte body): %v", typ, len(body), err)
	}
	return data
}

// deriveID applies the documented identifier rule without the package:
// SHA-256 over the label and the public key, lowercase base32 without
// padding, behind the "pid1" prefix.
func deriveID(pub []byte) string {
	sum := sha256.Sum256(append([]byte(wireIDLabel), pub...))
	text := base32.StdEncoding.EncodeToString(sum[:])
	return "pid1" + strings.ToLower(strings.TrimRight(text, "="))
}

// encodeSigned builds a signed structure from the documented layout with
// ed25519 directly. bodyLen is written into the length field, so a caller
// can make it disagree with body.
func encodeSigned(priv ed25519.PrivateKey, version, typ byte, label string, body []byte, bodyLen uint16) []byte {
	out := []byte{version, typ}
	out = append(out, priv.Public().(ed25519.PublicKey)...)
	out = binary.BigEndian.AppendUint16(out, bodyLen)
	out = append(out, body...)

	msg := append([]byte(wireSignContext+label+"\x00"), out...)
	return append(out, ed25519.Sign(priv, msg)...)
}

// privateKey rebuilds the private key of id from its seed.
func privateKey(id *identity.Identity) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(id.Seed())
}

// attestationBody builds an attestation body from the documented layout.
func attestationBody(key []byte, notBefore, notAfter int64) []byte {
	body := append([]byte(nil), key...)
	body = binary.BigEndian.AppendUint64(body, uint64(notBefore))
	return binary.BigEndian.AppendUint64(body, uint64(notAfter))
}

// wrappedSentinels returns the exported sentinels that err wraps.
func wrappedSentinels(err error) []error {
	var found []error
	for _, s := range sentinels {
		if errors.Is(err, s) {
			found = append(found, s)
		}
	}
	return found
}

// lowerASCII maps A-Z to a-z and leaves every other byte as it is.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}
