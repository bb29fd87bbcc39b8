package vault

// These tests talk to a real Secret Service over D-Bus through go-keyring,
// and check what they store with secret-tool (libsecret), a client that
// shares no code with go-keyring. They run only when
// PORTALS_TEST_SECRET_SERVICE=1, as scripts/with-secret-service.sh sets.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/zalando/go-keyring"
)

const secretServiceTestEnv = "PORTALS_TEST_SECRET_SERVICE"

// requireSecretService skips the test unless PORTALS_TEST_SECRET_SERVICE=1.
// When it is set, a missing session bus or secret-tool fails the test.
func requireSecretService(t *testing.T) {
	t.Helper()

	if os.Getenv(secretServiceTestEnv) != "1" {
		t.Skip("needs a real Secret Service on a D-Bus session bus; run: scripts/with-secret-service.sh go test ./engine/vault/")
	}
	address := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if address == "" {
		t.Fatalf("%s=1 but DBUS_SESSION_BUS_ADDRESS is not set", secretServiceTestEnv)
	}
	if _, err := exec.LookPath("secret-tool"); err != nil {
		t.Fatalf("secret-tool (Debian package libsecret-tools) is needed to check the keyring: %v", err)
	}
	t.Logf("talking to the Secret Service over D-Bus at %s", address)
}

// openTestKeyringVault opens the Secret Service vault of stateDir and deletes
// its keyring item when the test ends.
func openTestKeyringVault(t *testing.T, stateDir string) Vault {
	t.Helper()

	t.Setenv(EnvKind, "")
	v, err := Open(Options{StateDir: stateDir, Kind: KindKeyring})
	if err != nil {
		t.Fatalf("Open keyring vault: %v", err)
	}
	if v.Kind() != KindSecretService {
		t.Fatalf("Kind() = %q, want %q", v.Kind(), KindSecretService)
	}

	t.Cleanup(func() {
		err := keyring.Delete(KeyringService, KeyringAccount(stateDir))
		if err != nil && !errors.Is(err, keyring.ErrNotFound) {
			t.Errorf("deleting the test keyring item: %v", err)
		}
	})
	return v
}

// lookupItem reads the keyring item of stateDir with secret-tool. It reports
// whether the item exists and returns its raw value.
func lookupItem(t *testing.T, stateDir string) (string, bool) {
	t.Helper()

	account := KeyringAccount(stateDir)
	lookup := exec.Command("secret-tool", "lookup", "service", KeyringService, "username", account)
	var stdout, stderr bytes.Buffer
	lookup.Stdout = &stdout
	lookup.Stderr = &stderr

	err := lookup.Run()
	if err == nil {
		return stdout.String(), true
	}
	// secret-tool exits with status 1 and prints nothing when no item matches.
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) && exitErr.ExitCode() == 1 && stdout.Len() == 0 && stderr.Len() == 0 {
		return "", false
	}
	t.Fatalf("secret-tool lookup for account %s failed: %v: %s", account, err, stderr.String())
	return "", false
}

// lookupSecrets reads the keyring item of stateDir with secret-tool and
// returns its base64 values by name.
func lookupSecrets(t *testing.T, stateDir string) map[string]string {
	t.Helper()

	value, found := lookupItem(t, stateDir)
	if !found {
		t.Fatalf("secret-tool finds no item for account %s", KeyringAccount(stateDir))
	}
	var stored struct {
		Version int               `json:"version"`
		Secrets map[string]string `json:"secrets"`
	}
	if err := json.Unmarshal([]byte(value), &stored); err != nil {
		t.Fatalf("keyring item for account %s is not JSON: %v", KeyringAccount(stateDir), err)
	}
	if stored.Version != 1 {
		t.Errorf("keyring item version = %d, want 1", stored.Version)
	}
	return stored.Secrets
}

// storeItem writes the keyring item of stateDir with secret-tool.
func storeItem(t *testing.T, stateDir, value string) {
	t.Helper()

	account := KeyringAccount(stateDir)
	store := exec.Command("secret-tool", "store", "--label=portals test item",
		"service", KeyringService, "username", account)
	store.Stdin = strings.NewReader(value)
	if output, err := store.CombinedOutput(); err != nil {
		t.Fatalf("secret-tool store for account %s failed: %v: %s", account, err, output)
	}
}

