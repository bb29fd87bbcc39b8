package engine

import (
	"slices"
	"strings"
)

// Snapshot returns the latest snapshot.
func (e *Engine) Snapshot() *Snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.snapshot == nil {
		e.snapshot = e.buildSnapshotLocked()
	}
	return e.snapshot
}

// Subscribe returns a channel that receives the current snapshot at once
// and then each new one. A slow reader skips intermediate snapshots but
// always gets the latest. The channel is closed when cancel is called or
// the engine closes.
func (e *Engine) Subscribe() (updates <-chan *Snapshot, cancel func()) {
	ch := make(chan *Snapshot, 1)

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		close(ch)
		return ch, func() {}
	}
	if e.snapshot == nil {
		e.snapshot = e.buildSnapshotLocked()
	}
	ch <- e.snapshot
	e.subscribers[ch] = struct{}{}

	return ch, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if _, ok := e.subscribers[ch]; ok {
			delete(e.subscribers, ch)
			close(ch)
		}
	}
}

// publishLocked builds a new snapshot and hands it to every subscriber,
// replacing one the subscriber has not read yet. e.mu must be held.
func (e *Engine) publishLocked() {
	e.snapshot = e.buildSnapshotLocked()
	for ch := range e.subscribers {
		select {
		case <-ch:
		default:
		}
		ch <- e.snapshot
	}
}

func (e *Engine) buildSnapshotLocked() *Snapshot {
	s := &Snapshot{
		ID:          e.identity.ID(),
		DisplayName: e.creds.DisplayName(),
		StateDir:    e.opts.StateDir,
		VaultKind:   e.vault.Kind(),
		Listen:      []string{},
		Relays:      []RelayStatus{},
		Peers:       []PeerStatus{},
	}
	for _, l := range e.listeners {
		s.Listen = append(s.Listen, l.addr())
	}
	for _, r := range e.relays {
		s.Relays = append(s.Relays, r.status())
	}
	for _, p := range e.peers {
		s.Peers = append(s.Peers, p.status())
	}

	slices.Sort(s.Listen)
	slices.SortFunc(s.Relays, func(a, b RelayStatus) int { return strings.Compare(a.Addr, b.Addr) })
	slices.SortFunc(s.Peers, func(a, b PeerStatus) int { return strings.Compare(a.ID.String(), b.ID.String()) })
	return s
}
