package invite

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/portalsapp/portals/engine/identity"
	"github.com/portalsapp/portals/engine/state"
)

// Parse finds an invitation link in text and decodes it.
//
// Text may be the link alone or a pasted message that contains it. Parse
// ignores surrounding words and white space and accepts any letter case.
// The payload may be broken across lines or spaces, as mail and chat
// programs do, but the prefix must be whole. When several readings of the words after the
// prefix are possible, Parse returns the first one whose checksum matches.
// Parse reads the first link only.
//
// An expired link is not an error: see [Link.Expired]. Every error wraps
// ErrInvalidLink and names what is wrong in plain words. It never quotes
// the secret, and of the link text at most 16 characters.
func Parse(text string) (Link, error) {
	words, err := payloadWords(text)
	if err != nil {
		return Link{}, err
	}

	// Try the first word, then the first two joined, and so on. Keep the
	// error that got furthest, because it best describes what went wrong.
	var best *parseError
	candidate := ""
	for _, word := range words {
		candidate += word
		link, err := parsePayload(candidate)
		if err == nil {
			return link, nil
		}
		if best == nil || err.stage >= best.stage {
			best = err
		}
	}
	return Link{}, best.err
}

// maxPayloadWords bounds the words Parse joins into one payload. Parse
// tries every join, each costing a decode and a hash of up to the whole
// payload, so the bound keeps a pasted text of one-letter words from
// taking tens of milliseconds. A link wrapped at 16 characters a line
// still fits.
var maxPayloadWords = maxPayloadTextLen/16 + 1

// payloadWords finds LinkPrefix in text and returns the white-space
// separated words after it that can belong to the payload, lowercased.
// Reading stops at a word that is not base32, after a word that ends in
// punctuation, and after maxPayloadWords words. A payload longer than the
// longest possible is an error.
func payloadWords(text string) ([]string, error) {
	lower := strings.Map(lowerASCII, text)
	start := strings.Index(lower, LinkPrefix)
	if start < 0 {
		return nil, prefixError(lower)
	}

	var words []string
	total := 0
	for i, word := range strings.Fields(lower[start+len(LinkPrefix):]) {
		trimmed := strings.TrimRightFunc(word, isTrailingPunct)
		if bad := strings.IndexFunc(trimmed, notBase32); bad >= 0 {
			if i > 0 {
				break
			}
			return nil, base32Error(trimmed, bad)
		}

		total += len(trimmed)
		if total > maxPayloadTextLen {
			return nil, fmt.Errorf("%w: the payload is longer than %d characters, the longest possible: copy the link alone", ErrInvalidLink, maxPayloadTextLen)
		}
		words = append(words, trimmed)
		if len(trimmed) < len(word) || len(words) == maxPayloadWords {
			break
		}
	}

	if total == 0 {
		return nil, fmt.Errorf("%w: nothing follows %q: copy the whole link", ErrInvalidLink, LinkPrefix)
	}
	return words, nil
}

// prefixError explains why lowered text has no LinkPrefix, naming another
// kind of Portals link when it finds one.
func prefixError(lower string) error {
	const scheme = "portals://"
	i := strings.Index(lower, scheme)
	if i < 0 {
		return fmt.Errorf("%w: wrong prefix: the text does not contain %q: copy the whole link", ErrInvalidLink, LinkPrefix)
	}

	// Quote at most 16 characters of the kind, because without a slash
	// the rest of the link would follow.
	kind, _, _ := strings.Cut(lower[i+len(scheme):], "/")
	if len(kind) > 16 {
		kind = strings.ToValidUTF8(kind[:16], "") + "..."
	}
	return fmt.Errorf("%w: wrong prefix: this is a %q link, not an invitation, which starts with %q",
		ErrInvalidLink, scheme+kind+"/", LinkPrefix)
}

