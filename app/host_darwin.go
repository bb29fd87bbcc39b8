//go:build darwin

package app

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/progrium/darwinkit/dispatch"
	"github.com/progrium/darwinkit/macos/appkit"
	"github.com/progrium/darwinkit/macos/foundation"

	"github.com/portalsapp/portals/app/menu"
)

// host implements menu.Host with AppKit. Its methods are called from the
// controller's goroutines and run AppKit calls on the main thread.
type host struct{ app *darwinApp }

// onMain runs fn on the main thread and waits for it to finish. It stops
// waiting, and reports false, when the app terminates first; fn may then
// still run later or not at all.
func (h *host) onMain(fn func()) bool {
	done := make(chan struct{})
	dispatch.MainQueue().DispatchAsync(func() {
		defer close(done)
		fn()
	})
	select {
	case <-done:
		return true
	case <-h.app.ctx.Done():
		return false
	}
}

func (h *host) CopyText(text string) {
	h.onMain(func() {
		pb := appkit.Pasteboard_GeneralPasteboard()
		pb.ClearContents()
		pb.SetStringForType(text, appkit.PasteboardTypeString)
	})
}

func (h *host) Pasteboard() string {
	var text string
	h.onMain(func() { text = appkit.Pasteboard_GeneralPasteboard().StringForType(appkit.PasteboardTypeString) })
	return text
}

func (h *host) OpenURL(url string) error {
	return h.open(foundation.URL_URLWithString(url), url)
}

// OpenLogs opens the log file, which macOS shows in Console.
func (h *host) OpenLogs() error {
	home, err := os.UserHomeDir()
	if err != nil {
		return fmt.Errorf("app: finding the log file: %w", err)
	}
	path := LogPath(home)
	return h.open(foundation.URL_FileURLWithPath(path), path)
}

// open opens url with its default application; what names it in the
// error.
func (h *host) open(url foundation.URL, what string) error {
	var ok bool
	h.onMain(func() { ok = appkit.Workspace_SharedWorkspace().OpenURL(url) })
	if !ok {
		return fmt.Errorf("app: macOS could not open %s: check that it exists and that an application can open it", what)
	}
	return nil
}

func (h *host) ShowAbout() {
	about := menu.AboutAlert(h.app.ctrl.Snapshot(), h.app.version)
	h.onMain(func() { h.runAlert(about.Title, about.Message, "OK") })
}

func (h *host) SetLaunchAtLogin(enable bool) error {
	return setLoginItem(enable)
}

func (h *host) Quit() {
	dispatch.MainQueue().DispatchAsync(func() { h.app.ns.Terminate(nil) })
}

func (h *host) Confirm(c menu.Confirmation) bool {
	var ok bool
	h.onMain(func() {
		alert := h.newAlert(c.Title, c.Message)
		alert.SetAlertStyle(appkit.AlertStyleWarning)
		okButton := alert.AddButtonWithTitle(c.OK)
		okButton.SetHasDestructiveAction(c.Destructive)
		alert.AddButtonWithTitle(c.Cancel)
		ok = alert.RunModal() == appkit.AlertFirstButtonReturn
	})
	return ok
}

func (h *host) Ask(d menu.Dialog) ([]string, bool) {
	var values []string
	var ok bool
	h.onMain(func() { values, ok = runDialog(h.newAlert(d.Title, dialogMessage(d)), d) })
	return values, ok
}

// dialogMessage is the informative text, with the reason the last
// submission was rejected.
func dialogMessage(d menu.Dialog) string {
	if d.Problem == "" {
		return d.Message
	}
	return d.Message + "\n\n⚠️ " + d.Problem
}

func (h *host) Alert(a menu.Alert) {
	h.onMain(func() { h.runAlert(a.Title, a.Message, "OK") })
}

// Notify shows a banner inside a real bundle; outside one,
// UserNotifications aborts the process, so the banner goes to the log.
func (h *host) Notify(n menu.Notification) {
	if !inBundle() {
		h.app.log.Info("notification (not in a bundle, so not shown)", "title", n.Title)
		return
	}
	notify(n.Title, n.Body)
}

// newAlert returns an alert with its texts, after bringing the app to the
// front: an accessory app's alert would otherwise open behind the
// frontmost window. Main thread only.
func (h *host) newAlert(title, message string) appkit.Alert {
	h.app.ns.ActivateIgnoringOtherApps(true)
	alert := appkit.NewAlert()
	alert.SetMessageText(title)
	alert.SetInformativeText(message)
	return alert
}

// runAlert shows a message with one button. Main thread only.
func (h *host) runAlert(title, message, button string) {
	alert := h.newAlert(title, message)
	alert.AddButtonWithTitle(button)
	alert.RunModal()
}

// inBundle reports whether the process runs from an app bundle, which
// UserNotifications and SMAppService require.
func inBundle() bool {
	b := foundation.Bundle_MainBundle()
	return b.BundleIdentifier() != "" && strings.HasSuffix(b.BundlePath(), ".app")
}

// errNoLoginItem is returned when SMAppService is unavailable.
var errNoLoginItem = errors.New("app: Launch at Login needs macOS 13 or later and Portals.app in the Applications folder")
