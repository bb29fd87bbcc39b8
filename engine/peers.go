package engine

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"time"

	"github.com/portalsapp/portals/engine/channel"
	"github.com/portalsapp/portals/engine/identity"
	"github.com/portalsapp/portals/engine/session"
	"github.com/portalsapp/portals/engine/state"
)

// Session tuning.
const (
	// peerDialTimeout bounds one attempt to reach a peer over all of its
	// routes, handshakes included.
	peerDialTimeout = 20 * time.Second

	// preferDirectGrace is how long a session through a relay waits for a
	// direct route that is still being tried, before it is used.
	preferDirectGrace = 300 * time.Millisecond

	// stableSession is how long a session must last for the reconnect
	// backoff to start again from its minimum.
	stableSession = 30 * time.Second

	// rttInterval is how often the round-trip time of a session is measured.
	rttInterval = 10 * time.Second

	// redialPause is how soon after a failed dial a connection to an inlet
	// may dial the peer again.
	redialPause = time.Second
)

// peer is everything the engine tracks about one other node. Fields are
// guarded by Engine.mu.
type peer struct {
	id identity.ID
	// dialing holds a token while a dial to this peer runs, so callers
	// share one dial and can stop waiting when their context ends. It is
	// not guarded by Engine.mu.
	dialing chan struct{}

	config *state.Peer        // nil for a peer known only from inbound sessions
	cancel context.CancelFunc // stops the dial loop; nil when not dialing

	current *liveSession
	name    string

	lastDialFail time.Time // when the last dial over all routes failed
	lastDialErr  error     // its error; nil after a success
	state        string
	since        time.Time
	lastErr      string
	rtt          time.Duration
}

// liveSession is an established session and how it was reached.
type liveSession struct {
	sess    *session.Session
	route   string
	inbound bool
}

func (p *peer) status() PeerStatus {
	s := PeerStatus{ID: p.id, Name: p.name, State: p.state, Since: p.since, LastError: p.lastErr, RTT: p.rtt}
	if p.config != nil && p.config.Name != "" {
		s.Name = p.config.Name
	}
	if p.current != nil {
		s.Route, s.Inbound = p.current.route, p.current.inbound
	}
	return s
}

func (p *peer) setState(state, lastErr string) {
	if p.state != state {
		p.since = time.Now()
	}
	p.state, p.lastErr = state, lastErr
}

// stop ends the dial loop and the current session.
func (p *peer) stop() {
	if p.cancel != nil {
		p.cancel()
		p.cancel = nil
	}
	if p.current != nil {
		p.current.sess.Close()
	}
}

// startPeerLocked starts dialing a configured peer. e.mu must be held.
func (e *Engine) startPeerLocked(cfg state.Peer) {
	p := e.peers[cfg.ID]
	if p == nil {
		p = newPeer(cfg.ID)
		e.peers[cfg.ID] = p
	}
	p.config = &cfg
	if p.cancel != nil {
		p.cancel()
	}

	ctx, cancel := context.WithCancel(e.ctx)
	p.cancel = cancel
	e.goWorker(func() { e.dialLoop(ctx, p, cfg) })
}

// stopPeerLocked stops dialing a peer that left the state file. e.mu must
// be held.
func (e *Engine) stopPeerLocked(id identity.ID) {
	p := e.peers[id]
	if p == nil {
		return
	}
	p.stop()
	p.config = nil
	delete(e.peers, id)
}

// dialLoop keeps one session to a configured peer, redialing with backoff
// whenever there is none.
func (e *Engine) dialLoop(ctx context.Context, p *peer, cfg state.Peer) {
	backoff := session.Backoff{}
	logs := newLogLimiter()
	for ctx.Err() == nil {
		sess, err := e.sessionWith(ctx, cfg)
		if err != nil {
			if logs.allow(err.Error()) {
				e.log.Warn("peer unreachable; retrying with backoff", "peer", cfg.ID.Short(), "err", err)
			}
			sleepCtx(ctx, backoff.Next())
			continue
		}

		logs.reset()
		e.waitSession(ctx, sess, &backoff)
	}
}

