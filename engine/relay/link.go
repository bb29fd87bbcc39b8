package relay

import (
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"

	"github.com/portalsapp/portals/engine/identity"
)

// LinkPrefix starts every relay link.
const LinkPrefix = "portals://relay/"

// Relay link payload, before base32:
//
//	version (1 byte) | relay identifier (32) | registration secret (32) |
//	address length (1) | address (1 to 255 bytes, "host:port") |
//	checksum (4: the first bytes of SHA-256 over everything before it)
//
// The payload is written in lowercase base32 without padding. Parsing also
// accepts upper case.
const (
	// linkVersion is the only link version this build reads and writes.
	linkVersion = 1

	// linkChecksumSize is the size of the checksum, in bytes. It catches
	// typing and truncation mistakes. It is not a security measure: the
	// relay identifier in the link is what authenticates the relay.
	linkChecksumSize = 4

	// maxLinkAddrSize is the longest address, in bytes.
	maxLinkAddrSize = 255

	// minLinkPayloadSize and maxLinkPayloadSize bound the decoded payload.
	minLinkPayloadSize = 1 + len(identity.ID{}) + secretSize + 1 + 1 + linkChecksumSize
	maxLinkPayloadSize = minLinkPayloadSize - 1 + maxLinkAddrSize
)

// linkEncoding is lowercase RFC 4648 base32 without padding, like
// identifiers.
var linkEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// maxLinkTextSize is the longest link text after trimming, checked before
// decoding.
var maxLinkTextSize = len(LinkPrefix) + linkEncoding.EncodedLen(maxLinkPayloadSize)

// ErrInvalidLink is wrapped by every error that ParseLink returns.
var ErrInvalidLink = errors.New("relay: invalid relay link")

// Link is the information a sharer needs to use a relay: its address, the
// identity it must prove, and the secret that lets a node register.
//
// The text form carries the secret. Share it like a password. Link
// implements [slog.LogValuer] without the secret, but fmt's %v and String
// print it.
type Link struct {
	// Addr is the relay's "host:port".
	Addr string

	// RelayID is the identifier the relay must prove in the control
	// handshake.
	RelayID identity.ID

	// Secret is the registration secret.
	Secret [secretSize]byte
}

// String returns the link text, "portals://relay/" and base32. It panics
// on a Link that ParseLink would reject, because such a link must never be
// shared.
func (l Link) String() string {
	if err := l.check(); err != nil {
		panic("relay: internal error: formatting " + err.Error())
	}

	payload := make([]byte, 0, maxLinkPayloadSize)
	payload = append(payload, linkVersion)
	payload = append(payload, l.RelayID[:]...)
	payload = append(payload, l.Secret[:]...)
	payload = append(payload, byte(len(l.Addr)))
	payload = append(payload, l.Addr...)
	sum := sha256.Sum256(payload)
	payload = append(payload, sum[:linkChecksumSize]...)
	return LinkPrefix + linkEncoding.EncodeToString(payload)
}

// LogValue returns the address and the short relay identifier, never the
// secret.
func (l Link) LogValue() slog.Value {
	return slog.GroupValue(slog.String("addr", l.Addr), slog.String("relay", l.RelayID.Short()))
}

// ParseLink finds a relay link in s and parses it. s may be the link
// alone or a pasted message that contains it: surrounding words, white
// space and letter case are ignored, and the payload may be broken across
// lines or spaces, as mail and chat programs do. When several joins of the
// words after the prefix are possible, the first that parses wins. Every
// error wraps ErrInvalidLink, names the problem and never contains the
// secret.
func ParseLink(s string) (Link, error) {
	words, err := linkWords(s)
	if err != nil {
		return Link{}, err
	}

	candidate := LinkPrefix
	for i, word := range words {
		candidate += word
		link, err := parseLinkText(candidate)
		if err == nil || i == len(words)-1 {
			return link, err
		}
	}
	panic("unreachable: linkWords returns at least one word")
}

// maxLinkWords bounds the words ParseLink joins, since it parses each
// join. A link wrapped at 16 characters a line still fits.
var maxLinkWords = (maxLinkTextSize-len(LinkPrefix))/16 + 1

// linkWords finds LinkPrefix in s, in any letter case, and returns the
// white-space separated base32 words after it, lowercased. Reading stops at
// a word that is not base32, after a word that ends in punctuation, and
// after maxLinkWords words.
func linkWords(s string) ([]string, error) {
	lower := strings.Map(lowerASCII, s)
	start := strings.Index(lower, LinkPrefix)
	if start < 0 {
		return nil, fmt.Errorf("%w: the text does not contain %q: copy the whole link", ErrInvalidLink, LinkPrefix)
	}

	var words []string
	total := 0
	for i, word := range strings.Fields(lower[start+len(LinkPrefix):]) {
		trimmed := strings.TrimRightFunc(word, isTrailingPunct)
		if trimmed == "" || strings.IndexFunc(trimmed, notBase32) >= 0 {
			if i > 0 {
				break
			}
			return nil, fmt.Errorf("%w: the text after %q is not base32: copy the whole link", ErrInvalidLink, LinkPrefix)
		}

		total += len(trimmed)
		if len(LinkPrefix)+total > maxLinkTextSize {
			return nil, fmt.Errorf("%w: it is over %d characters, at most %d are possible: copy the link alone", ErrInvalidLink, len(LinkPrefix)+total, maxLinkTextSize)
		}
		words = append(words, trimmed)
		if len(trimmed) < len(word) || len(words) == maxLinkWords {
			break
		}
	}

	if len(words) == 0 {
		return nil, fmt.Errorf("%w: nothing follows %q, so it is too short: copy the whole link", ErrInvalidLink, LinkPrefix)
	}
	return words, nil
}

