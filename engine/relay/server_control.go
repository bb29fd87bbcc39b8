package relay

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/portalsapp/portals/engine/channel"
	"github.com/portalsapp/portals/engine/identity"
)

// node is a registered node's control channel on the relay.
type node struct {
	id   identity.ID
	conn *channel.Conn
	raw  net.Conn // the TCP connection under conn, tracked by the Server

	writeMu sync.Mutex // serializes whole control messages on conn
}

// send writes one control message within controlWriteTimeout.
func (n *node) send(t msgType, body []byte) error {
	msg := appendControl(make([]byte, 0, controlHeaderSize+len(body)), t, body)

	n.writeMu.Lock()
	defer n.writeMu.Unlock()
	n.conn.SetWriteDeadline(time.Now().Add(controlWriteTimeout))
	_, err := n.conn.Write(msg)
	return err
}

// serveControl runs the control handshake and the registration on c, then
// keeps the registration until the channel dies or a newer registration of
// the same identifier replaces it.
func (s *Server) serveControl(c net.Conn) {
	c.SetDeadline(time.Time{})
	conn, err := channel.Server(context.Background(), c, s.channelCfg)
	if err != nil {
		s.log.Debug("relay control handshake failed", "remote", c.RemoteAddr().String(), "err", err)
		s.drop(c)
		return
	}

	n := &node{id: conn.Peer().ID, conn: conn, raw: c}
	if s.admit(n) {
		s.runNode(n)
		s.unregister(n)
	}
	s.closeNode(n)
}

// admit reads the registration message, registers an authorized node and
// sends the response. Only an authorized node gets msgRegistered. Every other
// outcome is msgRejected or a closed channel, with the reason in a log
// line only.
func (s *Server) admit(n *node) bool {
	var msg controlMessage
	n.conn.SetReadDeadline(time.Now().Add(s.cfg.HelloTimeout))
	if err := readControl(n.conn, &msg); err != nil {
		s.log.Debug("relay registration unreadable", "node", n.id.Short(), "err", err)
		return false
	}
	if msg.typ != msgRegister || !s.authorized(n.id, msg.body()) {
		s.log.Info("relay registration rejected", "node", n.id.Short(), "remote", n.raw.RemoteAddr().String(), "message", msg.typ.String())
		n.send(msgRejected, nil)
		return false
	}

	// Register before responding, so the node is reachable as soon as it
	// learns it is registered, and a quick re-registration always finds
	// this one to replace.
	s.register(n)
	if err := n.send(msgRegistered, nil); err != nil {
		s.log.Debug("relay registration response failed", "node", n.id.Short(), "err", err)
		s.unregister(n)
		return false
	}
	return true
}

// register makes n the node for its identifier and closes the control
// channel of the node it replaces, if any.
func (s *Server) register(n *node) {
	s.mu.Lock()
	old := s.nodes[n.id]
	s.nodes[n.id] = n
	s.mu.Unlock()

	if old != nil {
		s.log.Info("relay registration replaced", "node", n.id.Short(), "old", old.raw.RemoteAddr().String(), "new", n.raw.RemoteAddr().String())
		s.closeNode(old)
		return
	}
	s.log.Info("relay node registered", "node", n.id.Short(), "remote", n.raw.RemoteAddr().String())
}

// unregister removes n unless a newer registration already replaced it.
func (s *Server) unregister(n *node) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nodes[n.id] == n {
		delete(s.nodes, n.id)
		s.log.Info("relay node unregistered", "node", n.id.Short())
	}
}

// lookup returns the node registered for id, or nil.
func (s *Server) lookup(id identity.ID) *node {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nodes[id]
}

func (s *Server) closeNode(n *node) {
	n.conn.Close()
	s.drop(n.raw)
}

// runNode sends pings and reads the node's pings until the channel fails or
// stays silent for three keepalive intervals. A node sends nothing else
// after registering.
func (s *Server) runNode(n *node) {
	stop := make(chan struct{})
	var pinger sync.WaitGroup
	pinger.Go(func() { s.pingNode(n, stop) })
	defer pinger.Wait()
	defer close(stop)

	var msg controlMessage
	for {
		n.conn.SetReadDeadline(time.Now().Add(3 * s.cfg.KeepaliveInterval))
		if err := readControl(n.conn, &msg); err != nil {
			s.log.Debug("relay control channel ended", "node", n.id.Short(), "err", err)
			n.conn.Close()
			return
		}
		if msg.typ != msgPing {
			s.log.Info("relay control message unexpected, closing", "node", n.id.Short(), "message", msg.typ.String())
			n.conn.Close()
			return
		}
	}
}

// pingNode sends a ping every keepalive interval until stop is closed or a
// write fails.
func (s *Server) pingNode(n *node, stop <-chan struct{}) {
	ticker := time.NewTicker(s.cfg.KeepaliveInterval)
	defer ticker.Stop()
	for {
		select {
		case <-stop:
			return
		case <-ticker.C:
			if err := n.send(msgPing, nil); err != nil {
				n.conn.Close()
				return
			}
		}
	}
}
