// Package engine runs one Portals node: its identity, the sessions it keeps
// with peer nodes (direct or through relays), its relay registrations and
// its state directory. The app calls it in-process; `portals up` runs it
// and serves the local API for the CLI.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"sync"
	"time"

	"github.com/portalsapp/portals/engine/channel"
	"github.com/portalsapp/portals/engine/identity"
	"github.com/portalsapp/portals/engine/session"
	"github.com/portalsapp/portals/engine/state"
	"github.com/portalsapp/portals/engine/vault"
)

// Options configures Start.
type Options struct {
	// StateDir is the resolved state directory (see state.ResolveDir).
	// Required.
	StateDir string

	// VaultKind is passed to vault.Open ("auto", "file" or "keyring").
	VaultKind string

	// Listen adds addresses to accept direct sessions on, for this run
	// only; state.json may list more.
	Listen []string

	// Logger receives the engine's logs. Nil means slog.Default().
	Logger *slog.Logger

	// KeepAliveInterval is the session keepalive interval; a dead peer is
	// detected within three intervals. Zero means the session default
	// (5 s, so 15 s to detect).
	KeepAliveInterval time.Duration

	// DialTimeout bounds an outlet's dial to a service target. Zero means
	// portal.DefaultDialTimeout.
	DialTimeout time.Duration

	// OpenTimeout bounds how long an inlet connection waits for the
	// sharer to answer, session setup included. Zero means
	// DefaultOpenTimeout.
	OpenTimeout time.Duration

	// IdleTimeout, when positive, resets portal connections that carry no
	// byte in either direction for that long. Zero keeps idle connections
	// open; keepalive still detects a dead peer.
	IdleTimeout time.Duration
}

// DefaultOpenTimeout is the default Options.OpenTimeout. It exceeds the
// outlet's default dial timeout, so a refusal from the outlet arrives
// before the inlet gives up.
const DefaultOpenTimeout = 15 * time.Second

// Engine is a running node. Its methods are safe for concurrent use.
type Engine struct {
	// Constant after Start.
	opts       Options
	log        *slog.Logger
	lock       *state.DirLock
	vault      vault.Vault
	identity   *identity.Identity
	store      *state.Store
	watcher    *state.Watcher // set by open
	sessionCfg *session.Config
	ctx        context.Context // cancelled by Close
	cancel     context.CancelFunc
	workers    sync.WaitGroup

	mu        sync.Mutex // guards the fields below
	closed    bool
	state     *state.State
	creds     *channel.Credentials
	listeners map[string]*listener
	relays    map[identity.ID]*relayLink
	peers     map[identity.ID]*peer
	inlets    map[string]*inlet
	conns     map[streamKey]*liveConn
	// pendingResets holds reset requests for streams not registered yet.
	pendingResets map[streamKey]time.Time
	refusalLogs   map[string]*logLimiter
	bound         *net.TCPListener // an inlet listener handed over by updateStateBound
	subscribers   map[chan *Snapshot]struct{}
	snapshot      *Snapshot
}

// Start opens the state directory, takes its lock, loads or creates the
// identity, and starts listening, registering with relays and dialing
// peers as the state file says. The engine runs until Close.
func Start(ctx context.Context, opts Options) (*Engine, error) {
	e := &Engine{
		opts:          opts,
		log:           opts.Logger,
		listeners:     make(map[string]*listener),
		relays:        make(map[identity.ID]*relayLink),
		peers:         make(map[identity.ID]*peer),
		inlets:        make(map[string]*inlet),
		conns:         make(map[streamKey]*liveConn),
		pendingResets: make(map[streamKey]time.Time),
		refusalLogs:   make(map[string]*logLimiter),
		subscribers:   make(map[chan *Snapshot]struct{}),
	}
	if opts.OpenTimeout <= 0 {
		e.opts.OpenTimeout = DefaultOpenTimeout
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())

	if err := e.open(); err != nil {
		e.shutdown()
		return nil, err
	}
	return e, nil
}

