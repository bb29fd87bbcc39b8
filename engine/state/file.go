package state

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// maxFileSize bounds how much of a state file is read, in bytes (1 MiB).
// A state with thousands of peers stays far below it.
const maxFileSize = 1 << 20

// Load reads dir/state.json. A missing file is not an error: it returns
// Default(), the state of a node that has not saved one yet. Errors about
// the content wrap ErrInvalid and name the file.
func Load(dir string) (*State, error) {
	s, _, err := load(filepath.Join(dir, FileName))
	return s, err
}

// Save validates s and replaces dir/state.json with its encoding, written
// as Marshal writes it. The write is atomic: a temporary file in dir, mode
// 0600, is written, synced and renamed over the state file, and then dir is
// synced. A crash leaves the old or the new file, never a mix.
func Save(dir string, s *State) error {
	data, err := Marshal(s)
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, FileName), data)
}

// load reads and parses the state file at path. It also returns the bytes
// read, nil when the file is missing.
func load(path string) (*State, []byte, error) {
	data, err := readFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Default(), nil, nil
	}
	if err != nil {
		return nil, nil, err
	}

	s, err := parse(data)
	if err != nil {
		return nil, data, fmt.Errorf("%w: %s: %w", ErrInvalid, path, err)
	}
	return s, data, nil
}

// readFile reads the regular file at path, up to maxFileSize bytes. Errors
// for a missing file wrap fs.ErrNotExist.
func readFile(path string) ([]byte, error) {
	file, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("state: opening %s failed: %w", path, err)
	}
	defer file.Close()

	info, err := file.Stat()
	if err != nil {
		return nil, fmt.Errorf("state: reading %s failed: %w", path, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file (mode %s): move it away", ErrInvalid, path, info.Mode())
	}

	data, err := io.ReadAll(io.LimitReader(file, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("state: reading %s failed: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes: remove what does not belong in it", ErrInvalid, path, maxFileSize)
	}
	return data, nil
}

// writeAtomic replaces the file at path with data, mode 0600, through a
// synced temporary file in the same directory and a rename.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("state: writing %s failed: %w", path, err)
	}

	if err := writeSyncClose(tmp, data); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("state: writing %s failed: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("state: replacing %s failed: %w", path, err)
	}

	if err := syncDir(dir); err != nil {
		return fmt.Errorf("state: syncing directory %s after writing %s failed: %w", dir, path, err)
	}
	return nil
}

// writeSyncClose sets mode 0600 on file, writes data, syncs and closes it.
func writeSyncClose(file *os.File, data []byte) error {
	err := file.Chmod(0o600)
	if err == nil {
		_, err = file.Write(data)
	}
	if err == nil {
		err = file.Sync()
	}
	if closeErr := file.Close(); err == nil {
		err = closeErr
	}
	return err
}

// syncDir flushes directory entry changes, such as a rename, to disk.
func syncDir(dir string) error {
	handle, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = handle.Sync()
	if closeErr := handle.Close(); err == nil {
		err = closeErr
	}
	return err
}
