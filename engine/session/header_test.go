package session

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"testing"
)

// TestWireValues pins every wire value; changing one breaks compatibility
// with deployed peers.
func TestWireValues(t *testing.T) {
	values := []struct {
		name      string
		got, want byte
	}{
		{"HeaderVersion", HeaderVersion, 1},
		{"KindPortal", byte(KindPortal), 1},
		{"KindRedeem", byte(KindRedeem), 2},
		{"KindReset", byte(KindReset), 3},
		{"StatusOK", byte(StatusOK), 1},
		{"StatusDenied", byte(StatusDenied), 2},
		{"StatusUnknownService", byte(StatusUnknownService), 3},
		{"StatusUnreachable", byte(StatusUnreachable), 4},
		{"StatusExpired", byte(StatusExpired), 5},
		{"StatusUsed", byte(StatusUsed), 6},
		{"StatusUnknownKind", byte(StatusUnknownKind), 7},
		{"StatusMalformed", byte(StatusMalformed), 8},
	}
	for _, v := range values {
		if v.got != v.want {
			t.Errorf("%s = %d, want %d", v.name, v.got, v.want)
		}
	}
	if len(statusNames) != 8 || len(kindNames) != 3 {
		t.Errorf("%d statuses and %d kinds have names; update this test with the new wire values", len(statusNames), len(kindNames))
	}

	names := map[string]string{
		StatusOK.String(): "ok", StatusDenied.String(): "denied", StatusUnknownService.String(): "unknown-service",
		StatusUnreachable.String(): "unreachable", StatusExpired.String(): "expired", StatusUsed.String(): "used",
		StatusUnknownKind.String(): "unknown-kind", StatusMalformed.String(): "malformed",
		KindPortal.String(): "portal", KindRedeem.String(): "redeem", KindReset.String(): "reset", Status(0).String(): "status(0)",
	}
	for got, want := range names {
		if got != want {
			t.Errorf("name %q, want %q", got, want)
		}
	}
}

func TestWireLayout(t *testing.T) {
	wire, err := appendHeader(nil, PortalHeader("db"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{1, 1, 0, 2, 'd', 'b'}; !bytes.Equal(wire, want) {
		t.Errorf("portal db header = %x, want %x", wire, want)
	}

	reset, err := appendHeader(nil, ResetHeader(0x01020304))
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{1, 3, 0, 4, 1, 2, 3, 4}; !bytes.Equal(reset, want) {
		t.Errorf("reset header = %x, want %x", reset, want)
	}

	response := appendResponse(nil, StatusUnreachable, "refused")
	if want := append([]byte{4, 0, 7}, "refused"...); !bytes.Equal(response, want) {
		t.Errorf("unreachable response = %x, want %x", response, want)
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	for _, h := range []Header{PortalHeader("db"), PortalHeader(strings.Repeat("s", MaxServiceNameSize)), RedeemHeader(Secret("0123456789abcdef")), ResetHeader(0xdeadbeef)} {
		wire, err := appendHeader(nil, h)
		if err != nil {
			t.Fatalf("encoding %s: %v", h, err)
		}
		got, err := readHeader(bytes.NewReader(wire))
		if err != nil || got.Kind != h.Kind || got.Service != h.Service || !bytes.Equal(got.Secret, h.Secret) || got.StreamID != h.StreamID {
			t.Errorf("round trip of %s = %s, %v", h, got, err)
		}
	}

	status, reason, err := readResponse(bytes.NewReader(appendResponse(nil, StatusDenied, strings.Repeat("r", 1000))))
	if err != nil || status != StatusDenied || len(reason) != MaxReasonSize {
		t.Errorf("long reason: status %s, %d bytes, %v; want denied cut to %d bytes", status, len(reason), err, MaxReasonSize)
	}
}

func TestEncodeRejects(t *testing.T) {
	for _, h := range []Header{
		PortalHeader(""),
		PortalHeader(strings.Repeat("s", MaxServiceNameSize+1)),
		RedeemHeader(nil),
		RedeemHeader(make(Secret, MaxSecretSize+1)),
		{Kind: 0},
	} {
		if _, err := appendHeader(nil, h); err == nil || !strings.HasPrefix(err.Error(), "session: ") {
			t.Errorf("encoding %s: err %v, want a session: error", h, err)
		}
	}
}

// TestOversizedLengthNotAllocated checks that a 64 KiB length prefix is
// rejected before its buffer is made.
func TestOversizedLengthNotAllocated(t *testing.T) {
	wire := []byte{HeaderVersion, byte(KindPortal), 0xff, 0xff}

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := readHeader(bytes.NewReader(wire))
	runtime.ReadMemStats(&after)

	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("got %v, want ErrMalformed", err)
	}
	if !strings.Contains(err.Error(), "65535") || !strings.Contains(err.Error(), "limit 64") {
		t.Errorf("error %q does not name the length and the limit", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<10 {
		t.Errorf("rejecting the header allocated %d bytes", grew)
	}

	_, _, err = readResponse(bytes.NewReader([]byte{1, 0xff, 0xff}))
	if !errors.Is(err, ErrMalformed) {
		t.Errorf("oversized response reason: %v, want ErrMalformed", err)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	const secret = "hunter2-very-secret"
	h := RedeemHeader(Secret(secret))

	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", slog.Any("header", h), slog.Any("secret", h.Secret))

	texts := []string{
		fmt.Sprint(h), fmt.Sprintf("%v %+v %#v %s %x %q", h, h, h, h.Secret, h.Secret, h.Secret),
		(&StatusError{Header: h, Status: StatusUsed}).Error(),
		logged.String(),
	}
	for _, text := range texts {
		if strings.Contains(text, secret) || strings.Contains(text, fmt.Sprintf("%x", secret)) {
			t.Errorf("secret leaked: %s", text)
		}
	}
}

func TestYamuxLogLevels(t *testing.T) {
	var out bytes.Buffer
	l := yamuxLogger{log: slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	l.Printf("[ERR] yamux: keepalive failed: %v", "i/o timeout")
	l.Println("[WARN] yamux: backlog exceeded")
	l.Print("untagged")

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{`level=ERROR msg="yamux: keepalive failed: i/o timeout"`, `level=WARN msg="yamux: backlog exceeded"`, `level=WARN msg=untagged`}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), out.String())
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d = %q, want it to contain %q", i, lines[i], w)
		}
	}
}
