package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/portalsapp/portals/engine/channel"
	"github.com/portalsapp/portals/engine/identity"
)

// Node-side defaults.
const (
	// DefaultDialTimeout bounds Dial, from the TCP connect to the status
	// byte, when ctx has no earlier deadline. It exceeds the relay's
	// DefaultDialBackTimeout, so the relay's status byte arrives first.
	DefaultDialTimeout = 15 * time.Second

	// acceptQueueSize bounds dial-back connections that wait for Accept.
	// More are closed.
	acceptQueueSize = 16
)

// Errors returned by Dial and Register. An error that the relay reports
// before the control handshake authenticates it is only a hint.
var (
	// ErrNotRegistered means no node is registered under the target
	// identifier: the target is offline or uses another relay.
	ErrNotRegistered = errors.New("relay: target is not registered at this relay")

	// ErrUnavailable means the target is registered but did not dial back
	// in time, or the relay is busy. Retrying later may work.
	ErrUnavailable = errors.New("relay: target did not dial back through the relay: retry later")

	// ErrRejected means the relay rejected the connection.
	ErrRejected = errors.New("relay: rejected by the relay")

	// ErrRegistrationRejected means the relay did not accept the
	// registration: the secret is wrong or missing and the node is not on
	// the relay's allowlist.
	ErrRegistrationRejected = errors.New("relay: registration rejected: check the relay link's secret or ask the relay operator to allowlist this node")

	// ErrRegistrationClosed is reported by a Registration after Close.
	ErrRegistrationClosed = errors.New("relay: registration closed")
)

// Dial connects to the node registered as target through the relay at
// addr and returns the spliced connection. The caller then runs
// channel.Client over it, pinning target. The relay itself is not
// authenticated here, because the end-to-end handshake proves the target.
func Dial(ctx context.Context, addr string, target identity.ID) (net.Conn, error) {
	if target.IsZero() {
		return nil, errors.New("relay: dial without a target identifier")
	}
	ctx, cancel := context.WithTimeout(ctx, DefaultDialTimeout)
	defer cancel()

	c, err := openRelayConn(ctx, addr, hello{kind: kindDial, body: target})
	if err != nil {
		return nil, err
	}
	if err := readStatus(ctx, c); err != nil {
		c.Close()
		return nil, fmt.Errorf("relay: dialing %s through %s: %w", target.Short(), addr, err)
	}
	return c, nil
}

// openRelayConn connects to the relay and sends the hello frame.
func openRelayConn(ctx context.Context, addr string, h hello) (net.Conn, error) {
	var dialer net.Dialer
	c, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("relay: connecting to relay %s: %w", addr, err)
	}

	if deadline, ok := ctx.Deadline(); ok {
		c.SetWriteDeadline(deadline)
	}
	if _, err := c.Write(appendHello(make([]byte, 0, maxHelloSize), h)); err != nil {
		c.Close()
		return nil, fmt.Errorf("relay: sending %s hello to %s: %w", h.kind, addr, err)
	}
	c.SetWriteDeadline(time.Time{})
	return c, nil
}

// readStatus reads the relay's status byte before ctx ends and maps it to
// an error. On success it clears the deadlines.
func readStatus(ctx context.Context, c net.Conn) error {
	stop := context.AfterFunc(ctx, func() { c.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()

	var status [1]byte
	if _, err := c.Read(status[:]); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("waiting for the relay's status byte: %w", ctx.Err())
		}
		return fmt.Errorf("reading the relay's status byte: %w", err)
	}
	if !stop() {
		return fmt.Errorf("waiting for the relay's status byte: %w", ctx.Err())
	}

	switch status[0] {
	case statusOK:
		c.SetDeadline(time.Time{})
		return nil
	case statusNotRegistered:
		return ErrNotRegistered
	case statusUnavailable:
		return ErrUnavailable
	default:
		return ErrRejected
	}
}

