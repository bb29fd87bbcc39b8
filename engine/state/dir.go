// Package state owns a node's state directory: where it is, the lock that
// allows one engine per directory, and the state file (state.json) that the
// engine writes atomically and reloads when someone edits it from outside.
//
// The package never logs. Its errors name the file, the field and the bad
// value, and give the next step. The engine decides what to log.
package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// EnvHome names the environment variable that overrides the platform's
// default state directory. The --state-dir flag overrides it in turn.
const EnvHome = "PORTALS_HOME"

// dirPerm is the mode of a state directory that this package creates. The
// directory holds the lock, the local API socket and possibly a file vault,
// so only its owner may use it.
const dirPerm = 0o700

// ResolveDir returns the absolute state directory and makes sure it exists.
//
// The directory is flag when it is not empty, else the value of EnvHome
// when set and not empty, else the platform default: ~/Library/Application
// Support/Portals on macOS, $XDG_CONFIG_HOME/portals or ~/.config/portals
// elsewhere. A missing directory is created, with its missing parents, with
// mode 0700. An existing directory that group or other users can write to is
// rejected, because they could then replace the state file or the socket.
func ResolveDir(flag string) (string, error) {
	dir, err := chooseDir(flag)
	if err != nil {
		return "", err
	}

	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("state: making state directory %q absolute failed: %w", dir, err)
	}

	if err := ensureDir(abs); err != nil {
		return "", err
	}
	return abs, nil
}

// chooseDir applies the precedence flag, environment, platform default.
func chooseDir(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	if env := os.Getenv(EnvHome); env != "" {
		return env, nil
	}

	dir, err := defaultDir()
	if err != nil {
		return "", fmt.Errorf("state: finding the default state directory failed: %w: set %s or pass --state-dir", err, EnvHome)
	}
	return dir, nil
}

// ensureDir creates dir with mode 0700 when it is missing, then checks that
// it is a directory that only its owner can write to.
func ensureDir(dir string) error {
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, dirPerm); err != nil {
			return fmt.Errorf("state: creating state directory %s failed: %w", dir, err)
		}
		info, err = os.Stat(dir)
	}
	if err != nil {
		return fmt.Errorf("state: checking state directory %s failed: %w", dir, err)
	}

	if !info.IsDir() {
		return fmt.Errorf("state: state directory %s is not a directory (mode %s): move it away or pass another --state-dir", dir, info.Mode())
	}
	if perm := info.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("state: state directory %s has mode %04o, which lets other users write to it: run chmod 700 %s", dir, perm, dir)
	}
	return nil
}