// open runs the start-up steps in order; Start undoes them on error.
func (e *Engine) open() error {
	lock, err := state.Lock(e.opts.StateDir)
	if err != nil {
		return err
	}
	e.lock = lock

	if err := e.openVault(); err != nil {
		return err
	}
	e.store = state.NewStore(e.opts.StateDir)
	st, err := e.store.Load()
	if err != nil {
		return fmt.Errorf("engine: %w; fix the file or move it away to start with an empty state", err)
	}
	creds, err := channel.NewCredentials(e.identity, displayName(st), 0)
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	e.sessionCfg = &session.Config{KeepAliveInterval: e.opts.KeepAliveInterval, Logger: e.log}

	e.mu.Lock()
	e.state, e.creds = st, creds
	err = e.applyLocked(st)
	e.publishLocked()
	e.mu.Unlock()
	if err != nil {
		return err
	}
	return e.watchState()
}

func (e *Engine) openVault() error {
	kind, err := vault.ResolveKind(e.opts.VaultKind)
	if err != nil {
		return err
	}
	v, err := vault.Open(vault.Options{StateDir: e.opts.StateDir, Kind: kind})
	if err != nil {
		return err
	}
	e.vault = v

	id, created, err := loadOrCreateIdentity(v)
	if err != nil {
		return err
	}
	e.identity = id
	if created {
		e.log.Info("created a new node identity", "id", id.ID().String(), "vault", v.Kind())
		if _, err := os.Stat(filepath.Join(e.opts.StateDir, state.FileName)); err == nil {
			e.log.Warn("this state directory already had a state file but its vault had no identity, so the node has a new identifier: peers will not recognise it, and relay links must be added again", "vault", v.Kind())
		}
	}
	return nil
}

// watchState reloads state.json when it is edited from outside. An
// invalid edit is logged and the running state is kept.
func (e *Engine) watchState() error {
	onChange := func(st *state.State) {
		e.log.Info("state file changed on disk; applying it", "path", e.opts.StateDir)
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.closed {
			return
		}
		if err := e.applyLocked(st); err != nil {
			e.log.Error("applying the edited state file failed; keeping the running state", "err", err)
			return
		}
		e.state = st
		e.publishLocked()
	}
	onError := func(err error) {
		e.log.Error("state file edit rejected; the running state is kept", "err", err)
	}
	w, err := e.store.Watch(e.ctx, onChange, onError)
	e.watcher = w
	return err
}

// ID returns the node's identifier.
func (e *Engine) ID() identity.ID {
	return e.identity.ID()
}

// Close stops every listener, registration and session, and releases the
// state directory.
func (e *Engine) Close() error {
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		return errors.New("engine: already closed")
	}
	return e.shutdown()
}

// shutdown stops everything that runs and releases the state directory.
// Start uses it to undo a partial start.
func (e *Engine) shutdown() error {
	e.mu.Lock()
	e.closed = true
	for _, l := range e.listeners {
		l.close()
	}
	for _, r := range e.relays {
		r.stop()
	}
	for _, p := range e.peers {
		p.stop()
	}
	for _, in := range e.inlets {
		in.stop()
	}
	for ch := range e.subscribers {
		close(ch)
		delete(e.subscribers, ch)
	}
	e.mu.Unlock()

	e.abortConns(func(*liveConn) bool { return true })
	e.cancel()
	e.workers.Wait()
	if e.watcher != nil {
		<-e.watcher.Done()
	}
	return e.releaseResources()
}

func (e *Engine) releaseResources() error {
	if e.lock == nil {
		return nil
	}
	return e.lock.Close()
}

// go runs fn as a worker that Close waits for.
func (e *Engine) goWorker(fn func()) {
	e.workers.Add(1)
	go func() {
		defer e.workers.Done()
		fn()
	}()
}

// displayName is the name sent to peers: the state file's, or the host
// name, or the user name.
func displayName(st *state.State) string {
	if st.DisplayName != "" {
		return st.DisplayName
	}
	if host, err := os.Hostname(); err == nil && host != "" && len(host) <= channel.MaxDisplayNameSize {
		return host
	}
	if u, err := user.Current(); err == nil && len(u.Username) <= channel.MaxDisplayNameSize {
		return u.Username
	}
	return "portals"
}
