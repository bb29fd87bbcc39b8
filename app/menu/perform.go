package menu

import (
	"context"
	"fmt"
	"time"

	"github.com/portalsapp/portals/engine"
	"github.com/portalsapp/portals/engine/identity"
)

// Engine is the part of *engine.Engine that actions call. Each engine
// action calls exactly one of these methods once.
type Engine interface {
	Share(name, target string) error
	Unshare(name string) error
	Invite(name string, uses int, ttl time.Duration) (string, error)
	CancelInvitations(name string) (int, error)
	Revoke(name, who string) (identity.ID, error)
	Accept(ctx context.Context, text string, port int) (engine.AcceptResult, error)
	Remove(name string) error
	AddRelay(ctx context.Context, link string) error
}

// The engine must keep satisfying Engine; this fails the build otherwise.
var _ Engine = (*engine.Engine)(nil)

// Host is what the platform provides: the pasteboard, the browser,
// dialogs and notifications. The AppKit layer implements it on macOS and
// the tests implement it with a recorder. Perform may call it from any
// goroutine; the implementation moves AppKit calls to the main thread.
type Host interface {
	// CopyText replaces the pasteboard's content with text.
	CopyText(text string)

	// Pasteboard returns the pasteboard's text, or "" when it holds none.
	Pasteboard() string

	// OpenURL opens url with its default application.
	OpenURL(url string) error

	// OpenLogs shows the app's log file.
	OpenLogs() error

	// ShowAbout shows the About panel.
	ShowAbout()

	// SetLaunchAtLogin registers or unregisters the app as a login item.
	SetLaunchAtLogin(enable bool) error

	// Quit stops the engine and ends the app.
	Quit()

	// Confirm shows c and reports whether the user chose c.OK.
	Confirm(c Confirmation) bool

	// Ask shows d and returns the field values, or ok false when the
	// user cancels.
	Ask(d Dialog) (values []string, ok bool)

	// Alert reports a failure and returns when the user dismisses it.
	Alert(a Alert)

	// Notify shows a banner, or does nothing where banners are
	// unavailable.
	Notify(n Notification)
}

// NetworkTimeout bounds the actions that reach another node or a relay
// (Accept, AddRelay). It covers session setup through every route of an
// invitation, which the engine bounds by its open timeout (15 s by
// default), plus the redemption.
const NetworkTimeout = 45 * time.Second

// Perform runs a: it requests confirmation when ConfirmationFor returns one,
// shows the dialog of a dialog action, calls the engine or the host, and
// reports the outcome to the user through host (an Alert on failure, a
// Notification on success where one helps). It returns the error it
// reported, for the log, or nil when the action succeeded or the user
// cancelled. now dates what dialogs show. Perform blocks until the action
// ends, so the caller runs it off the main thread.
func Perform(ctx context.Context, a Action, eng Engine, host Host, now time.Time) error {
	if c := ConfirmationFor(a); c != nil && !host.Confirm(*c) {
		return nil
	}
	switch a := a.(type) {
	case ShowShareDialog:
		return ask(ctx, ShareDialog(), eng, host, now)
	case ShowAcceptDialog:
		return ask(ctx, AcceptDialog(acceptText(a.Link, host), now), eng, host, now)
	case ShowAddRelayDialog:
		return ask(ctx, AddRelayDialog(a.Link), eng, host, now)
	}
	if err := run(ctx, a, eng, host); err != nil {
		host.Alert(failureAlert(a, err))
		return err
	}
	return nil
}

// acceptText is the text the accept dialog looks for a link in: the link
// the action carries, else the pasteboard.
func acceptText(link string, host Host) string {
	if link != "" {
		return link
	}
	return host.Pasteboard()
}

// ask shows d until the user submits valid values or cancels, then
// performs the resulting action.
func ask(ctx context.Context, d Dialog, eng Engine, host Host, now time.Time) error {
	for {
		values, ok := host.Ask(d)
		if !ok {
			return nil
		}
		next, err := d.Submit(values)
		if err != nil {
			d = d.retry(values, err)
			continue
		}
		return Perform(ctx, next, eng, host, now)
	}
}

