package identity_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine/identity"
)

// Window used by most attestation tests: whole seconds, far from zero.
var (
	testNotBefore = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	testNotAfter  = testNotBefore.Add(7 * 24 * time.Hour)
)

func channelKey(b byte) []byte {
	return bytes.Repeat([]byte{b}, identity.ChannelKeySize)
}

func mustAttest(t testing.TB, id *identity.Identity, key []byte, notBefore, notAfter time.Time) []byte {
	t.Helper()
	data, err := id.Attest(key, notBefore, notAfter)
	if err != nil {
		t.Fatalf("Attest(%v, %v): %v", notBefore, notAfter, err)
	}
	return data
}

func mustParseAttestation(t testing.TB, data []byte) *identity.Attestation {
	t.Helper()
	a, err := identity.ParseAttestation(data)
	if err != nil {
		t.Fatalf("ParseAttestation: %v", err)
	}
	return a
}

func TestAttestationRoundTrip(t *testing.T) {
	id := randomIdentity(t)
	windows := []struct {
		name                string
		notBefore, notAfter time.Time
	}{
		{"one week", testNotBefore, testNotAfter},
		{"one second", testNotBefore, testNotBefore.Add(time.Second)},
		{"before 1970", time.Unix(-86400, 0), time.Unix(-1, 0)},
		{"across 1970", time.Unix(-5, 0), time.Unix(5, 0)},
	}
	for _, w := range windows {
		t.Run(w.name, func(t *testing.T) {
			key := channelKey(0x42)
			a := mustParseAttestation(t, mustAttest(t, id, key, w.notBefore, w.notAfter))

			if !bytes.Equal(a.Signer, id.PublicKey()) {
				t.Errorf("Signer = %x, want %x", a.Signer, id.PublicKey())
			}
			if a.ID() != id.ID() {
				t.Errorf("ID() = %s, want %s", a.ID(), id.ID())
			}
			if !bytes.Equal(a.ChannelKey[:], key) {
				t.Errorf("ChannelKey = %x, want %x", a.ChannelKey, key)
			}
			if !a.NotBefore.Equal(w.notBefore) {
				t.Errorf("NotBefore = %v, want %v", a.NotBefore, w.notBefore)
			}
			if !a.NotAfter.Equal(w.notAfter) {
				t.Errorf("NotAfter = %v, want %v", a.NotAfter, w.notAfter)
			}
			if err := a.Check(key, w.notBefore); err != nil {
				t.Errorf("Check at NotBefore: %v", err)
			}
		})
	}
}

func TestAttestMatchesDocumentedLayout(t *testing.T) {
	id := fixedIdentity(t, 20)
	key := channelKey(0x17)
	data := mustAttest(t, id, key, testNotBefore, testNotAfter)

	body := attestationBody(key, testNotBefore.Unix(), testNotAfter.Unix())
	want := encodeSigned(privateKey(id), wireVersion, byte(identity.TypeChannelKey), wireLabelChannel, body, wireAttestBodySize)
	if !bytes.Equal(data, want) {
		t.Errorf("Attest differs from the documented layout:\n got %x\nwant %x", data, want)
	}
}

func TestAttestTruncatesToSeconds(t *testing.T) {
	id := fixedIdentity(t, 21)
	a := mustParseAttestation(t, mustAttest(t, id, channelKey(1),
		testNotBefore.Add(700*time.Millisecond), testNotAfter.Add(300*time.Millisecond)))

	if !a.NotBefore.Equal(testNotBefore) {
		t.Errorf("NotBefore = %v, want %v rounded down to the second", a.NotBefore, testNotBefore)
	}
	if !a.NotAfter.Equal(testNotAfter) {
		t.Errorf("NotAfter = %v, want %v rounded down to the second", a.NotAfter, testNotAfter)
	}
}

