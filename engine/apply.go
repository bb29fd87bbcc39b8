package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/portalsapp/portals/engine/channel"
	"github.com/portalsapp/portals/engine/identity"
	"github.com/portalsapp/portals/engine/relay"
	"github.com/portalsapp/portals/engine/state"
)

// applyLocked makes the running engine match st: listeners, relays and
// peers are started or stopped as needed. It checks everything before it
// changes anything, so a state that cannot run leaves the engine as it
// was. e.mu must be held.
func (e *Engine) applyLocked(st *state.State) error {
	creds := e.creds
	if name := displayName(st); name != creds.DisplayName() {
		var err error
		if creds, err = channel.NewCredentials(e.identity, name, 0); err != nil {
			return fmt.Errorf("engine: %w", err)
		}
	}
	if err := e.startListenersLocked(slices.Concat(e.opts.Listen, st.Listen)); err != nil {
		return err
	}

	e.creds = creds
	e.applyRelaysLocked(st.Relays)
	e.applyPeersLocked(st.Peers)
	e.publishLocked()
	return nil
}

// startListenersLocked opens listeners for the addresses not open yet and
// closes the ones no longer wanted. If any new address fails, the ones it
// opened are closed again.
func (e *Engine) startListenersLocked(addrs []string) error {
	var opened []string
	for _, addr := range addrs {
		if _, ok := e.listeners[addr]; ok || slices.Contains(opened, addr) {
			continue
		}
		if err := e.startListenerLocked(addr); err != nil {
			for _, a := range opened {
				e.listeners[a].close()
				delete(e.listeners, a)
			}
			return err
		}
		opened = append(opened, addr)
	}

	for addr, l := range e.listeners {
		if !slices.Contains(addrs, addr) {
			l.close()
			delete(e.listeners, addr)
		}
	}
	return nil
}

func (e *Engine) applyRelaysLocked(relays []state.Relay) {
	wanted := make(map[identity.ID]state.Relay)
	for _, r := range relays {
		wanted[r.ID] = r
	}
	for id, r := range e.relays {
		if w, ok := wanted[id]; !ok || w != r.config {
			r.stop()
			delete(e.relays, id)
		}
	}
	for id, r := range wanted {
		if _, ok := e.relays[id]; !ok {
			e.startRelayLocked(r)
		}
	}
}

func (e *Engine) applyPeersLocked(peers []state.Peer) {
	wanted := make(map[identity.ID]state.Peer)
	for _, p := range peers {
		wanted[p.ID] = p
	}
	for id, p := range e.peers {
		if _, ok := wanted[id]; !ok && p.config != nil {
			e.stopPeerLocked(id)
		}
	}
	for id, w := range wanted {
		p := e.peers[id]
		if p == nil || p.config == nil || !slices.Equal(p.config.Routes, w.Routes) || p.config.Name != w.Name {
			e.startPeerLocked(w)
		}
	}
}

// AddRelay stores the relay link's secret in the vault, adds the relay to
// the state file and starts registering with it. Adding a relay that is
// already there updates its address and secret.
func (e *Engine) AddRelay(ctx context.Context, link string) error {
	l, err := relay.ParseLink(link)
	if err != nil {
		return err
	}
	if err := e.vault.Set(relaySecretName(l.RelayID), l.Secret[:]); err != nil {
		return fmt.Errorf("engine: storing the relay secret: %w", err)
	}

	return e.updateState(func(st *state.State) {
		entry := state.Relay{Addr: l.Addr, ID: l.RelayID}
		for i, r := range st.Relays {
			if r.ID == l.RelayID {
				st.Relays[i] = entry
				return
			}
		}
		st.Relays = append(st.Relays, entry)
	})
}

// AddPeer adds or replaces a peer in the state file and starts dialing it.
func (e *Engine) AddPeer(p state.Peer) error {
	return e.updateState(func(st *state.State) {
		for i, old := range st.Peers {
			if old.ID == p.ID {
				st.Peers[i] = p
				return
			}
		}
		st.Peers = append(st.Peers, p)
	})
}

// updateState applies change to a copy of the running state, saves it and
// applies it. On error nothing changes.
func (e *Engine) updateState(change func(*state.State)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return errors.New("engine: closed")
	}

	next, err := cloneState(e.state)
	if err != nil {
		return err
	}
	change(next)
	if err := next.Validate(); err != nil {
		return err
	}
	if err := e.applyLocked(next); err != nil {
		return err
	}
	if err := e.store.Save(next); err != nil {
		if rollback := e.applyLocked(e.state); rollback != nil {
			e.log.Error("restoring the running state after a failed save failed", "err", rollback)
		}
		return err
	}
	e.state = next
	return nil
}

func cloneState(st *state.State) (*state.State, error) {
	data, err := state.Marshal(st)
	if err != nil {
		return nil, err
	}
	return state.Parse(data)
}
