package invite

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine/identity"
	"github.com/portalsapp/portals/engine/state"
)

// testID returns an identifier filled with b.
func testID(b byte) identity.ID {
	var id identity.ID
	for i := range id {
		id[i] = b
	}
	return id
}

// testSecret is a secret whose every encoding is easy to search for.
var testSecret = [SecretSize]byte{
	0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
}

// testExpires is the expiry of testLink.
var testExpires = time.Date(2026, 12, 11, 9, 30, 0, 0, time.UTC)

// testLink returns a valid link with one direct and one relay route.
func testLink() Link {
	return Link{
		Sharer:     testID(0xa1),
		Secret:     testSecret,
		Expires:    testExpires,
		Service:    "db",
		SharerName: "Ana's laptop",
		Routes: []state.Route{
			{Direct: "192.0.2.10:7443"},
			{Relay: "relay.example.com:7700", RelayID: testID(0xb2)},
		},
	}
}

// mustText returns l.Text or fails the test.
func mustText(t testing.TB, l Link) string {
	t.Helper()
	text, err := l.Text()
	if err != nil {
		t.Fatalf("Text: %v", err)
	}
	return text
}

// payloadOf decodes the payload of a link text built by Text.
func payloadOf(t testing.TB, text string) []byte {
	t.Helper()
	raw, err := linkEncoding.DecodeString(strings.TrimPrefix(text, LinkPrefix))
	if err != nil {
		t.Fatalf("decoding %s: %v", text, err)
	}
	return raw
}

// linkFromPayload encodes raw, which includes a checksum, as link text.
func linkFromPayload(raw []byte) string {
	return LinkPrefix + linkEncoding.EncodeToString(raw)
}

// sealPayload appends the checksum to body and returns the link text, so
// tests can build structurally wrong links that pass the checksum.
func sealPayload(body []byte) string {
	sum := sha256.Sum256(body)
	return linkFromPayload(append(bytes.Clone(body), sum[:checksumSize]...))
}

// bodyBuilder writes a version 1 payload body field by field.
type bodyBuilder struct{ buf []byte }

// header writes the fixed fields, service and sharer name of testLink.
func (b *bodyBuilder) header(service, name string) *bodyBuilder {
	l := testLink()
	b.buf = append(b.buf, linkVersion)
	b.buf = append(b.buf, l.Sharer[:]...)
	b.buf = append(b.buf, l.Secret[:]...)
	b.buf = binary.BigEndian.AppendUint64(b.buf, uint64(l.Expires.Unix()))
	b.buf = append(b.buf, byte(len(service)))
	b.buf = append(b.buf, service...)
	b.buf = append(b.buf, byte(len(name)))
	b.buf = append(b.buf, name...)
	return b
}

// route writes one route, with relayID after the address when non-nil.
func (b *bodyBuilder) route(kind byte, addr string, relayID []byte) *bodyBuilder {
	b.buf = append(b.buf, kind, byte(len(addr)))
	b.buf = append(b.buf, addr...)
	b.buf = append(b.buf, relayID...)
	return b
}

// count writes a route count byte.
func (b *bodyBuilder) count(n int) *bodyBuilder {
	b.buf = append(b.buf, byte(n))
	return b
}

// secretForms lists the encodings of testSecret that must never appear in
// output: hex, base64, base32 and the raw bytes as a Go slice literal.
func secretForms() []string {
	s := testSecret[:]
	forms := []string{
		hex.EncodeToString(s),
		base64.StdEncoding.EncodeToString(s),
		base64.RawURLEncoding.EncodeToString(s),
		strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(s)),
		"222 173 190 239", // fmt's %v of the bytes
		"0xde, 0xad",      // fmt's %#v of the bytes
	}
	// Base32 encodes 5 bytes as 8 characters, so the secret's characters in
	// a payload depend on its offset modulo 5. Check the middle of its
	// encoding at every offset.
	for shift := range 5 {
		var shifted []byte
		shifted = append(shifted, make([]byte, shift)...)
		shifted = append(shifted, s...)
		text := linkEncoding.EncodeToString(shifted)
		forms = append(forms, text[16:40])
	}
	return forms
}

// assertNoSecret fails when out contains any form of testSecret.
func assertNoSecret(t *testing.T, label, out string) {
	t.Helper()
	lower := strings.ToLower(out)
	for _, form := range secretForms() {
		if strings.Contains(lower, strings.ToLower(form)) {
			t.Errorf("%s contains the secret as %q: %s", label, form, out)
		}
	}
}
