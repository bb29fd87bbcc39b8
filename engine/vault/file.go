package vault

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// FileName is the name of the vault file inside the state directory.
const FileName = "vault.json"

// maxFileSize bounds how much of a vault file is read, in bytes. Files this
// package writes stay under MaxDataSize plus indentation.
const maxFileSize = 64 * 1024

// fileVault keeps all secrets in FileName, mode 0600, replaced atomically on
// every change. It rereads the file on every call, so changes made by other
// processes or by hand take effect at once.
type fileVault struct {
	secretOps
	path string
}

func openFile(stateDir string) (*fileVault, error) {
	v := &fileVault{path: filepath.Join(stateDir, FileName)}
	v.storage = v
	if _, err := v.load(); err != nil {
		return nil, err
	}
	return v, nil
}

func (v *fileVault) Kind() string {
	return KindFile
}

func (v *fileVault) where() string {
	return "file vault " + v.path
}

// load reads and decodes the vault file. A missing file is an empty vault.
func (v *fileVault) load() (map[string][]byte, error) {
	raw, err := v.read()
	if errors.Is(err, fs.ErrNotExist) {
		return map[string][]byte{}, nil
	}
	if err != nil {
		return nil, err
	}

	secrets, err := decodeData(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v: fix the file by hand or move it away (the vault never overwrites a malformed file)",
			ErrMalformed, v.path, err)
	}
	return secrets, nil
}

// read returns the bytes of the vault file after checking that it is a
// regular file that only its owner can access.
func (v *fileVault) read() ([]byte, error) {
	file, err := os.Open(v.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("vault: opening the %s failed: %w", v.where(), err)
	}
	defer file.Close()

	info, err := file.Stat()
	if err != nil {
		return nil, fmt.Errorf("vault: reading the %s failed: %w", v.where(), err)
	}
	if err := v.checkFileInfo(info); err != nil {
		return nil, err
	}

	raw, err := io.ReadAll(io.LimitReader(file, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("vault: reading the %s failed: %w", v.where(), err)
	}
	if len(raw) > maxFileSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes: fix or move the file by hand",
			ErrMalformed, v.path, maxFileSize)
	}
	return raw, nil
}

func (v *fileVault) checkFileInfo(info fs.FileInfo) error {
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%w: %s is not a regular file (mode %s): move it away",
			ErrMalformed, v.path, info.Mode())
	}

	// Windows has no POSIX permission bits; its ACLs are not checked.
	if runtime.GOOS == "windows" {
		return nil
	}
	perm := info.Mode().Perm()
	if perm&0o077 != 0 {
		return fmt.Errorf("%w: %s has mode %04o, which lets other users read it: run chmod 600 %s",
			ErrInsecurePermissions, v.path, perm, v.path)
	}
	return nil
}

// store replaces the vault file with one that contains secrets. It writes
// and syncs a temporary file in the same directory, renames it over the vault
// file and syncs the directory. A crash therefore leaves the old or the new
// file, never a mix.
func (v *fileVault) store(secrets map[string][]byte) error {
	data, err := encodeData(secrets, true, v.where())
	if err != nil {
		return err
	}

	dir := filepath.Dir(v.path)
	tmp, err := os.CreateTemp(dir, "."+FileName+".*.tmp")
	if err != nil {
		return fmt.Errorf("vault: writing the %s failed: %w", v.where(), err)
	}
	if err := writeAndClose(tmp, data); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("vault: writing the %s failed: %w", v.where(), err)
	}
	if err := os.Rename(tmp.Name(), v.path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("vault: replacing the %s failed: %w", v.where(), err)
	}

	if err := syncDir(dir); err != nil {
		return fmt.Errorf("vault: syncing directory %s after writing the %s failed: %w", dir, v.where(), err)
	}
	return nil
}

// writeAndClose writes data to file with mode 0600, syncs and closes it.
func writeAndClose(file *os.File, data []byte) error {
	if err := file.Chmod(0o600); err != nil {
		file.Close()
		return err
	}
	if _, err := file.Write(data); err != nil {
		file.Close()
		return err
	}
	if err := file.Sync(); err != nil {
		file.Close()
		return err
	}
	return file.Close()
}

// syncDir flushes a directory entry change, such as a rename, to disk.
func syncDir(dir string) error {
	// NOTE: Windows cannot sync a directory opened this way, so there the
	// rename is not flushed to disk before Set returns.
	if runtime.GOOS == "windows" {
		return nil
	}

	handle, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := handle.Sync(); err != nil {
		handle.Close()
		return err
	}
	return handle.Close()
}