// sessionFor returns the live session with a peer from the state file,
// dialing it now when there is none.
func (e *Engine) sessionFor(ctx context.Context, id identity.ID) (*session.Session, error) {
	e.mu.Lock()
	p := e.peers[id]
	var cfg *state.Peer
	if p != nil {
		cfg = p.config
	}
	e.mu.Unlock()

	if cfg == nil {
		return nil, fmt.Errorf("engine: no route to %v is known; accept an invitation from it again", id.Short())
	}
	return e.sessionWith(ctx, *cfg)
}

// sessionWith returns the live session with cfg's peer, or dials one over
// cfg's routes. Concurrent callers for one peer share a single dial.
func (e *Engine) sessionWith(ctx context.Context, cfg state.Peer) (*session.Session, error) {
	p := e.peerEntry(cfg.ID)
	select {
	case p.dialing <- struct{}{}:
		defer func() { <-p.dialing }()
	case <-ctx.Done():
		return nil, fmt.Errorf("engine: waiting for a dial to %v: %w", cfg.ID.Short(), ctx.Err())
	}

	if live := e.liveSessionOf(p); live != nil && !isDone(live.sess) {
		return live.sess, nil
	}
	if err := e.recentDialFailure(p); err != nil {
		return nil, err
	}
	e.setPeerState(p, StateConnecting, "")
	sess, route, err := e.dialPeer(ctx, cfg)
	if err != nil && callerGaveUp(ctx) {
		// This caller gave up, or its dial loop was stopped. The error is
		// not the peer's fault, so recentDialFailure must not return it to
		// the next caller.
		e.setPeerState(p, StateDown, err.Error())
		return nil, err
	}
	if err != nil {
		e.mu.Lock()
		p.lastDialFail, p.lastDialErr = time.Now(), err
		e.mu.Unlock()
		e.setPeerState(p, StateDown, err.Error())
		return nil, err
	}
	e.mu.Lock()
	p.lastDialErr = nil
	e.mu.Unlock()
	if current := e.adoptSession(sess, route, false); current != nil {
		return current, nil
	}
	return nil, fmt.Errorf("engine: the session with %v closed at once", cfg.ID.Short())
}

// callerGaveUp reports whether ctx is done or past its deadline. A dial
// can fail on a socket deadline taken from ctx a moment before ctx itself
// reports the deadline, so both count.
func callerGaveUp(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	deadline, ok := ctx.Deadline()
	return ok && !time.Now().Before(deadline)
}

// recentDialFailure returns the last dial error when it is younger than
// redialPause. Connections that arrive at an inlet while the peer is
// unreachable then fail at once instead of each dialing again, which
// would spend the relay's per-source connection budget.
func (e *Engine) recentDialFailure(p *peer) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p.lastDialErr != nil && time.Since(p.lastDialFail) < redialPause {
		return p.lastDialErr
	}
	return nil
}

// peerEntry returns the tracked peer for id, creating an entry without
// configuration when there is none.
func (e *Engine) peerEntry(id identity.ID) *peer {
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.peers[id]
	if p == nil {
		p = newPeer(id)
		e.peers[id] = p
	}
	return p
}

func newPeer(id identity.ID) *peer {
	return &peer{id: id, state: StateIdle, since: time.Now(), dialing: make(chan struct{}, 1)}
}

// waitSession waits for sess to end and resets backoff if it lasted.
func (e *Engine) waitSession(ctx context.Context, sess *session.Session, backoff *session.Backoff) {
	start := time.Now()
	select {
	case <-sess.Done():
	case <-ctx.Done():
		return
	}
	if time.Since(start) >= stableSession {
		backoff.Reset()
	}
	sleepCtx(ctx, backoff.Next())
}

func (e *Engine) liveSessionOf(p *peer) *liveSession {
	e.mu.Lock()
	defer e.mu.Unlock()
	return p.current
}

func (e *Engine) setPeerState(p *peer, state, lastErr string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p.setState(state, lastErr)
	e.publishLocked()
}

