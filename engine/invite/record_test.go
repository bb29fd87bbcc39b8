package invite

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// testNow is a fixed clock reading with a fraction of a second.
var testNow = time.Date(2026, 12, 4, 20, 15, 11, 500_000_000, time.UTC)

// countingReader returns 1, 2, 3, ... so each New gets a different secret.
type countingReader struct{ next byte }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		r.next++
		p[i] = r.next
	}
	return len(p), nil
}

func TestNewDefaults(t *testing.T) {
	secret, rec, err := New("db", 0, 0, testNow, &countingReader{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}

	created := testNow.Truncate(time.Second)
	if !rec.Created.Equal(created) {
		t.Errorf("Created = %v, want %v", rec.Created, created)
	}
	if want := created.Add(7 * 24 * time.Hour); !rec.Expires.Equal(want) {
		t.Errorf("Expires = %v, want %v", rec.Expires, want)
	}
	if rec.UsesLeft != 1 {
		t.Errorf("UsesLeft = %d, want 1", rec.UsesLeft)
	}
	if rec.Service != "db" {
		t.Errorf("Service = %q, want %q", rec.Service, "db")
	}
	if rec.Hash != HashSecret(secret) {
		t.Error("Hash is not HashSecret(secret)")
	}
	if strings.Contains(string(mustJSON(t, rec)), hex.EncodeToString(secret[:])) {
		t.Error("the record's JSON contains the secret in hex")
	}
}

func TestNewUsesRandom(t *testing.T) {
	a, _, errA := New("db", 0, 0, testNow, nil)
	b, _, errB := New("db", 0, 0, testNow, nil)
	if errA != nil || errB != nil {
		t.Fatalf("New: %v, %v", errA, errB)
	}
	if a == b {
		t.Error("two secrets from crypto/rand are equal")
	}
}

func TestNewLimits(t *testing.T) {
	cases := []struct {
		name  string
		uses  int
		ttl   time.Duration
		valid bool
	}{
		{"min uses and ttl", 1, MinTTL, true},
		{"max uses and ttl", MaxUses, MaxTTL, true},
		{"negative uses", -1, 0, false},
		{"too many uses", MaxUses + 1, 0, false},
		{"negative ttl", 0, -time.Hour, false},
		{"ttl too short", 0, MinTTL - time.Second, false},
		{"ttl too long", 0, MaxTTL + time.Second, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, rec, err := New("db", tc.uses, tc.ttl, testNow, &countingReader{})
			if tc.valid {
				if err != nil || rec.UsesLeft != tc.uses || rec.Expires.Sub(rec.Created) != tc.ttl {
					t.Errorf("New = %+v, %v; want %d uses for %s", rec, err, tc.uses, tc.ttl)
				}
				return
			}
			if !errors.Is(err, ErrInvalidRecord) {
				t.Errorf("New error = %v, want ErrInvalidRecord", err)
			}
		})
	}
}

func TestNewBadServiceName(t *testing.T) {
	_, _, err := New("My DB", 0, 0, testNow, &countingReader{})
	if !errors.Is(err, ErrInvalidServiceName) {
		t.Errorf("New error = %v, want ErrInvalidServiceName", err)
	}
}

func TestNewRandomFailure(t *testing.T) {
	broken := errors.New("no entropy")
	_, _, err := New("db", 0, 0, testNow, iotest.ErrReader(broken))
	if !errors.Is(err, broken) {
		t.Errorf("New error = %v, want one that wraps %v", err, broken)
	}

	_, _, err = New("db", 0, 0, testNow, bytes.NewReader(make([]byte, SecretSize)))
	if err == nil || !strings.Contains(err.Error(), "zero bytes") {
		t.Errorf("New with zero randomness: error %v, want one about zero bytes", err)
	}
}

func TestHashSecretIsLabelled(t *testing.T) {
	plain := sha256.Sum256(testSecret[:])
	if HashSecret(testSecret) == plain {
		t.Error("HashSecret equals plain SHA-256 of the secret")
	}
	if HashSecret(testSecret) != HashSecret(testSecret) {
		t.Error("HashSecret is not deterministic")
	}
}

func TestRedeemDecrements(t *testing.T) {
	secret, rec, _ := New("db", 2, 0, testNow, &countingReader{})

	if err := rec.Redeem(secret, testNow); err != nil {
		t.Fatalf("first Redeem: %v", err)
	}
	if rec.UsesLeft != 1 {
		t.Errorf("UsesLeft after one redemption = %d, want 1", rec.UsesLeft)
	}
	if err := rec.Redeem(secret, testNow); err != nil {
		t.Fatalf("second Redeem: %v", err)
	}
	if rec.UsesLeft != 0 {
		t.Errorf("UsesLeft after two redemptions = %d, want 0", rec.UsesLeft)
	}
}

