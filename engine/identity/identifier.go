// Package identity holds a node's long-term Ed25519 identity, the
// identifier derived from it, and the typed, domain-separated structures
// that the identity key signs.
package identity

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// IDPrefix starts the textual form of every identifier. It makes an
// identifier recognisable in logs and pasted text, and it changes if the
// derivation ever does.
const IDPrefix = "pid1"

// idLabel is hashed in front of the public key, so an identifier can never
// equal the hash of some other 32-byte value used elsewhere in the protocol.
const idLabel = "portals identifier v1 ed25519\x00"

// idEncoding is lowercase base32 without padding: one case, no symbols, and
// safe to double-click in a terminal. Parsing accepts upper case too.
var idEncoding = base32.NewEncoding(idAlphabet).WithPadding(base32.NoPadding)

// idAlphabet is the RFC 4648 base32 alphabet in lower case.
const idAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

// idTextLen is the length of the textual form: the prefix and 52 base32
// characters for 256 bits.
var idTextLen = len(IDPrefix) + idEncoding.EncodedLen(sha256.Size)

// ErrInvalidID is wrapped by every error that ParseID returns.
var ErrInvalidID = errors.New("identity: invalid identifier")

// ID identifies a node: SHA-256 over a labelled encoding of its Ed25519
// public key, all 256 bits. The zero ID identifies nobody.
type ID [sha256.Size]byte

// IDFromPublicKey derives the identifier of an Ed25519 public key.
func IDFromPublicKey(pub ed25519.PublicKey) ID {
	h := sha256.New()
	h.Write([]byte(idLabel))
	h.Write(pub)

	var id ID
	h.Sum(id[:0])
	return id
}

// ParseID parses the textual form written by [ID.String]. It ignores
// surrounding spaces and accepts ASCII letters in either case. It rejects
// every other difference, so each identifier has one textual form up to
// case.
func ParseID(s string) (ID, error) {
	text := lowerASCII(strings.TrimSpace(s))
	if !strings.HasPrefix(text, IDPrefix) {
		return ID{}, fmt.Errorf("%w %q: it must start with %q", ErrInvalidID, abbreviate(s), IDPrefix)
	}

	// Check the alphabet before decoding, because the base32 decoder skips
	// line breaks and would let a shorter string decode.
	if i := strings.IndexFunc(text[len(IDPrefix):], notInIDAlphabet); i >= 0 {
		i += len(IDPrefix)
		_, size := utf8.DecodeRuneInString(text[i:])
		return ID{}, fmt.Errorf("%w %q: character %+q at offset %d is not in the identifier alphabet (a-z, 2-7)",
			ErrInvalidID, abbreviate(s), text[i:i+size], i)
	}
	if len(text) != idTextLen {
		return ID{}, fmt.Errorf("%w %q: it has %d characters, want %d", ErrInvalidID, abbreviate(s), len(text), idTextLen)
	}

	raw, err := idEncoding.DecodeString(text[len(IDPrefix):])
	if err != nil || len(raw) != len(ID{}) {
		return ID{}, fmt.Errorf("%w %q: internal error: decoding %d base32 characters: %v", ErrInvalidID, abbreviate(s), len(text)-len(IDPrefix), err)
	}

	var id ID
	copy(id[:], raw)
	if id.String() != text {
		return ID{}, fmt.Errorf("%w %q: its last character sets unused bits", ErrInvalidID, abbreviate(s))
	}
	if id.IsZero() {
		return ID{}, fmt.Errorf("%w %q: it is all zeros", ErrInvalidID, abbreviate(s))
	}
	return id, nil
}

// String returns the full textual form, for example
// "pid1" followed by 52 base32 characters.
func (id ID) String() string {
	return IDPrefix + idEncoding.EncodeToString(id[:])
}

// Short returns a short form for display, such as "pid1:abcd-efgh". It is
// for people to tell nodes apart at a glance and must never be used for an
// authorization decision.
func (id ID) Short() string {
	text := idEncoding.EncodeToString(id[:])
	return IDPrefix + ":" + text[:4] + "-" + text[4:8]
}

// IsZero reports whether id is the zero value.
func (id ID) IsZero() bool {
	return id == ID{}
}

// MarshalText implements [encoding.TextMarshaler].
func (id ID) MarshalText() ([]byte, error) {
	if id.IsZero() {
		return nil, fmt.Errorf("%w: the zero identifier has no textual form", ErrInvalidID)
	}
	return []byte(id.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler].
func (id *ID) UnmarshalText(text []byte) error {
	parsed, err := ParseID(string(text))
	if err != nil {
		return err
	}
	*id = parsed
	return nil
}

// lowerASCII maps A-Z to a-z and leaves every other character alone.
// strings.ToLower would also map the Kelvin sign (U+212A) to "k".
func lowerASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

// notInIDAlphabet reports whether r cannot appear in an encoded identifier.
func notInIDAlphabet(r rune) bool {
	return !strings.ContainsRune(idAlphabet, r)
}

// abbreviate keeps error messages short when someone pastes a whole file.
func abbreviate(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
