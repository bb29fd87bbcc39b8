package vault

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func openTestFileVault(t *testing.T, stateDir string) Vault {
	t.Helper()

	v, err := Open(Options{StateDir: stateDir, Kind: KindFile})
	if err != nil {
		t.Fatalf("Open file vault in %s: %v", stateDir, err)
	}
	if v.Kind() != KindFile {
		t.Fatalf("Kind() = %q, want %q", v.Kind(), KindFile)
	}
	return v
}

func TestFileVaultRoundTrip(t *testing.T) {
	v := openTestFileVault(t, t.TempDir())
	seed := bytes.Repeat([]byte{0x00, 0xff, 0x7f, 0x80}, 8)

	if err := v.Set("identity.ed25519", seed); err != nil {
		t.Fatalf("Set: %v", err)
	}
	got, err := v.Get("identity.ed25519")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if !bytes.Equal(got, seed) {
		t.Errorf("Get = %x, want %x", got, seed)
	}

	if err := v.Delete("identity.ed25519"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := v.Get("identity.ed25519"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Delete error = %v, want ErrNotFound", err)
	}
}

func TestFileVaultGetReturnsCopy(t *testing.T) {
	v := openTestFileVault(t, t.TempDir())
	secret := []byte("original")
	if err := v.Set("token", secret); err != nil {
		t.Fatalf("Set: %v", err)
	}
	secret[0] = 'X'

	got, err := v.Get("token")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if string(got) != "original" {
		t.Errorf("Get = %q after the caller changed its slice, want %q", got, "original")
	}
}

func TestFileVaultEmptySecret(t *testing.T) {
	v := openTestFileVault(t, t.TempDir())
	if err := v.Set("empty", nil); err != nil {
		t.Fatalf("Set: %v", err)
	}

	got, err := v.Get("empty")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if len(got) != 0 {
		t.Errorf("Get = %x, want empty", got)
	}
}

func TestFileVaultMissingName(t *testing.T) {
	stateDir := t.TempDir()
	v := openTestFileVault(t, stateDir)

	_, err := v.Get("identity.ed25519")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get on empty vault error = %v, want ErrNotFound", err)
	}
	assertContains(t, err.Error(), `"identity.ed25519"`, filepath.Join(stateDir, FileName))

	if err := v.Set("other", []byte("x")); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if _, err := v.Get("identity.ed25519"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of an absent name error = %v, want ErrNotFound", err)
	}
}

