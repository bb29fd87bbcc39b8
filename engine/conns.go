package engine

import (
	"context"
	"sync"
	"time"

	"github.com/portalsapp/portals/engine/identity"
	"github.com/portalsapp/portals/engine/portal"
	"github.com/portalsapp/portals/engine/session"
)

// resetTimeout bounds a reset request to the peer.
const resetTimeout = 2 * time.Second

// pendingResetLifetime is how long a reset request for a stream that is
// not registered yet is kept: the peer may reset a stream in the moment
// between answering it and this node registering it.
const pendingResetLifetime = 10 * time.Second

// streamKey names a stream within a session; both ends share the ID.
type streamKey struct {
	sess *session.Session
	id   uint32
}

// liveConn is a portal connection the engine tracks for counts, byte
// totals, revocation and resets. Fields are constant after creation.
type liveConn struct {
	conn    *portal.Conn
	key     streamKey
	peer    identity.ID
	service string // the shared service (outlet side)
	inlet   string // the inlet name (inlet side)
}

// trackConn registers a connection. It returns false, after aborting the
// connection, if the peer already asked to reset the stream.
func (e *Engine) trackConn(c *liveConn) bool {
	e.mu.Lock()
	defer e.mu.Unlock()

	if at, ok := e.pendingResets[c.key]; ok {
		delete(e.pendingResets, c.key)
		if time.Since(at) < pendingResetLifetime {
			c.conn.Abort()
			return false
		}
	}
	e.conns[c.key] = c
	e.publishLocked()
	return true
}

// untrackConn removes a finished connection and adds its bytes to the
// totals of its inlet.
func (e *Engine) untrackConn(c *liveConn) {
	e.mu.Lock()
	defer e.mu.Unlock()

	delete(e.conns, c.key)
	if in := e.inlets[c.inlet]; in != nil && c.inlet != "" {
		in.bytesIn += c.conn.BytesIn.Load()
		in.bytesOut += c.conn.BytesOut.Load()
	}
	e.publishLocked()
}

// resetStream aborts the connection on a stream the peer reset, or
// remembers the request until the stream is registered.
func (e *Engine) resetStream(key streamKey) {
	e.mu.Lock()
	c := e.conns[key]
	if c == nil {
		e.pendingResets[key] = time.Now()
		e.prunePendingResetsLocked()
	}
	e.mu.Unlock()

	if c != nil {
		c.conn.Abort()
	}
}

func (e *Engine) prunePendingResetsLocked() {
	for key, at := range e.pendingResets {
		if time.Since(at) >= pendingResetLifetime {
			delete(e.pendingResets, key)
		}
	}
}

// resetConns resets every tracked connection that match selects, telling
// the peer, and returns how many there were.
func (e *Engine) resetConns(match func(*liveConn) bool) int {
	victims := e.matchConns(match)
	var wg sync.WaitGroup
	for _, c := range victims {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.conn.Reset()
		}()
	}
	wg.Wait()
	return len(victims)
}

// abortConns aborts every tracked connection that match selects, without
// telling the peer.
func (e *Engine) abortConns(match func(*liveConn) bool) int {
	victims := e.matchConns(match)
	for _, c := range victims {
		c.conn.Abort()
	}
	return len(victims)
}

func (e *Engine) matchConns(match func(*liveConn) bool) []*liveConn {
	e.mu.Lock()
	defer e.mu.Unlock()
	var victims []*liveConn
	for _, c := range e.conns {
		if match(c) {
			victims = append(victims, c)
		}
	}
	return victims
}

// resetSender returns the function a portal connection calls to have the
// peer reset its side of stream id.
func (e *Engine) resetSender(sess *session.Session, id uint32) func() {
	return func() {
		ctx, cancel := context.WithTimeout(e.ctx, resetTimeout)
		defer cancel()
		st, err := sess.OpenStream(ctx, session.ResetHeader(id))
		if err != nil {
			e.log.Debug("sending a stream reset failed", "peer", sess.Peer().ID.Short(), "stream", id, "err", err)
			return
		}
		st.Close()
	}
}
