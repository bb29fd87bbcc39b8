package vault

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

// testSecret is a recognisable secret value: tests assert that it never
// appears in an error message, in any common encoding.
var testSecret = []byte("portals-test-secret-Zq7XkP9wLm3R")

// secretForms returns secret and the base64 and hex encodings of it that an
// error message could leak.
func secretForms(secret []byte) []string {
	return []string{
		string(secret),
		base64.StdEncoding.EncodeToString(secret),
		base64.RawStdEncoding.EncodeToString(secret),
		base64.URLEncoding.EncodeToString(secret),
		base64.RawURLEncoding.EncodeToString(secret),
		hex.EncodeToString(secret),
		strings.ToUpper(hex.EncodeToString(secret)),
	}
}

// assertNoSecret fails the test when err is nil or its message contains
// secret in any form of secretForms.
func assertNoSecret(t *testing.T, err error, secret []byte) {
	t.Helper()

	if err == nil {
		t.Fatal("got no error, want one")
	}
	message := err.Error()
	for _, form := range secretForms(secret) {
		if strings.Contains(message, form) {
			t.Errorf("error message contains the secret (as %q): %s", form, message)
		}
	}
}

// assertContains fails the test unless message contains each of parts.
func assertContains(t *testing.T, message string, parts ...string) {
	t.Helper()

	for _, part := range parts {
		if !strings.Contains(message, part) {
			t.Errorf("message %q does not contain %q", message, part)
		}
	}
}
