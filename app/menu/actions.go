package menu

import (
	"fmt"
	"strings"

	"github.com/portalsapp/portals/engine/invite"
	"github.com/portalsapp/portals/engine/relay"
)

// Action is what happens when the user chooses a menu item, submits a
// dialog or opens a portals:// link. The set of actions is closed: the
// types in this file are all of them, and Perform handles each one.
//
// Each action does exactly one of these:
//   - one engine call (Share, Unshare, CopyInvitation, CancelInvitations,
//     Revoke, Accept, Remove, AddRelay);
//   - one dialog whose submitted values become one of the actions above
//     (ShowShareDialog, ShowAcceptDialog, ShowAddRelayDialog);
//   - one host call that does not touch the engine (CopyText, OpenURL,
//     OpenLogs, ShowAbout, SetLaunchAtLogin, Quit).
type Action interface {
	// String describes the action for golden files and logs. It never
	// contains an invitation or relay link, because links carry secrets.
	String() string

	action()
}

// Share starts sharing the local TCP service at Target under Name.
type Share struct{ Name, Target string }

// Unshare stops sharing Service, after the user confirms.
type Unshare struct{ Service string }

// CopyInvitation creates an invitation to Service and puts its link on
// the pasteboard.
type CopyInvitation struct{ Service string }

// CancelInvitations makes the unused invitation links to Service stop
// working, after the user confirms. People who accepted one keep access.
type CancelInvitations struct{ Service string }

// Revoke removes one person from the access list of Service, after the
// user confirms. Who is the full identifier, so it matches exactly one
// entry; Label is the name shown to the user.
type Revoke struct{ Service, Who, Label string }

// Accept redeems an invitation link and opens the service on
// 127.0.0.1:Port, or on a free port when Port is 0.
type Accept struct {
	Link string
	Port int
}

// Remove deletes the accepted service Inlet, after the user confirms.
type Remove struct{ Inlet string }

// AddRelay adds the relay that a relay link describes.
type AddRelay struct{ Link string }

// ShowShareDialog opens the dialog for a service name and address, then
// shares the service.
type ShowShareDialog struct{}

// ShowAcceptDialog opens the dialog for an invitation link, then accepts
// it. Link
// prefills the field; when it is empty, the dialog takes the link from
// the pasteboard if the pasteboard holds one.
type ShowAcceptDialog struct{ Link string }

// ShowAddRelayDialog opens the dialog for a relay link, prefilled with
// Link, then adds the relay.
type ShowAddRelayDialog struct{ Link string }

// CopyText puts Text on the pasteboard. What names the text in logs and
// golden files, such as "address".
type CopyText struct{ Text, What string }

// OpenURL opens URL in the default browser.
type OpenURL struct{ URL string }

// OpenLogs shows the log file in Console.
type OpenLogs struct{}

// ShowAbout shows the version and where the state is kept.
type ShowAbout struct{}

// SetLaunchAtLogin turns Launch at Login on or off.
type SetLaunchAtLogin struct{ Enable bool }

// Quit stops the engine and ends the app.
type Quit struct{}

func (a Share) String() string          { return fmt.Sprintf("share %q %q", a.Name, a.Target) }
func (a Unshare) String() string        { return fmt.Sprintf("unshare %q", a.Service) }
func (a CopyInvitation) String() string { return fmt.Sprintf("copy invitation for %q", a.Service) }
func (a CancelInvitations) String() string {
	return fmt.Sprintf("cancel invitations to %q", a.Service)
}
func (a Revoke) String() string {
	return fmt.Sprintf("revoke %q (%s) from %q", a.Label, a.Who, a.Service)
}
func (a Accept) String() string        { return fmt.Sprintf("accept link on port %d", a.Port) }
func (a Remove) String() string        { return fmt.Sprintf("remove %q", a.Inlet) }
func (a AddRelay) String() string      { return "add relay link" }
func (ShowShareDialog) String() string { return "share dialog" }
func (a ShowAcceptDialog) String() string {
	return "accept dialog" + prefilled(a.Link)
}
func (a ShowAddRelayDialog) String() string {
	return "add relay dialog" + prefilled(a.Link)
}
func (a CopyText) String() string         { return fmt.Sprintf("copy %s %q", a.What, a.Text) }
func (a OpenURL) String() string          { return fmt.Sprintf("open %s", a.URL) }
func (OpenLogs) String() string           { return "open logs" }
func (ShowAbout) String() string          { return "about" }
func (a SetLaunchAtLogin) String() string { return fmt.Sprintf("launch at login %t", a.Enable) }
func (Quit) String() string               { return "quit" }

func prefilled(link string) string {
	if link == "" {
		return ""
	}
	return " (prefilled)"
}

func (Share) action()              {}
func (Unshare) action()            {}
func (CopyInvitation) action()     {}
func (CancelInvitations) action()  {}
func (Revoke) action()             {}
func (Accept) action()             {}
func (Remove) action()             {}
func (AddRelay) action()           {}
func (ShowShareDialog) action()    {}
func (ShowAcceptDialog) action()   {}
func (ShowAddRelayDialog) action() {}
func (CopyText) action()           {}
func (OpenURL) action()            {}
func (OpenLogs) action()           {}
func (ShowAbout) action()          {}
func (SetLaunchAtLogin) action()   {}
func (Quit) action()               {}

// ActionForURL returns the action for a portals:// URL that macOS hands
// to the app: the accept dialog for an invitation link, the add-relay
// dialog for a relay link. Nothing happens until the user confirms the
// dialog, because any web page can open a portals:// URL. It returns nil
// for any other URL.
func ActionForURL(url string) Action {
	lower := strings.ToLower(strings.TrimSpace(url))
	switch {
	case strings.HasPrefix(lower, invite.LinkPrefix):
		return ShowAcceptDialog{Link: url}
	case strings.HasPrefix(lower, relay.LinkPrefix):
		return ShowAddRelayDialog{Link: url}
	}
	return nil
}
