package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"

	"github.com/portalsapp/portals/engine/channel"
	"github.com/portalsapp/portals/engine/identity"
	"github.com/portalsapp/portals/engine/relay"
	"github.com/portalsapp/portals/engine/state"
)

// applyLocked makes the running engine match st: listeners, relays, peers
// and inlets are started or stopped as needed. It checks everything before
// it changes anything, so a state that cannot run leaves the engine as it
// was. The caller sets e.state and publishes afterwards. e.mu must be held.
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
	e.applyInletsLocked(st.Inlets)
	return nil
}

// applyInletsLocked starts inlets new in the state and stops the ones
// gone from it. A changed inlet is restarted. e.mu must be held.
func (e *Engine) applyInletsLocked(inlets []state.Inlet) {
	wanted := make(map[string]state.Inlet)
	for _, in := range inlets {
		wanted[in.Name] = in
	}
	for name, in := range e.inlets {
		if w, ok := wanted[name]; !ok || w != in.config {
			in.stop()
			delete(e.inlets, name)
		}
	}
	for name, w := range wanted {
		if _, ok := e.inlets[name]; ok {
			continue
		}
		var ln *net.TCPListener
		if e.bound != nil && e.bound.Addr().(*net.TCPAddr).Port == w.Port {
			ln, e.bound = e.bound, nil
		}
		e.startInletLocked(w, ln)
	}
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
	old, _ := e.vault.Get(relaySecretName(l.RelayID))
	if err := e.vault.Set(relaySecretName(l.RelayID), l.Secret[:]); err != nil {
		return fmt.Errorf("engine: storing the relay secret: %w", err)
	}
	if len(old) > 0 && !bytes.Equal(old, l.Secret[:]) {
		// The state entry holds no secret, so a new secret alone would
		// not restart the registration until its next retry.
		defer e.restartRelay(l.RelayID)
	}

	return e.updateState(func(st *state.State) error {
		entry := state.Relay{Addr: l.Addr, ID: l.RelayID}
		for i, r := range st.Relays {
			if r.ID == l.RelayID {
				st.Relays[i] = entry
				return nil
			}
		}
		st.Relays = append(st.Relays, entry)
		return nil
	})
}

// restartRelay restarts the registration loop of relay id, if it runs.
func (e *Engine) restartRelay(id identity.ID) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if r := e.relays[id]; r != nil && !e.closed {
		r.stop()
		e.startRelayLocked(r.config)
	}
}

// AddPeer adds or replaces a peer in the state file and starts dialing it.
func (e *Engine) AddPeer(p state.Peer) error {
	return e.updateState(func(st *state.State) error {
		for i, old := range st.Peers {
			if old.ID == p.ID {
				st.Peers[i] = p
				return nil
			}
		}
		st.Peers = append(st.Peers, p)
		return nil
	})
}

// updateStateBound is updateState for a change that adds an inlet whose
// listener the caller has already bound: the inlet takes ln over. On error
// ln stays with the caller.
func (e *Engine) updateStateBound(ln *net.TCPListener, change func(*state.State) error) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.bound = ln
	err := e.updateStateLocked(change)
	if e.bound != nil {
		// No inlet took the listener.
		e.bound = nil
		if err == nil {
			err = errors.New("engine: internal error: the new inlet did not take its listener")
		}
	}
	return err
}

// updateState applies change to a copy of the running state, then applies
// and saves the result. change runs with e.mu held. If change or any later
// step fails, nothing changes.
func (e *Engine) updateState(change func(*state.State) error) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.updateStateLocked(change)
}

func (e *Engine) updateStateLocked(change func(*state.State) error) error {
	if e.closed {
		return errors.New("engine: closed")
	}

	next, err := cloneState(e.state)
	if err != nil {
		return err
	}
	if err := change(next); err != nil {
		return err
	}
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
		e.publishLocked()
		return err
	}
	e.state = next
	e.publishLocked()
	return nil
}

func cloneState(st *state.State) (*state.State, error) {
	data, err := state.Marshal(st)
	if err != nil {
		return nil, err
	}
	return state.Parse(data)
}
