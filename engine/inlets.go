package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/portalsapp/portals/engine/identity"
	"github.com/portalsapp/portals/engine/invite"
	"github.com/portalsapp/portals/engine/session"
	"github.com/portalsapp/portals/engine/state"
)

// inletRetryMax caps the wait between attempts to bind an inlet port that
// is taken at start.
const inletRetryMax = 30 * time.Second

// inlet is a listener on 127.0.0.1 for one accepted service. Fields below
// cancel are guarded by Engine.mu.
type inlet struct {
	config state.Inlet
	cancel context.CancelFunc

	ln        *net.TCPListener // nil while the port cannot be bound
	lastErr   string
	bytesIn   int64 // of finished connections
	bytesOut  int64
	openFails int
}

func (in *inlet) stop() {
	in.cancel()
	if in.ln != nil {
		in.ln.Close()
	}
}

// inletAddr is the loopback address of an inlet port.
func inletAddr(port int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// errPortTaken is wrapped by listenInlet's error for a port in use.
var errPortTaken = errors.New("port taken")

// listenInlet binds the inlet address and explains a port in use.
func listenInlet(port int) (*net.TCPListener, error) {
	ln, err := net.Listen("tcp", inletAddr(port))
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("%w: %s is already in use by another program: choose another port with --port, or stop that program", errPortTaken, inletAddr(port))
		}
		return nil, fmt.Errorf("listening on %s: %w", inletAddr(port), err)
	}
	return ln.(*net.TCPListener), nil
}

// startInletLocked starts serving an inlet from the state. ln is an
// already bound listener, or nil to bind the saved port now (retrying in
// the background when it is taken). e.mu must be held.
func (e *Engine) startInletLocked(cfg state.Inlet, ln *net.TCPListener) {
	ctx, cancel := context.WithCancel(e.ctx)
	in := &inlet{config: cfg, cancel: cancel, ln: ln}
	e.inlets[cfg.Name] = in
	e.goWorker(func() { e.inletLoop(ctx, in) })
}

// inletLoop binds the inlet when needed and accepts connections until the
// inlet stops.
func (e *Engine) inletLoop(ctx context.Context, in *inlet) {
	backoff := session.Backoff{Max: inletRetryMax}
	for ctx.Err() == nil {
		ln := e.inletListener(in)
		if ln == nil {
			var err error
			if ln, err = listenInlet(in.config.Port); err != nil {
				if errors.Is(err, errPortTaken) {
					// --port cannot move a saved inlet, so name what can.
					err = fmt.Errorf("%s is already in use by another program: stop it, or run `portals remove %s` and accept a new invitation with --port", inletAddr(in.config.Port), in.config.Name)
				}
				e.setInletError(in, err)
				e.log.Error("inlet cannot listen; retrying", "inlet", in.config.Name, "err", err)
				sleepCtx(ctx, backoff.Next())
				continue
			}
			if !e.setInletListener(in, ln) {
				ln.Close()
				return
			}
		}

		e.log.Info("inlet listening", "inlet", in.config.Name, "addr", ln.Addr().String(), "peer", in.config.Peer.Short())
		e.acceptInlet(ctx, in, ln)
		return
	}
}

func (e *Engine) inletListener(in *inlet) *net.TCPListener {
	e.mu.Lock()
	defer e.mu.Unlock()
	return in.ln
}

// setInletListener records ln, unless the inlet was stopped meanwhile.
func (e *Engine) setInletListener(in *inlet, ln *net.TCPListener) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.inlets[in.config.Name] != in {
		return false
	}
	in.ln, in.lastErr = ln, ""
	e.publishLocked()
	return true
}

func (e *Engine) setInletError(in *inlet, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	in.lastErr = err.Error()
	e.publishLocked()
}

func (e *Engine) acceptInlet(ctx context.Context, in *inlet, ln *net.TCPListener) {
	for {
		tcp, err := ln.AcceptTCP()
		if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
			return
		}
		if err != nil {
			e.log.Warn("inlet accept failed", "inlet", in.config.Name, "err", err)
			sleepCtx(ctx, acceptRetryDelay)
			continue
		}
		e.goWorker(func() { e.serveInletConn(in, tcp) })
	}
}

// serveInletConn opens a portal stream to the sharer for one accepted
// connection and joins the two. When the sharer refuses or cannot be
// reached within the open timeout, the client gets a reset, never an
// empty clean close.
func (e *Engine) serveInletConn(in *inlet, tcp *net.TCPConn) {
	ctx, cancel := context.WithTimeout(e.ctx, e.opts.OpenTimeout)
	defer cancel()

	sess, st, err := e.openPortal(ctx, in.config)
	if err != nil {
		e.inletRefused(in, err)
		tcp.SetLinger(0)
		tcp.Close()
		return
	}
	e.inletOpened(in)
	e.runConn(&liveConn{key: streamKey{sess, st.ID()}, peer: in.config.Peer, inlet: in.config.Name}, tcp, st, sess)
}

