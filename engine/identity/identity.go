package identity

import (
	"crypto/ed25519"
	"fmt"
	"io"
	"log/slog"
)

// Identity is a node's long-term Ed25519 key pair. It is safe for
// concurrent use. Its Format, String and LogValue methods show only the
// identifier, so printing or logging an Identity never reveals the key.
type Identity struct {
	secret *secretKey
	public ed25519.PublicKey
	id     ID
}

// secretKey keeps the private key behind a pointer, so that fmt, which
// prints unexported fields without calling their methods, shows an address
// and never the key bytes.
type secretKey struct {
	private ed25519.PrivateKey
}

// Generate creates a new identity from random bytes read from rand.
func Generate(rand io.Reader) (*Identity, error) {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := io.ReadFull(rand, seed); err != nil {
		return nil, fmt.Errorf("identity: reading random seed: %w", err)
	}
	return FromSeed(seed)
}

// FromSeed rebuilds an identity from the 32-byte seed returned by
// [Identity.Seed], as stored in the vault.
func FromSeed(seed []byte) (*Identity, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("identity: the stored key seed has %d bytes, want %d; the vault entry is damaged", len(seed), ed25519.SeedSize)
	}

	private := ed25519.NewKeyFromSeed(seed)
	public := private.Public().(ed25519.PublicKey)
	return &Identity{secret: &secretKey{private}, public: public, id: IDFromPublicKey(public)}, nil
}

// Seed returns a copy of the private key seed, for storage in the vault
// only.
func (i *Identity) Seed() []byte {
	return append([]byte(nil), i.secret.private.Seed()...)
}

// ID returns the identifier of this identity.
func (i *Identity) ID() ID {
	return i.id
}

// PublicKey returns a copy of the Ed25519 public key.
func (i *Identity) PublicKey() ed25519.PublicKey {
	return append(ed25519.PublicKey(nil), i.public...)
}

// String returns the identifier, never key material.
func (i *Identity) String() string {
	return i.id.String()
}

// Format implements [fmt.Formatter] so that every verb, %#v and %d
// included, prints the identifier. The value receiver also covers a
// dereferenced Identity.
func (i Identity) Format(f fmt.State, verb rune) {
	io.WriteString(f, i.id.String())
}

// LogValue implements [slog.LogValuer] so that logging an Identity records
// only its identifier.
func (i *Identity) LogValue() slog.Value {
	return slog.StringValue(i.id.String())
}