func TestFileVaultDeleteMissingName(t *testing.T) {
	stateDir := t.TempDir()
	v := openTestFileVault(t, stateDir)

	if err := v.Delete("never-set"); err != nil {
		t.Errorf("Delete on empty vault = %v, want nil", err)
	}
	if _, err := os.Stat(filepath.Join(stateDir, FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Delete of a missing name created the vault file (stat error %v)", err)
	}

	if err := v.Set("kept", []byte("x")); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if err := v.Delete("never-set"); err != nil {
		t.Errorf("Delete of a missing name = %v, want nil", err)
	}
	if _, err := v.Get("kept"); err != nil {
		t.Errorf("Get of another name after Delete: %v", err)
	}
}

func TestFileVaultRejectsInvalidNames(t *testing.T) {
	v := openTestFileVault(t, t.TempDir())

	if err := v.Set("Bad Name", []byte("x")); !errors.Is(err, ErrInvalidName) {
		t.Errorf("Set error = %v, want ErrInvalidName", err)
	}
	if _, err := v.Get("Bad Name"); !errors.Is(err, ErrInvalidName) {
		t.Errorf("Get error = %v, want ErrInvalidName", err)
	}
	if err := v.Delete("Bad Name"); !errors.Is(err, ErrInvalidName) {
		t.Errorf("Delete error = %v, want ErrInvalidName", err)
	}
}

func TestFileVaultPermissions(t *testing.T) {
	stateDir := t.TempDir()
	v := openTestFileVault(t, stateDir)
	if err := v.Set("identity.ed25519", testSecret); err != nil {
		t.Fatalf("Set: %v", err)
	}

	info, err := os.Stat(filepath.Join(stateDir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("vault file mode = %04o, want 0600", perm)
	}
}

func TestFileVaultRewriteRestoresMode(t *testing.T) {
	stateDir := t.TempDir()
	path := filepath.Join(stateDir, FileName)
	v := openTestFileVault(t, stateDir)
	if err := v.Set("a", []byte("1")); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}

	if err := v.Set("b", []byte("2")); err != nil {
		t.Fatalf("Set on a 0400 file: %v", err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("vault file mode after rewrite = %04o, want 0600", perm)
	}
}

func TestFileVaultRejectsOpenPermissions(t *testing.T) {
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		t.Run(fmt.Sprintf("%04o", mode), func(t *testing.T) {
			stateDir := t.TempDir()
			path := filepath.Join(stateDir, FileName)
			writeFileMode(t, path, []byte(`{"version": 1, "secrets": {}}`), mode)

			_, err := Open(Options{StateDir: stateDir, Kind: KindFile})
			if !errors.Is(err, ErrInsecurePermissions) {
				t.Fatalf("Open error = %v, want ErrInsecurePermissions", err)
			}
			assertContains(t, err.Error(), path, fmt.Sprintf("%04o", mode), "chmod 600 "+path)
		})
	}
}

func TestFileVaultChecksPermissionsOnEveryCall(t *testing.T) {
	stateDir := t.TempDir()
	path := filepath.Join(stateDir, FileName)
	v := openTestFileVault(t, stateDir)
	if err := v.Set("a", []byte("1")); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}

	if _, err := v.Get("a"); !errors.Is(err, ErrInsecurePermissions) {
		t.Errorf("Get error = %v, want ErrInsecurePermissions", err)
	}
	if err := v.Set("b", []byte("2")); !errors.Is(err, ErrInsecurePermissions) {
		t.Errorf("Set error = %v, want ErrInsecurePermissions", err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o644 {
		t.Errorf("rejected Set changed the file mode to %04o", perm)
	}
}

func TestFileVaultRejectsNonRegularFile(t *testing.T) {
	stateDir := t.TempDir()
	if err := os.Mkdir(filepath.Join(stateDir, FileName), 0o700); err != nil {
		t.Fatal(err)
	}

	_, err := Open(Options{StateDir: stateDir, Kind: KindFile})
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("Open error = %v, want ErrMalformed", err)
	}
	assertContains(t, err.Error(), "not a regular file")
}

// malformedFiles are vault files edited by hand into shapes the vault must
// reject, each with the words its error must contain.
var malformedFiles = []struct {
	name    string
	content string
	problem string
}{
	{name: "empty", content: "", problem: "empty"},
	{name: "syntax", content: `{"version": 1, "secrets": {"a": "AQ==",}}`, problem: "invalid JSON at byte offset"},
	{name: "truncated", content: `{"version": 1, "secrets": {"a": "AQ=="`, problem: "ends early"},
	{name: "trailing", content: `{"version": 1, "secrets": {}} {}`, problem: "after the JSON object"},
	{name: "not object", content: `["AQ=="]`, problem: "JSON array"},
	{name: "null", content: `null`, problem: `"version" field is missing`},
	{name: "no version", content: `{"secrets": {}}`, problem: `"version" field is missing`},
	{name: "future version", content: `{"version": 2, "secrets": {}}`, problem: "unsupported version 2"},
	{name: "no secrets", content: `{"version": 1}`, problem: `"secrets" object is missing`},
	{name: "unknown field", content: `{"version": 1, "secret": {}}`, problem: "no other fields"},
	{name: "bad base64", content: `{"version": 1, "secrets": {"a": "not base64!"}}`, problem: `secret "a" is not valid standard base64`},
	{name: "number value", content: `{"version": 1, "secrets": {"a": 12345}}`, problem: "JSON number at byte offset"},
	{name: "bad name", content: `{"version": 1, "secrets": {"Upper Case": "AQ=="}}`, problem: "breaks the naming rule"},
}

func TestFileVaultRejectsMalformedFile(t *testing.T) {
	for _, c := range malformedFiles {
		t.Run(c.name, func(t *testing.T) {
			stateDir := t.TempDir()
			path := filepath.Join(stateDir, FileName)
			writeFileMode(t, path, []byte(c.content), 0o600)

			_, err := Open(Options{StateDir: stateDir, Kind: KindFile})
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Open error = %v, want ErrMalformed", err)
			}
			assertContains(t, err.Error(), path, c.problem)
			assertFileContent(t, path, []byte(c.content))
		})
	}
}

