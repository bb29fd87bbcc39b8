package engine

import (
	"errors"
	"fmt"
	"net"
)

// listener accepts direct sessions on one address.
type listener struct {
	ln net.Listener
}

func (l *listener) addr() string { return l.ln.Addr().String() }

func (l *listener) close() { l.ln.Close() }

// startListenerLocked listens on addr and accepts sessions until the
// listener is closed. e.mu must be held.
func (e *Engine) startListenerLocked(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("engine: listening for direct sessions on %s: %w; choose another address or stop the program that uses it", addr, err)
	}
	l := &listener{ln: ln}
	e.listeners[addr] = l
	e.log.Info("accepting direct sessions", "addr", l.addr())

	e.goWorker(func() { e.acceptLoop(l) })
	return nil
}

func (e *Engine) acceptLoop(l *listener) {
	limiter := newLogLimiter()
	for {
		conn, err := l.ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			if limiter.allow(err.Error()) {
				e.log.Warn("accepting a direct session failed", "addr", l.addr(), "err", err)
			}
			if !sleepCtx(e.ctx, acceptRetryDelay) {
				return
			}
			continue
		}

		route := "direct from " + conn.RemoteAddr().String()
		e.goWorker(func() { e.serveInbound(conn, route) })
	}
}
