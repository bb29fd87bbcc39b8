package identity_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/portalsapp/portals/engine/identity"
)

func TestFromSeedRoundTrip(t *testing.T) {
	for i := range 20 {
		seed := make([]byte, ed25519.SeedSize)
		if _, err := rand.Read(seed); err != nil {
			t.Fatal(err)
		}
		id := mustFromSeed(t, seed)

		if !bytes.Equal(id.Seed(), seed) {
			t.Fatalf("seed %d: Seed() = %x, want %x", i, id.Seed(), seed)
		}
		wantPub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
		if !bytes.Equal(id.PublicKey(), wantPub) {
			t.Fatalf("seed %d: PublicKey() = %x, want %x", i, id.PublicKey(), wantPub)
		}
		if got, want := id.ID().String(), deriveID(wantPub); got != want {
			t.Fatalf("seed %d: ID() = %s, want %s", i, got, want)
		}

		again := mustFromSeed(t, id.Seed())
		if again.ID() != id.ID() {
			t.Fatalf("seed %d: FromSeed(Seed()) has ID %s, want %s", i, again.ID(), id.ID())
		}
	}
}

func TestGenerateUsesReader(t *testing.T) {
	seed := bytes.Repeat([]byte{7}, ed25519.SeedSize)
	id, err := identity.Generate(bytes.NewReader(seed))
	if err != nil {
		t.Fatalf("Generate from a 32-byte reader: %v", err)
	}
	if !bytes.Equal(id.Seed(), seed) {
		t.Errorf("Seed() = %x, want the bytes read %x", id.Seed(), seed)
	}

	a, b := randomIdentity(t), randomIdentity(t)
	if a.ID() == b.ID() {
		t.Errorf("two Generate calls gave the same ID %s", a.ID())
	}
}

func TestGenerateFailsOnShortRandom(t *testing.T) {
	tests := []struct {
		name    string
		random  io.Reader
		wantErr error
	}{
		{"empty", bytes.NewReader(nil), io.EOF},
		{"31 bytes", bytes.NewReader(make([]byte, 31)), io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := identity.Generate(tt.random)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Generate = %v, %v; want an error wrapping %v", id, err, tt.wantErr)
			}
			if id != nil {
				t.Errorf("Generate returned an identity with its error")
			}
		})
	}
}

func TestFromSeedRejectsWrongLength(t *testing.T) {
	for _, n := range []int{0, 1, 31, 33, 64} {
		id, err := identity.FromSeed(make([]byte, n))
		if err == nil {
			t.Errorf("FromSeed(%d bytes) = %v, want an error", n, id)
			continue
		}
		if want := fmt.Sprintf("has %d bytes, want 32", n); !strings.Contains(err.Error(), want) {
			t.Errorf("FromSeed(%d bytes) error %q, want it to say %q", n, err, want)
		}
	}
}

func TestIdentityReturnsCopies(t *testing.T) {
	id := fixedIdentity(t, 1)
	seed, pub := id.Seed(), id.PublicKey()

	id.Seed()[0] ^= 0xff
	id.PublicKey()[0] ^= 0xff

	if !bytes.Equal(id.Seed(), seed) {
		t.Error("changing the slice returned by Seed() changed the identity's seed")
	}
	if !bytes.Equal(id.PublicKey(), pub) {
		t.Error("changing the slice returned by PublicKey() changed the identity's key")
	}
}

// secretForms lists ways the seed or private key of id could appear in
// text: hex, base64 and the renderings of fmt, whole and as an 8-byte
// prefix.
func secretForms(id *identity.Identity) []string {
	seed := id.Seed()
	priv := ed25519.NewKeyFromSeed(seed)

	var forms []string
	for _, b := range [][]byte{seed, priv, seed[:8]} {
		forms = append(forms,
			hex.EncodeToString(b),
			strings.ToUpper(hex.EncodeToString(b)),
			base64.StdEncoding.EncodeToString(b)[:8*len(b)/6],
			base64.URLEncoding.EncodeToString(b)[:8*len(b)/6],
			strings.Trim(fmt.Sprint(b), "[]"),
			strings.TrimSuffix(strings.TrimPrefix(fmt.Sprintf("%#v", b), "[]byte{"), "}"),
		)
	}
	return forms
}

