package invite

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Defaults and limits for New. A short life and a single use keep a leaked
// link from granting access to someone else for long.
const (
	// DefaultUses is the number of redemptions when New gets 0 uses.
	DefaultUses = 1

	// MaxUses bounds the redemptions of one invitation.
	MaxUses = 1000

	// DefaultTTL is the lifetime of an invitation when New gets 0.
	DefaultTTL = 7 * 24 * time.Hour

	// MinTTL is the shortest lifetime, long enough to paste a link.
	MinTTL = time.Minute

	// MaxTTL is the longest lifetime.
	MaxTTL = 365 * 24 * time.Hour
)

// secretHashLabel is hashed in front of the secret, so the stored hash can
// never equal a hash of the same 32 bytes used elsewhere in the protocol.
const secretHashLabel = "portals invitation secret v1\x00"

// Sentinel errors of Redeem and Find. Each returned error wraps one of them
// and adds what the accepting user should do.
var (
	// ErrNoMatch means that the secret matches no invitation: it was
	// mistyped, or the invitation was deleted or revoked.
	ErrNoMatch = errors.New("invite: no invitation matches this secret")

	// ErrExpired means that the invitation matched but its expiry has
	// passed.
	ErrExpired = errors.New("invite: invitation expired")

	// ErrUsed means that the invitation matched but has no uses left.
	ErrUsed = errors.New("invite: invitation already used")
)

// ErrInvalidRecord is wrapped by the errors of New about uses and
// lifetime, and by every error of Record.Validate and Record.UnmarshalJSON
// except a bad service name, which wraps ErrInvalidServiceName.
var ErrInvalidRecord = errors.New("invite: invalid invitation record")

// Record is the sharer's copy of one invitation. It contains a hash of the
// secret, never the secret, so the state file that stores records cannot
// be turned back into links.
//
// A Record is not safe for concurrent use: the caller serialises Redeem
// with every other access, for example under the lock of its state.
type Record struct {
	// Hash is HashSecret of the invitation secret. JSON writes it as 64
	// lowercase hex digits.
	Hash [sha256.Size]byte

	// Service is the name of the service the invitation grants.
	Service string

	// Created and Expires bound the invitation's life, in whole seconds.
	// It is valid from Created until just before Expires.
	Created, Expires time.Time

	// UsesLeft counts the redemptions still possible. 0 means used up.
	UsesLeft int
}

// New creates an invitation for service: a random secret for the link and
// the record that checks it.
//
// uses is the number of redemptions, 1 to MaxUses, and 0 means
// DefaultUses. ttl is the lifetime, MinTTL to MaxTTL, and 0 means
// DefaultTTL. now is truncated to whole seconds, because links store whole
// seconds, and the expiry is now plus ttl. random is the source of the
// secret, and nil means crypto/rand.
func New(service string, uses int, ttl time.Duration, now time.Time, random io.Reader) (secret [SecretSize]byte, rec Record, err error) {
	uses, ttl, err = newLimits(service, uses, ttl)
	if err != nil {
		return secret, Record{}, err
	}

	if random == nil {
		random = rand.Reader
	}
	if _, err := io.ReadFull(random, secret[:]); err != nil {
		return [SecretSize]byte{}, Record{}, fmt.Errorf("invite: reading a random secret: %w", err)
	}
	if secret == ([SecretSize]byte{}) {
		return secret, Record{}, errors.New("invite: the random source returned 32 zero bytes: it is broken")
	}

	created := now.UTC().Truncate(time.Second)
	rec = Record{Hash: HashSecret(secret), Service: service, Created: created, Expires: created.Add(ttl), UsesLeft: uses}
	return secret, rec, nil
}

// newLimits applies the defaults and checks the arguments of New.
func newLimits(service string, uses int, ttl time.Duration) (int, time.Duration, error) {
	if err := ValidateServiceName(service); err != nil {
		return 0, 0, err
	}

	if uses == 0 {
		uses = DefaultUses
	}
	if uses < 1 || uses > MaxUses {
		return 0, 0, fmt.Errorf("%w: %d uses, want 1 to %d", ErrInvalidRecord, uses, MaxUses)
	}

	if ttl == 0 {
		ttl = DefaultTTL
	}
	if ttl < MinTTL || ttl > MaxTTL {
		return 0, 0, fmt.Errorf("%w: lifetime %s, want %s to %s", ErrInvalidRecord, ttl, MinTTL, MaxTTL)
	}
	return uses, ttl, nil
}