// base32Error reports the character at byte offset bad of the first
// payload word. The character is not base32, so it is no part of the
// secret.
func base32Error(word string, bad int) error {
	r, _ := utf8.DecodeRuneInString(word[bad:])
	return fmt.Errorf("%w: not base32: character %+q at offset %d after %q is not in a-z, 2-7: copy the link again",
		ErrInvalidLink, r, bad, LinkPrefix)
}

// isTrailingPunct reports characters that often follow a link in a
// message, such as '.', ',', ')' and '>'.
func isTrailingPunct(r rune) bool {
	return unicode.IsPunct(r) || unicode.IsSymbol(r)
}

// notBase32 reports whether r is not in the lowercase base32 alphabet.
func notBase32(r rune) bool {
	return !strings.ContainsRune(base32Alphabet, r)
}

// lowerASCII maps A-Z to a-z and leaves every other character, and so
// every byte offset, alone.
func lowerASCII(r rune) rune {
	if 'A' <= r && r <= 'Z' {
		return r + ('a' - 'A')
	}
	return r
}

// Parse stages, in order. When no reading of a pasted text parses, Parse
// returns the error from the latest stage reached.
const (
	// stageLength: the payload is cut short, or its length is impossible.
	stageLength = iota + 1

	// stageChecksum: the payload is complete but its checksum is wrong.
	stageChecksum

	// stageContent: the checksum matches but a field is invalid.
	stageContent
)

// parseError is an error from parsePayload with the stage it reached.
type parseError struct {
	stage int
	err   error
}

// parsePayload decodes one candidate payload text: lowercase base32
// without white space.
func parsePayload(text string) (Link, *parseError) {
	raw, partial := decodeBase32(text)
	if partial || len(raw) <= checksumSize {
		return Link{}, lengthError(raw)
	}

	body, sum := raw[:len(raw)-checksumSize], raw[len(raw)-checksumSize:]
	want := sha256.Sum256(body)
	if string(sum) != string(want[:checksumSize]) {
		return Link{}, lengthError(raw)
	}
	if body[0] != linkVersion {
		err := fmt.Errorf("%w: unknown version %d, this build reads %d: it was made by a newer Portals, upgrade to accept it",
			ErrInvalidLink, body[0], linkVersion)
		return Link{}, &parseError{stageContent, err}
	}

	link, err := decodeBody(body)
	if err == nil {
		err = link.check()
	}
	if err != nil {
		return Link{}, &parseError{stageContent, err}
	}
	return link, nil
}

// decodeBase32 decodes text. When the length of text leaves a partial
// character group, it decodes the whole groups and reports partial.
func decodeBase32(text string) (raw []byte, partial bool) {
	whole := len(text)
	if tail := whole % 8; tail != 0 && !validTail(tail) {
		whole--
	}

	raw, err := linkEncoding.DecodeString(text[:whole])
	if err != nil {
		// The alphabet and length are checked, so this is a bug.
		panic("invite: internal error: decoding checked base32: " + err.Error())
	}
	return raw, whole != len(text)
}

// validTail reports whether an unpadded base32 text may end with n
// characters of a last, partial group. 1, 3 and 6 leave bits that make no
// whole byte.
func validTail(n int) bool {
	return n == 2 || n == 4 || n == 5 || n == 7
}

// lengthError describes a payload whose checksum does not match. It is
// cut short when its length fields need more bytes than it has, and
// otherwise changed.
func lengthError(raw []byte) *parseError {
	if missing := missingBytes(raw); missing > 0 {
		err := fmt.Errorf("%w: truncated: at least %d bytes are missing: copy the whole link", ErrInvalidLink, missing)
		return &parseError{stageLength, err}
	}
	err := fmt.Errorf("%w: checksum mismatch: the link was changed or cut, copy it again", ErrInvalidLink)
	return &parseError{stageChecksum, err}
}