func TestRedeemUsed(t *testing.T) {
	secret, rec, _ := New("db", 1, 0, testNow, &countingReader{})
	if err := rec.Redeem(secret, testNow); err != nil {
		t.Fatalf("first Redeem: %v", err)
	}

	err := rec.Redeem(secret, testNow)
	if !errors.Is(err, ErrUsed) || err.Error() != "invite: invitation already used: ask the sharer for a new one" {
		t.Errorf("second Redeem = %v, want ErrUsed with advice", err)
	}
	if rec.UsesLeft != 0 {
		t.Errorf("UsesLeft = %d after a rejected redemption, want 0", rec.UsesLeft)
	}
}

func TestRedeemExpired(t *testing.T) {
	secret, rec, _ := New("db", 1, time.Hour, testNow, &countingReader{})

	if err := rec.Redeem(secret, rec.Expires.Add(-time.Nanosecond)); err != nil {
		t.Fatalf("Redeem just before expiry: %v", err)
	}
	rec.UsesLeft = 1
	err := rec.Redeem(secret, rec.Expires)
	want := "invite: invitation expired at 2026-12-04T21:15:11Z: ask the sharer for a new one"
	if !errors.Is(err, ErrExpired) || err.Error() != want {
		t.Errorf("Redeem at expiry = %v, want %q", err, want)
	}
	if rec.UsesLeft != 1 {
		t.Errorf("UsesLeft = %d after a rejected redemption, want 1", rec.UsesLeft)
	}
}

func TestRedeemNoMatch(t *testing.T) {
	secret, rec, _ := New("db", 1, 0, testNow, &countingReader{})
	rec.Expires = testNow.Add(-time.Hour) // a wrong secret must not learn this

	secret[31] ^= 1
	if err := rec.Redeem(secret, testNow); !errors.Is(err, ErrNoMatch) {
		t.Errorf("Redeem with a wrong secret = %v, want ErrNoMatch", err)
	}
	if rec.UsesLeft != 1 {
		t.Errorf("UsesLeft = %d, want 1", rec.UsesLeft)
	}
}

func TestFind(t *testing.T) {
	random := &countingReader{}
	var secrets [][SecretSize]byte
	var records []Record
	for _, service := range []string{"db", "web", "ssh"} {
		secret, rec, err := New(service, 0, 0, testNow, random)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		secrets, records = append(secrets, secret), append(records, rec)
	}

	for want, secret := range secrets {
		got, err := Find(records, secret)
		if err != nil || got != want {
			t.Errorf("Find(secret %d) = %d, %v; want %d", want, got, err, want)
		}
	}

	if i, err := Find(records, testSecret); !errors.Is(err, ErrNoMatch) || i != -1 {
		t.Errorf("Find(unknown) = %d, %v; want -1, ErrNoMatch", i, err)
	}
	if i, err := Find(nil, testSecret); !errors.Is(err, ErrNoMatch) || i != -1 {
		t.Errorf("Find(nil) = %d, %v; want -1, ErrNoMatch", i, err)
	}
}

func TestRecordJSONRoundTrip(t *testing.T) {
	_, rec, _ := New("db", 3, 0, testNow, &countingReader{})
	data := mustJSON(t, rec)
	if !bytes.Contains(data, []byte(`"hash":"`)) || !bytes.Contains(data, []byte(`"uses_left":3`)) {
		t.Errorf("JSON = %s, want hex hash and uses_left", data)
	}

	var got Record
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if got != rec {
		t.Errorf("round trip = %+v, want %+v", got, rec)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestRecordJSONBadHash(t *testing.T) {
	for _, hash := range []string{"", "zz", strings.Repeat("ab", 31), strings.Repeat("ab", 33)} {
		var rec Record
		err := json.Unmarshal([]byte(`{"hash":"`+hash+`","service":"db"}`), &rec)
		if !errors.Is(err, ErrInvalidRecord) {
			t.Errorf("hash %q: error %v, want ErrInvalidRecord", hash, err)
		}
	}
}

func TestRecordValidate(t *testing.T) {
	_, good, _ := New("db", 0, 0, testNow, &countingReader{})
	cases := map[string]func(*Record){
		"zero hash":          func(r *Record) { r.Hash = [32]byte{} },
		"expires at created": func(r *Record) { r.Expires = r.Created },
		"negative uses":      func(r *Record) { r.UsesLeft = -1 },
		"too many uses":      func(r *Record) { r.UsesLeft = MaxUses + 1 },
		"bad service":        func(r *Record) { r.Service = "" },
	}
	for name, modify := range cases {
		rec := good
		modify(&rec)
		if err := rec.Validate(); err == nil {
			t.Errorf("%s: Validate = nil, want an error", name)
		}
	}
}

// mustJSON marshals v or fails the test.
func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	return data
}