func assertItemAbsent(t *testing.T, stateDir string) {
	t.Helper()

	if _, found := lookupItem(t, stateDir); found {
		t.Errorf("secret-tool still finds the item for account %s", KeyringAccount(stateDir))
	}
}

func TestSecretServiceRoundTrip(t *testing.T) {
	requireSecretService(t)
	stateDir := t.TempDir()
	v := openTestKeyringVault(t, stateDir)
	seed := bytes.Repeat([]byte{0x00, 0xff, 0x10, 0x80}, 8)

	assertItemAbsent(t, stateDir)
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

	stored := lookupSecrets(t, stateDir)
	if want := base64.StdEncoding.EncodeToString(seed); stored["identity.ed25519"] != want {
		t.Errorf("secret-tool reads %q for identity.ed25519, want %q", stored["identity.ed25519"], want)
	}

	if err := v.Delete("identity.ed25519"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := v.Get("identity.ed25519"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Delete error = %v, want ErrNotFound", err)
	}
	assertItemAbsent(t, stateDir)
}

func TestSecretServiceAutoKind(t *testing.T) {
	requireSecretService(t)

	for _, env := range []string{"", KindAuto, KindKeyring} {
		t.Setenv(EnvKind, env)

		v, err := Open(Options{StateDir: t.TempDir(), Kind: KindAuto})
		if err != nil {
			t.Errorf("Open(auto) with %s=%q: %v", EnvKind, env, err)
			continue
		}
		if v.Kind() != KindSecretService {
			t.Errorf("Open(auto) with %s=%q gave kind %q, want %q", EnvKind, env, v.Kind(), KindSecretService)
		}
	}
}

func TestSecretServiceStateDirsSeparate(t *testing.T) {
	requireSecretService(t)
	firstDir, secondDir := t.TempDir(), t.TempDir()
	first := openTestKeyringVault(t, firstDir)
	second := openTestKeyringVault(t, secondDir)

	if err := first.Set("identity.ed25519", []byte("first-seed")); err != nil {
		t.Fatalf("Set first: %v", err)
	}
	if err := second.Set("identity.ed25519", []byte("second-seed")); err != nil {
		t.Fatalf("Set second: %v", err)
	}

	assertGet(t, first, "identity.ed25519", "first-seed")
	assertGet(t, second, "identity.ed25519", "second-seed")
	firstStored := lookupSecrets(t, firstDir)["identity.ed25519"]
	secondStored := lookupSecrets(t, secondDir)["identity.ed25519"]
	if firstStored != base64.StdEncoding.EncodeToString([]byte("first-seed")) {
		t.Errorf("secret-tool reads %q in the first item", firstStored)
	}
	if secondStored != base64.StdEncoding.EncodeToString([]byte("second-seed")) {
		t.Errorf("secret-tool reads %q in the second item", secondStored)
	}

	if err := first.Delete("identity.ed25519"); err != nil {
		t.Fatalf("Delete first: %v", err)
	}
	assertItemAbsent(t, firstDir)
	assertGet(t, second, "identity.ed25519", "second-seed")
}

func TestSecretServiceSeveralNamesOneItem(t *testing.T) {
	requireSecretService(t)
	stateDir := t.TempDir()
	v := openTestKeyringVault(t, stateDir)

	if err := v.Set("alpha", []byte("a")); err != nil {
		t.Fatalf("Set alpha: %v", err)
	}
	if err := v.Set("beta", []byte("b")); err != nil {
		t.Fatalf("Set beta: %v", err)
	}
	if stored := lookupSecrets(t, stateDir); len(stored) != 2 {
		t.Errorf("secret-tool reads %d secrets in the item, want 2", len(stored))
	}

	if err := v.Delete("alpha"); err != nil {
		t.Fatalf("Delete alpha: %v", err)
	}
	stored := lookupSecrets(t, stateDir)
	if _, ok := stored["alpha"]; ok {
		t.Error("secret-tool still sees alpha after Delete")
	}
	if stored["beta"] != base64.StdEncoding.EncodeToString([]byte("b")) {
		t.Errorf("secret-tool reads beta = %q after deleting alpha", stored["beta"])
	}

	if err := v.Delete("never-set"); err != nil {
		t.Errorf("Delete of a missing name = %v, want nil", err)
	}
	if err := v.Delete("beta"); err != nil {
		t.Fatalf("Delete beta: %v", err)
	}
	assertItemAbsent(t, stateDir)
}

func TestSecretServiceReadsForeignItem(t *testing.T) {
	requireSecretService(t)
	stateDir := t.TempDir()
	v := openTestKeyringVault(t, stateDir)

	encoded := base64.StdEncoding.EncodeToString([]byte("written-by-libsecret"))
	storeItem(t, stateDir, fmt.Sprintf(`{"version": 1, "secrets": {"api.token": %q}}`, encoded))

	assertGet(t, v, "api.token", "written-by-libsecret")
	reopened := openTestKeyringVault(t, stateDir)
	assertGet(t, reopened, "api.token", "written-by-libsecret")
}

func TestSecretServiceSizeLimit(t *testing.T) {
	requireSecretService(t)
	stateDir := t.TempDir()
	v := openTestKeyringVault(t, stateDir)

	if err := v.Set("first", bytes.Repeat(testSecret, 30)); err != nil {
		t.Fatalf("Set: %v", err)
	}
	before, _ := lookupItem(t, stateDir)

	err := v.Set("second", bytes.Repeat(testSecret, 30))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Set beyond MaxDataSize error = %v, want ErrTooLarge", err)
	}
	assertNoSecret(t, err, testSecret)
	assertContains(t, err.Error(), KindSecretService, KeyringAccount(stateDir))

	after, _ := lookupItem(t, stateDir)
	if after != before {
		t.Error("rejected Set changed the keyring item")
	}
}

