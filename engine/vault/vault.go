// Package vault stores a node's small named secrets, such as its Ed25519
// identity seed, in the operating system's keyring or in a private file.
//
// Every kind of vault keeps all secrets of one state directory together:
// the file vault in one file inside that directory, the keyring vaults in
// one keyring item per state directory. Secret values never appear in the
// errors this package returns; errors name the secret and the vault only.
package vault

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Kinds of vault. KindAuto, KindFile and KindKeyring are the values a caller
// may request in Options.Kind, the --vault flag or PORTALS_VAULT.
// KindFile, KindKeychain and KindSecretService are the values Vault.Kind
// returns: a request for KindKeyring opens KindKeychain on macOS and
// KindSecretService on Linux.
const (
	KindAuto          = "auto"
	KindFile          = "file"
	KindKeyring       = "keyring"
	KindKeychain      = "keychain"
	KindSecretService = "secret-service"
)

// EnvKind is the environment variable that selects the kind of vault when the
// caller requests KindAuto.
const EnvKind = "PORTALS_VAULT"

// Limits that every kind of vault enforces on Set, so that a set of secrets
// that fits one kind also fits the others.
const (
	// MaxNameLength is the maximum length of a secret name, in bytes.
	MaxNameLength = 64

	// MaxSecretSize is the maximum size of one secret value, in bytes.
	MaxSecretSize = 1024

	// MaxDataSize is the maximum size, in bytes, of the compact JSON encoding
	// of all secrets of one state directory (values in base64). It keeps a
	// keyring item well inside the macOS limit: go-keyring v0.2.6 passes
	// service, account and base64 of the value to /usr/bin/security in one
	// command line of at most 4096 bytes, 2831 bytes at this size.
	MaxDataSize = 2048
)

// Sentinel errors. Errors returned by this package wrap at most one of them,
// so callers can test for them with errors.Is.
var (
	// ErrNotFound means the vault holds no secret of the requested name.
	ErrNotFound = errors.New("vault: secret not found")

	// ErrInvalidName means a secret name breaks the naming rule: 1 to
	// MaxNameLength characters from a-z, 0-9, '.', '_' and '-'.
	ErrInvalidName = errors.New("vault: invalid secret name")

	// ErrTooLarge means a Set would exceed MaxSecretSize or MaxDataSize.
	ErrTooLarge = errors.New("vault: secret too large")

	// ErrMalformed means the stored data cannot be decoded. The vault then
	// rejects every Set and Delete so that nothing stored is lost.
	ErrMalformed = errors.New("vault: stored data is malformed")

	// ErrInsecurePermissions means the vault file grants access to group or
	// other users.
	ErrInsecurePermissions = errors.New("vault: vault file permissions are too open")

	// ErrUnavailable means the keyring could not be reached or refused a
	// request.
	ErrUnavailable = errors.New("vault: keyring unavailable")

	// ErrInvalidKind means a requested kind of vault is unknown.
	ErrInvalidKind = errors.New("vault: unknown vault kind")

	// ErrInvalidStateDir means the state directory is not an absolute path
	// to an existing directory.
	ErrInvalidStateDir = errors.New("vault: invalid state directory")
)

// Vault stores named secrets. Implementations are safe for concurrent use by
// the goroutines of one process.
//
// NOTE: two processes that change the same vault at once can lose one of the
// two changes, because each change reads, modifies and rewrites all secrets.
type Vault interface {
	// Get returns a copy of the secret stored under name, or an error
	// wrapping ErrNotFound when there is none.
	Get(name string) ([]byte, error)

	// Set stores a copy of secret under name, replacing any previous value.
	Set(name string, secret []byte) error

	// Delete removes the secret stored under name. Deleting a name that is
	// not stored is not an error.
	Delete(name string) error

	// Kind returns KindFile, KindKeychain or KindSecretService.
	Kind() string
}

