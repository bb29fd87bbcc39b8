package engine

import (
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/portalsapp/portals/engine/identity"
	"github.com/portalsapp/portals/engine/vault"
)

// identitySecret is the vault name of the node's Ed25519 seed.
const identitySecret = "identity"

// LoadIdentity returns the node identity stored in v. It returns an error
// wrapping vault.ErrNotFound when the node has none yet.
func LoadIdentity(v vault.Vault) (*identity.Identity, error) {
	seed, err := v.Get(identitySecret)
	if err != nil {
		return nil, err
	}
	return identity.FromSeed(seed)
}

// LoadOrCreateIdentity returns the identity stored in v, creating and
// storing a new one on first start.
func LoadOrCreateIdentity(v vault.Vault) (*identity.Identity, error) {
	id, _, err := loadOrCreateIdentity(v)
	return id, err
}

func loadOrCreateIdentity(v vault.Vault) (id *identity.Identity, created bool, err error) {
	id, err = LoadIdentity(v)
	if err == nil {
		return id, false, nil
	}
	if !errors.Is(err, vault.ErrNotFound) {
		return nil, false, fmt.Errorf("engine: loading the node identity from the %s vault: %w", v.Kind(), err)
	}

	id, err = identity.Generate(rand.Reader)
	if err != nil {
		return nil, false, err
	}
	if err := v.Set(identitySecret, id.Seed()); err != nil {
		return nil, false, fmt.Errorf("engine: storing the new node identity in the %s vault: %w", v.Kind(), err)
	}
	return id, true, nil
}
