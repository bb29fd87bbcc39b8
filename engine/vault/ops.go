package vault

import (
	"fmt"
	"sync"
)

// storage reads and writes all secrets of one state directory at once; the
// file and keyring vaults differ only here.
type storage interface {
	load() (map[string][]byte, error)
	store(secrets map[string][]byte) error
	where() string // the vault, for error messages
}

// secretOps implements Get, Set and Delete on top of a storage. Its mutex
// makes each read-change-write of the stored set atomic within one
// process.
type secretOps struct {
	mu      sync.Mutex
	storage storage
}

func (o *secretOps) Get(name string) ([]byte, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}

	o.mu.Lock()
	defer o.mu.Unlock()

	secrets, err := o.storage.load()
	if err != nil {
		return nil, err
	}
	secret, ok := secrets[name]
	if !ok {
		return nil, fmt.Errorf("%w: no secret %q in the %s", ErrNotFound, name, o.storage.where())
	}
	return secret, nil
}

func (o *secretOps) Set(name string, secret []byte) error {
	if err := checkName(name); err != nil {
		return err
	}
	if err := checkSecretSize(name, secret, o.storage.where()); err != nil {
		return err
	}

	o.mu.Lock()
	defer o.mu.Unlock()

	secrets, err := o.storage.load()
	if err != nil {
		return err
	}
	return o.storage.store(withSecret(secrets, name, secret))
}

func (o *secretOps) Delete(name string) error {
	if err := checkName(name); err != nil {
		return err
	}

	o.mu.Lock()
	defer o.mu.Unlock()

	secrets, err := o.storage.load()
	if err != nil {
		return err
	}
	if _, ok := secrets[name]; !ok {
		return nil
	}

	delete(secrets, name)
	return o.storage.store(secrets)
}