// RegisterConfig configures a registration at a relay, usually taken from
// a relay link.
type RegisterConfig struct {
	// Addr is the relay's "host:port". Required.
	Addr string

	// RelayID is the identifier the relay must prove. Required.
	RelayID identity.ID

	// Secret is the 32-byte registration secret, or nil when the relay
	// allowlists this node.
	Secret []byte

	// Credentials are this node's identity. Required.
	Credentials *channel.Credentials

	// Logger receives structured logs. Nil discards them.
	Logger *slog.Logger

	// HandshakeTimeout bounds the control handshake. Zero means
	// channel.DefaultHandshakeTimeout.
	HandshakeTimeout time.Duration

	// KeepaliveInterval is how often the node pings the relay. The
	// registration dies after three intervals without a message from the
	// relay. Zero means DefaultKeepaliveInterval, which must not be longer
	// than the relay's interval.
	KeepaliveInterval time.Duration
}

// Registration is a node's live registration at a relay. It is safe for
// concurrent use.
type Registration struct {
	// Constant after Register.
	cfg      RegisterConfig
	conn     *channel.Conn
	log      *slog.Logger
	accepted chan net.Conn
	done     chan struct{}
	ctx      context.Context // cancelled when the registration dies
	cancel   context.CancelFunc

	writeMu  sync.Mutex // serializes control messages on conn
	failOnce sync.Once
	err      error // set by fail before done is closed
	workers  sync.WaitGroup
}

