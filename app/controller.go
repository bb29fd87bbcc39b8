package app

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/portalsapp/portals/app/menu"
	"github.com/portalsapp/portals/engine"
	"github.com/portalsapp/portals/engine/identity"
)

// Controller runs the engine for a user interface: it starts the engine,
// turns each snapshot into a menu for Show, and performs the actions the
// user chooses. It does not use AppKit, so it is tested on Linux.
//
// Its methods are safe for concurrent use. Show and the Host methods are
// called from the controller's goroutines, never from the caller's; the
// AppKit side moves them to the main thread.
type Controller struct {
	// Static after NewController.
	host      menu.Host
	show      func(menu.Menu)
	loginItem func() menu.LoginItem
	log       *slog.Logger
	ctx       context.Context // cancelled by Close
	cancel    context.CancelFunc
	workers   sync.WaitGroup

	mu       sync.Mutex // guards the fields below
	eng      *engine.Engine
	startErr error
	snap     *engine.Snapshot
	pending  []menu.Action // actions that arrived before the engine started
}

// Config configures NewController.
type Config struct {
	Host menu.Host

	// Show displays a menu. It is called once with the starting menu,
	// then after every snapshot and every action.
	Show func(menu.Menu)

	// LoginItem reports the state of Launch at Login.
	LoginItem func() menu.LoginItem

	// Logger receives the controller's logs; nil means slog.Default().
	Logger *slog.Logger
}

// NewController returns a controller that shows the starting menu. Call
// Start to start the engine.
func NewController(cfg Config) *Controller {
	ctx, cancel := context.WithCancel(context.Background())
	c := &Controller{host: cfg.Host, show: cfg.Show, loginItem: cfg.LoginItem, log: cfg.Logger, ctx: ctx, cancel: cancel}
	if c.log == nil {
		c.log = slog.Default()
	}
	c.refresh()
	return c
}

// Start starts the engine with opts and follows its snapshots until
// Close. A failure is shown in the menu (Build's start-failed state) and
// returned for the log. Actions that arrived before the engine started
// run once it has.
func (c *Controller) Start(opts engine.Options) error {
	eng, err := engine.Start(c.ctx, opts)
	if err != nil {
		c.log.Error("starting the engine failed", "state_dir", opts.StateDir, "err", err)
	}
	c.started(eng, err)
	return err
}

// Fail records that the engine cannot start, for a failure before
// engine.Start, such as a state directory that cannot be resolved.
func (c *Controller) Fail(err error) {
	c.log.Error("the engine cannot start", "err", err)
	c.started(nil, err)
}

// started records the outcome of starting and runs the queued actions:
// against the engine, or as one alert that gives the reason they cannot
// run.
func (c *Controller) started(eng *engine.Engine, err error) {
	c.mu.Lock()
	c.eng, c.startErr = eng, err
	pending := c.pending
	c.pending = nil
	c.mu.Unlock()

	if err != nil {
		c.refresh()
		if len(pending) > 0 {
			c.host.Alert(menu.Alert{Title: "Portals could not start", Message: err.Error()})
		}
		return
	}
	updates, _ := eng.Subscribe()
	c.goWorker(func() { c.follow(updates) })
	for _, a := range pending {
		c.Perform(a)
	}
}

// follow shows a menu for each snapshot until the engine closes.
func (c *Controller) follow(updates <-chan *engine.Snapshot) {
	c.log.Debug("following engine snapshots")
	defer c.log.Debug("stopped following engine snapshots")
	for snap := range updates {
		c.mu.Lock()
		c.snap = snap
		c.mu.Unlock()
		c.refresh()
	}
}

// refresh shows the menu for the latest snapshot.
func (c *Controller) refresh() {
	c.show(menu.Build(c.Snapshot(), c.env()))
}

func (c *Controller) env() menu.Env {
	env := menu.Env{Now: time.Now(), LaunchAtLogin: menu.LoginUnavailable}
	if c.loginItem != nil {
		env.LaunchAtLogin = c.loginItem()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.startErr != nil {
		env.StartError = c.startErr.Error()
	}
	return env
}

// Snapshot returns the latest snapshot, or nil before the first one.
func (c *Controller) Snapshot() *engine.Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.snap
}

// Perform runs a on its own goroutine, because actions wait for dialogs
// and the network, then refreshes the menu (Launch at Login changes
// nothing in the engine). An action that needs the engine before it has
// started waits for Start.
func (c *Controller) Perform(a menu.Action) {
	c.mu.Lock()
	eng, started := c.eng, c.eng != nil || c.startErr != nil
	if !started {
		c.pending = append(c.pending, a)
	}
	c.mu.Unlock()
	if !started {
		c.log.Info("action waits for the engine to start", "action", a.String())
		return
	}
	c.goWorker(func() {
		c.log.Info("performing", "action", a.String())
		if err := menu.Perform(c.ctx, a, engineOf(eng), c.host, time.Now()); err != nil {
			c.log.Warn("action failed", "action", a.String(), "err", err)
		}
		c.takeSnapshot(eng)
		c.refresh()
	})
}

// takeSnapshot stores a snapshot taken now, so the menu shows the effect
// of an action without waiting for the subscription to deliver it.
func (c *Controller) takeSnapshot(eng *engine.Engine) {
	if eng == nil {
		return
	}
	snap := eng.Snapshot()
	c.mu.Lock()
	c.snap = snap
	c.mu.Unlock()
}

// OpenURL performs the action for a portals:// URL that macOS handed
// over, also one that arrives while the engine is starting.
func (c *Controller) OpenURL(url string) {
	a := menu.ActionForURL(url)
	if a == nil {
		c.log.Warn("ignoring a URL that is not a portals:// invitation or relay link")
		return
	}
	c.Perform(a)
}

// Close stops the engine and waits for running actions to end.
func (c *Controller) Close() error {
	c.cancel()
	c.mu.Lock()
	eng := c.eng
	c.mu.Unlock()
	var err error
	if eng != nil {
		err = eng.Close()
	}
	c.workers.Wait()
	return err
}

func (c *Controller) goWorker(fn func()) {
	c.workers.Add(1)
	go func() {
		defer c.workers.Done()
		fn()
	}()
}

// engineOf returns eng as a menu.Engine, or one that refuses every call
// when the engine did not start. The menu offers no engine action then,
// but a portals:// link can still ask for one.
func engineOf(eng *engine.Engine) menu.Engine {
	if eng == nil {
		return notRunning{}
	}
	return eng
}

// errNotRunning is the error of every engine call when the engine did
// not start.
var errNotRunning = errors.New("app: the engine is not running: see the menu for why, and Open Logs for details")

// notRunning is a menu.Engine whose every call fails with errNotRunning.
type notRunning struct{}

func (notRunning) Share(string, string) error { return errNotRunning }
func (notRunning) Unshare(string) error       { return errNotRunning }
func (notRunning) Invite(string, int, time.Duration) (string, error) {
	return "", errNotRunning
}
func (notRunning) CancelInvitations(string) (int, error)             { return 0, errNotRunning }
func (notRunning) Revoke(string, string) (id identity.ID, err error) { return id, errNotRunning }
func (notRunning) Accept(context.Context, string, int) (engine.AcceptResult, error) {
	return engine.AcceptResult{}, errNotRunning
}
func (notRunning) Remove(string) error                    { return errNotRunning }
func (notRunning) AddRelay(context.Context, string) error { return errNotRunning }
