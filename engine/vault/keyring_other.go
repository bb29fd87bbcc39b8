//go:build !darwin && !linux

package vault

import (
	"fmt"
	"runtime"
)

// openKeyring reports that this platform has no keyring vault.
func openKeyring(stateDir string) (Vault, error) {
	return nil, fmt.Errorf("%w: no keyring vault on %s: store secrets in a file with --vault file or %s=file",
		ErrUnavailable, runtime.GOOS, EnvKind)
}
