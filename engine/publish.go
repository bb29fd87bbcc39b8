package engine

import (
	"slices"
	"strings"
	"time"
)

// Snapshot returns a snapshot taken now, with current byte counts.
func (e *Engine) Snapshot() *Snapshot {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.buildSnapshotLocked()
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
	s.Services = e.serviceStatusLocked()
	s.Inlets = e.inletStatusLocked()

	slices.Sort(s.Listen)
	slices.SortFunc(s.Relays, func(a, b RelayStatus) int { return strings.Compare(a.Addr, b.Addr) })
	slices.SortFunc(s.Peers, func(a, b PeerStatus) int { return strings.Compare(a.ID.String(), b.ID.String()) })
	return s
}

func (e *Engine) serviceStatusLocked() []ServiceStatus {
	now := time.Now()
	out := []ServiceStatus{}
	for _, svc := range e.state.Services {
		s := ServiceStatus{Name: svc.Name, Target: svc.Target, Access: []AccessStatus{}}
		for _, a := range svc.Access {
			s.Access = append(s.Access, AccessStatus{ID: a.ID, Name: a.Name, Added: a.Added})
		}
		for _, inv := range svc.Invitations {
			if inv.UsesLeft > 0 && now.Before(inv.Expires) {
				s.Invitations++
			}
		}
		for _, c := range e.conns {
			if c.service != svc.Name {
				continue
			}
			s.Connections++
			for i := range s.Access {
				if s.Access[i].ID == c.peer {
					s.Access[i].Connections++
				}
			}
		}
		out = append(out, s)
	}
	return out
}

func (e *Engine) inletStatusLocked() []InletStatus {
	out := []InletStatus{}
	for _, in := range e.inlets {
		s := InletStatus{
			Name: in.config.Name, Service: in.config.Service, Peer: in.config.Peer,
			Addr: inletAddr(in.config.Port), LastError: in.lastErr,
			BytesIn: in.bytesIn, BytesOut: in.bytesOut, State: StateDown,
		}
		if p := e.peers[in.config.Peer]; p != nil {
			ps := p.status()
			s.PeerName, s.State, s.Route, s.RTT = ps.Name, ps.State, ps.Route, ps.RTT
			if s.LastError == "" {
				s.LastError = ps.LastError
			}
		}
		if in.ln == nil {
			s.State = StateDown
		}
		for _, c := range e.conns {
			if c.inlet == in.config.Name {
				s.Connections++
				s.BytesIn += c.conn.BytesIn.Load()
				s.BytesOut += c.conn.BytesOut.Load()
			}
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b InletStatus) int { return strings.Compare(a.Name, b.Name) })
	return out
}
