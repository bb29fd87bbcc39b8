package relay

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/portalsapp/portals/engine/channel"
	"github.com/portalsapp/portals/engine/identity"
)

// Server defaults, used when the Config field is zero.
const (
	// DefaultHelloTimeout bounds reading the hello frame, and the
	// registration message after the control handshake.
	DefaultHelloTimeout = 5 * time.Second

	// DefaultDialBackTimeout is how long a dial-back token stays valid, and
	// so how long a dialer waits for the target to dial back.
	DefaultDialBackTimeout = 5 * time.Second

	// DefaultIdleTimeout ends a splice that carried no byte in either
	// direction for this long. Sessions send keepalives far more often.
	DefaultIdleTimeout = 10 * time.Minute

	// DefaultKeepaliveInterval is how often each side of a control channel
	// sends a ping. A side that hears nothing for three intervals closes
	// the channel.
	DefaultKeepaliveInterval = 5 * time.Second

	// DefaultMaxPendingDials bounds dials waiting for a dial-back, over all
	// targets.
	DefaultMaxPendingDials = 1024

	// DefaultMaxPendingPerTarget bounds dials waiting for a dial-back from
	// one target.
	DefaultMaxPendingPerTarget = 32

	// DefaultConnRate is how many new connections per second one source IP
	// address may open, sustained.
	DefaultConnRate = 10

	// DefaultConnBurst is how many new connections one source IP address
	// may open at once.
	DefaultConnBurst = 40
)

// Rejection lingering, see Server.reject.
const (
	rejectLinger    = time.Second
	rejectDrainSize = 4 << 10
)

// controlWriteTimeout bounds one write to a control channel, so a node that
// stopped reading cannot block a dialer.
const controlWriteTimeout = 5 * time.Second

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("relay: server closed")

// Config configures a relay Server.
type Config struct {
	// Credentials are the relay's identity, which nodes pin through the
	// relay link. Required.
	Credentials *channel.Credentials

	// Secret is the 32-byte registration secret. Nil means a fresh random
	// secret, which Link returns.
	Secret []byte

	// Allowlist lists node identifiers that may register without the
	// secret.
	Allowlist []identity.ID

	// AdvertiseAddr is the "host:port" that Link puts in the relay link.
	AdvertiseAddr string

	// Logger receives structured logs. Nil discards them.
	Logger *slog.Logger

	// Timeouts. Zero means the matching Default value.
	HelloTimeout      time.Duration
	HandshakeTimeout  time.Duration // zero means channel.DefaultHandshakeTimeout
	DialBackTimeout   time.Duration
	IdleTimeout       time.Duration
	KeepaliveInterval time.Duration

	// Limits. Zero means the matching Default value.
	MaxPendingDials     int
	MaxPendingPerTarget int
	ConnRate            float64 // new connections per second per source IP
	ConnBurst           int     // bucket size per source IP
}

// Server is a relay. Create it with NewServer, then call Serve. It is safe
// for concurrent use.
type Server struct {
	// Constant after NewServer.
	cfg         Config
	secret      [secretSize]byte
	allow       map[identity.ID]bool
	log         *slog.Logger
	limiter     *sourceLimiter
	channelCfg  *channel.Config
	done        chan struct{} // closed by Close
	handlersRun sync.WaitGroup

	mu         sync.Mutex // guards the fields below
	closed     bool
	listeners  map[net.Listener]struct{}
	conns      map[net.Conn]struct{} // every accepted connection not yet closed
	nodes      map[identity.ID]*node // registered nodes
	pending    map[token]*pendingDial
	pendingPer map[identity.ID]int // pending dials per target
}

// NewServer checks cfg, fills in defaults and returns a Server.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Credentials == nil {
		return nil, errors.New("relay: server config has no credentials: load or create the relay identity first")
	}
	s := &Server{
		allow:      make(map[identity.ID]bool),
		log:        cfg.Logger,
		done:       make(chan struct{}),
		listeners:  make(map[net.Listener]struct{}),
		conns:      make(map[net.Conn]struct{}),
		nodes:      make(map[identity.ID]*node),
		pending:    make(map[token]*pendingDial),
		pendingPer: make(map[identity.ID]int),
	}
	if err := s.setSecret(cfg.Secret); err != nil {
		return nil, err
	}

	s.cfg = withDefaults(cfg)
	for _, id := range cfg.Allowlist {
		s.allow[id] = true
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.limiter = newSourceLimiter(s.cfg.ConnRate, s.cfg.ConnBurst)
	s.channelCfg = &channel.Config{
		Purpose:          channel.PurposeRelayControl,
		Credentials:      cfg.Credentials,
		HandshakeTimeout: cfg.HandshakeTimeout,
	}
	return s, nil
}

// setSecret copies secret, or generates one when it is nil.
func (s *Server) setSecret(secret []byte) error {
	switch {
	case secret == nil:
		if _, err := rand.Read(s.secret[:]); err != nil {
			return fmt.Errorf("relay: generating registration secret: %w", err)
		}
	case len(secret) != secretSize:
		return fmt.Errorf("relay: registration secret is %d bytes, want %d", len(secret), secretSize)
	default:
		copy(s.secret[:], secret)
	}
	return nil
}

