package menu

import (
	"context"
	"fmt"
	"time"

	"github.com/portalsapp/portals/engine"
	"github.com/portalsapp/portals/engine/identity"
)

// recordingEngine records each Engine call as one line and fails every
// call with err when err is set.
type recordingEngine struct {
	calls []string
	err   error
}

func (e *recordingEngine) record(format string, args ...any) {
	e.calls = append(e.calls, fmt.Sprintf(format, args...))
}

func (e *recordingEngine) Share(name, target string) error {
	e.record("Share(%q, %q)", name, target)
	return e.err
}

func (e *recordingEngine) Unshare(name string) error {
	e.record("Unshare(%q)", name)
	return e.err
}

func (e *recordingEngine) Invite(name string, uses int, ttl time.Duration) (string, error) {
	e.record("Invite(%q, %d, %v)", name, uses, ttl)
	if e.err != nil {
		return "", e.err
	}
	return "portals://invite/fake-link-for-" + name, nil
}

func (e *recordingEngine) CancelInvitations(name string) (int, error) {
	e.record("CancelInvitations(%q)", name)
	return 1, e.err
}

func (e *recordingEngine) Revoke(name, who string) (identity.ID, error) {
	e.record("Revoke(%q, %q)", name, who)
	return identity.ID{}, e.err
}

func (e *recordingEngine) Accept(ctx context.Context, text string, port int) (engine.AcceptResult, error) {
	_, hasDeadline := ctx.Deadline()
	e.record("Accept(deadline=%t, %d chars, %d)", hasDeadline, len(text), port)
	if e.err != nil {
		return engine.AcceptResult{}, e.err
	}
	return engine.AcceptResult{Name: "db", Service: "db", Peer: bobID, Addr: "127.0.0.1:54321"}, nil
}

func (e *recordingEngine) Remove(name string) error {
	e.record("Remove(%q)", name)
	return e.err
}

func (e *recordingEngine) AddRelay(ctx context.Context, link string) error {
	_, hasDeadline := ctx.Deadline()
	e.record("AddRelay(deadline=%t, %d chars)", hasDeadline, len(link))
	return e.err
}

// recordingHost records each Host call. Confirm returns confirm, and Ask
// returns the queued values in order, then cancels.
type recordingHost struct {
	calls      []string
	pasteboard string
	confirm    bool
	answers    [][]string

	dialogs       []Dialog
	confirmations []Confirmation
	alerts        []Alert
	notifications []Notification
}

func (h *recordingHost) record(format string, args ...any) {
	h.calls = append(h.calls, fmt.Sprintf(format, args...))
}

func (h *recordingHost) CopyText(text string)     { h.record("CopyText(%q)", text) }
func (h *recordingHost) Pasteboard() string       { h.record("Pasteboard()"); return h.pasteboard }
func (h *recordingHost) OpenURL(url string) error { h.record("OpenURL(%q)", url); return nil }
func (h *recordingHost) OpenLogs() error          { h.record("OpenLogs()"); return nil }
func (h *recordingHost) ShowAbout()               { h.record("ShowAbout()") }
func (h *recordingHost) Quit()                    { h.record("Quit()") }

func (h *recordingHost) SetLaunchAtLogin(enable bool) error {
	h.record("SetLaunchAtLogin(%t)", enable)
	return nil
}

func (h *recordingHost) Confirm(c Confirmation) bool {
	h.record("Confirm(%q)", c.Title)
	h.confirmations = append(h.confirmations, c)
	return h.confirm
}

func (h *recordingHost) Ask(d Dialog) ([]string, bool) {
	h.record("Ask(%q)", d.Title)
	h.dialogs = append(h.dialogs, d)
	if len(h.answers) == 0 {
		return nil, false
	}
	values := h.answers[0]
	h.answers = h.answers[1:]
	return values, true
}

func (h *recordingHost) Alert(a Alert) {
	h.record("Alert(%q)", a.Title)
	h.alerts = append(h.alerts, a)
}

func (h *recordingHost) Notify(n Notification) {
	h.record("Notify(%q)", n.Title)
	h.notifications = append(h.notifications, n)
}
