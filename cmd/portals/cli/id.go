package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/portalsapp/portals/engine"
	"github.com/portalsapp/portals/engine/identity"
	"github.com/portalsapp/portals/engine/localapi"
	"github.com/portalsapp/portals/engine/state"
	"github.com/portalsapp/portals/engine/vault"
)

func idCommand() *command {
	c := &command{name: "id", usage: "id [--short]", shortHelp: "Print this node's identifier"}
	c.run = func(args []string, stdout, stderr io.Writer) error {
		var sf stateFlags
		var short bool
		fs := newFlagSet(c, stderr)
		sf.register(fs)
		fs.BoolVar(&short, "short", false, "print the short form, for people to compare at a glance")
		if err := parseFlags(fs, args, 0); err != nil {
			return err
		}

		id, err := nodeID(sf)
		if err != nil {
			return err
		}
		if short {
			fmt.Fprintln(stdout, id.Short())
		} else {
			fmt.Fprintln(stdout, id.String())
		}
		return nil
	}
	return c
}

// nodeID asks the running engine for its identifier, or reads the identity
// from the vault when no engine runs.
func nodeID(sf stateFlags) (identity.ID, error) {
	dir, err := state.ResolveDir(sf.stateDir)
	if err != nil {
		return identity.ID{}, err
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	snap, err := localapi.NewClient(dir).Snapshot(ctx)
	if err == nil {
		return snap.ID, nil
	}
	if !errors.Is(err, localapi.ErrNoEngine) {
		return identity.ID{}, err
	}

	kind, err := vault.ResolveKind(sf.vault)
	if err != nil {
		return identity.ID{}, err
	}
	v, err := vault.Open(vault.Options{StateDir: dir, Kind: kind})
	if err != nil {
		return identity.ID{}, err
	}
	id, err := engine.LoadIdentity(v)
	if errors.Is(err, vault.ErrNotFound) {
		return identity.ID{}, fmt.Errorf("no identity in %s yet; `portals up --state-dir %s` creates one", dir, dir)
	}
	if err != nil {
		return identity.ID{}, err
	}
	return id.ID(), nil
}
