package state

import (
	"crypto/sha256"
	"path/filepath"
	"sync"
)

// Store owns the state file of one state directory for the running engine:
// it loads, saves and watches dir/state.json, and remembers what it last
// wrote so that its own saves do not come back as outside edits.
//
// A Store is safe for concurrent use. Its zero value is not usable; call
// NewStore.
type Store struct {
	dir  string // static after NewStore
	path string // static after NewStore

	// mu guards seen, and serialises Save with the watcher's reload, so
	// that a reload never reads a file that Save has renamed into place but
	// not yet recorded.
	mu sync.Mutex
	// seen is the digest of the content this process last wrote or read,
	// valid or not; noContent when the file was missing.
	seen [sha256.Size]byte
}

// noContent is the digest recorded for a missing state file. No content
// has the all-zero SHA-256 digest in practice.
var noContent [sha256.Size]byte

// NewStore returns a Store for the state directory dir, which should come
// from ResolveDir and be locked with Lock.
func NewStore(dir string) *Store {
	return &Store{dir: dir, path: filepath.Join(dir, FileName)}
}

// Dir returns the state directory.
func (st *Store) Dir() string {
	return st.dir
}

// Load reads the state file like the package-level Load, and records its
// content as seen, so that the watcher ignores it.
func (st *Store) Load() (*State, error) {
	st.mu.Lock()
	defer st.mu.Unlock()

	s, data, err := load(st.path)
	st.seen = digest(data)
	return s, err
}

// Save writes s like the package-level Save, and records what it wrote so
// that the watcher ignores the change.
func (st *Store) Save(s *State) error {
	data, err := Marshal(s)
	if err != nil {
		return err
	}

	st.mu.Lock()
	defer st.mu.Unlock()

	// Record before writing: the watcher cannot reload until mu is free,
	// and if the write fails the file content is unknown anyway.
	st.seen = digest(data)
	return writeAtomic(st.path, data)
}

// digest returns the SHA-256 of data, or noContent for nil data.
func digest(data []byte) [sha256.Size]byte {
	if data == nil {
		return noContent
	}
	return sha256.Sum256(data)
}