// run does the one engine or host call of a.
func run(ctx context.Context, a Action, eng Engine, host Host) error {
	switch a := a.(type) {
	case Share:
		return eng.Share(a.Name, a.Target)
	case Unshare:
		return eng.Unshare(a.Service)
	case CopyInvitation:
		return copyInvitation(a, eng, host)
	case CancelInvitations:
		_, err := eng.CancelInvitations(a.Service)
		return err
	case Revoke:
		_, err := eng.Revoke(a.Service, a.Who)
		return err
	case Accept:
		return accept(ctx, a, eng, host)
	case Remove:
		return eng.Remove(a.Inlet)
	case AddRelay:
		ctx, cancel := context.WithTimeout(ctx, NetworkTimeout)
		defer cancel()
		return eng.AddRelay(ctx, a.Link)
	}
	return runHost(a, host)
}

// runHost does the host call of an action that leaves the engine alone.
func runHost(a Action, host Host) error {
	switch a := a.(type) {
	case CopyText:
		host.CopyText(a.Text)
		return nil
	case OpenURL:
		return host.OpenURL(a.URL)
	case OpenLogs:
		return host.OpenLogs()
	case ShowAbout:
		host.ShowAbout()
		return nil
	case SetLaunchAtLogin:
		return host.SetLaunchAtLogin(a.Enable)
	case Quit:
		host.Quit()
		return nil
	}
	return fmt.Errorf("menu: internal error: no handler for action %T", a)
}

func copyInvitation(a CopyInvitation, eng Engine, host Host) error {
	link, err := eng.Invite(a.Service, 0, 0)
	if err != nil {
		return err
	}
	host.CopyText(link)
	host.Notify(Notification{
		Title: fmt.Sprintf("Invitation to %s copied", a.Service),
		Body:  fmt.Sprintf("Send it to one teammate. It works once and expires in %s.", durationText(engine.DefaultInviteTTL)),
	})
	return nil
}

func accept(ctx context.Context, a Accept, eng Engine, host Host) error {
	ctx, cancel := context.WithTimeout(ctx, NetworkTimeout)
	defer cancel()
	res, err := eng.Accept(ctx, a.Link, a.Port)
	if err != nil {
		return err
	}
	host.Notify(Notification{
		Title: fmt.Sprintf("%s is ready", res.Name),
		Body:  fmt.Sprintf("It is at %s on this computer.", res.Addr),
	})
	return nil
}

// failureAlert builds the alert for a failed action. The engine's error
// already names what failed and the next step, so it is the message.
func failureAlert(a Action, err error) Alert {
	return Alert{Title: failureTitle(a), Message: err.Error()}
}

func failureTitle(a Action) string {
	switch a := a.(type) {
	case Share:
		return fmt.Sprintf("Could not share %s", a.Name)
	case Unshare:
		return fmt.Sprintf("Could not stop sharing %s", a.Service)
	case CopyInvitation:
		return fmt.Sprintf("Could not create an invitation to %s", a.Service)
	case CancelInvitations:
		return fmt.Sprintf("Could not cancel the invitations to %s", a.Service)
	case Revoke:
		return fmt.Sprintf("Could not revoke %s's access to %s", a.Label, a.Service)
	case Accept:
		return "Could not accept the invitation"
	case Remove:
		return fmt.Sprintf("Could not remove %s", a.Inlet)
	case AddRelay:
		return "Could not add the relay"
	case OpenURL:
		return fmt.Sprintf("Could not open %s", a.URL)
	case OpenLogs:
		return "Could not open the log file"
	case SetLaunchAtLogin:
		if a.Enable {
			return "Could not turn on Launch at Login"
		}
		return "Could not turn off Launch at Login"
	}
	return "Something went wrong"
}