// missingBytes walks the fields of a version 1 payload and returns how
// many bytes it lacks, checksum included, or 0 when it is long enough or
// not readable as version 1.
func missingBytes(raw []byte) int {
	if len(raw) == 0 {
		return minPayloadSize
	}
	if raw[0] != linkVersion {
		return 0
	}

	r := fieldReader{rest: raw}
	_, err := readFields(&r)
	switch {
	case r.missing > 0:
		return r.missing + checksumSize
	case err != nil:
		return 0
	case len(r.rest) < checksumSize:
		return checksumSize - len(r.rest)
	}
	return 0
}

// decodeBody decodes a payload without its checksum, whose version byte is
// already checked.
func decodeBody(body []byte) (Link, error) {
	r := fieldReader{rest: body}
	link, err := readFields(&r)
	switch {
	case r.missing > 0:
		return Link{}, fmt.Errorf("%w: a length field points %d bytes past the end", ErrInvalidLink, r.missing)
	case err != nil:
		return Link{}, err
	case len(r.rest) > 0:
		return Link{}, fmt.Errorf("%w: %d unexpected bytes after the last route", ErrInvalidLink, len(r.rest))
	}
	return link, nil
}

// readFields reads every field before the checksum. When the payload runs
// out, it stops and r.missing records how many bytes the next field lacked.
func readFields(r *fieldReader) (Link, error) {
	var link Link
	r.byte() // version
	copy(link.Sharer[:], r.bytes(idSize))
	copy(link.Secret[:], r.bytes(SecretSize))
	link.Expires = time.Unix(r.int64(), 0).UTC()
	link.Service = string(r.lenPrefixed())
	link.SharerName = string(r.lenPrefixed())

	count := int(r.byte())
	if count > MaxRoutes {
		return Link{}, fmt.Errorf("%w: invalid route list: it has %d routes, want 1 to %d", ErrInvalidLink, count, MaxRoutes)
	}
	for i := 0; i < count && r.missing == 0; i++ {
		route, err := readRoute(r)
		if err != nil {
			return Link{}, fmt.Errorf("%w: invalid route %d: %w", ErrInvalidLink, i+1, err)
		}
		link.Routes = append(link.Routes, route)
	}
	return link, nil
}

// readRoute reads one route. The error is a bare problem description.
func readRoute(r *fieldReader) (state.Route, error) {
	kind := r.byte()
	addr := string(r.lenPrefixed())
	switch {
	case r.missing > 0:
		return state.Route{}, nil
	case kind == routeDirect:
		return state.Route{Direct: addr}, nil
	case kind == routeRelay:
		var id identity.ID
		copy(id[:], r.bytes(idSize))
		return state.Route{Relay: addr, RelayID: id}, nil
	}
	return state.Route{}, fmt.Errorf("unknown route kind %d, want %d (direct) or %d (relay)", kind, routeDirect, routeRelay)
}

// fieldReader reads payload fields in order. Once a field is longer than
// what is left, every later read returns zeros, and missing keeps the
// number of bytes that first field lacked.
type fieldReader struct {
	rest    []byte
	missing int
}

// bytes returns the next n bytes, or nil when fewer are left.
func (r *fieldReader) bytes(n int) []byte {
	if r.missing > 0 {
		return nil
	}
	if len(r.rest) < n {
		r.missing = n - len(r.rest)
		r.rest = nil
		return nil
	}

	b := r.rest[:n]
	r.rest = r.rest[n:]
	return b
}

// byte returns the next byte, or 0 when none is left.
func (r *fieldReader) byte() byte {
	if b := r.bytes(1); b != nil {
		return b[0]
	}
	return 0
}

// int64 returns the next 8 bytes as a big-endian signed integer, or 0.
func (r *fieldReader) int64() int64 {
	if b := r.bytes(8); b != nil {
		return int64(binary.BigEndian.Uint64(b))
	}
	return 0
}

// lenPrefixed returns a field preceded by its 1-byte length.
func (r *fieldReader) lenPrefixed() []byte {
	return r.bytes(int(r.byte()))
}