// Register opens a control channel to the relay, authenticates the relay
// as cfg.RelayID, and registers this node. It returns once the relay has
// confirmed the registration. The caller serves dial-backs from Accept and
// reconnects after Done.
func Register(ctx context.Context, cfg RegisterConfig) (*Registration, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	setDefault(&cfg.KeepaliveInterval, DefaultKeepaliveInterval)

	conn, err := openControl(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := register(conn, cfg); err != nil {
		conn.Close()
		return nil, err
	}
	return startRegistration(conn, cfg), nil
}

func (cfg *RegisterConfig) check() error {
	switch {
	case cfg.Credentials == nil:
		return errors.New("relay: register config has no credentials")
	case cfg.RelayID.IsZero():
		return errors.New("relay: register config has no relay identifier: take it from the relay link")
	case cfg.Secret != nil && len(cfg.Secret) != secretSize:
		return fmt.Errorf("relay: registration secret is %d bytes, want %d", len(cfg.Secret), secretSize)
	}
	return nil
}

// openControl connects, sends the control hello and runs the handshake.
func openControl(ctx context.Context, cfg RegisterConfig) (*channel.Conn, error) {
	c, err := openRelayConn(ctx, cfg.Addr, hello{kind: kindControl})
	if err != nil {
		return nil, err
	}

	chanCfg := &channel.Config{
		Purpose:          channel.PurposeRelayControl,
		Credentials:      cfg.Credentials,
		HandshakeTimeout: cfg.HandshakeTimeout,
	}
	conn, err := channel.Client(ctx, c, chanCfg, cfg.RelayID)
	if err != nil {
		return nil, fmt.Errorf("relay: control handshake with relay %s at %s: %w", cfg.RelayID.Short(), cfg.Addr, err)
	}
	return conn, nil
}

// register sends the registration and reads the relay's response.
func register(conn *channel.Conn, cfg RegisterConfig) error {
	conn.SetDeadline(time.Now().Add(DefaultHelloTimeout))
	if _, err := conn.Write(appendControl(nil, msgRegister, cfg.Secret)); err != nil {
		return fmt.Errorf("relay: sending registration to %s: %w", cfg.Addr, err)
	}

	var msg controlMessage
	if err := readControl(conn, &msg); err != nil {
		return fmt.Errorf("relay: reading registration response from %s: %w", cfg.Addr, err)
	}
	switch msg.typ {
	case msgRegistered:
		conn.SetDeadline(time.Time{})
		return nil
	case msgRejected:
		return ErrRegistrationRejected
	default:
		return fmt.Errorf("relay: registration response from %s is %s: %w", cfg.Addr, msg.typ, ErrControlMessage)
	}
}

func startRegistration(conn *channel.Conn, cfg RegisterConfig) *Registration {
	r := &Registration{
		cfg:      cfg,
		conn:     conn,
		log:      cfg.Logger,
		accepted: make(chan net.Conn, acceptQueueSize),
		done:     make(chan struct{}),
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	r.log = r.log.With("relay", cfg.RelayID.Short(), "addr", cfg.Addr)
	r.ctx, r.cancel = context.WithCancel(context.Background())

	r.workers.Go(r.readLoop)
	r.workers.Go(r.pingLoop)
	r.log.Info("relay registration active")
	return r
}

// Accept returns the next dial-back connection. The caller runs
// channel.Server over it. After the registration dies, Accept returns the
// reason.
func (r *Registration) Accept() (net.Conn, error) {
	select {
	case c := <-r.accepted:
		return c, nil
	case <-r.done:
		return nil, r.err
	}
}

// Done is closed when the registration dies: the control channel failed,
// the relay replaced it with a newer registration, or Close was called.
func (r *Registration) Done() <-chan struct{} {
	return r.done
}

// Err returns why the registration died, or nil while it lives.
func (r *Registration) Err() error {
	select {
	case <-r.done:
		return r.err
	default:
		return nil
	}
}

// Close ends the registration, waits for its goroutines and closes the
// dial-back connections not yet accepted.
func (r *Registration) Close() error {
	r.fail(ErrRegistrationClosed)
	r.workers.Wait()
	for {
		select {
		case c := <-r.accepted:
			c.Close()
		default:
			return nil
		}
	}
}

// fail ends the registration with err. Only the first call has an effect.
func (r *Registration) fail(err error) {
	r.failOnce.Do(func() {
		r.err = err
		close(r.done)
		r.cancel()
		r.conn.Close()
		r.log.Info("relay registration ended", "err", err)
	})
}

// send writes one control message.
func (r *Registration) send(t msgType) error {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	r.conn.SetWriteDeadline(time.Now().Add(controlWriteTimeout))
	_, err := r.conn.Write(appendControl(nil, t, nil))
	return err
}

// readLoop reads control messages until the channel fails or stays silent
// for three keepalive intervals, and starts a dial-back for each request.
func (r *Registration) readLoop() {
	var msg controlMessage
	for {
		r.conn.SetReadDeadline(time.Now().Add(3 * r.cfg.KeepaliveInterval))
		if err := readControl(r.conn, &msg); err != nil {
			r.fail(fmt.Errorf("relay: control channel to %s: %w", r.cfg.Addr, err))
			return
		}

		switch msg.typ {
		case msgPing:
		case msgDialBack:
			tok, dialer := parseDialBack(msg.body())
			r.workers.Go(func() { r.dialBack(tok, dialer) })
		default:
			r.fail(fmt.Errorf("relay: unexpected %s message from %s: %w", msg.typ, r.cfg.Addr, ErrControlMessage))
			return
		}
	}
}

// pingLoop sends a ping every keepalive interval until the registration
// dies.
func (r *Registration) pingLoop() {
	ticker := time.NewTicker(r.cfg.KeepaliveInterval)
	defer ticker.Stop()
	for {
		select {
		case <-r.done:
			return
		case <-ticker.C:
			if err := r.send(msgPing); err != nil {
				r.fail(fmt.Errorf("relay: sending ping to %s: %w", r.cfg.Addr, err))
				return
			}
		}
	}
}

// dialBack opens the dial-back connection for tok and queues it for
// Accept. A queue that is full, or a registration that died, closes it.
func (r *Registration) dialBack(tok token, dialer string) {
	ctx, cancel := context.WithTimeout(r.ctx, DefaultDialTimeout)
	defer cancel()

	c, err := openRelayConn(ctx, r.cfg.Addr, hello{kind: kindDialBack, body: tok})
	if err == nil {
		err = readStatus(ctx, c)
		if err != nil {
			c.Close()
		}
	}
	if err != nil {
		r.log.Info("relay dial-back failed", "dialer", dialer, "err", err)
		return
	}

	select {
	case r.accepted <- c:
		r.log.Debug("relay dial-back connected", "dialer", dialer)
	default:
		r.log.Warn("relay dial-back dropped: Accept queue full", "dialer", dialer, "queue", acceptQueueSize)
		c.Close()
	}
}