func TestFileVaultNeverOverwritesMalformedFile(t *testing.T) {
	for _, c := range malformedFiles {
		t.Run(c.name, func(t *testing.T) {
			stateDir := t.TempDir()
			path := filepath.Join(stateDir, FileName)
			v := openTestFileVault(t, stateDir)
			if err := v.Set("identity.ed25519", testSecret); err != nil {
				t.Fatalf("Set: %v", err)
			}
			writeFileMode(t, path, []byte(c.content), 0o600)

			if err := v.Set("identity.ed25519", []byte("new")); !errors.Is(err, ErrMalformed) {
				t.Errorf("Set error = %v, want ErrMalformed", err)
			}
			if err := v.Delete("identity.ed25519"); !errors.Is(err, ErrMalformed) {
				t.Errorf("Delete error = %v, want ErrMalformed", err)
			}
			if _, err := v.Get("identity.ed25519"); !errors.Is(err, ErrMalformed) {
				t.Errorf("Get error = %v, want ErrMalformed", err)
			}
			assertFileContent(t, path, []byte(c.content))
		})
	}
}

func TestFileVaultRejectsOversizedFile(t *testing.T) {
	stateDir := t.TempDir()
	path := filepath.Join(stateDir, FileName)
	content := bytes.Repeat([]byte(" "), maxFileSize+1)
	writeFileMode(t, path, content, 0o600)

	_, err := Open(Options{StateDir: stateDir, Kind: KindFile})
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("Open error = %v, want ErrMalformed", err)
	}
	assertContains(t, err.Error(), path, "larger than")
}