func TestAttestationCheck(t *testing.T) {
	id := fixedIdentity(t, 22)
	key := channelKey(0x33)
	a := mustParseAttestation(t, mustAttest(t, id, key, testNotBefore, testNotAfter))

	otherKey := channelKey(0x33)
	otherKey[31] ^= 1

	tests := []struct {
		name    string
		key     []byte
		now     time.Time
		wantErr error // nil means valid
	}{
		{"at NotBefore", key, testNotBefore, nil},
		{"inside the window", key, testNotBefore.Add(time.Hour), nil},
		{"at NotAfter", key, testNotAfter, nil},
		{"one second before NotBefore", key, testNotBefore.Add(-time.Second), identity.ErrNotYetValid},
		{"one day before NotBefore", key, testNotBefore.Add(-24 * time.Hour), identity.ErrNotYetValid},
		{"one second after NotAfter", key, testNotAfter.Add(time.Second), identity.ErrExpired},
		{"one year after NotAfter", key, testNotAfter.AddDate(1, 0, 0), identity.ErrExpired},
		{"another key", otherKey, testNotBefore.Add(time.Hour), identity.ErrKeyMismatch},
		{"another key outside the window", otherKey, testNotAfter.Add(time.Hour), identity.ErrKeyMismatch},
		{"short key", key[:31], testNotBefore.Add(time.Hour), identity.ErrKeyMismatch},
		{"long key", append(append([]byte(nil), key...), 0), testNotBefore.Add(time.Hour), identity.ErrKeyMismatch},
		{"no key", nil, testNotBefore.Add(time.Hour), identity.ErrKeyMismatch},
		{"at NotBefore in another zone", key, testNotBefore.In(time.FixedZone("east", 5*3600)), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := a.Check(tt.key, tt.now)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Check = %v, want an error wrapping %v", err, tt.wantErr)
			}
			for _, other := range []error{identity.ErrKeyMismatch, identity.ErrNotYetValid, identity.ErrExpired} {
				if other != tt.wantErr && errors.Is(err, other) {
					t.Errorf("Check error %q also wraps %v", err, other)
				}
			}
		})
	}
}

func TestAttestRejects(t *testing.T) {
	id := fixedIdentity(t, 23)
	tests := []struct {
		name                string
		key                 []byte
		notBefore, notAfter time.Time
		wantMsg             string
	}{
		{"no key", nil, testNotBefore, testNotAfter, "channel key is 0 bytes, want 32"},
		{"31-byte key", make([]byte, 31), testNotBefore, testNotAfter, "channel key is 31 bytes, want 32"},
		{"33-byte key", make([]byte, 33), testNotBefore, testNotAfter, "channel key is 33 bytes, want 32"},
		{"64-byte key", make([]byte, 64), testNotBefore, testNotAfter, "channel key is 64 bytes, want 32"},
		{"empty window", channelKey(1), testNotBefore, testNotBefore, "at least one second"},
		{"inverted window", channelKey(1), testNotAfter, testNotBefore, "at least one second"},
		{"window within one second", channelKey(1), testNotBefore, testNotBefore.Add(999 * time.Millisecond), "at least one second"},
		{"window across a second boundary but shorter than one second",
			channelKey(1), testNotBefore.Add(-100 * time.Millisecond), testNotBefore.Add(200 * time.Millisecond), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := id.Attest(tt.key, tt.notBefore, tt.notAfter)
			if tt.wantMsg == "" {
				// Whole seconds differ, so the encoded window is valid.
				if err != nil {
					t.Fatalf("Attest = %v, want success", err)
				}
				mustParseAttestation(t, data)
				return
			}
			if err == nil {
				t.Fatalf("Attest = %d bytes, want an error", len(data))
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Attest error %q, want it to say %q", err, tt.wantMsg)
			}
		})
	}
}

func TestAttestOutputAlwaysParses(t *testing.T) {
	// Attest must never produce what ParseAttestation refuses, whatever
	// the sub-second parts of the window.
	id := fixedIdentity(t, 24)
	offsets := []time.Duration{0, time.Nanosecond, 300 * time.Millisecond, 999_999_999 * time.Nanosecond, time.Second, 1500 * time.Millisecond}
	for _, from := range offsets {
		for _, to := range offsets {
			notBefore, notAfter := testNotBefore.Add(from), testNotBefore.Add(to)
			data, err := id.Attest(channelKey(2), notBefore, notAfter)
			if err != nil {
				continue
			}
			if _, err := identity.ParseAttestation(data); err != nil {
				t.Errorf("Attest(%v, %v) succeeded but ParseAttestation refuses it: %v", from, to, err)
			}
		}
	}
}

