package invite

import (
	"errors"
	"strings"
	"testing"
)

func TestParseRejects(t *testing.T) {
	valid := mustText(t, testLink())
	payload := valid[len(LinkPrefix):]
	relayID := testID(0xb2)
	header := func() *bodyBuilder { return new(bodyBuilder).header("db", "Ana") }

	cases := []struct {
		name string
		text string
		want string
	}{
		{"empty", "", "wrong prefix"},
		{"spaces only", " \n\t", "wrong prefix"},
		{"prefix only", LinkPrefix, "nothing follows"},
		{"prefix and punctuation", LinkPrefix + ".", "nothing follows"},
		{"relay link", "portals://relay/" + payload, `"portals://relay/" link, not an invitation`},
		{"web address", "https://example.com/" + payload, "wrong prefix"},
		{"prefix without slash", "portals://invite" + payload, `"portals://invite` + payload[:10]},
		{"digit 0", LinkPrefix + payload[:10] + "0" + payload[11:], `'0' at offset 10`},
		{"digit 8", LinkPrefix + "8" + payload[1:], `'8' at offset 0`},
		{"non-ASCII", LinkPrefix + payload[:5] + "é" + payload[6:], `'\u00e9' at offset 5`},
		{"partial group", valid + "a", "checksum mismatch"},
		{"extra group", valid + "aaaaaaaa", "checksum mismatch"},
		{"unknown version", sealPayload(append([]byte{2}, payloadOf(t, valid)[1:len(payloadOf(t, valid))-checksumSize]...)), "newer Portals"},
		{"version 0", sealPayload(append([]byte{0}, payloadOf(t, valid)[1:len(payloadOf(t, valid))-checksumSize]...)), "unknown version 0"},
		{"zero routes", sealPayload(header().count(0).buf), "0 routes"},
		{"nine routes", sealPayload(nineRoutes(header()).buf), "9 routes"},
		{"route kind 0", sealPayload(header().count(1).route(0, "h:1", nil).buf), "unknown route kind 0"},
		{"route kind 3", sealPayload(header().count(1).route(3, "h:1", nil).buf), "unknown route kind 3"},
		{"address without port", sealPayload(header().count(1).route(routeDirect, "db.internal", nil).buf), `"db.internal" is not host:port`},
		{"port 0", sealPayload(header().count(1).route(routeDirect, "h:0", nil).buf), `port "0"`},
		{"port 65536", sealPayload(header().count(1).route(routeDirect, "h:65536", nil).buf), `port "65536"`},
		{"port name", sealPayload(header().count(1).route(routeDirect, "h:https", nil).buf), `port "https"`},
		{"empty host", sealPayload(header().count(1).route(routeDirect, ":7443", nil).buf), "empty host"},
		{"host with space", sealPayload(header().count(1).route(routeDirect, "a b:7443", nil).buf), "space or control"},
		{"empty address", sealPayload(header().count(1).route(routeDirect, "", nil).buf), "no address"},
		{"relay bad port", sealPayload(header().count(1).route(routeRelay, "r:0", relayID[:]).buf), "invalid route 1"},
		{"relay zero id", sealPayload(header().count(1).route(routeRelay, "r:1", make([]byte, idSize)).buf), "no identifier"},
		{"second route bad", sealPayload(header().count(2).route(routeDirect, "h:1", nil).route(routeDirect, "h", nil).buf), "invalid route 2"},
		{"trailing byte", sealPayload(append(header().count(1).route(routeDirect, "h:1", nil).buf, 0)), "1 unexpected bytes"},
		{"length past end", sealPayload(header().count(1).route(routeDirect, "h:1", nil).buf[:len(header().buf)+4]), "past the end"},
		{"service empty", sealPayload(new(bodyBuilder).header("", "Ana").count(1).route(routeDirect, "h:1", nil).buf), "the name is empty"},
		{"service upper case", sealPayload(new(bodyBuilder).header("DB", "Ana").count(1).route(routeDirect, "h:1", nil).buf), `invalid service name "DB"`},
		{"service leading dash", sealPayload(new(bodyBuilder).header("-db", "Ana").count(1).route(routeDirect, "h:1", nil).buf), "must start with"},
		{"service space", sealPayload(new(bodyBuilder).header("my db", "Ana").count(1).route(routeDirect, "h:1", nil).buf), `' ' at offset 2`},
		{"service too long", sealPayload(new(bodyBuilder).header(strings.Repeat("s", 65), "Ana").count(1).route(routeDirect, "h:1", nil).buf), "65 bytes long"},
		{"name newline", sealPayload(new(bodyBuilder).header("db", "Ana\nEvil").count(1).route(routeDirect, "h:1", nil).buf), "control character"},
		{"name NUL", sealPayload(new(bodyBuilder).header("db", "Ana\x00").count(1).route(routeDirect, "h:1", nil).buf), "control character"},
		{"name DEL", sealPayload(new(bodyBuilder).header("db", "\x7f").count(1).route(routeDirect, "h:1", nil).buf), "control character"},
		{"name C1 control", sealPayload(new(bodyBuilder).header("db", "a\u0085b").count(1).route(routeDirect, "h:1", nil).buf), "control character"},
		{"name not UTF-8", sealPayload(new(bodyBuilder).header("db", "\xff").count(1).route(routeDirect, "h:1", nil).buf), "not valid UTF-8"},
		{"name too long", sealPayload(new(bodyBuilder).header("db", strings.Repeat("n", 65)).count(1).route(routeDirect, "h:1", nil).buf), "65 bytes long"},
		{"too long", LinkPrefix + strings.Repeat("a", maxPayloadTextLen+1), "longer than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.text)
			assertInvalid(t, err, tc.want)
		})
	}
}

