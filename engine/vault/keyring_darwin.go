package vault

import (
	"errors"
	"fmt"
)

// keyringKind is the kind of the platform keyring: on macOS, go-keyring
// v0.2.6 stores items in the login Keychain through /usr/bin/security.
const keyringKind = KindKeychain

// openKeyring opens the Keychain vault of stateDir after reading its item
// once.
//
// NOTE: this path has not been run on macOS by this package's tests; they
// exercise the Linux Secret Service only.
func openKeyring(stateDir string) (Vault, error) {
	v := newKeyringVault(stateDir)
	_, err := v.load()
	if errors.Is(err, ErrUnavailable) {
		return nil, fmt.Errorf("%w: unlock the login Keychain, or store secrets in a file with --vault file or %s=file",
			err, EnvKind)
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

// malformedItemAdvice returns the commands that inspect or remove a malformed
// item.
func malformedItemAdvice(account string) string {
	return fmt.Sprintf("inspect it with 'security find-generic-password -s %s -a %s -w' (base64 after the go-keyring-base64: prefix) and fix it, or remove it with 'security delete-generic-password -s %s -a %s'",
		KeyringService, account, KeyringService, account)
}