func TestParseAttestationRejects(t *testing.T) {
	id := fixedIdentity(t, 25)
	key := channelKey(5)
	nb, na := testNotBefore.Unix(), testNotAfter.Unix()
	good := attestationBody(key, nb, na)

	tests := []struct {
		name    string
		data    []byte
		wantErr error
		wantMsg string
	}{
		{"empty", nil, identity.ErrMalformed, ""},
		{"empty body", mustSign(t, id, identity.TypeChannelKey, nil), identity.ErrMalformed, "attestation body is 0 bytes, want 48"},
		{"body one byte short", mustSign(t, id, identity.TypeChannelKey, good[:47]), identity.ErrMalformed, "attestation body is 47 bytes, want 48"},
		{"body one byte long", mustSign(t, id, identity.TypeChannelKey, append(good, 0)), identity.ErrMalformed, "attestation body is 49 bytes, want 48"},
		{"body of MaxBodySize", mustSign(t, id, identity.TypeChannelKey, make([]byte, identity.MaxBodySize)), identity.ErrMalformed, "attestation body is 4096 bytes, want 48"},
		{"inverted window", mustSign(t, id, identity.TypeChannelKey, attestationBody(key, na, nb)), identity.ErrMalformed, "window ends before it starts"},
		{"empty window", mustSign(t, id, identity.TypeChannelKey, attestationBody(key, nb, nb)), identity.ErrMalformed, "window ends before it starts"},
		{"window across the sign bit", mustSign(t, id, identity.TypeChannelKey, attestationBody(key, 1, -1)), identity.ErrMalformed, "window ends before it starts"},
		{"invitation with an attestation body", mustSign(t, id, identity.TypeInvitation, good), identity.ErrWrongType, ""},
		{"trailing byte", append(mustSign(t, id, identity.TypeChannelKey, good), 0), identity.ErrMalformed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := identity.ParseAttestation(tt.data)
			if err == nil {
				t.Fatalf("ParseAttestation = %+v, want an error wrapping %v", a, tt.wantErr)
			}
			if got := wrappedSentinels(err); len(got) != 1 || got[0] != tt.wantErr {
				t.Errorf("ParseAttestation error %q wraps %v, want exactly %v", err, got, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("ParseAttestation error %q, want it to say %q", err, tt.wantMsg)
			}
			if a != nil {
				t.Errorf("ParseAttestation returned %+v with its error", a)
			}
		})
	}
}

func TestParseAttestationRejectsTampering(t *testing.T) {
	id := fixedIdentity(t, 26)
	data := mustAttest(t, id, channelKey(6), testNotBefore, testNotAfter)

	// Every byte of the key, the window and the signature is signed.
	for offset := wireHeaderSize; offset < len(data); offset++ {
		tampered := append([]byte(nil), data...)
		tampered[offset] ^= 0x80
		_, err := identity.ParseAttestation(tampered)
		if !errors.Is(err, identity.ErrInvalidSignature) {
			t.Errorf("byte %d flipped: ParseAttestation = %v, want ErrInvalidSignature", offset, err)
		}
	}
}

func TestParseAttestationCopiesSigner(t *testing.T) {
	id := fixedIdentity(t, 27)
	data := mustAttest(t, id, channelKey(7), testNotBefore, testNotAfter)
	a := mustParseAttestation(t, data)

	for i := range data {
		data[i] = 0
	}
	if !bytes.Equal(a.Signer, id.PublicKey()) {
		t.Errorf("Signer changed to %x when the input was overwritten, want a copy of %x", a.Signer, id.PublicKey())
	}
	if a.ID() != id.ID() {
		t.Errorf("ID() = %s after the input was overwritten, want %s", a.ID(), id.ID())
	}
}

func TestAttestationCheckErrorsExplain(t *testing.T) {
	id := fixedIdentity(t, 28)
	a := mustParseAttestation(t, mustAttest(t, id, channelKey(8), testNotBefore, testNotAfter))

	tests := []struct {
		now  time.Time
		want []string
	}{
		{testNotBefore.Add(-time.Second), []string{"2030-01-02 03:04:05 +0000 UTC", "clock"}},
		{testNotAfter.Add(time.Second), []string{"2030-01-09 03:04:05 +0000 UTC", "renew"}},
	}
	for _, tt := range tests {
		err := a.Check(channelKey(8), tt.now)
		if err == nil {
			t.Errorf("Check at %v = nil, want an error", tt.now)
			continue
		}
		for _, want := range tt.want {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Check at %v error %q, want it to mention %q", tt.now, err, want)
			}
		}
	}
}

func ExampleIdentity_Attest() {
	seed := bytes.Repeat([]byte{1}, 32)
	id, _ := identity.FromSeed(seed)
	key := bytes.Repeat([]byte{2}, identity.ChannelKeySize)

	data, _ := id.Attest(key, time.Unix(1000, 0), time.Unix(2000, 0))
	a, _ := identity.ParseAttestation(data)
	fmt.Println(len(data), a.ID() == id.ID(), a.Check(key, time.Unix(1500, 0)))
	// Output: 148 true <nil>
}