// openPortal gets a session to the inlet's peer, dialing now if there is
// none, and opens a portal stream on it.
func (e *Engine) openPortal(ctx context.Context, cfg state.Inlet) (*session.Session, *session.Stream, error) {
	sess, err := e.sessionFor(ctx, cfg.Peer)
	if err != nil {
		return nil, nil, err
	}
	st, err := sess.OpenStream(ctx, session.PortalHeader(cfg.Service))
	if err != nil {
		return nil, nil, err
	}
	return sess, st, nil
}

// inletRefused records and logs a connection the sharer refused or that
// could not reach it; `portals ls` shows the last such error.
func (e *Engine) inletRefused(in *inlet, err error) {
	e.mu.Lock()
	in.openFails++
	fails := in.openFails
	in.lastErr = err.Error()
	e.publishLocked()
	e.mu.Unlock()

	limiter := e.refusalLimiter("inlet " + in.config.Name)
	if limiter.allow(refusalKind(err)) {
		e.log.Warn("portal connection refused; identical refusals are not logged for a while", "inlet", in.config.Name, "err", err, "refusals", fails)
	}
}

// refusalKind classifies a refusal for log rate limiting: the full error
// text differs on every connection (ports, stream numbers), the kind does
// not.
func refusalKind(err error) string {
	var se *session.StatusError
	switch {
	case errors.As(err, &se):
		return se.Status.String()
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	default:
		return "unreachable"
	}
}

// inletOpened clears the error of the last refused connection.
func (e *Engine) inletOpened(in *inlet) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if in.lastErr != "" && in.ln != nil {
		in.lastErr = ""
		e.publishLocked()
	}
}

func (e *Engine) refusalLimiter(key string) *logLimiter {
	e.mu.Lock()
	defer e.mu.Unlock()
	limiter := e.refusalLogs[key]
	if limiter == nil {
		limiter = newLogLimiter()
		e.refusalLogs[key] = limiter
	}
	return limiter
}

// AcceptResult describes a new inlet.
type AcceptResult struct {
	Name    string      `json:"name"`
	Service string      `json:"service"`
	Peer    identity.ID `json:"peer"`
	Addr    string      `json:"addr"`
}

// Accept redeems an invitation link and creates the inlet for its service
// on 127.0.0.1:port (0 picks a free port). The port is bound before the
// invitation is redeemed and nothing is saved unless every step succeeds.
func (e *Engine) Accept(ctx context.Context, text string, port int) (AcceptResult, error) {
	link, err := invite.Parse(text)
	if err != nil {
		return AcceptResult{}, err
	}
	if link.Sharer == e.ID() {
		return AcceptResult{}, errors.New("engine: this invitation was made by this node; send it to the teammate who should use the service")
	}
	if link.Expired(time.Now()) {
		return AcceptResult{}, fmt.Errorf("engine: the invitation expired at %s; ask the sharer for a new one", link.Expires.Format(time.RFC3339))
	}
	if port < 0 || port > 65535 {
		return AcceptResult{}, fmt.Errorf("engine: port %d is out of range: use 1 to 65535, or 0 for a free port", port)
	}
	// Accepting the same service again redeems nothing, so a link for
	// several people cannot be used up by one of them.
	existing, accepted := e.acceptedInlet(link.Sharer, link.Service)
	if accepted && (port == 0 || existing.Addr == inletAddr(port)) {
		return existing, nil
	}

	ln, err := listenInlet(port)
	if err != nil {
		return AcceptResult{}, fmt.Errorf("engine: %w", err)
	}
	if accepted {
		ln.Close()
		return AcceptResult{}, fmt.Errorf("engine: %q from %s is already at %s; run `portals remove %s` first to move it to port %d", existing.Service, existing.Peer.Short(), existing.Addr, existing.Name, port)
	}
	result, err := e.redeemAndSave(ctx, link, ln)
	if err != nil {
		ln.Close()
		return AcceptResult{}, err
	}
	return result, nil
}

// acceptedInlet returns the inlet this node already has for service on
// peer, if any.
func (e *Engine) acceptedInlet(peer identity.ID, service string) (AcceptResult, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, in := range e.state.Inlets {
		if in.Peer == peer && in.Service == service {
			return AcceptResult{Name: in.Name, Service: in.Service, Peer: in.Peer, Addr: inletAddr(in.Port)}, true
		}
	}
	return AcceptResult{}, false
}

