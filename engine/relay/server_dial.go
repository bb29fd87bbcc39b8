package relay

import (
	"crypto/rand"
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/portalsapp/portals/engine/identity"
)

// errTooManyDials means a pending-dial limit is reached.
var errTooManyDials = errors.New("relay: too many pending dials")

// pendingDial is a dial waiting for its target to dial back.
type pendingDial struct {
	token   token
	target  identity.ID
	expires time.Time
	matched chan net.Conn // receives the dial-back connection, buffered 1
}

// serveDial connects a dialer to a registered target: it requests a
// dial-back from the target, waits for it, sends both sides statusOK and
// splices them.
func (s *Server) serveDial(c net.Conn, target identity.ID) {
	log := s.log.With("target", target.Short(), "dialer", c.RemoteAddr().String())
	n := s.lookup(target)
	if n == nil {
		log.Debug("relay dial to unregistered node")
		writeStatus(c, statusNotRegistered)
		s.drop(c)
		return
	}

	back, err := s.requestDialBack(n, c.RemoteAddr().String())
	if err != nil {
		log.Info("relay dial failed", "err", err)
		writeStatus(c, statusUnavailable)
		s.drop(c)
		return
	}

	if err := s.startSplice(c, back); err != nil {
		log.Debug("relay dial status write failed", "err", err)
		s.drop(c)
		s.drop(back)
		return
	}
	log.Info("relay splice started")
	s.runSplice(c, back, log)
}

// requestDialBack registers a pending dial, sends the dial-back request
// over the target's control channel and waits for the dial-back
// connection until the token expires.
func (s *Server) requestDialBack(n *node, dialerAddr string) (net.Conn, error) {
	p, err := s.addPending(n.id)
	if err != nil {
		return nil, err
	}

	if err := n.send(msgDialBack, dialBackBody(p.token, dialerAddr)); err != nil {
		s.removePending(p)
		return nil, err
	}
	return s.awaitDialBack(p)
}

// awaitDialBack waits for the dial-back that claims p, until p expires or
// the server closes.
func (s *Server) awaitDialBack(p *pendingDial) (net.Conn, error) {
	timer := time.NewTimer(time.Until(p.expires))
	defer timer.Stop()

	select {
	case back := <-p.matched:
		return back, nil
	case <-timer.C:
	case <-s.done:
	}

	// A dial-back may have claimed the token just now. The goroutine that
	// removes the token from the table owns the outcome.
	if s.removePending(p) {
		return nil, errors.New("relay: target did not dial back before the token expired")
	}
	return <-p.matched, nil
}

// addPending creates a pending dial to target with a fresh token, within
// the global and per-target limits.
func (s *Server) addPending(target identity.ID) (*pendingDial, error) {
	p := &pendingDial{
		target:  target,
		expires: time.Now().Add(s.cfg.DialBackTimeout),
		matched: make(chan net.Conn, 1),
	}
	if _, err := rand.Read(p.token[:]); err != nil {
		return nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) >= s.cfg.MaxPendingDials || s.pendingPer[target] >= s.cfg.MaxPendingPerTarget {
		return nil, errTooManyDials
	}
	s.pending[p.token] = p
	s.pendingPer[target]++
	return p, nil
}

// removePending removes p from the table and reports whether it was still
// there.
func (s *Server) removePending(p *pendingDial) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.removePendingLocked(p)
}

// removePendingLocked is removePending with s.mu held.
func (s *Server) removePendingLocked(p *pendingDial) bool {
	if s.pending[p.token] != p {
		return false
	}
	delete(s.pending, p.token)
	if s.pendingPer[p.target]--; s.pendingPer[p.target] <= 0 {
		delete(s.pendingPer, p.target)
	}
	return true
}

// claimPending removes and returns the unexpired pending dial for tok, or
// nil. A token is claimed at most once.
func (s *Server) claimPending(tok token, now time.Time) *pendingDial {
	s.mu.Lock()
	defer s.mu.Unlock()

	p := s.pending[tok]
	if p == nil || !now.Before(p.expires) {
		return nil
	}
	s.removePendingLocked(p)
	return p
}

// serveDialBack hands a dial-back connection to the dialer waiting for its
// token. An unknown, used or expired token gets the fixed refusal.
func (s *Server) serveDialBack(c net.Conn, tok token) {
	p := s.claimPending(tok, time.Now())
	if p == nil {
		s.log.Debug("relay dial-back token rejected", "remote", c.RemoteAddr().String())
		s.reject(c)
		return
	}
	p.matched <- c
}

// startSplice sends statusOK to both sides and clears the hello deadlines.
func (s *Server) startSplice(dialer, back net.Conn) error {
	for _, c := range []net.Conn{dialer, back} {
		if err := writeStatus(c, statusOK); err != nil {
			return err
		}
		c.SetDeadline(time.Time{})
	}
	return nil
}

// runSplice splices dialer and back until both directions end, then logs
// the byte counts and drops both connections.
func (s *Server) runSplice(dialer, back net.Conn, log *slog.Logger) {
	start := time.Now()
	res := splice(dialer, back, s.cfg.IdleTimeout)
	s.drop(dialer)
	s.drop(back)

	log.Info("relay splice ended",
		"dialer_to_target_bytes", res.aToB,
		"target_to_dialer_bytes", res.bToA,
		"duration", time.Since(start).Round(time.Millisecond),
		"err", res.err)
}
