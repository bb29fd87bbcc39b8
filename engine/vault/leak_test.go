package vault

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// filesHidingSecret are malformed vault files in which testSecret sits where
// a careless decoder would quote it in its error.
func filesHidingSecret() map[string]string {
	raw := string(testSecret)
	encoded := base64.StdEncoding.EncodeToString(testSecret)

	return map[string]string{
		"unquoted value":   `{"version": 1, "secrets": {"a": ` + raw + `}}`,
		"invalid base64":   `{"version": 1, "secrets": {"a": "` + raw + `!"}}`,
		"secret as name":   `{"version": 1, "secrets": {"` + encoded + `": "AQ=="}}`,
		"raw secret name":  `{"version": 1, "secrets": {"` + raw + `X": "AQ=="}}`,
		"unknown field":    `{"version": 1, "secrets": {}, "` + raw + `": 1}`,
		"version string":   `{"version": "` + raw + `", "secrets": {}}`,
		"trailing secret":  `{"version": 1, "secrets": {}} "` + raw + `"`,
		"truncated secret": `{"version": 1, "secrets": {"a": "` + encoded,
		"array of secrets": `["` + encoded + `"]`,
	}
}

func TestErrorsHideSecretsInMalformedFiles(t *testing.T) {
	for name, content := range filesHidingSecret() {
		t.Run(name, func(t *testing.T) {
			stateDir := t.TempDir()
			path := filepath.Join(stateDir, FileName)
			v := openTestFileVault(t, stateDir)
			writeFileMode(t, path, []byte(content), 0o600)

			_, err := Open(Options{StateDir: stateDir, Kind: KindFile})
			assertNoSecret(t, err, testSecret)

			_, err = v.Get("a")
			assertNoSecret(t, err, testSecret)

			err = v.Set("a", testSecret)
			assertNoSecret(t, err, testSecret)

			err = v.Delete("a")
			assertNoSecret(t, err, testSecret)
		})
	}
}

func TestErrorsHideNumericSecrets(t *testing.T) {
	// encoding/json quotes the literal of a number that overflows an int
	// field in its error.
	numeric := []byte("83920174655120394857")
	stateDir := t.TempDir()
	content := `{"version": ` + string(numeric) + `, "secrets": {}}`
	writeFileMode(t, filepath.Join(stateDir, FileName), []byte(content), 0o600)

	_, err := Open(Options{StateDir: stateDir, Kind: KindFile})
	if !errors.Is(err, ErrMalformed) {
		t.Errorf("Open error = %v, want ErrMalformed", err)
	}
	assertNoSecret(t, err, numeric)
}

func TestErrorsHideSecretsOnRejectedSet(t *testing.T) {
	v := openTestFileVault(t, t.TempDir())

	err := v.Set("Not Valid", testSecret)
	if !errors.Is(err, ErrInvalidName) {
		t.Errorf("Set with invalid name error = %v, want ErrInvalidName", err)
	}
	assertNoSecret(t, err, testSecret)

	oversized := bytes.Repeat(testSecret, MaxSecretSize/len(testSecret)+1)
	err = v.Set("big", oversized)
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("Set of oversized secret error = %v, want ErrTooLarge", err)
	}
	assertNoSecret(t, err, testSecret)
	assertNoSecret(t, err, oversized)

	if err := v.Set("first", bytes.Repeat(testSecret, 30)); err != nil {
		t.Fatalf("Set: %v", err)
	}
	err = v.Set("second", bytes.Repeat(testSecret, 30))
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("Set beyond MaxDataSize error = %v, want ErrTooLarge", err)
	}
	assertNoSecret(t, err, testSecret)
}

func TestErrorsHideSecretsOnInsecureFile(t *testing.T) {
	stateDir := t.TempDir()
	v := openTestFileVault(t, stateDir)
	if err := v.Set("identity.ed25519", testSecret); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if err := os.Chmod(filepath.Join(stateDir, FileName), 0o644); err != nil {
		t.Fatal(err)
	}

	_, err := Open(Options{StateDir: stateDir, Kind: KindFile})
	assertNoSecret(t, err, testSecret)

	_, err = v.Get("identity.ed25519")
	assertNoSecret(t, err, testSecret)

	err = v.Set("identity.ed25519", testSecret)
	assertNoSecret(t, err, testSecret)
}

func TestErrorsHideSecretsOnFailedWrite(t *testing.T) {
	stateDir := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(stateDir, 0o700); err != nil {
		t.Fatal(err)
	}
	v := openTestFileVault(t, stateDir)
	if err := os.Remove(stateDir); err != nil {
		t.Fatal(err)
	}

	err := v.Set("identity.ed25519", testSecret)
	if err == nil {
		t.Fatal("Set into a removed state directory succeeded")
	}
	assertContains(t, err.Error(), stateDir)
	assertNoSecret(t, err, testSecret)
}

func TestErrorsHideSecretsOnNotFound(t *testing.T) {
	v := openTestFileVault(t, t.TempDir())
	if err := v.Set("present", testSecret); err != nil {
		t.Fatalf("Set: %v", err)
	}

	_, err := v.Get("absent")
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("Get error = %v, want ErrNotFound", err)
	}
	assertNoSecret(t, err, testSecret)
}