// Options configures Open.
type Options struct {
	// StateDir is the absolute path of the node's state directory, which
	// must exist. The file vault keeps its file there, and the keyring
	// vaults derive their item's account name from the cleaned path, so
	// another spelling of the same directory (through a symbolic link, say)
	// reaches another keyring item.
	StateDir string

	// Kind is KindAuto (or empty), KindFile or KindKeyring. With KindAuto
	// the kind comes from PORTALS_VAULT when set, and otherwise is the
	// platform keyring.
	Kind string
}

// Open opens the vault of opts.StateDir and reads its data once, so that an
// unreachable keyring, a malformed store or a vault file with too open
// permissions is reported here rather than at the first Get.
//
// On Linux the keyring is the Secret Service on the D-Bus session bus. Open
// fails with ErrUnavailable when DBUS_SESSION_BUS_ADDRESS is unset or the
// first read of the keyring item fails, and the error names the file vault as
// the alternative. Open never falls back to the file vault by itself.
func Open(opts Options) (Vault, error) {
	kind, err := ResolveKind(opts.Kind)
	if err != nil {
		return nil, err
	}

	stateDir, err := checkStateDir(opts.StateDir)
	if err != nil {
		return nil, err
	}

	if kind == KindFile {
		return openFile(stateDir)
	}
	return openKeyring(stateDir)
}

// ResolveKind returns the kind of vault to open for a requested kind, which
// usually comes from the --vault flag: KindFile or KindKeyring when requested
// explicitly, else the value of PORTALS_VAULT when set, else KindAuto. An
// empty request means KindAuto. Unknown values give an error wrapping
// ErrInvalidKind that names the value and the accepted ones.
func ResolveKind(requested string) (string, error) {
	if requested == "" {
		requested = KindAuto
	}
	if !isRequestableKind(requested) {
		return "", fmt.Errorf("%w %q: use %s, %s or %s",
			ErrInvalidKind, requested, KindAuto, KindFile, KindKeyring)
	}
	if requested != KindAuto {
		return requested, nil
	}

	fromEnv := os.Getenv(EnvKind)
	if fromEnv == "" {
		return KindAuto, nil
	}
	if !isRequestableKind(fromEnv) {
		return "", fmt.Errorf("%w %q in %s: set it to %s, %s or %s, or unset it",
			ErrInvalidKind, fromEnv, EnvKind, KindAuto, KindFile, KindKeyring)
	}
	return fromEnv, nil
}

func isRequestableKind(kind string) bool {
	return kind == KindAuto || kind == KindFile || kind == KindKeyring
}

// checkStateDir returns the cleaned state directory path after checking that
// it is absolute and names an existing directory.
func checkStateDir(stateDir string) (string, error) {
	if stateDir == "" {
		return "", fmt.Errorf("%w: no state directory given: pass the absolute path of the node's state directory",
			ErrInvalidStateDir)
	}
	if !filepath.IsAbs(stateDir) {
		return "", fmt.Errorf("%w: %q is not an absolute path: pass an absolute path",
			ErrInvalidStateDir, stateDir)
	}

	cleaned := filepath.Clean(stateDir)
	info, err := os.Stat(cleaned)
	if err != nil {
		return "", fmt.Errorf("%w: %w: create the state directory before opening its vault",
			ErrInvalidStateDir, err)
	}
	if !info.IsDir() {
		return "", fmt.Errorf("%w: %s is not a directory", ErrInvalidStateDir, cleaned)
	}
	return cleaned, nil
}

// KeyringService is the service name of every keyring item this package
// writes. Each state directory has one item, whose account name comes from
// KeyringAccount.
const KeyringService = "Portals"

// KeyringAccount returns the keyring account name of the item that holds the
// secrets of stateDir: "state-" and the first 16 bytes of the SHA-256 of the
// path after filepath.Clean, in hex. It stays the same as long as the path
// does; changing this derivation would orphan every stored item.
func KeyringAccount(stateDir string) string {
	sum := sha256.Sum256([]byte(filepath.Clean(stateDir)))
	return "state-" + hex.EncodeToString(sum[:16])
}