func TestFileVaultLeavesNoTempFiles(t *testing.T) {
	stateDir := t.TempDir()
	v := openTestFileVault(t, stateDir)

	for i := range 20 {
		name := fmt.Sprintf("secret-%d", i%5)
		if err := v.Set(name, []byte(name)); err != nil {
			t.Fatalf("Set %s: %v", name, err)
		}
	}
	if err := v.Delete("secret-0"); err != nil {
		t.Fatalf("Delete: %v", err)
	}

	entries, err := os.ReadDir(stateDir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, entry := range entries {
		names = append(names, entry.Name())
	}
	if len(names) != 1 || names[0] != FileName {
		t.Errorf("state directory holds %q, want only %q", names, FileName)
	}
}

func TestFileVaultReopenSeesData(t *testing.T) {
	stateDir := t.TempDir()
	first := openTestFileVault(t, stateDir)
	if err := first.Set("identity.ed25519", testSecret); err != nil {
		t.Fatalf("Set: %v", err)
	}

	second := openTestFileVault(t, stateDir)
	got, err := second.Get("identity.ed25519")
	if err != nil {
		t.Fatalf("Get after reopen: %v", err)
	}
	if !bytes.Equal(got, testSecret) {
		t.Errorf("Get after reopen = %q, want %q", got, testSecret)
	}

	if err := second.Delete("identity.ed25519"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := first.Get("identity.ed25519"); !errors.Is(err, ErrNotFound) {
		t.Errorf("first vault Get after the second deleted = %v, want ErrNotFound", err)
	}
}

func TestFileVaultFileLayout(t *testing.T) {
	stateDir := t.TempDir()
	v := openTestFileVault(t, stateDir)
	if err := v.Set("identity.ed25519", testSecret); err != nil {
		t.Fatalf("Set: %v", err)
	}

	raw, err := os.ReadFile(filepath.Join(stateDir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	var stored struct {
		Version int               `json:"version"`
		Secrets map[string]string `json:"secrets"`
	}
	if err := json.Unmarshal(raw, &stored); err != nil {
		t.Fatalf("vault file is not JSON: %v", err)
	}
	if stored.Version != 1 {
		t.Errorf("version = %d, want 1", stored.Version)
	}
	want := base64.StdEncoding.EncodeToString(testSecret)
	if stored.Secrets["identity.ed25519"] != want {
		t.Errorf("stored value = %q, want %q", stored.Secrets["identity.ed25519"], want)
	}
}

func TestFileVaultReadsHandWrittenFile(t *testing.T) {
	stateDir := t.TempDir()
	content := fmt.Sprintf("{\n  \"secrets\": {\"api.token\": %q},\n  \"version\": 1\n}\n",
		base64.StdEncoding.EncodeToString([]byte("hand-written")))
	writeFileMode(t, filepath.Join(stateDir, FileName), []byte(content), 0o600)

	v := openTestFileVault(t, stateDir)
	got, err := v.Get("api.token")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if string(got) != "hand-written" {
		t.Errorf("Get = %q, want %q", got, "hand-written")
	}
}

func TestFileVaultSizeLimits(t *testing.T) {
	stateDir := t.TempDir()
	v := openTestFileVault(t, stateDir)

	if err := v.Set("max", bytes.Repeat([]byte{1}, MaxSecretSize)); err != nil {
		t.Fatalf("Set of MaxSecretSize bytes: %v", err)
	}
	err := v.Set("over", bytes.Repeat([]byte{1}, MaxSecretSize+1))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Set of MaxSecretSize+1 bytes error = %v, want ErrTooLarge", err)
	}
	assertContains(t, err.Error(), `"over"`, fmt.Sprint(MaxSecretSize+1))

	err = v.Set("second", bytes.Repeat([]byte{2}, MaxSecretSize))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Set beyond MaxDataSize error = %v, want ErrTooLarge", err)
	}
	assertContains(t, err.Error(), fmt.Sprint(MaxDataSize), "delete secrets")

	if _, err := v.Get("second"); !errors.Is(err, ErrNotFound) {
		t.Errorf("rejected Set stored the secret anyway (Get error %v)", err)
	}
	if _, err := v.Get("max"); err != nil {
		t.Errorf("rejected Set lost an earlier secret: %v", err)
	}
}

func TestFileVaultConcurrentSets(t *testing.T) {
	v := openTestFileVault(t, t.TempDir())
	const writers = 16

	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Go(func() {
			name := fmt.Sprintf("secret-%02d", i)
			errs <- v.Set(name, []byte(name))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Set: %v", err)
		}
	}

	for i := range writers {
		name := fmt.Sprintf("secret-%02d", i)
		got, err := v.Get(name)
		if err != nil {
			t.Errorf("Get %s after concurrent Sets: %v", name, err)
			continue
		}
		if string(got) != name {
			t.Errorf("Get %s = %q, want %q", name, got, name)
		}
	}
}

func writeFileMode(t *testing.T, path string, content []byte, mode os.FileMode) {
	t.Helper()

	if err := os.WriteFile(path, content, mode); err != nil {
		t.Fatal(err)
	}
	// WriteFile applies the umask; Chmod sets the exact mode under test.
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func assertFileContent(t *testing.T, path string, want []byte) {
	t.Helper()

	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s changed:\ngot  %q\nwant %q", path, got, want)
	}
}