// isTrailingPunct reports whether r may end a sentence or a bracket
// around a pasted link.
func isTrailingPunct(r rune) bool {
	return strings.ContainsRune(".,;:!?)]}>\"'", r)
}

// notBase32 reports whether r is outside the lowercase base32 alphabet.
func notBase32(r rune) bool {
	return !('a' <= r && r <= 'z' || '2' <= r && r <= '7')
}

// parseLinkText parses one link with no white space in it.
func parseLinkText(s string) (Link, error) {
	payload, err := decodeLinkText(s)
	if err != nil {
		return Link{}, err
	}

	link, err := parseLinkPayload(payload)
	if err != nil {
		return Link{}, err
	}
	if err := link.check(); err != nil {
		return Link{}, err
	}
	return link, nil
}

// decodeLinkText checks the prefix and length and decodes the base32.
func decodeLinkText(s string) ([]byte, error) {
	if !strings.HasPrefix(s, LinkPrefix) {
		return nil, fmt.Errorf("%w: it does not start with %q: copy the whole link", ErrInvalidLink, LinkPrefix)
	}
	if len(s) > maxLinkTextSize {
		return nil, fmt.Errorf("%w: it is %d characters, at most %d are possible", ErrInvalidLink, len(s), maxLinkTextSize)
	}

	text := strings.Map(lowerASCII, s[len(LinkPrefix):])
	payload, err := linkEncoding.DecodeString(text)
	if err != nil {
		return nil, fmt.Errorf("%w: the text after %q is not base32 (%w): copy the whole link", ErrInvalidLink, LinkPrefix, err)
	}
	if len(payload) < minLinkPayloadSize {
		return nil, fmt.Errorf("%w: it is too short (%d bytes, at least %d): copy the whole link", ErrInvalidLink, len(payload), minLinkPayloadSize)
	}
	return payload, nil
}

// parseLinkPayload checks the checksum and version and splits the fields.
func parseLinkPayload(payload []byte) (Link, error) {
	body, sum := payload[:len(payload)-linkChecksumSize], payload[len(payload)-linkChecksumSize:]
	want := sha256.Sum256(body)
	if string(sum) != string(want[:linkChecksumSize]) {
		return Link{}, fmt.Errorf("%w: checksum mismatch: the link was changed or cut, copy it again", ErrInvalidLink)
	}
	if body[0] != linkVersion {
		return Link{}, fmt.Errorf("%w: version %d, this build reads %d: update Portals", ErrInvalidLink, body[0], linkVersion)
	}

	var link Link
	rest := body[1:]
	rest = rest[copy(link.RelayID[:], rest):]
	rest = rest[copy(link.Secret[:], rest):]
	addrSize, addr := int(rest[0]), rest[1:]
	if addrSize != len(addr) {
		return Link{}, fmt.Errorf("%w: address length field is %d, but %d bytes follow", ErrInvalidLink, addrSize, len(addr))
	}
	link.Addr = string(addr)
	return link, nil
}

// check validates the fields of l.
func (l Link) check() error {
	if l.RelayID.IsZero() {
		return fmt.Errorf("%w: the relay identifier is all zeros", ErrInvalidLink)
	}
	if l.Secret == ([secretSize]byte{}) {
		return fmt.Errorf("%w: the registration secret is all zeros", ErrInvalidLink)
	}
	if len(l.Addr) == 0 || len(l.Addr) > maxLinkAddrSize {
		return fmt.Errorf("%w: address is %d bytes, want 1 to %d", ErrInvalidLink, len(l.Addr), maxLinkAddrSize)
	}
	return checkAddr(l.Addr)
}

// checkAddr checks that addr is "host:port" with a non-empty printable
// host and a port from 1 to 65535.
func checkAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%w: address %q is not host:port: %w", ErrInvalidLink, addr, err)
	}
	if host == "" || strings.ContainsFunc(host, notHostChar) {
		return fmt.Errorf("%w: address %q has an empty host or a control or space character", ErrInvalidLink, addr)
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		return fmt.Errorf("%w: address %q has port %q, want 1 to 65535", ErrInvalidLink, addr, port)
	}
	return nil
}

// notHostChar reports characters that never appear in a host name or IP
// literal: ASCII control characters, space and anything outside ASCII.
func notHostChar(r rune) bool {
	return r <= ' ' || r >= 0x7f
}

// lowerASCII maps A-Z to a-z and leaves every other character alone.
func lowerASCII(r rune) rune {
	if 'A' <= r && r <= 'Z' {
		return r + ('a' - 'A')
	}
	return r
}