// redeemAndSave redeems link with the sharer and saves the peer and the
// inlet listening on ln.
func (e *Engine) redeemAndSave(ctx context.Context, link invite.Link, ln *net.TCPListener) (AcceptResult, error) {
	peerCfg := state.Peer{ID: link.Sharer, Name: link.SharerName, Routes: link.Routes}
	sess, err := e.sessionWith(ctx, peerCfg)
	if err != nil {
		return AcceptResult{}, fmt.Errorf("engine: reaching the sharer %s: %w", link.Sharer.Short(), err)
	}
	info, err := redeemOver(ctx, sess, link.Secret, link.Service)
	if err != nil {
		return AcceptResult{}, err
	}
	if info.Service != link.Service {
		return AcceptResult{}, fmt.Errorf("engine: the sharer granted %q but the link names %q", info.Service, link.Service)
	}

	port := ln.Addr().(*net.TCPAddr).Port
	var result AcceptResult
	err = e.updateStateBound(ln, func(st *state.State) error {
		cfg := state.Inlet{Name: uniqueInletName(st, link.Service), Peer: link.Sharer, Service: link.Service, Port: port}
		upsertPeer(st, peerCfg)
		st.Inlets = append(st.Inlets, cfg)
		result = AcceptResult{Name: cfg.Name, Service: cfg.Service, Peer: cfg.Peer, Addr: inletAddr(port)}
		return nil
	})
	return result, err
}

// redeemOver sends the invitation secret and reads the service description.
func redeemOver(ctx context.Context, sess *session.Session, secret [32]byte, service string) (ServiceInfo, error) {
	st, err := sess.OpenStream(ctx, session.RedeemHeader(session.Secret(secret[:])))
	if err != nil {
		var se *session.StatusError
		if errors.As(err, &se) && se.Status == session.StatusDenied {
			return ServiceInfo{}, fmt.Errorf("engine: the sharer rejected the invitation to %q (%s): it may have stopped sharing %q or deleted the invitation; ask for a new link", service, se.Reason, service)
		}
		if errors.As(err, &se) {
			return ServiceInfo{}, fmt.Errorf("engine: the sharer rejected the invitation to %q: %s: %s", service, se.Status, se.Reason)
		}
		return ServiceInfo{}, fmt.Errorf("engine: redeeming the invitation to %q: %w", service, err)
	}
	defer st.Close()

	if deadline, ok := ctx.Deadline(); ok {
		st.SetReadDeadline(deadline)
	}
	var info ServiceInfo
	data, err := io.ReadAll(io.LimitReader(st, 4096))
	if err == nil {
		err = json.Unmarshal(data, &info)
	}
	if err != nil {
		return ServiceInfo{}, fmt.Errorf("engine: reading the service description from the sharer: %w", err)
	}
	return info, nil
}

func upsertPeer(st *state.State, p state.Peer) {
	for i, old := range st.Peers {
		if old.ID == p.ID {
			st.Peers[i] = p
			return
		}
	}
	st.Peers = append(st.Peers, p)
}

// uniqueInletName returns service, or service-2, service-3 ... when taken.
func uniqueInletName(st *state.State, service string) string {
	taken := map[string]bool{}
	for _, in := range st.Inlets {
		taken[in.Name] = true
	}
	name := service
	for i := 2; taken[name]; i++ {
		suffix := "-" + strconv.Itoa(i)
		name = service[:min(len(service), state.MaxServiceNameLen-len(suffix))] + suffix
	}
	return name
}

// Remove deletes an accepted service: its inlet stops listening and its
// connections are cut. The peer stays known while other inlets use it.
func (e *Engine) Remove(name string) error {
	err := e.updateState(func(st *state.State) error {
		i := -1
		for j, in := range st.Inlets {
			if in.Name == name {
				i = j
			}
		}
		if i < 0 {
			return fmt.Errorf("engine: no accepted service is named %q; `portals ls` lists them", name)
		}
		peer := st.Inlets[i].Peer
		st.Inlets = append(st.Inlets[:i], st.Inlets[i+1:]...)
		if !inletUsesPeer(st, peer) {
			st.Peers = removePeer(st.Peers, peer)
		}
		return nil
	})
	if err != nil {
		return err
	}
	e.resetConns(func(c *liveConn) bool { return c.inlet == name })
	return nil
}

func inletUsesPeer(st *state.State, id identity.ID) bool {
	for _, in := range st.Inlets {
		if in.Peer == id {
			return true
		}
	}
	return false
}

func removePeer(peers []state.Peer, id identity.ID) []state.Peer {
	out := peers[:0]
	for _, p := range peers {
		if p.ID != id {
			out = append(out, p)
		}
	}
	return out
}
