package state

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// pickupTimeout bounds how long an outside edit may take to be reported.
const pickupTimeout = 2 * time.Second

// settleGap is longer than Debounce, so that two writes separated by it
// are reloaded separately.
const settleGap = 3 * Debounce

// watchEvent is one callback of a Watcher: a state or an error.
type watchEvent struct {
	state *State
	err   error
}

// startWatch watches st and returns the channel of callbacks. Cleanup
// cancels the watch and waits for its goroutine to return.
func startWatch(t *testing.T, st *Store) <-chan watchEvent {
	t.Helper()

	events := make(chan watchEvent, 16)
	ctx, cancel := context.WithCancel(context.Background())
	w, err := st.Watch(ctx,
		func(s *State) { events <- watchEvent{state: s} },
		func(err error) { events <- watchEvent{err: err} })
	if err != nil {
		cancel()
		t.Fatalf("Watch: %v", err)
	}

	t.Cleanup(func() {
		cancel()
		select {
		case <-w.Done():
		case <-time.After(pickupTimeout):
			t.Errorf("watcher did not stop within %v of cancel", pickupTimeout)
		}
	})
	return events
}

// nextEvent waits for the next callback.
func nextEvent(t *testing.T, events <-chan watchEvent) watchEvent {
	t.Helper()

	select {
	case ev := <-events:
		return ev
	case <-time.After(pickupTimeout):
		t.Fatalf("no callback within %v", pickupTimeout)
		return watchEvent{}
	}
}

// expectState waits for the next callback and checks it is onChange with
// want.
func expectState(t *testing.T, events <-chan watchEvent, want *State) {
	t.Helper()

	ev := nextEvent(t, events)
	if ev.err != nil {
		t.Fatalf("onError(%v), want onChange", ev.err)
	}
	if !reflect.DeepEqual(ev.state, want) {
		t.Fatalf("onChange(%+v), want %+v", ev.state, want)
	}
}

// expectError waits for the next callback and checks it is onError.
func expectError(t *testing.T, events <-chan watchEvent) error {
	t.Helper()

	ev := nextEvent(t, events)
	if ev.err == nil {
		t.Fatalf("onChange(%+v), want onError", ev.state)
	}
	return ev.err
}

// writeOutside writes s to the state file the way a person with an editor
// that writes in place would.
func writeOutside(t *testing.T, dir string, data []byte) {
	t.Helper()

	if err := os.WriteFile(filepath.Join(dir, FileName), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// encoded returns the encoding of s, failing the test on error.
func encoded(t *testing.T, s *State) []byte {
	t.Helper()

	data, err := Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// namedState returns a valid state that differs from others by name.
func namedState(name string) *State {
	s := fullState()
	s.DisplayName = name
	return s
}

func TestWatchPicksUpOutsideEdit(t *testing.T) {
	dir := t.TempDir()
	st := NewStore(dir)
	events := startWatch(t, st)

	want := namedState("edited")
	writeOutside(t, dir, encoded(t, want))
	expectState(t, events, want)
}

func TestWatchPicksUpReplaceByRename(t *testing.T) {
	dir := t.TempDir()
	st := NewStore(dir)
	if err := st.Save(namedState("saved")); err != nil {
		t.Fatal(err)
	}
	events := startWatch(t, st)

	want := namedState("renamed over")
	swap := filepath.Join(dir, ".state.json.swp")
	if err := os.WriteFile(swap, encoded(t, want), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(swap, filepath.Join(dir, FileName)); err != nil {
		t.Fatal(err)
	}
	expectState(t, events, want)
}

func TestWatchIgnoresOwnSave(t *testing.T) {
	dir := t.TempDir()
	st := NewStore(dir)
	events := startWatch(t, st)

	if err := st.Save(namedState("own save")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(settleGap)

	// The next callback must be the outside edit, not the Save before it.
	want := namedState("outside")
	writeOutside(t, dir, encoded(t, want))
	expectState(t, events, want)
}

func TestWatchIgnoresUnchangedContent(t *testing.T) {
	dir := t.TempDir()
	st := NewStore(dir)
	saved := namedState("saved")
	if err := st.Save(saved); err != nil {
		t.Fatal(err)
	}
	events := startWatch(t, st)

	// Rewriting the same bytes, as an editor does on save without changes.
	writeOutside(t, dir, encoded(t, saved))
	time.Sleep(settleGap)

	want := namedState("changed")
	writeOutside(t, dir, encoded(t, want))
	expectState(t, events, want)
}

func TestWatchReportsInvalidEdit(t *testing.T) {
	dir := t.TempDir()
	st := NewStore(dir)
	saved := namedState("saved")
	if err := st.Save(saved); err != nil {
		t.Fatal(err)
	}
	events := startWatch(t, st)

	invalid := `{"version": 1, "listen": ["0.0.0.0:7443", "no-port"]}`
	writeOutside(t, dir, []byte(invalid))
	err := expectError(t, events)
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("error %v does not wrap ErrInvalid", err)
	}
	assertContains(t, err.Error(), filepath.Join(dir, FileName), "listen[1]", `"no-port"`, "host:port", "keeps its running state")

	// Going back to the running state is reported, so the caller can clear
	// the error; no onChange came between.
	time.Sleep(settleGap)
	writeOutside(t, dir, encoded(t, saved))
	expectState(t, events, saved)
}

func TestWatchReportsRemoval(t *testing.T) {
	dir := t.TempDir()
	st := NewStore(dir)
	if err := st.Save(namedState("saved")); err != nil {
		t.Fatal(err)
	}
	events := startWatch(t, st)

	path := filepath.Join(dir, FileName)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	err := expectError(t, events)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v does not wrap fs.ErrNotExist", err)
	}
	assertContains(t, err.Error(), "state: ", path, "removed")

	// The next Save writes the file again and is not reported.
	if err := st.Save(namedState("saved again")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(settleGap)
	want := namedState("restored")
	writeOutside(t, dir, encoded(t, want))
	expectState(t, events, want)
}

func TestWatchStopsOnCancel(t *testing.T) {
	dir := t.TempDir()
	st := NewStore(dir)
	ctx, cancel := context.WithCancel(context.Background())
	w, err := st.Watch(ctx, func(*State) {}, func(error) {})
	if err != nil {
		t.Fatal(err)
	}

	cancel()
	select {
	case <-w.Done():
	case <-time.After(pickupTimeout):
		t.Fatalf("watcher did not stop within %v", pickupTimeout)
	}
	// TestMain's goleak check proves that no goroutine is left.
}

func TestWatchMissingDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone")
	_, err := NewStore(dir).Watch(context.Background(), func(*State) {}, func(error) {})
	if err == nil {
		t.Fatal("Watch of a missing directory succeeded")
	}
	assertContains(t, err.Error(), "state: ", dir)
}

func TestStoreLoadRecordsContent(t *testing.T) {
	dir := t.TempDir()
	saved := namedState("saved")
	if err := Save(dir, saved); err != nil {
		t.Fatal(err)
	}
	st := NewStore(dir)
	got, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, saved) {
		t.Fatalf("Store.Load = %+v, want %+v", got, saved)
	}
	events := startWatch(t, st)

	// Touching the file with the loaded content again is not a change.
	writeOutside(t, dir, encoded(t, saved))
	time.Sleep(settleGap)
	want := namedState("changed")
	writeOutside(t, dir, encoded(t, want))
	expectState(t, events, want)
}
