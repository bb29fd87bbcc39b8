package identity_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/portalsapp/portals/engine/identity"
)

const idAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

func TestIDDerivationIsPinned(t *testing.T) {
	id := mustFromSeed(t, mustHex(t, rfc8032Seed))

	if got := hex.EncodeToString(id.PublicKey()); got != rfc8032Public {
		t.Fatalf("public key of the RFC 8032 seed = %s, want %s", got, rfc8032Public)
	}
	if got := deriveID(id.PublicKey()); got != rfc8032ID {
		t.Errorf("documented rule in the test gives %s, want the externally computed %s", got, rfc8032ID)
	}
	if got := id.ID().String(); got != rfc8032ID {
		t.Errorf("Identity.ID().String() = %s, want %s", got, rfc8032ID)
	}
	if got := identity.IDFromPublicKey(mustHex(t, rfc8032Public)).String(); got != rfc8032ID {
		t.Errorf("IDFromPublicKey(RFC 8032 key).String() = %s, want %s", got, rfc8032ID)
	}
}

func TestIDFromPublicKeyFollowsRule(t *testing.T) {
	for i := range 50 {
		pub := randomIdentity(t).PublicKey()
		id := identity.IDFromPublicKey(pub)

		sum := sha256.Sum256(append([]byte(wireIDLabel), pub...))
		if !bytes.Equal(id[:], sum[:]) {
			t.Fatalf("key %d: ID bytes = %x, want SHA-256 of label and key %x", i, id[:], sum[:])
		}
		if got, want := id.String(), deriveID(pub); got != want {
			t.Fatalf("key %d: String() = %s, want %s", i, got, want)
		}
	}
}

func TestIDStringParseRoundTrip(t *testing.T) {
	for i := range 200 {
		id := randomIdentity(t).ID()
		text := id.String()

		if len(text) != 56 {
			t.Fatalf("String() = %q has %d characters, want 4 for the prefix and 52 for 256 bits", text, len(text))
		}
		if !strings.HasPrefix(text, "pid1") {
			t.Fatalf("String() = %q, want the prefix pid1", text)
		}
		if j := strings.IndexFunc(text[4:], func(r rune) bool { return !strings.ContainsRune(idAlphabet, r) }); j >= 0 {
			t.Fatalf("String() = %q has %q outside the lowercase base32 alphabet", text, text[4+j])
		}

		parsed, err := identity.ParseID(text)
		if err != nil {
			t.Fatalf("ParseID(%q) of identifier %d: %v", text, i, err)
		}
		if parsed != id {
			t.Fatalf("ParseID(%q) = %x, want %x", text, parsed[:], id[:])
		}
	}
}

func TestParseIDAcceptsCaseAndSurroundingSpace(t *testing.T) {
	want := identity.IDFromPublicKey(mustHex(t, rfc8032Public))
	upper := strings.ToUpper(rfc8032ID)

	tests := []struct {
		name, input string
	}{
		{"lowercase", rfc8032ID},
		{"uppercase", upper},
		{"uppercase prefix only", upper[:4] + rfc8032ID[4:]},
		{"mixed case", rfc8032ID[:20] + upper[20:40] + rfc8032ID[40:]},
		{"leading and trailing spaces", "  " + rfc8032ID + " "},
		{"tabs and newlines around", "\t\n" + upper + "\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := identity.ParseID(tt.input)
			if err != nil {
				t.Fatalf("ParseID(%q) = error %v, want %s", tt.input, err, rfc8032ID)
			}
			if got != want {
				t.Fatalf("ParseID(%q) = %s, want %s", tt.input, got, rfc8032ID)
			}
		})
	}
}

