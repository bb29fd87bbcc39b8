package state

import (
	"os"
	"path/filepath"
)

// defaultDir returns ~/Library/Application Support/Portals, where macOS
// apps keep their data.
func defaultDir() (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, "Library", "Application Support", "Portals"), nil
}