func withDefaults(cfg Config) Config {
	setDefault(&cfg.HelloTimeout, DefaultHelloTimeout)
	setDefault(&cfg.DialBackTimeout, DefaultDialBackTimeout)
	setDefault(&cfg.IdleTimeout, DefaultIdleTimeout)
	setDefault(&cfg.KeepaliveInterval, DefaultKeepaliveInterval)
	setDefault(&cfg.MaxPendingDials, DefaultMaxPendingDials)
	setDefault(&cfg.MaxPendingPerTarget, DefaultMaxPendingPerTarget)
	setDefault(&cfg.ConnRate, DefaultConnRate)
	setDefault(&cfg.ConnBurst, DefaultConnBurst)
	return cfg
}

func setDefault[T time.Duration | int | float64](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// ID returns the relay's identifier.
func (s *Server) ID() identity.ID {
	return s.cfg.Credentials.Identity().ID()
}

// Link returns the relay link for Config.AdvertiseAddr. It fails when that
// address is not a valid "host:port".
func (s *Server) Link() (Link, error) {
	link := Link{Addr: s.cfg.AdvertiseAddr, RelayID: s.ID(), Secret: s.secret}
	if err := link.check(); err != nil {
		return Link{}, fmt.Errorf("relay: building link for advertised address: %w", err)
	}
	return link, nil
}

// Serve accepts connections on ln until Close, and then returns
// ErrServerClosed. It closes ln on return. Temporary accept errors are
// retried after a pause of at most one second.
func (s *Server) Serve(ln net.Listener) error {
	if !s.trackListener(ln) {
		ln.Close()
		return ErrServerClosed
	}
	defer s.untrackListener(ln)

	s.log.Info("relay serving", "addr", ln.Addr().String(), "relay", s.ID().Short())
	pause := time.Duration(0)
	for {
		c, err := ln.Accept()
		if err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			if !isTemporaryAccept(err) {
				return fmt.Errorf("relay: accepting on %s: %w", ln.Addr(), err)
			}
			pause = nextAcceptPause(pause)
			s.log.Warn("relay accept failed, retrying", "err", err, "pause", pause)
			time.Sleep(pause)
			continue
		}
		pause = 0
		s.accept(c)
	}
}

// isTemporaryAccept reports whether an accept error is worth retrying,
// such as running out of file descriptors.
func isTemporaryAccept(err error) bool {
	var netErr interface{ Temporary() bool }
	return errors.As(err, &netErr) && netErr.Temporary()
}

// nextAcceptPause doubles the pause after a failed accept, from 5 ms to 1 s.
func nextAcceptPause(pause time.Duration) time.Duration {
	return min(max(2*pause, 5*time.Millisecond), time.Second)
}

// accept rate-limits c by source address and starts its handler.
func (s *Server) accept(c net.Conn) {
	if !s.limiter.allow(c.RemoteAddr(), time.Now()) {
		s.log.Debug("relay connection rate-limited", "remote", c.RemoteAddr().String())
		c.Close()
		return
	}
	if !s.trackConn(c) {
		c.Close()
		return
	}

	s.handlersRun.Add(1)
	go func() {
		defer s.handlersRun.Done()
		s.handle(c)
	}()
}

// handle reads the hello frame and serves the connection by its kind.
func (s *Server) handle(c net.Conn) {
	c.SetDeadline(time.Now().Add(s.cfg.HelloTimeout))
	h, err := readHello(c)
	if err != nil {
		s.log.Debug("relay hello rejected", "remote", c.RemoteAddr().String(), "err", err)
		s.reject(c)
		return
	}

	switch h.kind {
	case kindControl:
		s.serveControl(c)
	case kindDial:
		s.serveDial(c, identity.ID(h.body))
	case kindDialBack:
		s.serveDialBack(c, token(h.body))
	}
}

// reject sends the one fixed refusal and closes c. It first half-closes c
// and discards what the peer still sends, for at most rejectLinger and
// rejectDrainSize bytes, because closing with unread input sends a TCP
// reset that can destroy the refusal before the peer reads it.
func (s *Server) reject(c net.Conn) {
	writeStatus(c, statusRejected)
	closeWrite(c)

	c.SetReadDeadline(time.Now().Add(rejectLinger))
	io.Copy(io.Discard, io.LimitReader(c, rejectDrainSize))
	s.drop(c)
}

// writeStatus sends one status byte within the hello timeout.
func writeStatus(c net.Conn, status byte) error {
	c.SetWriteDeadline(time.Now().Add(DefaultHelloTimeout))
	_, err := c.Write([]byte{status})
	return err
}

// Close stops every listener, closes every connection, and waits for all
// handlers to return.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.closed = true
	close(s.done)
	for ln := range s.listeners {
		ln.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()

	s.handlersRun.Wait()
	return nil
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *Server) trackListener(ln net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.listeners[ln] = struct{}{}
	return true
}

func (s *Server) untrackListener(ln net.Listener) {
	s.mu.Lock()
	delete(s.listeners, ln)
	s.mu.Unlock()
	ln.Close()
}

func (s *Server) trackConn(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

// drop closes c and removes it from the tracked connections.
func (s *Server) drop(c net.Conn) {
	c.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// authorized reports whether a node may register with the given secret,
// which is empty or secretSize bytes. The secret is compared in constant
// time.
func (s *Server) authorized(id identity.ID, secret []byte) bool {
	if s.allow[id] {
		return true
	}
	return len(secret) == secretSize && subtle.ConstantTimeCompare(secret, s.secret[:]) == 1
}
