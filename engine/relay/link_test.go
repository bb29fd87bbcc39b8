package relay

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"github.com/portalsapp/portals/engine/identity"
)

func testLink() Link {
	var l Link
	l.Addr = "relay.example.com:7700"
	for i := range l.RelayID {
		l.RelayID[i] = byte(i + 1)
	}
	for i := range l.Secret {
		l.Secret[i] = byte(0xa0 + i)
	}
	return l
}

func TestLinkRoundTrip(t *testing.T) {
	for _, addr := range []string{"relay.example.com:7700", "192.0.2.7:1", "[2001:db8::1]:65535", strings.Repeat("h", 249) + ":7700"} {
		l := testLink()
		l.Addr = addr
		text := l.String()
		for _, variant := range []string{text, "  \n" + text + "\t\n", LinkPrefix + strings.ToUpper(text[len(LinkPrefix):])} {
			got, err := ParseLink(variant)
			if err != nil {
				t.Fatalf("ParseLink(%q): %v", variant, err)
			}
			if got != l {
				t.Fatalf("round trip changed the link: %+v", got)
			}
		}
	}
}

// encodeLinkPayload builds link text from raw fields, with a valid or a
// given checksum, to craft inputs String would never produce.
func encodeLinkPayload(version byte, id identity.ID, secret [secretSize]byte, addrLen byte, addr string) string {
	payload := []byte{version}
	payload = append(payload, id[:]...)
	payload = append(payload, secret[:]...)
	payload = append(payload, addrLen)
	payload = append(payload, addr...)
	sum := sha256.Sum256(payload)
	return LinkPrefix + linkEncoding.EncodeToString(append(payload, sum[:linkChecksumSize]...))
}

func TestParseLinkRejects(t *testing.T) {
	l := testLink()
	good := l.String()
	flipped := []byte(good)
	if flipped[len(LinkPrefix)+10] == 'a' {
		flipped[len(LinkPrefix)+10] = 'b'
	} else {
		flipped[len(LinkPrefix)+10] = 'a'
	}
	addr := l.Addr

	cases := []struct {
		name, input, want string
	}{
		{"empty", "", "does not contain"},
		{"other scheme", "https://relay.example.com", "does not contain"},
		{"invitation prefix", "portals://invite/abc", "does not contain"},
		{"prefix only", LinkPrefix, "too short"},
		{"not base32", LinkPrefix + "!!!!", "not base32"},
		{"padding", good + "====", "not base32"},
		{"truncated", good[:len(good)-4], "checksum"},
		{"one character changed", string(flipped), "checksum"},
		{"broken and truncated", good[:30] + " " + good[30:len(good)-4], "checksum"},
		{"too long", LinkPrefix + strings.Repeat("a", maxLinkTextSize), "characters"},
		{"version 2", encodeLinkPayload(2, l.RelayID, l.Secret, byte(len(addr)), addr), "version 2"},
		{"zero relay id", encodeLinkPayload(1, identity.ID{}, l.Secret, byte(len(addr)), addr), "relay identifier"},
		{"zero secret", encodeLinkPayload(1, l.RelayID, [secretSize]byte{}, byte(len(addr)), addr), "secret is all zeros"},
		{"address length too big", encodeLinkPayload(1, l.RelayID, l.Secret, byte(len(addr)+1), addr), "address length"},
		{"address length too small", encodeLinkPayload(1, l.RelayID, l.Secret, byte(len(addr)-1), addr), "address length"},
		{"no port", encodeLinkPayload(1, l.RelayID, l.Secret, 11, "relay.local"), "not host:port"},
		{"port 0", encodeLinkPayload(1, l.RelayID, l.Secret, 13, "relay.local:0"), "port"},
		{"port 65536", encodeLinkPayload(1, l.RelayID, l.Secret, 17, "relay.local:65536"), "port"},
		{"empty host", encodeLinkPayload(1, l.RelayID, l.Secret, 5, ":7700"), "empty host"},
		{"control character", encodeLinkPayload(1, l.RelayID, l.Secret, 10, "re\x00ay:7700"), "control"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseLink(tc.input)
			if !errors.Is(err, ErrInvalidLink) {
				t.Fatalf("ParseLink error = %v, want ErrInvalidLink", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not name the problem %q", err, tc.want)
			}
			if bytes.Contains([]byte(err.Error()), l.Secret[:]) {
				t.Fatal("error contains the secret")
			}
		})
	}
}

func TestParseLinkFindsPastedLink(t *testing.T) {
	l := testLink()
	good := l.String()
	payload := good[len(LinkPrefix):]

	cases := []struct{ name, input string }{
		{"alone", good},
		{"surrounding white space", "\n\t " + good + " \n"},
		{"upper case", strings.ToUpper(good)},
		{"in a sentence", "Add our relay: " + good + ". Thanks!"},
		{"in angle brackets", "<" + good + ">"},
		{"wrapped by a mail program", LinkPrefix + payload[:40] + "\n" + payload[40:80] + "\n" + payload[80:] + "\nbye"},
		{"broken by a space", good[:30] + " " + good[30:]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseLink(tc.input)
			if err != nil {
				t.Fatalf("ParseLink: %v", err)
			}
			if got != l {
				t.Fatalf("ParseLink returned %v, want %v", got.LogValue(), l.LogValue())
			}
		})
	}
}

func TestServerLink(t *testing.T) {
	relay := startRelay(t, nil)
	link, err := relay.Link()
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ParseLink(link.String())
	if err != nil || parsed != link || parsed.RelayID != relay.ID() {
		t.Fatalf("server link did not round trip: %v", err)
	}
	if strings.Contains(fmtLogValue(link), link.String()[len(LinkPrefix):]) {
		t.Fatal("link log value contains the payload")
	}
}

func fmtLogValue(l Link) string {
	return l.LogValue().String()
}
