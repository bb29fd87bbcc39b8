package state

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockFileName is the name of the lock file inside the state directory.
const LockFileName = "engine.lock"

// maxPIDText bounds how much of the lock file is read for the holder's pid,
// in bytes.
const maxPIDText = 32

// ErrLocked is wrapped by the error that Lock returns when another engine
// holds the state directory.
var ErrLocked = errors.New("state: state directory is locked")

// DirLock is an exclusive lock on a state directory. It allows one engine
// per directory, across processes and within one process. The operating
// system releases it when the process exits, even on SIGKILL, so a crashed
// engine never leaves a stale lock behind.
//
// A DirLock is safe for use by one goroutine at a time.
type DirLock struct {
	file *os.File
}

// Lock takes the exclusive lock on dir/engine.lock with flock(2) and
// records the caller's pid in the file, so that a second engine can report
// which process holds the directory. It never waits: when the lock is
// held, the error wraps ErrLocked and names the holder's pid and dir.
//
// The lock file stays in place after Close; deleting it would let two
// engines lock two different files of the same name.
func Lock(dir string) (*DirLock, error) {
	path := filepath.Join(dir, LockFileName)
	file, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state: opening lock file %s failed: %w", path, err)
	}

	if err := flockNonBlocking(file); err != nil {
		holder := readHolder(file)
		file.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: another engine (pid %s) is running with state directory %s: stop it or use another --state-dir",
				ErrLocked, holder, dir)
		}
		return nil, fmt.Errorf("state: locking %s failed: %w", path, err)
	}

	if err := writePID(file); err != nil {
		file.Close()
		return nil, fmt.Errorf("state: writing the pid into lock file %s failed: %w", path, err)
	}
	return &DirLock{file: file}, nil
}

// Close releases the lock. It clears the recorded pid first, so that the
// file does not name a process that no longer holds it. Calling Close more
// than once returns nil.
func (l *DirLock) Close() error {
	if l.file == nil {
		return nil
	}
	file := l.file
	l.file = nil

	// Clearing the pid is best effort: closing the file releases the lock
	// whatever happens here.
	_ = file.Truncate(0)
	if err := file.Close(); err != nil {
		return fmt.Errorf("state: releasing lock file %s failed: %w", file.Name(), err)
	}
	return nil
}

// flockNonBlocking takes an exclusive flock on file, retrying when a
// signal interrupts the call.
func flockNonBlocking(file *os.File) error {
	const maxAttempts = 10
	var err error
	for range maxAttempts {
		err = syscall.Flock(int(file.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
	return err
}

// writePID replaces the content of file with the caller's pid and a newline.
func writePID(file *os.File) error {
	if err := file.Truncate(0); err != nil {
		return err
	}
	_, err := file.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return err
}

// readHolder returns the pid recorded in the lock file, or "unknown" when
// the holder has not written it yet or the file contains something else.
func readHolder(file *os.File) string {
	raw, err := io.ReadAll(io.LimitReader(io.NewSectionReader(file, 0, maxPIDText), maxPIDText))
	if err != nil {
		return "unknown"
	}

	text := strings.TrimSpace(string(raw))
	if pid, err := strconv.Atoi(text); err == nil && pid > 0 {
		return strconv.Itoa(pid)
	}
	return "unknown"
}
