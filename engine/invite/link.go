// Package invite builds and parses invitation links, and keeps the
// invitation records that a sharer checks when someone redeems a link.
//
// An invitation grants one identity access to one service. The link carries
// a 32-byte random secret, and the sharer stores only a hash of it (see
// [Record]). Reading the sharer's state file therefore reveals no usable
// link. The package does no networking and keeps no engine state.
package invite

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/portalsapp/portals/engine/identity"
	"github.com/portalsapp/portals/engine/state"
)

// LinkPrefix starts every invitation link.
const LinkPrefix = "portals://invite/"

// Invitation link payload, before base32:
//
//	version (1 byte) | sharer identifier (32) | secret (32) |
//	expiry (8: Unix seconds, big-endian signed) |
//	service name length (1) | service name (1 to 64 bytes) |
//	sharer name length (1) | sharer name (0 to 64 bytes of UTF-8) |
//	route count (1: 1 to 8) | routes |
//	checksum (4: the first bytes of SHA-256 over everything before it)
//
// Each route is:
//
//	kind (1: routeDirect or routeRelay) | address length (1) |
//	address (1 to 255 bytes, "host:port") |
//	relay identifier (32, only for routeRelay)
//
// The payload is written in lowercase base32 without padding. Every future
// version keeps the version byte first and the checksum last, so that
// Parse can tell a damaged link from a link made by a newer Portals.
const (
	// linkVersion is the only payload version this build reads and writes.
	linkVersion = 1

	// idSize is the size of the sharer and relay identifiers, in bytes.
	idSize = len(identity.ID{})

	// SecretSize is the size of an invitation secret, in bytes.
	SecretSize = 32

	// expirySize is the size of the expiry field, in bytes.
	expirySize = 8

	// MaxServiceNameLen bounds a service name, in bytes.
	MaxServiceNameLen = 64

	// MaxSharerNameLen bounds the sharer's display name, in bytes of UTF-8.
	// It equals the limit on display names in the state file, so any saved
	// display name fits in a link.
	MaxSharerNameLen = state.MaxNameLen

	// MaxRoutes bounds the routes in one link. An accepting node dials them
	// all in parallel, so the bound also caps that fan-out.
	MaxRoutes = 8

	// maxAddrLen bounds a route address, in bytes: its length field is one
	// byte.
	maxAddrLen = 255

	// checksumSize is the size of the checksum, in bytes. It catches
	// copying mistakes. It is not a security measure: the sharer identifier
	// is what the accepting node pins in the handshake.
	checksumSize = 4
)

// Route kinds, one byte before each route in the payload.
const (
	// routeDirect is a route to the sharer's own listening address.
	routeDirect byte = 1

	// routeRelay is a route through a relay: its address, then its
	// identifier. Never the relay's registration secret, because accepting
	// nodes only dial through a relay.
	routeRelay byte = 2
)

// Payload and text size limits, derived from the field limits above.
const (
	// minPayloadSize is the size of the smallest valid payload: one
	// 1-byte service name, no sharer name, one direct route with a 1-byte
	// address. The address rules make real links longer.
	minPayloadSize = 1 + idSize + SecretSize + expirySize + 1 + 1 + 1 + 1 + 1 + 1 + 1 + checksumSize

	// maxRouteSize is the size of the largest route: a relay route with
	// the longest address.
	maxRouteSize = 1 + 1 + maxAddrLen + idSize

	// maxPayloadSize is the size of the largest valid payload.
	maxPayloadSize = 1 + idSize + SecretSize + expirySize + 1 + MaxServiceNameLen + 1 + MaxSharerNameLen +
		1 + MaxRoutes*maxRouteSize + checksumSize
)

// Expiry limits, in Unix seconds. The upper bound is the end of year 9999,
// so every accepted expiry converts to a time.Time and back without
// overflow.
const (
	minExpiryUnix = 1
	maxExpiryUnix = 253402300799
)

// linkEncoding is lowercase RFC 4648 base32 without padding, like
// identifiers: one case, no symbols, and one word for a double-click.
var linkEncoding = base32.NewEncoding(base32Alphabet).WithPadding(base32.NoPadding)

// base32Alphabet is the RFC 4648 base32 alphabet in lower case.
const base32Alphabet = "abcdefghijklmnopqrstuvwxyz234567"