func TestParseExpiryRange(t *testing.T) {
	for _, sec := range []int64{0, -1, maxExpiryUnix + 1, -1 << 63} {
		body := new(bodyBuilder).header("db", "").count(1).route(routeDirect, "h:1", nil).buf
		putExpiry(body, sec)
		_, err := Parse(sealPayload(body))
		assertInvalid(t, err, "expiry")
	}
}

func TestParseAcceptsExpired(t *testing.T) {
	link := testLink()
	link.Expires = link.Expires.AddDate(-1, 0, 0)

	got, err := Parse(mustText(t, link))
	if err != nil {
		t.Fatalf("Parse of an expired link: %v", err)
	}
	if !got.Expired(testExpires) {
		t.Error("Expired = false, want true")
	}
}

func TestParseTruncatedText(t *testing.T) {
	valid := mustText(t, testLink())
	for n := len(LinkPrefix); n < len(valid); n++ {
		_, err := Parse(valid[:n])
		if !errors.Is(err, ErrInvalidLink) {
			t.Fatalf("Parse of the first %d of %d characters: error %v, want ErrInvalidLink", n, len(valid), err)
		}
		assertNoSecret(t, "error", err.Error())
	}
}

func TestParseTruncatedPayload(t *testing.T) {
	raw := payloadOf(t, mustText(t, testLink()))
	for n := 1; n < len(raw); n++ {
		_, err := Parse(linkFromPayload(raw[:n]))
		assertInvalid(t, err, "truncated")
	}
}

func TestParseTruncatedNamesMissingBytes(t *testing.T) {
	raw := payloadOf(t, mustText(t, testLink()))

	_, err := Parse(linkFromPayload(raw[:len(raw)-1]))
	assertInvalid(t, err, "at least 1 bytes are missing")

	// Cut inside the last relay identifier: 10 of its bytes and the
	// checksum are missing.
	_, err = Parse(linkFromPayload(raw[:len(raw)-checksumSize-10]))
	assertInvalid(t, err, "at least 14 bytes are missing")
}

func TestParseFlippedBits(t *testing.T) {
	raw := payloadOf(t, mustText(t, testLink()))
	for i := range raw {
		for bit := range 8 {
			flipped := []byte(string(raw))
			flipped[i] ^= 1 << bit
			_, err := Parse(linkFromPayload(flipped))
			if !errors.Is(err, ErrInvalidLink) {
				t.Fatalf("byte %d bit %d flipped: error %v, want ErrInvalidLink", i, bit, err)
			}
			assertNoSecret(t, "error", err.Error())
		}
	}
}

