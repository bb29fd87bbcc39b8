package app

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portalsapp/portals/app/menu"
	"github.com/portalsapp/portals/engine"
)

// scriptedHost confirms every question, returns the queued values for
// dialogs, and records alerts. It is safe for concurrent use.
type scriptedHost struct {
	mu      sync.Mutex
	answers [][]string
	alerts  []menu.Alert
}

func (h *scriptedHost) CopyText(string)                {}
func (h *scriptedHost) Pasteboard() string             { return "" }
func (h *scriptedHost) OpenURL(string) error           { return nil }
func (h *scriptedHost) OpenLogs() error                { return nil }
func (h *scriptedHost) ShowAbout()                     {}
func (h *scriptedHost) SetLaunchAtLogin(bool) error    { return nil }
func (h *scriptedHost) Quit()                          {}
func (h *scriptedHost) Confirm(menu.Confirmation) bool { return true }
func (h *scriptedHost) Notify(menu.Notification)       {}

func (h *scriptedHost) Ask(menu.Dialog) ([]string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.answers) == 0 {
		return nil, false
	}
	v := h.answers[0]
	h.answers = h.answers[1:]
	return v, true
}

func (h *scriptedHost) Alert(a menu.Alert) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.alerts = append(h.alerts, a)
}

// menus collects what the controller shows.
type menus struct{ ch chan menu.Menu }

func newMenus() *menus { return &menus{ch: make(chan menu.Menu, 100)} }

func (m *menus) show(x menu.Menu) { m.ch <- x }

// waitFor returns the first shown menu whose rendering contains want.
func (m *menus) waitFor(t *testing.T, want string) string {
	t.Helper()
	timeout := time.After(10 * time.Second)
	last := ""
	for {
		select {
		case x := <-m.ch:
			last = menu.Render(x)
			if strings.Contains(last, want) {
				return last
			}
		case <-timeout:
			t.Fatalf("no menu shows %q within 10 s; the last one:\n%s", want, last)
		}
	}
}

func startOptions(t *testing.T, dir string) engine.Options {
	return engine.Options{StateDir: dir, VaultKind: "file", Logger: quiet}
}

// quiet discards the logs of the engine and the controller.
var quiet = slog.New(slog.DiscardHandler)

// TestControllerDrivesRealEngine performs menu actions against a real
// engine and checks that the menu follows the engine's snapshots.
func TestControllerDrivesRealEngine(t *testing.T) {
	host := &scriptedHost{answers: [][]string{{"db", "localhost:5432"}}}
	shown := newMenus()
	c := NewController(Config{Host: host, Show: shown.show, Logger: quiet})
	t.Cleanup(func() { c.Close() })
	shown.waitFor(t, "Starting…")

	if err := c.Start(startOptions(t, t.TempDir())); err != nil {
		t.Fatal(err)
	}
	shown.waitFor(t, "Nothing shared yet")

	c.Perform(menu.ShowShareDialog{})
	shown.waitFor(t, "db — localhost:5432 ▸")

	c.Perform(menu.Unshare{Service: "db"})
	shown.waitFor(t, "Nothing shared yet")
	if len(host.alerts) != 0 {
		t.Errorf("alerts: %+v", host.alerts)
	}
}

// TestControllerQueuesURLUntilStarted opens a portals:// link before the
// engine runs, as when the click launches the app: the dialog must open
// once the engine has started.
func TestControllerQueuesURLUntilStarted(t *testing.T) {
	host := &scriptedHost{answers: [][]string{{"db", "localhost:5432"}}}
	shown := newMenus()
	c := NewController(Config{Host: host, Show: shown.show, Logger: quiet})
	t.Cleanup(func() { c.Close() })

	c.OpenURL("portals://relay/not-a-valid-payload")
	if err := c.Start(startOptions(t, t.TempDir())); err != nil {
		t.Fatal(err)
	}
	// The queued action opened the add-relay dialog, which consumed the
	// queued values. The invalid link then reopened the dialog, and the
	// host cancelled it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		host.mu.Lock()
		left := len(host.answers)
		host.mu.Unlock()
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the link opened before start never showed its dialog")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestControllerShowsStartFailure starts a second engine on a state
// directory that another engine holds.
func TestControllerShowsStartFailure(t *testing.T) {
	dir := t.TempDir()
	first := NewController(Config{Host: &scriptedHost{}, Show: func(menu.Menu) {}, Logger: quiet})
	t.Cleanup(func() { first.Close() })
	if err := first.Start(startOptions(t, dir)); err != nil {
		t.Fatal(err)
	}

	host := &scriptedHost{}
	shown := newMenus()
	second := NewController(Config{Host: host, Show: shown.show, Logger: quiet})
	t.Cleanup(func() { second.Close() })
	second.OpenURL("portals://invite/queued")
	if err := second.Start(startOptions(t, dir)); err == nil {
		t.Fatal("a second engine started on a locked state directory")
	}
	got := shown.waitFor(t, "Portals could not start")
	if !strings.Contains(got, "(trouble)") {
		t.Errorf("the start-failed menu has no trouble icon:\n%s", got)
	}
	if len(host.alerts) != 1 {
		t.Errorf("alerts for the queued link = %d, want 1: %s", len(host.alerts), fmt.Sprint(host.alerts))
	}
}