// maxPayloadTextLen is the length of the longest payload text, in
// characters.
var maxPayloadTextLen = linkEncoding.EncodedLen(maxPayloadSize)

// ErrInvalidLink is wrapped by every error that Parse and Link.Text return.
var ErrInvalidLink = errors.New("invite: invalid invitation link")

// Link is everything an accepting node needs to redeem an invitation: whom
// to dial, how to reach them, and the secret to present.
//
// The link text from [Link.Text] carries the secret, so share it like a
// password. Every other way to print a Link leaves the secret out:
// [Link.String], the fmt verbs (through [Link.Format]) and slog (through
// [Link.LogValue]). A struct that holds a Link in an unexported field is
// printed by fmt field by field, secret included, and so is the Secret
// field on its own.
type Link struct {
	// Sharer is the identifier the sharing node must prove in the
	// handshake.
	Sharer identity.ID

	// Secret is the invitation secret. The sharer keeps only its hash.
	Secret [SecretSize]byte

	// Expires is when the sharer stops accepting the secret. The link
	// stores whole Unix seconds, so Text drops any fraction of a second.
	// Parse returns it in UTC.
	Expires time.Time

	// Service is the name of the shared service; see ValidateServiceName.
	Service string

	// SharerName is the sharer's display name, for the accepting user to
	// recognise. It is a label only, never an authorization input.
	SharerName string

	// Routes lists every way to reach the sharer, 1 to MaxRoutes: each is
	// either Direct, or Relay with RelayID.
	Routes []state.Route
}

// Text returns the link text: LinkPrefix followed by the base32 payload.
// The text contains the secret. Text fails, with an error that wraps
// ErrInvalidLink, on a Link that Parse would reject.
func (l Link) Text() (string, error) {
	if err := l.check(); err != nil {
		return "", err
	}
	return LinkPrefix + linkEncoding.EncodeToString(l.payload()), nil
}

// payload encodes a checked link.
func (l Link) payload() []byte {
	out := make([]byte, 0, maxPayloadSize)
	out = append(out, linkVersion)
	out = append(out, l.Sharer[:]...)
	out = append(out, l.Secret[:]...)
	out = binary.BigEndian.AppendUint64(out, uint64(l.Expires.Unix()))
	out = appendLenPrefixed(out, l.Service)
	out = appendLenPrefixed(out, l.SharerName)

	out = append(out, byte(len(l.Routes)))
	for _, route := range l.Routes {
		out = appendRoute(out, route)
	}

	sum := sha256.Sum256(out)
	return append(out, sum[:checksumSize]...)
}

// appendRoute encodes one checked route.
func appendRoute(out []byte, route state.Route) []byte {
	if route.Direct != "" {
		out = append(out, routeDirect)
		return appendLenPrefixed(out, route.Direct)
	}
	out = append(out, routeRelay)
	out = appendLenPrefixed(out, route.Relay)
	return append(out, route.RelayID[:]...)
}

// appendLenPrefixed appends a 1-byte length and s. The caller has checked
// that s is at most 255 bytes.
func appendLenPrefixed(out []byte, s string) []byte {
	out = append(out, byte(len(s)))
	return append(out, s...)
}

// Expired reports whether the link has expired at now: at Expires and
// later. Parse accepts expired links, so that the accepting side can show
// the sharer's name and the expiry along with the error.
func (l Link) Expired(now time.Time) bool {
	return !now.Before(l.Expires)
}

// String describes the link without the secret, for logs and debugging.
// Use Text for the link itself.
func (l Link) String() string {
	return fmt.Sprintf("invitation{service %q, sharer %s %q, expires %s, %d routes}",
		l.Service, l.Sharer.Short(), l.SharerName, l.Expires.UTC().Format(time.RFC3339), len(l.Routes))
}

// Format implements [fmt.Formatter] so that every verb, %#v included,
// prints String and never the secret.
func (l Link) Format(f fmt.State, verb rune) {
	fmt.Fprint(f, l.String())
}

// LogValue implements [slog.LogValuer] without the secret.
func (l Link) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("service", l.Service),
		slog.String("sharer", l.Sharer.Short()),
		slog.String("sharer_name", l.SharerName),
		slog.Time("expires", l.Expires),
		slog.Int("routes", len(l.Routes)),
	)
}
