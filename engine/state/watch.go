package state

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Debounce is how long the watcher waits after the last change to the state
// file before it reloads it. Editors write a file in several steps (write a
// temporary file, rename, change mode), and one reload should see the end
// result.
const Debounce = 100 * time.Millisecond

// Watcher reloads the state file after outside edits. Create one with
// [Store.Watch]; stop it by cancelling the context given to Watch.
type Watcher struct {
	done chan struct{}
}

// Done is closed when the watcher has stopped and its goroutine has
// returned, after the context given to Watch is done.
func (w *Watcher) Done() <-chan struct{} {
	return w.done
}

// Watch watches the state directory and reloads the state file after
// changes made by other processes. It watches the directory rather than
// the file, because editors replace a file by renaming a new one over it,
// which ends a watch on the old file.
//
// After changes settle for Debounce, the watcher rereads the file and
// compares it with the content this Store last wrote or read:
//   - Identical content, such as the Store's own Save, is ignored.
//   - A valid edit calls onChange with the new state.
//   - An invalid edit calls onError with an error that wraps ErrInvalid and
//     names the file, field and problem. The caller keeps its running state.
//   - Removing the file calls onError with an error that wraps
//     fs.ErrNotExist. The caller keeps its running state, so its next Save
//     writes the file again.
//   - An error from the operating system's watch calls onError.
//
// After an invalid edit or a removal, the next valid content calls
// onChange even if it equals the running state, so that the caller can
// clear the error it shows. The callbacks run one at a time on the
// watcher's goroutine and delay further reloads until they return. They
// may call Save and Load.
//
// NOTE: an outside edit that lands less than Debounce before the Store's
// own Save is overwritten by that Save and never reported. The engine is
// the only writer by design; outside edits are for people fixing a file.
func (st *Store) Watch(ctx context.Context, onChange func(*State), onError func(error)) (*Watcher, error) {
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("state: starting to watch %s failed: %w", st.dir, err)
	}
	if err := fsw.Add(st.dir); err != nil {
		fsw.Close()
		return nil, fmt.Errorf("state: watching state directory %s failed: %w", st.dir, err)
	}

	w := &Watcher{done: make(chan struct{})}
	go st.watchLoop(ctx, fsw, w.done, onChange, onError)
	return w, nil
}

// watchLoop runs on the watcher's goroutine until ctx is done or the
// fsnotify watcher fails for good.
func (st *Store) watchLoop(ctx context.Context, fsw *fsnotify.Watcher, done chan struct{}, onChange func(*State), onError func(error)) {
	defer close(done)
	defer fsw.Close()

	settle := time.NewTimer(Debounce)
	settle.Stop()
	defer settle.Stop()

	for {
		select {
		case <-ctx.Done():
			return

		case event, ok := <-fsw.Events:
			if !ok {
				return
			}
			if st.concerns(event) {
				settle.Reset(Debounce)
			}

		case err, ok := <-fsw.Errors:
			if !ok {
				return
			}
			onError(fmt.Errorf("state: watching state directory %s failed: %w: outside edits may go unnoticed until the engine restarts", st.dir, err))

		case <-settle.C:
			st.reload(onChange, onError)
		}
	}
}

// concerns reports whether event may have changed the state file's
// content. A mode change alone, as from touch, does not.
func (st *Store) concerns(event fsnotify.Event) bool {
	if filepath.Clean(event.Name) != st.path {
		return false
	}
	return event.Op&^fsnotify.Chmod != 0
}

// reload rereads the state file and calls a callback when its content
// differs from what the Store last wrote or read.
func (st *Store) reload(onChange func(*State), onError func(error)) {
	s, changed, err := st.readChange()
	if !changed {
		return
	}
	if err != nil {
		onError(err)
		return
	}
	onChange(s)
}

// readChange takes mu, rereads the file and records its digest. It reports
// changed false when the content is what the Store saw last.
func (st *Store) readChange() (*State, bool, error) {
	st.mu.Lock()
	defer st.mu.Unlock()

	data, err := readFile(st.path)
	if errors.Is(err, fs.ErrNotExist) {
		if st.seen == noContent {
			return nil, false, nil
		}
		st.seen = noContent
		return nil, true, fmt.Errorf("state: %s was removed: the engine keeps its running state and writes the file again on its next change: %w", st.path, err)
	}
	if err != nil {
		return nil, true, err
	}

	sum := digest(data)
	if sum == st.seen {
		return nil, false, nil
	}
	st.seen = sum

	s, err := parse(data)
	if err != nil {
		return nil, true, fmt.Errorf("%w: %s: %w: the engine keeps its running state until the file is fixed", ErrInvalid, st.path, err)
	}
	return s, true, nil
}
