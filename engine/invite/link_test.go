package invite

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine/state"
)

func TestWireConstants(t *testing.T) {
	pins := []struct {
		name      string
		got, want int
	}{
		{"linkVersion", linkVersion, 1},
		{"routeDirect", int(routeDirect), 1},
		{"routeRelay", int(routeRelay), 2},
		{"SecretSize", SecretSize, 32},
		{"checksumSize", checksumSize, 4},
		{"MaxRoutes", MaxRoutes, 8},
		{"MaxServiceNameLen", MaxServiceNameLen, 64},
		{"MaxSharerNameLen", MaxSharerNameLen, 64},
		{"minPayloadSize", minPayloadSize, 1 + 32 + 32 + 8 + 2 + 1 + 1 + 3 + 4},
		{"maxPayloadSize", maxPayloadSize, 1 + 32 + 32 + 8 + 65 + 65 + 1 + 8*289 + 4},
	}
	for _, p := range pins {
		if p.got != p.want {
			t.Errorf("%s = %d, want %d", p.name, p.got, p.want)
		}
	}
}

func TestLinkRoundTrip(t *testing.T) {
	link := testLink()
	text := mustText(t, link)
	if !strings.HasPrefix(text, LinkPrefix) || strings.ToLower(text) != text {
		t.Errorf("Text = %q, want lowercase with prefix %q", text, LinkPrefix)
	}

	got, err := Parse(text)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	assertSameLink(t, got, link)
}

func TestLinkRoundTripMaxSizes(t *testing.T) {
	link := testLink()
	link.Service = "a" + strings.Repeat("-", MaxServiceNameLen-1)
	link.SharerName = strings.Repeat("é", MaxSharerNameLen/2)
	link.Expires = time.Unix(maxExpiryUnix, 0).UTC()
	longHost := strings.Repeat("h", maxAddrLen-len(":65535"))
	link.Routes = nil
	for i := range MaxRoutes {
		link.Routes = append(link.Routes, state.Route{Relay: longHost + ":65535", RelayID: testID(byte(i + 1))})
	}

	text := mustText(t, link)
	if got, want := len(payloadOf(t, text)), maxPayloadSize; got != want {
		t.Errorf("payload is %d bytes, want maxPayloadSize %d", got, want)
	}
	got, err := Parse(text)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	assertSameLink(t, got, link)

	wrapped := LinkPrefix + "\n" + wrap(text[len(LinkPrefix):], 16, "\n")
	if got, err = Parse(wrapped); err != nil {
		t.Fatalf("Parse of the link wrapped at 16 characters: %v", err)
	}
	assertSameLink(t, got, link)
}

func TestLinkRoundTripMinSizes(t *testing.T) {
	link := testLink()
	link.Service = "d"
	link.SharerName = ""
	link.Expires = time.Unix(minExpiryUnix, 0).UTC()
	link.Routes = []state.Route{{Direct: "h:1"}}

	got, err := Parse(mustText(t, link))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	assertSameLink(t, got, link)
}

func TestLinkTextDropsFraction(t *testing.T) {
	link := testLink()
	link.Expires = testExpires.Add(999 * time.Millisecond)

	got, err := Parse(mustText(t, link))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if !got.Expires.Equal(testExpires) {
		t.Errorf("Expires = %v, want %v", got.Expires, testExpires)
	}
}

func TestLinkTextRejectsInvalid(t *testing.T) {
	cases := []struct {
		name   string
		modify func(*Link)
		want   string
	}{
		{"zero sharer", func(l *Link) { l.Sharer = testID(0) }, "sharer identifier"},
		{"zero secret", func(l *Link) { l.Secret = [SecretSize]byte{} }, "secret is all zeros"},
		{"zero expiry", func(l *Link) { l.Expires = time.Time{} }, "expiry"},
		{"expiry after 9999", func(l *Link) { l.Expires = time.Unix(maxExpiryUnix+1, 0) }, "expiry"},
		{"bad service", func(l *Link) { l.Service = "DB" }, "invalid service name"},
		{"long sharer name", func(l *Link) { l.SharerName = strings.Repeat("n", MaxSharerNameLen+1) }, "sharer name"},
		{"no routes", func(l *Link) { l.Routes = nil }, "0 routes"},
		{"both kinds", func(l *Link) { l.Routes[0].Relay = "r:1" }, "both direct and through a relay"},
		{"relay without id", func(l *Link) { l.Routes[1].RelayID = testID(0) }, "no identifier"},
		{"empty route", func(l *Link) { l.Routes[0] = state.Route{} }, "no address"},
		{"long address", func(l *Link) { l.Routes[0].Direct = strings.Repeat("h", maxAddrLen) + ":1" }, "more than 255"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			link := testLink()
			tc.modify(&link)
			_, err := link.Text()
			if !errors.Is(err, ErrInvalidLink) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Text error = %v, want ErrInvalidLink mentioning %q", err, tc.want)
			}
		})
	}
}

func TestLinkExpired(t *testing.T) {
	link := testLink()
	if link.Expired(testExpires.Add(-time.Second)) {
		t.Error("Expired one second before Expires = true, want false")
	}
	if !link.Expired(testExpires) {
		t.Error("Expired at Expires = false, want true")
	}
}

func TestLinkPrintingHidesSecret(t *testing.T) {
	link := testLink()
	text := mustText(t, link)
	outputs := map[string]string{
		"String":  link.String(),
		"%v":      fmt.Sprintf("%v", link),
		"%+v":     fmt.Sprintf("%+v", link),
		"%#v":     fmt.Sprintf("%#v", link),
		"%s":      fmt.Sprintf("%s", link),
		"%q":      fmt.Sprintf("%q", link),
		"%x":      fmt.Sprintf("%x", link),
		"pointer": fmt.Sprintf("%v", &link),
		"struct":  fmt.Sprintf("%+v", struct{ Link Link }{link}),
		"slice":   fmt.Sprintf("%v", []Link{link}),
	}

	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("made", "invitation", link)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("made", "invitation", link)
	outputs["slog"] = logs.String()

	for label, out := range outputs {
		assertNoSecret(t, label, out)
		if strings.Contains(out, text[len(LinkPrefix):len(LinkPrefix)+40]) {
			t.Errorf("%s contains the link text: %s", label, out)
		}
		if !strings.Contains(out, "db") {
			t.Errorf("%s does not name the service: %s", label, out)
		}
	}
}

func TestLinkTextContainsSecret(t *testing.T) {
	// The check in TestLinkPrintingHidesSecret must be able to fail: the
	// link text itself carries the secret in one of the searched forms.
	text := mustText(t, testLink())
	found := false
	for _, form := range secretForms() {
		found = found || strings.Contains(text, form)
	}
	if !found {
		t.Fatal("no form of the secret found in the link text, so the redaction checks prove nothing")
	}
}

// assertSameLink compares two links, expiries by instant.
func assertSameLink(t *testing.T, got, want Link) {
	t.Helper()
	if !got.Expires.Equal(want.Expires) {
		t.Errorf("Expires = %v, want %v", got.Expires, want.Expires)
	}
	got.Expires, want.Expires = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parsed link differs:\n got %#v\nwant %#v", fields(got), fields(want))
	}
}

// fields prints every field of l, secret included, for failure messages in
// tests only.
func fields(l Link) string {
	return fmt.Sprintf("{Sharer:%s Secret:%x Service:%q SharerName:%q Routes:%+v}", l.Sharer, l.Secret, l.Service, l.SharerName, l.Routes)
}