// HashSecret returns SHA-256 over a label and the secret. The label binds
// the hash to invitation secrets.
func HashSecret(secret [SecretSize]byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(secretHashLabel))
	h.Write(secret[:])

	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// matches compares the stored hash with the hash of a secret in constant
// time.
func (r *Record) matches(hash [sha256.Size]byte) bool {
	return subtle.ConstantTimeCompare(r.Hash[:], hash[:]) == 1
}

// Matches reports whether secret is the secret of r, in constant time.
func (r *Record) Matches(secret [SecretSize]byte) bool {
	return r.matches(HashSecret(secret))
}

// Redeem checks secret against r at now and, on success, uses up one
// redemption. It checks the secret first, so a wrong secret learns nothing
// about expiry or uses. The error wraps ErrNoMatch, ErrExpired (at Expires
// and later) or ErrUsed, and r is unchanged.
func (r *Record) Redeem(secret [SecretSize]byte, now time.Time) error {
	if !r.matches(HashSecret(secret)) {
		return fmt.Errorf("%w: copy the whole link again, or ask the sharer for a new one", ErrNoMatch)
	}
	if !now.Before(r.Expires) {
		return fmt.Errorf("%w at %s: ask the sharer for a new one", ErrExpired, r.Expires.UTC().Format(time.RFC3339))
	}
	if r.UsesLeft <= 0 {
		return fmt.Errorf("%w: ask the sharer for a new one", ErrUsed)
	}

	r.UsesLeft--
	return nil
}

// Find returns the index of the record whose hash matches secret, or an
// error that wraps ErrNoMatch. It compares every record in constant time,
// and it checks neither expiry nor uses: call Redeem on the result.
func Find(records []Record, secret [SecretSize]byte) (index int, err error) {
	hash := HashSecret(secret)
	index = -1
	for i := range records {
		if records[i].matches(hash) && index < 0 {
			index = i
		}
	}

	if index < 0 {
		return -1, ErrNoMatch
	}
	return index, nil
}

// Validate checks a record read from storage: a set hash, a valid service
// name, Created before Expires, and UsesLeft from 0 to MaxUses.
func (r Record) Validate() error {
	switch {
	case r.Hash == ([sha256.Size]byte{}):
		return fmt.Errorf("%w: the hash is all zeros", ErrInvalidRecord)
	case !r.Created.Before(r.Expires):
		return fmt.Errorf("%w: created %s is not before expires %s", ErrInvalidRecord,
			r.Created.Format(time.RFC3339), r.Expires.Format(time.RFC3339))
	case r.UsesLeft < 0 || r.UsesLeft > MaxUses:
		return fmt.Errorf("%w: %d uses left, want 0 to %d", ErrInvalidRecord, r.UsesLeft, MaxUses)
	}
	return ValidateServiceName(r.Service)
}

// recordJSON is the JSON form of a Record.
type recordJSON struct {
	Hash     string    `json:"hash"` // 64 lowercase hex digits
	Service  string    `json:"service"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires"`
	UsesLeft int       `json:"uses_left"`
}

// MarshalJSON implements [json.Marshaler], writing the hash in hex.
func (r Record) MarshalJSON() ([]byte, error) {
	return json.Marshal(recordJSON{hex.EncodeToString(r.Hash[:]), r.Service, r.Created, r.Expires, r.UsesLeft})
}

// UnmarshalJSON implements [json.Unmarshaler]. It checks only the hash
// format, so call Validate for the other fields.
func (r *Record) UnmarshalJSON(data []byte) error {
	var v recordJSON
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}

	hash, err := hex.DecodeString(v.Hash)
	if err != nil || len(hash) != sha256.Size {
		return fmt.Errorf("%w: the hash %q is not %d hex digits", ErrInvalidRecord, abbreviate(v.Hash), 2*sha256.Size)
	}

	*r = Record{Service: v.Service, Created: v.Created, Expires: v.Expires, UsesLeft: v.UsesLeft}
	copy(r.Hash[:], hash)
	return nil
}