func checkNoSecret(t *testing.T, source, out string, id *identity.Identity) {
	t.Helper()
	for _, form := range secretForms(id) {
		if strings.Contains(out, form) {
			t.Errorf("%s = %q contains key material %q", source, out, form)
		}
	}
}

func TestIdentityFormattingHidesKey(t *testing.T) {
	id := randomIdentity(t)
	text := id.ID().String()
	type holder struct {
		Node *identity.Identity
	}

	tests := []struct {
		name string
		out  string
	}{
		{"%v", fmt.Sprintf("%v", id)},
		{"%+v", fmt.Sprintf("%+v", id)},
		{"%#v", fmt.Sprintf("%#v", id)},
		{"%s", fmt.Sprintf("%s", id)},
		{"%q", fmt.Sprintf("%q", id)},
		{"%x", fmt.Sprintf("%x", id)},
		{"%X", fmt.Sprintf("%X", id)},
		{"%d", fmt.Sprintf("%d", id)},
		{"Sprint", fmt.Sprint(id)},
		{"%v of the value", fmt.Sprintf("%v", *id)},
		{"%#v of the value", fmt.Sprintf("%#v", *id)},
		{"%+v of a struct field", fmt.Sprintf("%+v", holder{id})},
		{"%#v of a struct field", fmt.Sprintf("%#v", holder{id})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(tt.out, text) {
				t.Errorf("output %q does not contain the identifier %s", tt.out, text)
			}
			checkNoSecret(t, "output", tt.out, id)
		})
	}
}

// TestUnexportedFieldHidesKey prints an Identity value held in an
// unexported field, where fmt calls none of its methods.
func TestUnexportedFieldHidesKey(t *testing.T) {
	id := randomIdentity(t)
	type holder struct {
		node identity.Identity
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%x", "%d"} {
		checkNoSecret(t, verb+" of an unexported field", fmt.Sprintf(verb, holder{*id}), id)
	}
}

func TestIdentityLogHidesKey(t *testing.T) {
	id := randomIdentity(t)
	text := id.ID().String()

	handlers := []struct {
		name string
		new  func(io.Writer) slog.Handler
	}{
		{"JSON", func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) }},
		{"text", func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) }},
	}
	for _, h := range handlers {
		t.Run(h.name, func(t *testing.T) {
			var buf bytes.Buffer
			logger := slog.New(h.new(&buf))
			logger.Info("pair", "identity", id)
			logger.Info("any", slog.Any("identity", id))
			logger.With("node", id).Info("with")
			logger.Info("group", slog.Group("peer", "identity", id))

			out := buf.String()
			if got := strings.Count(out, text); got != 4 {
				t.Errorf("log has the identifier %d times, want 4 (one per line):\n%s", got, out)
			}
			checkNoSecret(t, "log", out, id)
		})
	}
}

func TestSecretFormsDetectLeak(t *testing.T) {
	// Guards the leak tests above: each way of printing the seed must be
	// caught by secretForms.
	id := randomIdentity(t)
	seed := id.Seed()
	leaks := []string{
		fmt.Sprintf("%x", seed),
		fmt.Sprintf("%X", seed),
		fmt.Sprintf("%v", seed),
		fmt.Sprintf("%#v", seed),
		base64.StdEncoding.EncodeToString(seed),
		base64.RawURLEncoding.EncodeToString(seed),
		fmt.Sprintf("%v", ed25519.NewKeyFromSeed(seed)),
	}
	for _, leak := range leaks {
		found := false
		for _, form := range secretForms(id) {
			found = found || strings.Contains(leak, form)
		}
		if !found {
			t.Errorf("secretForms misses the leak %q", leak)
		}
	}
}
