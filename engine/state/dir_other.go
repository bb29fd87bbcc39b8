//go:build !darwin

package state

import (
	"os"
	"path/filepath"
)

// defaultDir returns $XDG_CONFIG_HOME/portals, or ~/.config/portals when
// XDG_CONFIG_HOME is unset or relative. Like os.UserConfigDir, it treats a
// relative value as invalid.
func defaultDir() (string, error) {
	if xdg := os.Getenv("XDG_CONFIG_HOME"); filepath.IsAbs(xdg) {
		return filepath.Join(xdg, "portals"), nil
	}

	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".config", "portals"), nil
}