func TestParseIDRejectsMalformed(t *testing.T) {
	valid := rfc8032ID
	body := valid[4:]
	at := func(i int, c string) string { return valid[:i] + c + valid[i+1:] }

	// The last character carries the 256th bit and four unused bits, so
	// only 'a' (00000) and 'q' (10000) are canonical there.
	unusedBits := valid[:len(valid)-1] + "r"

	tests := []struct {
		name, input string
		wantMsg     string // part of the error text that names the problem
	}{
		{"empty", "", `must start with "pid1"`},
		{"only spaces", "   ", `must start with "pid1"`},
		{"no prefix", body, `must start with "pid1"`},
		{"wrong prefix version", "pid2" + body, `must start with "pid1"`},
		{"prefix with colon", "pid1:" + body[:51], `":" at offset 4 is not in the identifier alphabet`},
		{"short form", "pid1:" + body[:4] + "-" + body[4:8], "not in the identifier alphabet"},
		{"prefix only", "pid1", "has 4 characters, want 56"},
		{"truncated by one char", valid[:len(valid)-1], "has 55 characters, want 56"},
		{"truncated by half", valid[:30], "has 30 characters, want 56"},
		{"one extra char", valid + "a", "has 57 characters, want 56"},
		{"invalid char 0", at(10, "0"), `"0" at offset 10 is not in the identifier alphabet`},
		{"invalid char 1", at(11, "1"), `"1" at offset 11 is not in the identifier alphabet`},
		{"invalid char 8", at(12, "8"), `"8" at offset 12 is not in the identifier alphabet`},
		{"invalid char 9", at(55, "9"), `"9" at offset 55 is not in the identifier alphabet`},
		{"padding", valid[:52] + "====", `"=" at offset 52 is not in the identifier alphabet`},
		{"inner space", at(20, " "), `" " at offset 20 is not in the identifier alphabet`},
		{"inner line breaks", valid[:20] + "\n\n" + valid[20:54], `"\n" at offset 20 is not in the identifier alphabet`},
		{"inner carriage returns", valid[:20] + "\r\r" + valid[20:54], `"\r" at offset 20 is not in the identifier alphabet`},
		{"kelvin sign for k", "pid1" + strings.Repeat("\u212a", 52), `"\u212a" at offset 4 is not in the identifier alphabet`},
		{"invalid UTF-8", at(30, "\xff"), "not in the identifier alphabet"},
		{"unused bits set", unusedBits, "unused bits"},
		{"all zeros", "pid1" + strings.Repeat("a", 52), "all zeros"},
		{"all zeros uppercase", "PID1" + strings.Repeat("A", 52), "all zeros"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := identity.ParseID(tt.input)
			if err == nil {
				t.Fatalf("ParseID(%q) = %s, want an error", tt.input, id)
			}
			if !errors.Is(err, identity.ErrInvalidID) {
				t.Errorf("ParseID(%q) error %q does not wrap ErrInvalidID", tt.input, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("ParseID(%q) error %q does not name the problem %q", tt.input, err, tt.wantMsg)
			}
			if !id.IsZero() {
				t.Errorf("ParseID(%q) returned %x with its error, want the zero ID", tt.input, id[:])
			}
		})
	}
}

func TestParseIDErrorIsShortForLongInput(t *testing.T) {
	input := strings.Repeat("x", 100_000)
	_, err := identity.ParseID(input)
	if err == nil {
		t.Fatal("ParseID of 100000 bytes succeeded, want an error")
	}
	if len(err.Error()) > 300 {
		t.Errorf("error for a 100000-byte input is %d bytes long, want at most 300", len(err.Error()))
	}
}

func TestIDTextMarshaling(t *testing.T) {
	id := identity.IDFromPublicKey(mustHex(t, rfc8032Public))

	text, err := id.MarshalText()
	if err != nil {
		t.Fatalf("MarshalText: %v", err)
	}
	if string(text) != rfc8032ID {
		t.Errorf("MarshalText = %q, want %q", text, rfc8032ID)
	}

	var back identity.ID
	if err := back.UnmarshalText(text); err != nil {
		t.Fatalf("UnmarshalText(%q): %v", text, err)
	}
	if back != id {
		t.Errorf("UnmarshalText(%q) = %s, want %s", text, back, id)
	}

	before := back
	err = back.UnmarshalText([]byte("pid1nope"))
	if !errors.Is(err, identity.ErrInvalidID) {
		t.Errorf("UnmarshalText(pid1nope) error = %v, want one wrapping ErrInvalidID", err)
	}
	if back != before {
		t.Errorf("failed UnmarshalText changed the ID to %x, want it unchanged", back[:])
	}
}

