package vault

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// keyringKind is the kind of the platform keyring: on Linux, go-keyring
// v0.2.6 stores items in the Secret Service's login collection (or the
// collection behind the "default" alias when there is no login collection).
const keyringKind = KindSecretService

// fileVaultAdvice is the next step for a user without a usable Secret
// Service: start one, or choose the file vault.
const fileVaultAdvice = "run a Secret Service such as gnome-keyring with its login collection unlocked, " +
	"or store secrets in a file with --vault file or " + EnvKind + "=file"

// openKeyring opens the Secret Service vault of stateDir after probing the
// Secret Service with a read of the vault's item.
//
// NOTE: go-keyring waits without a time limit while the Secret Service shows
// an unlock prompt, so Open, Get, Set and Delete block until the user answers
// it. Without a display the prompt fails at once and so does the call.
func openKeyring(stateDir string) (Vault, error) {
	// Without this check godbus v5.1.0 would look for $XDG_RUNTIME_DIR/bus
	// and, failing that, run dbus-launch, which starts a new session bus that
	// has no Secret Service and outlives this process.
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		return nil, fmt.Errorf("%w: DBUS_SESSION_BUS_ADDRESS is not set, so there is no D-Bus session bus to reach the Secret Service%s: %s",
			ErrUnavailable, busSocketHint(), fileVaultAdvice)
	}

	v := newKeyringVault(stateDir)
	_, err := v.load()
	if errors.Is(err, ErrUnavailable) {
		return nil, fmt.Errorf("%w: %s", err, fileVaultAdvice)
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

// busSocketHint returns a hint naming the usual session bus socket,
// $XDG_RUNTIME_DIR/bus, when it exists although DBUS_SESSION_BUS_ADDRESS is
// unset, as in some SSH sessions; otherwise it returns "".
func busSocketHint() string {
	runtimeDir := os.Getenv("XDG_RUNTIME_DIR")
	if runtimeDir == "" {
		return ""
	}
	socket := filepath.Join(runtimeDir, "bus")
	if _, err := os.Stat(socket); err != nil {
		return ""
	}
	return fmt.Sprintf(" (a session bus socket exists at %s: to use it, export DBUS_SESSION_BUS_ADDRESS=unix:path=%s)",
		socket, socket)
}

// malformedItemAdvice returns the commands that inspect or remove a malformed
// item.
func malformedItemAdvice(account string) string {
	return fmt.Sprintf("inspect it with 'secret-tool lookup service %s username %s' and fix it, or remove it with 'secret-tool clear service %s username %s'",
		KeyringService, account, KeyringService, account)
}