func TestParsePastedForms(t *testing.T) {
	link := testLink()
	text := mustText(t, link)
	payload := text[len(LinkPrefix):]

	forms := map[string]string{
		"surrounding space":      "  \t" + text + " \n",
		"upper case":             strings.ToUpper(text),
		"upper case prefix":      "PORTALS://INVITE/" + payload,
		"mixed case":             mixCase(text),
		"surrounding words":      "here: " + text + " thanks",
		"angle brackets":         "Join <" + text + ">, thanks!",
		"final period":           "The link is " + text + ".",
		"quoted":                 `"` + text + `"`,
		"wrapped at 60":          "Hi,\n" + wrap(text, 60, "\n") + "\n\nthanks\nAna",
		"wrapped at 76 CRLF":     wrap(text, 76, "\r\n") + "\r\n",
		"wrapped with spaces":    LinkPrefix + wrap(payload, 13, " "),
		"break after prefix":     LinkPrefix + "\n" + payload,
		"after a relay link":     "portals://relay/abc and " + text,
		"followed by base32 run": text + " abcdefgh abcd",
		"two links":              text + " " + mustText(t, otherLink()),
	}
	for name, form := range forms {
		t.Run(name, func(t *testing.T) {
			got, err := Parse(form)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			assertSameLink(t, got, link)
		})
	}
}

func TestParseWrappedTruncated(t *testing.T) {
	text := mustText(t, testLink())
	_, err := Parse("link:\n" + wrap(text[:len(text)-30], 60, "\n") + "\nthanks")
	assertInvalid(t, err, "truncated")
}

func TestValidateServiceName(t *testing.T) {
	valid := []string{"db", "0", "a", "web-1", "api.v2", "my_db", "9lives", strings.Repeat("a", MaxServiceNameLen)}
	for _, name := range valid {
		if err := ValidateServiceName(name); err != nil {
			t.Errorf("ValidateServiceName(%q) = %v, want nil", name, err)
		}
	}

	invalid := map[string]string{
		"":                                       "empty",
		strings.Repeat("a", MaxServiceNameLen+1): "65 bytes",
		"DB":                                     "start with",
		"dB":                                     `'B' at offset 1`,
		"-db":                                    "start with",
		".db":                                    "start with",
		"_db":                                    "start with",
		"my db":                                  `' ' at offset 2`,
		"db/1":                                   `'/' at offset 2`,
		"dé":                                     `'\u00e9' at offset 1`,
		"db\n":                                   `'\n' at offset 2`,
	}
	for name, want := range invalid {
		err := ValidateServiceName(name)
		if !errors.Is(err, ErrInvalidServiceName) || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateServiceName(%q) = %v, want ErrInvalidServiceName mentioning %q", name, err, want)
		}
	}
}

// assertInvalid checks that err wraps ErrInvalidLink, starts with the
// package prefix, contains want and leaks no secret.
func assertInvalid(t *testing.T, err error, want string) {
	t.Helper()
	if !errors.Is(err, ErrInvalidLink) {
		t.Fatalf("error = %v, want ErrInvalidLink", err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "invite: invalid invitation link: ") {
		t.Errorf("error %q does not start with the package prefix", msg)
	}
	if !strings.Contains(msg, want) {
		t.Errorf("error %q does not contain %q", msg, want)
	}
	assertNoSecret(t, "error", msg)
}

// nineRoutes writes a route count of 9 and nine direct routes.
func nineRoutes(b *bodyBuilder) *bodyBuilder {
	b.count(9)
	for range 9 {
		b.route(routeDirect, "h:1", nil)
	}
	return b
}

// putExpiry overwrites the expiry field of a body from bodyBuilder.
func putExpiry(body []byte, sec int64) {
	off := 1 + idSize + SecretSize
	for i := range expirySize {
		body[off+i] = byte(uint64(sec) >> (8 * (expirySize - 1 - i)))
	}
}

// wrap inserts sep every width characters.
func wrap(s string, width int, sep string) string {
	var lines []string
	for len(s) > width {
		lines = append(lines, s[:width])
		s = s[width:]
	}
	return strings.Join(append(lines, s), sep)
}

// mixCase upper-cases every other letter.
func mixCase(s string) string {
	out := []byte(s)
	for i := 0; i < len(out); i += 2 {
		if 'a' <= out[i] && out[i] <= 'z' {
			out[i] -= 'a' - 'A'
		}
	}
	return string(out)
}

// otherLink returns a valid link different from testLink.
func otherLink() Link {
	link := testLink()
	link.Service = "web"
	link.Secret[0] ^= 0xff
	return link
}