// serveInbound runs the responder handshake on conn and adopts the session.
func (e *Engine) serveInbound(conn net.Conn, route string) {
	cc, err := channel.Server(e.ctx, conn, e.channelConfig())
	if err != nil {
		// Unauthenticated input: log at debug level only.
		e.log.Debug("inbound handshake failed", "route", route, "err", err)
		return
	}
	sess, err := session.Server(cc, e.sessionCfg)
	if err != nil {
		cc.Close()
		e.log.Warn("starting an inbound session failed", "peer", cc.Peer().ID.Short(), "err", err)
		return
	}
	e.adoptSession(sess, route, true)
}

// adoptSession makes sess the current session of its peer and serves it,
// and returns the peer's current session afterwards (nil if the engine
// closed). When the peer already has a live session, the new one replaces
// it only if the peer dialed both (a restarted peer dials again), or if
// they go in opposite directions and the tie-break picks the new one:
// the session dialed by the node with the smaller identifier wins, so two
// nodes that dial each other at once keep the same one.
func (e *Engine) adoptSession(sess *session.Session, route string, inbound bool) *session.Session {
	remote := sess.Peer()

	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		sess.Close()
		return nil
	}
	p := e.peers[remote.ID]
	if p == nil {
		p = newPeer(remote.ID)
		e.peers[remote.ID] = p
	}
	old := p.current
	if old != nil && !isDone(old.sess) && !e.replaces(old, inbound, remote.ID) {
		e.mu.Unlock()
		e.log.Info("closing a duplicate session", "peer", remote.ID.Short(), "route", route)
		sess.Close()
		return old.sess
	}
	live := &liveSession{sess: sess, route: route, inbound: inbound}
	p.current, p.name, p.rtt = live, remote.DisplayName, 0
	p.setState(StateUp, "")
	e.publishLocked()
	e.mu.Unlock()

	if old != nil {
		old.sess.Close()
	}
	e.log.Info("session up", "peer", remote.ID.Short(), "name", remote.DisplayName, "route", route)
	e.goWorker(func() { e.measureRTT(p, live) })
	e.goWorker(func() { e.serveSession(p, live) })
	return sess
}

// replaces decides whether a new session replaces the live session old.
func (e *Engine) replaces(old *liveSession, inbound bool, peerID identity.ID) bool {
	if old.inbound == inbound {
		return inbound
	}
	weDialNew := !inbound
	weAreSmaller := compareIDs(e.identity.ID(), peerID) < 0
	return weDialNew == weAreSmaller
}

// serveSession answers the peer's streams until the session ends, then
// updates the peer.
func (e *Engine) serveSession(p *peer, live *liveSession) {
	err := live.sess.Serve(e.streamHandler(live.sess))
	live.sess.Close()

	e.mu.Lock()
	defer e.mu.Unlock()
	if p.current != live {
		return
	}
	p.current = nil
	reason := ""
	if err != nil {
		reason = err.Error()
	}
	p.setState(StateDown, reason)
	if p.config == nil {
		delete(e.peers, p.id)
	}
	e.publishLocked()
	e.log.Info("session down", "peer", p.id.Short(), "route", live.route, "err", err)
}

// measureRTT refreshes the peer's round-trip time while live is current.
func (e *Engine) measureRTT(p *peer, live *liveSession) {
	ticker := time.NewTicker(rttInterval)
	defer ticker.Stop()
	for {
		rtt, err := live.sess.RTT()
		if err == nil {
			e.mu.Lock()
			if p.current == live {
				p.rtt = rtt
				e.publishLocked()
			}
			e.mu.Unlock()
		}

		select {
		case <-ticker.C:
		case <-live.sess.Done():
			return
		}
	}
}

func (e *Engine) channelConfig() *channel.Config {
	e.mu.Lock()
	defer e.mu.Unlock()
	return &channel.Config{Purpose: channel.PurposeSession, Credentials: e.creds}
}

// Session returns the live session with a peer, for callers that open
// streams. It fails when there is none right now.
func (e *Engine) Session(id identity.ID) (*session.Session, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.peers[id]
	if p == nil || p.current == nil || isDone(p.current.sess) {
		return nil, fmt.Errorf("engine: no session with %v right now", id.Short())
	}
	return p.current.sess, nil
}

func isDone(s *session.Session) bool {
	select {
	case <-s.Done():
		return true
	default:
		return false
	}
}

func compareIDs(a, b identity.ID) int {
	return bytes.Compare(a[:], b[:])
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
