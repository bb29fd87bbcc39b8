package engine_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine"
	"github.com/portalsapp/portals/engine/session"
	"github.com/portalsapp/portals/engine/state"
)

// writeLikeEditor replaces dir/state.json the way many editors save: a
// new file next to it, renamed over the old one.
func writeLikeEditor(t *testing.T, dir string, data []byte) {
	t.Helper()
	tmp := filepath.Join(dir, "state.json.edit~")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, state.FileName)); err != nil {
		t.Fatal(err)
	}
}

func TestStateFileEditedByHand(t *testing.T) {
	b := startNode(t, "B", "", withListen)
	a := startNode(t, "A", "", nil)

	valid, err := state.Marshal(&state.State{Version: state.Version, Peers: []state.Peer{directPeer(b.ID(), b.listenAddr(t))}})
	if err != nil {
		t.Fatal(err)
	}
	writeLikeEditor(t, a.dir, valid)
	waitFor(t, a, "B up after the hand edit", upTimeout, peerUpVia(b.ID(), "direct "))
	sess, err := a.Session(b.ID())
	if err != nil {
		t.Fatalf("Session after the hand edit: %v", err)
	}
	before := withoutRTT(a.Snapshot().Peers)

	idText := []byte(b.ID().String())
	if !bytes.Contains(valid, idText) {
		t.Fatalf("the state file does not contain B's identifier %s as text", idText)
	}
	writeLikeEditor(t, a.dir, bytes.Replace(valid, idText, []byte("bogus"), 1))
	line := waitLog(t, a, 5*time.Second, "peers[0].id")
	t.Logf("log line: %s", line)
	if !bytes.Contains([]byte(line), []byte("level=ERROR")) {
		t.Errorf("the rejected edit was logged as %q, want level ERROR", line)
	}

	now, err := a.Session(b.ID())
	if err != nil {
		t.Fatalf("Session after the invalid edit: %v, want the session kept", err)
	}
	if now != sess {
		t.Error("the session with B changed after an invalid edit, want the same session kept")
	}
	after := withoutRTT(a.Snapshot().Peers)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("peers changed after an invalid edit:\nbefore %+v\nafter  %+v", before, after)
	}
	expectStatus(t, a, b.ID(), session.PortalHeader("web"), session.StatusUnknownService, 2*time.Second)

	// The engine's own next save repairs the file.
	if err := a.AddPeer(directPeer(b.ID(), b.listenAddr(t))); err != nil {
		t.Fatalf("AddPeer after an invalid edit: %v", err)
	}
	if _, err := state.Load(a.dir); err != nil {
		t.Errorf("state file after the engine's next save: %v, want a valid file", err)
	}
}

func TestSecondEngineSameDir(t *testing.T) {
	first := startNode(t, "first", "", nil)
	start := time.Now()
	e, err := engine.Start(context.Background(), engine.Options{StateDir: first.dir, VaultKind: "file"})
	elapsed := time.Since(start)
	if err == nil {
		e.Close()
		t.Fatal("a second engine started on a locked state directory")
	}
	if !errors.Is(err, state.ErrLocked) {
		t.Errorf("second Start: %v, want an error wrapping state.ErrLocked", err)
	}
	if elapsed > time.Second {
		t.Errorf("second Start failed after %v, want at once", elapsed)
	}
	// The first engine is unaffected.
	if s := first.Snapshot(); s.ID != first.ID() {
		t.Errorf("first engine's snapshot has ID %v, want %v", s.ID.Short(), first.ID().Short())
	}
}

// withoutRTT returns a copy of peers with the RTT cleared: it is measured
// in the background and may change at any time. Snapshots are shared, so
// they are copied, never changed.
func withoutRTT(peers []engine.PeerStatus) []engine.PeerStatus {
	out := slices.Clone(peers)
	for i := range out {
		out[i].RTT = 0
	}
	return out
}
