package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/hashicorp/yamux"
	"github.com/portalsapp/portals/engine/channel"
)

// Session is a yamux session over one secure channel to one peer. All
// methods are safe for concurrent use. A Session ends when Close is called,
// when the channel fails, or when keepalive declares the peer dead; Done is
// closed then, and every stream fails.
type Session struct {
	// Constant after construction.
	conn *channel.Conn
	mux  *yamux.Session
	cfg  *Config
	log  *slog.Logger

	// ctx is canceled when the session ends; handlers receive it.
	ctx    context.Context
	cancel context.CancelFunc

	// serving tracks the goroutines Serve started, one per stream.
	serving sync.WaitGroup
}

// Client starts the session on the channel initiator's side. It takes
// ownership of conn: Close closes it. cfg may be nil.
func Client(conn *channel.Conn, cfg *Config) (*Session, error) {
	return newSession(conn, cfg, yamux.Client, "client")
}

// Server starts the session on the channel responder's side. It takes
// ownership of conn: Close closes it. cfg may be nil.
func Server(conn *channel.Conn, cfg *Config) (*Session, error) {
	return newSession(conn, cfg, yamux.Server, "server")
}

type muxFunc func(conn io.ReadWriteCloser, cfg *yamux.Config) (*yamux.Session, error)

func newSession(conn *channel.Conn, cfg *Config, start muxFunc, role string) (*Session, error) {
	if cfg == nil {
		cfg = &Config{}
	}
	log := cfg.logger().With(slog.String("peer", conn.Peer().ID.Short()), slog.String("role", role))

	mux, err := start(&frameCoalescer{Conn: conn}, cfg.yamuxConfig(log))
	if err != nil {
		return nil, fmt.Errorf("session: starting yamux %s with peer %s: %w", role, conn.Peer().ID.Short(), err)
	}

	s := &Session{conn: conn, mux: mux, cfg: cfg, log: log}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	go s.cancelWhenDone()
	log.Debug("session started")
	return s, nil
}

// Peer returns the authenticated peer of the underlying channel.
func (s *Session) Peer() channel.Peer {
	return s.conn.Peer()
}

// Done returns a channel that is closed when the session has ended.
func (s *Session) Done() <-chan struct{} {
	return s.mux.CloseChan()
}

// Close ends the session: every stream fails and the channel is closed.
// It does not wait for handlers; Serve returns once they have returned.
func (s *Session) Close() error {
	err := s.mux.Close()
	s.cancel()
	if err != nil {
		return fmt.Errorf("session: closing session with peer %s: %w", s.Peer().ID.Short(), err)
	}
	return nil
}

// RTT measures one round trip with a yamux ping. It fails with a timeout
// after KeepAliveInterval, or at once if the session has ended.
func (s *Session) RTT() (time.Duration, error) {
	rtt, err := s.mux.Ping()
	if err != nil {
		return 0, fmt.Errorf("session: pinging peer %s: %w", s.Peer().ID.Short(), err)
	}
	return rtt, nil
}

// OpenStream opens a stream, sends h and waits for the peer's response. It
// returns the stream when the peer responds StatusOK, a *StatusError for any
// other response, and a timeout error when no response arrives before ctx's
// deadline or OpenTimeout, whichever is first. On error no stream is left
// open.
func (s *Session) OpenStream(ctx context.Context, h Header) (*Stream, error) {
	wire, err := appendHeader(nil, h)
	if err != nil {
		return nil, err
	}

	raw, err := s.mux.OpenStream()
	if err != nil {
		return nil, fmt.Errorf("session: opening %s stream to peer %s: %w", h.Kind, s.Peer().ID.Short(), err)
	}

	if err := s.ask(ctx, raw, h, wire); err != nil {
		raw.Close()
		return nil, err
	}
	return newStream(raw, s.Peer(), h), nil
}

// ask writes the header and reads the response within the open deadline.
func (s *Session) ask(ctx context.Context, raw *yamux.Stream, h Header, wire []byte) error {
	deadline := time.Now().Add(s.cfg.openTimeout())
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	raw.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { raw.SetDeadline(time.Now()) })
	defer stop()

	if _, err := raw.Write(wire); err != nil {
		return s.openError(ctx, h, "writing header", err)
	}
	status, reason, err := readResponse(raw)
	if err != nil {
		return s.openError(ctx, h, "waiting for response", err)
	}
	if status != StatusOK {
		return &StatusError{Header: h, Status: status, Reason: reason}
	}

	raw.SetDeadline(time.Time{})
	return nil
}

// openError wraps a failed open. When ctx's deadline has passed, the
// stream deadline that fired was ctx's, so the error wraps
// context.DeadlineExceeded rather than the stream's timeout.
func (s *Session) openError(ctx context.Context, h Header, step string, err error) error {
	deadline, ok := ctx.Deadline()
	switch {
	case ctx.Err() != nil:
		err = ctx.Err()
	case ok && !time.Now().Before(deadline):
		err = context.DeadlineExceeded
	}
	return fmt.Errorf("session: opening %s stream to peer %s: %s: %w", h, s.Peer().ID.Short(), step, err)
}

// Serve accepts streams until the session ends and responds to each one on its
// own goroutine with h; see Handler. It returns nil once the session has
// ended and every handler call it started has returned.
//
// A side that never calls Serve leaves the peer's streams without a
// response: up to 256 wait until the opener's timeout, and yamux resets any
// beyond that backlog.
func (s *Session) Serve(h Handler) error {
	defer s.serving.Wait()

	for {
		raw, err := s.mux.AcceptStream()
		if err != nil {
			s.logEnd(err)
			return nil
		}

		s.serving.Add(1)
		go func() {
			defer s.serving.Done()
			s.serveStream(raw, h)
		}()
	}
}

// logEnd logs why the session ended: at Debug for a local Close, at Info
// when the peer closed the channel and at Warn otherwise (keepalive
// failure, channel error).
func (s *Session) logEnd(err error) {
	switch {
	case errors.Is(err, yamux.ErrSessionShutdown):
		s.log.Debug("session closed")
	case errors.Is(err, io.EOF):
		s.log.Info("peer closed the session")
	default:
		s.log.Warn("session ended", slog.Any("err", err))
	}
}

// cancelWhenDone cancels the handlers' context when the session ends.
func (s *Session) cancelWhenDone() {
	<-s.mux.CloseChan()
	s.cancel()
}