func TestSecretServiceMalformedItem(t *testing.T) {
	requireSecretService(t)
	stateDir := t.TempDir()
	earlier := openTestKeyringVault(t, stateDir)
	junk := `{"version": 1, "secrets": {"identity.ed25519": ` + string(testSecret) + `}}`
	storeItem(t, stateDir, junk)

	_, err := Open(Options{StateDir: stateDir, Kind: KindKeyring})
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("Open error = %v, want ErrMalformed", err)
	}
	assertContains(t, err.Error(), KeyringAccount(stateDir), "invalid JSON", "secret-tool clear")
	assertNoSecret(t, err, testSecret)

	err = earlier.Set("identity.ed25519", testSecret)
	if !errors.Is(err, ErrMalformed) {
		t.Errorf("Set error = %v, want ErrMalformed", err)
	}
	assertNoSecret(t, err, testSecret)

	_, err = earlier.Get("identity.ed25519")
	assertNoSecret(t, err, testSecret)
	err = earlier.Delete("identity.ed25519")
	assertNoSecret(t, err, testSecret)

	if value, _ := lookupItem(t, stateDir); value != junk {
		t.Error("the malformed keyring item was changed")
	}
}

func TestSecretServiceRejectsInvalidName(t *testing.T) {
	requireSecretService(t)
	stateDir := t.TempDir()
	v := openTestKeyringVault(t, stateDir)

	err := v.Set("Not Valid", testSecret)
	if !errors.Is(err, ErrInvalidName) {
		t.Errorf("Set error = %v, want ErrInvalidName", err)
	}
	assertNoSecret(t, err, testSecret)
	assertItemAbsent(t, stateDir)
}

func TestSecretServiceConcurrentSets(t *testing.T) {
	requireSecretService(t)
	v := openTestKeyringVault(t, t.TempDir())
	const writers = 8

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
		assertGet(t, v, name, name)
	}
}

func assertGet(t *testing.T, v Vault, name, want string) {
	t.Helper()

	got, err := v.Get(name)
	if err != nil {
		t.Errorf("Get %s: %v", name, err)
		return
	}
	if string(got) != want {
		t.Errorf("Get %s = %q, want %q", name, got, want)
	}
}
