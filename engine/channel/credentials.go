package channel

import (
	"crypto/rand"
	"fmt"
	"sync"
	"time"

	"github.com/flynn/noise"

	"github.com/portalsapp/portals/engine/identity"
)

// Attestation timing.
const (
	// DefaultKeyLifetime is how long an attestation of a static key is
	// valid. The key is replaced when half of it has passed.
	DefaultKeyLifetime = 7 * 24 * time.Hour

	// clockSkewAllowance backdates each attestation, so a peer whose clock
	// runs behind ours still accepts it.
	clockSkewAllowance = time.Hour
)

// MaxDisplayNameSize is the longest display name, in bytes of UTF-8.
const MaxDisplayNameSize = 64

// cipherSuite is the only suite Portals speaks.
var cipherSuite = noise.NewCipherSuite(noise.DH25519, cipherAESGCM, noise.HashSHA256)

// Credentials are what a node proves in a handshake: its identity, an
// X25519 static key attested by that identity, and its display name. The
// static key rotates by itself before its attestation expires. Credentials
// are safe for concurrent use.
type Credentials struct {
	identity    *identity.Identity
	displayName string
	lifetime    time.Duration

	mu          sync.Mutex // guards the fields below
	static      noise.DHKey
	attestation []byte
	renewAt     time.Time
}

// NewCredentials returns credentials for id with a fresh static key.
// lifetime is the attestation validity; zero means DefaultKeyLifetime.
func NewCredentials(id *identity.Identity, displayName string, lifetime time.Duration) (*Credentials, error) {
	if err := checkDisplayName(displayName); err != nil {
		return nil, err
	}
	if lifetime <= 0 {
		lifetime = DefaultKeyLifetime
	}

	c := &Credentials{identity: id, displayName: displayName, lifetime: lifetime}
	if _, _, err := c.current(time.Now()); err != nil {
		return nil, err
	}
	return c, nil
}

// Identity returns the identity these credentials prove.
func (c *Credentials) Identity() *identity.Identity {
	return c.identity
}

// DisplayName returns the display name sent to peers.
func (c *Credentials) DisplayName() string {
	return c.displayName
}

// current returns the static key and its attestation, replacing both once
// half of the lifetime has passed.
func (c *Credentials) current(now time.Time) (noise.DHKey, []byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()

	if c.attestation != nil && now.Before(c.renewAt) {
		return c.static, c.attestation, nil
	}

	static, err := cipherSuite.GenerateKeypair(rand.Reader)
	if err != nil {
		return noise.DHKey{}, nil, fmt.Errorf("channel: generating static key: %w", err)
	}
	attestation, err := c.identity.Attest(static.Public, now.Add(-clockSkewAllowance), now.Add(c.lifetime))
	if err != nil {
		return noise.DHKey{}, nil, fmt.Errorf("channel: attesting static key: %w", err)
	}

	c.static, c.attestation, c.renewAt = static, attestation, now.Add(c.lifetime/2)
	return c.static, c.attestation, nil
}