func TestIDJSONRoundTrip(t *testing.T) {
	type record struct {
		Peer identity.ID `json:"peer"`
	}
	in := record{Peer: identity.IDFromPublicKey(mustHex(t, rfc8032Public))}

	data, err := json.Marshal(in)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	if want := `{"peer":"` + rfc8032ID + `"}`; string(data) != want {
		t.Errorf("json.Marshal = %s, want %s", data, want)
	}

	var out record
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("json.Unmarshal(%s): %v", data, err)
	}
	if out != in {
		t.Errorf("JSON round trip = %s, want %s", out.Peer, in.Peer)
	}

	err = json.Unmarshal([]byte(`{"peer":"pid1`+strings.Repeat("a", 51)+`"}`), &out)
	if !errors.Is(err, identity.ErrInvalidID) {
		t.Errorf("json.Unmarshal of a truncated identifier error = %v, want one wrapping ErrInvalidID", err)
	}
}

func TestZeroIDHasNoText(t *testing.T) {
	var zero identity.ID
	if !zero.IsZero() {
		t.Error("IsZero() of the zero ID = false, want true")
	}

	text, err := zero.MarshalText()
	if !errors.Is(err, identity.ErrInvalidID) {
		t.Errorf("MarshalText of the zero ID = %q, %v; want an error wrapping ErrInvalidID", text, err)
	}

	_, err = json.Marshal(struct{ Peer identity.ID }{})
	if !errors.Is(err, identity.ErrInvalidID) {
		t.Errorf("json.Marshal of a zero ID error = %v, want one wrapping ErrInvalidID", err)
	}

	if identity.IDFromPublicKey(mustHex(t, rfc8032Public)).IsZero() {
		t.Error("IsZero() of a derived ID = true, want false")
	}
}

func TestIDShort(t *testing.T) {
	id := identity.IDFromPublicKey(mustHex(t, rfc8032Public))
	short := id.Short()

	if len(short) > 16 {
		t.Errorf("Short() = %q is %d bytes, want at most 16", short, len(short))
	}
	if !strings.HasPrefix(short, "pid1") {
		t.Errorf("Short() = %q, want it to start with pid1", short)
	}
	if letters := strings.NewReplacer("pid1", "", ":", "", "-", "").Replace(short); !strings.HasPrefix(rfc8032ID[4:], letters) {
		t.Errorf("Short() = %q, want its letters %q to begin the identifier %s", short, letters, rfc8032ID)
	}
	if short == id.String() {
		t.Errorf("Short() = %q, want it shorter than String()", short)
	}
	if _, err := identity.ParseID(short); err == nil {
		t.Errorf("ParseID(Short()) = nil error, want the short form never to parse as an identifier")
	}
}

func TestIDShortDiffersAcrossIDs(t *testing.T) {
	const n = 1000
	seen := make(map[string]identity.ID, n)
	for range n {
		id := randomIdentity(t).ID()
		short := id.Short()
		if other, ok := seen[short]; ok && other != id {
			t.Fatalf("Short() = %q for both %s and %s, want different short forms", short, other, id)
		}
		seen[short] = id
	}
	if len(seen) != n {
		t.Fatalf("got %d distinct short forms for %d random identities, want %d", len(seen), n, n)
	}
}

func TestIDFromPublicKeyDiffersPerKey(t *testing.T) {
	a := identity.IDFromPublicKey(mustHex(t, rfc8032Public))
	flipped := mustHex(t, rfc8032Public)
	flipped[31] ^= 1
	b := identity.IDFromPublicKey(flipped)
	if a == b {
		t.Errorf("keys differing in one bit give the same ID %s", a)
	}

	// The label keeps the identifier from being the plain hash of the key.
	plain := sha256.Sum256(mustHex(t, rfc8032Public))
	if a == identity.ID(plain) {
		t.Error("ID equals SHA-256 of the bare key, want the labelled hash")
	}

	if identity.IDFromPublicKey(ed25519.PublicKey(nil)) == a {
		t.Error("ID of an empty key equals the ID of the RFC 8032 key")
	}
}
