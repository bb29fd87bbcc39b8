//go:build darwin

package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"

	"github.com/progrium/darwinkit/macos/appkit"
	"github.com/progrium/darwinkit/macos/foundation"

	"github.com/portalsapp/portals/engine"
	"github.com/portalsapp/portals/engine/state"
	"github.com/portalsapp/portals/engine/vault"
)

// Main runs Portals.app, or the command line when args (os.Args[1:])
// hold a command, so that the cask can link the app's executable as
// `portals`. cli is nil in a build without the command line. It returns
// the exit code.
func Main(args []string, cli CLI, version string) int {
	if IsCLI(args) {
		if cli == nil {
			fmt.Fprintln(os.Stderr, "portals: this build of Portals.app has no command line; run the portals binary instead")
			return 2
		}
		return cli(args, os.Stdout, os.Stderr)
	}
	runApp(version)
	return 0
}

// darwinApp is the running app. It is created before the event loop
// starts and lives until the process ends.
type darwinApp struct {
	// Static after runApp.
	version string
	log     *slog.Logger
	ns      appkit.Application
	ctrl    *Controller
	ctx     context.Context // cancelled when the app terminates
	cancel  context.CancelFunc
}

// runApp runs the AppKit event loop until the user quits.
//
// It does what macos.RunApp does, plus two delegate methods that must be
// in place before the delegate is set: application:openURLs:, because
// the portals:// URL that launches the app arrives before
// applicationDidFinishLaunching, where macos.RunApp would let us add it;
// and applicationWillTerminate, to close the engine.
func runApp(version string) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	engine.SetNodeProcs()

	logger, closeLog := openLog()
	defer closeLog()
	a := &darwinApp{version: version, log: logger, ns: appkit.Application_SharedApplication()}
	a.ctx, a.cancel = context.WithCancel(context.Background())
	a.ctrl = NewController(Config{Host: &host{app: a}, Show: scheduleRender(a), LoginItem: loginItemState, Logger: logger})

	delegate := &appkit.ApplicationDelegate{}
	delegate.SetApplicationDidFinishLaunching(func(foundation.Notification) { a.launched() })
	delegate.SetApplicationOpenURLs(func(_ appkit.Application, urls []foundation.URL) {
		for _, u := range urls {
			a.ctrl.OpenURL(u.AbsoluteString())
		}
	})
	delegate.SetApplicationWillTerminate(func(foundation.Notification) { a.terminate() })
	a.ns.SetDelegate(delegate)
	a.ns.Run()
}

// launched sets up the status item and starts the engine off the main
// thread, since opening the Keychain can wait for the user.
func (a *darwinApp) launched() {
	a.ns.SetActivationPolicy(appkit.ApplicationActivationPolicyAccessory)
	createStatusItem()
	if inBundle() {
		requestNotificationPermission()
	}
	go a.startEngine()
}

// startEngine opens ~/Library/Application Support/Portals (or
// $PORTALS_HOME) with its secrets in the login Keychain, unless
// PORTALS_VAULT selects another vault.
func (a *darwinApp) startEngine() {
	dir, err := state.ResolveDir("")
	if err != nil {
		a.ctrl.Fail(err)
		return
	}
	kind := vault.KindKeyring
	if os.Getenv(vault.EnvKind) != "" {
		kind = vault.KindAuto // vault.ResolveKind then reads the variable
	}
	a.ctrl.Start(engine.Options{StateDir: dir, VaultKind: kind, Logger: a.log})
}

// terminate runs on the main thread as the app ends. Cancelling a.ctx
// first releases actions that wait for the main thread, which is busy
// here, so Close cannot wait for them forever.
func (a *darwinApp) terminate() {
	a.cancel()
	if err := a.ctrl.Close(); err != nil {
		a.log.Error("closing the engine failed", "err", err)
	}
}

// openLog returns a logger that appends to ~/Library/Logs/Portals/
// portals.log, or to stderr when that file cannot be opened.
func openLog() (*slog.Logger, func()) {
	var w io.Writer = os.Stderr
	closeLog := func() {}
	if f, err := createLog(); err == nil {
		w, closeLog = f, func() { f.Close() }
	} else {
		fmt.Fprintf(os.Stderr, "portals: logging to stderr: %v\n", err)
	}
	level := slog.LevelInfo
	if os.Getenv("PORTALS_LOG") == "debug" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})), closeLog
}

// createLog opens the log file for appending, readable by its owner only.
func createLog() (*os.File, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return nil, fmt.Errorf("finding the home directory for the log file: %w", err)
	}
	path := LogPath(home)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the log directory: %w", err)
	}
	return os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
}
