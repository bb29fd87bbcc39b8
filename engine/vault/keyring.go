//go:build darwin || linux

package vault

import (
	"errors"
	"fmt"

	"github.com/zalando/go-keyring"
)

// keyringVault keeps all secrets of one state directory in one item of the
// platform keyring, reached through go-keyring. It reads the item on every
// call, so changes made by other processes take effect at once.
type keyringVault struct {
	secretOps
	stateDir string
	account  string
}

func newKeyringVault(stateDir string) *keyringVault {
	v := &keyringVault{stateDir: stateDir, account: KeyringAccount(stateDir)}
	v.storage = v
	return v
}

func (v *keyringVault) Kind() string {
	return keyringKind
}

func (v *keyringVault) where() string {
	return fmt.Sprintf("%s vault of state directory %s (service %q, account %q)",
		keyringKind, v.stateDir, KeyringService, v.account)
}

// load reads and decodes the keyring item. A missing item is an empty vault.
func (v *keyringVault) load() (map[string][]byte, error) {
	value, err := keyring.Get(KeyringService, v.account)
	if errors.Is(err, keyring.ErrNotFound) {
		return map[string][]byte{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: reading the %s failed: %w", ErrUnavailable, v.where(), err)
	}

	secrets, err := decodeData([]byte(value))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v: %s (the vault never overwrites a malformed item)",
			ErrMalformed, v.where(), err, malformedItemAdvice(v.account))
	}
	return secrets, nil
}

// store replaces the keyring item with one holding secrets, or deletes the
// item when secrets is empty.
func (v *keyringVault) store(secrets map[string][]byte) error {
	if len(secrets) == 0 {
		return v.deleteItem()
	}

	data, err := encodeData(secrets, false, v.where())
	if err != nil {
		return err
	}

	err = keyring.Set(KeyringService, v.account, string(data))
	if errors.Is(err, keyring.ErrSetDataTooBig) {
		return fmt.Errorf("%w: the keyring rejected %d bytes of data for the %s as too large: delete secrets that are no longer needed",
			ErrTooLarge, len(data), v.where())
	}
	if err != nil {
		return fmt.Errorf("%w: writing the %s failed: %w", ErrUnavailable, v.where(), err)
	}
	return nil
}

func (v *keyringVault) deleteItem() error {
	err := keyring.Delete(KeyringService, v.account)
	if err == nil || errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return fmt.Errorf("%w: deleting the item of the %s failed: %w", ErrUnavailable, v.where(), err)
}
