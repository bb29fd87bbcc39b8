package engine

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/portalsapp/portals/engine/identity"
	"github.com/portalsapp/portals/engine/relay"
	"github.com/portalsapp/portals/engine/session"
	"github.com/portalsapp/portals/engine/state"
)

// Relay registration backoff. It is shorter than the session backoff
// because a relay that restarts must see every node back within 5 s:
// the longest wait after the relay returns is relayBackoffMax.
const (
	relayBackoffMin = 250 * time.Millisecond
	relayBackoffMax = 4 * time.Second
)

// relayLink is this node's registration loop with one relay. Fields below
// cancel are guarded by Engine.mu.
type relayLink struct {
	config state.Relay
	cancel context.CancelFunc

	state   string
	since   time.Time
	lastErr string
}

func (r *relayLink) status() RelayStatus {
	return RelayStatus{Addr: r.config.Addr, ID: r.config.ID, State: r.state, Since: r.since, LastError: r.lastErr}
}

func (r *relayLink) stop() { r.cancel() }

// relaySecretName is the vault name of a relay's registration secret.
func relaySecretName(id identity.ID) string {
	return "relay." + hex.EncodeToString(id[:8])
}

// startRelayLocked starts registering with a relay. e.mu must be held.
func (e *Engine) startRelayLocked(cfg state.Relay) {
	ctx, cancel := context.WithCancel(e.ctx)
	r := &relayLink{config: cfg, cancel: cancel, state: StateConnecting, since: time.Now()}
	e.relays[cfg.ID] = r
	e.goWorker(func() { e.relayLoop(ctx, r) })
}

// relayLoop keeps this node registered with one relay and serves the
// sessions that arrive through it, re-registering with backoff.
func (e *Engine) relayLoop(ctx context.Context, r *relayLink) {
	backoff := session.Backoff{Min: relayBackoffMin, Max: relayBackoffMax}
	logs := newLogLimiter()
	for ctx.Err() == nil {
		reg, err := e.register(ctx, r.config)
		if ctx.Err() != nil {
			if reg != nil {
				reg.Close()
			}
			return
		}
		if err != nil {
			e.setRelayState(r, StateDown, err.Error())
			if logs.allow(err.Error()) {
				e.log.Warn("relay registration failed; retrying with backoff", "relay", r.config.Addr, "err", err)
			}
			sleepCtx(ctx, backoff.Next())
			continue
		}

		logs.reset()
		backoff.Reset()
		e.setRelayState(r, StateUp, "")
		e.log.Info("registered with relay", "relay", r.config.Addr, "relay_id", r.config.ID.Short())
		e.serveRegistration(ctx, r, reg)
		sleepCtx(ctx, backoff.Next())
	}
}

func (e *Engine) register(ctx context.Context, cfg state.Relay) (*relay.Registration, error) {
	secret, err := e.vault.Get(relaySecretName(cfg.ID))
	if err != nil {
		return nil, err
	}

	e.mu.Lock()
	creds := e.creds
	e.mu.Unlock()
	return relay.Register(ctx, relay.RegisterConfig{
		Addr:        cfg.Addr,
		RelayID:     cfg.ID,
		Secret:      secret,
		Credentials: creds,
		Logger:      e.log,
	})
}

// serveRegistration accepts dial-backs until the registration ends.
func (e *Engine) serveRegistration(ctx context.Context, r *relayLink, reg *relay.Registration) {
	stop := context.AfterFunc(ctx, func() { reg.Close() })
	defer stop()
	defer reg.Close()

	route := "relay " + r.config.Addr
	for {
		conn, err := reg.Accept()
		if err != nil {
			break
		}
		e.goWorker(func() { e.serveInbound(conn, route) })
	}

	if ctx.Err() != nil {
		return
	}
	reason := "registration ended"
	if err := reg.Err(); err != nil {
		reason = err.Error()
	}
	e.setRelayState(r, StateDown, reason)
	e.log.Warn("relay registration lost; registering again", "relay", r.config.Addr, "err", reason)
}

func (e *Engine) setRelayState(r *relayLink, state, lastErr string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if r.state != state {
		r.since = time.Now()
	}
	r.state, r.lastErr = state, lastErr
	e.publishLocked()
}
