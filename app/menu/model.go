// Package menu decides everything the Portals menubar app shows and does,
// without AppKit: Build turns an engine snapshot into a menu tree and a
// status icon, the dialog constructors describe each dialog, and Perform
// runs a chosen action against the engine and the host.
//
// The AppKit layer (package app, macOS only) renders these values and
// forwards the user's choices back; it decides nothing. That split lets
// the whole user interface be tested on Linux: golden files under
// testdata/ hold text renderings of the menu for every state a reviewer
// needs to judge.
package menu

// Menu is the content of the status item: its icon and its drop-down
// menu. A Menu is a plain value, and Build returns a new one for every
// snapshot.
type Menu struct {
	Icon  StatusIcon
	Items []Item
}

// StatusIcon is the status item's image.
type StatusIcon struct {
	// Symbol is an SF Symbol name, drawn as a template image so that it
	// follows the menu bar's light or dark appearance.
	Symbol string

	// State is the overall health that Symbol shows.
	State IconState

	// ToolTip summarises State in words, for the status item's tool tip
	// and for VoiceOver.
	ToolTip string
}

// IconState is the overall health of the node, from best to worst.
type IconState int

// The icon states. A worse state wins when several apply.
const (
	IconIdle    IconState = iota // nothing is connected and nothing is wrong
	IconActive                   // at least one portal connection is open
	IconBusy                     // a relay registration or a session is being set up
	IconTrouble                  // something needs the user's attention
)

// String names the state in golden files and logs.
func (s IconState) String() string {
	switch s {
	case IconIdle:
		return "idle"
	case IconActive:
		return "active"
	case IconBusy:
		return "busy"
	case IconTrouble:
		return "trouble"
	}
	return "unknown"
}

// Item is one menu entry. An item is a separator, a line of information
// (disabled, no action), a command (Action set), or a submenu (Submenu
// set). The zero Item is a disabled line with no title; use the
// constructors in items.go.
type Item struct {
	Title string

	// Separator marks a separator line; every other field is ignored.
	Separator bool

	// Enabled is false for information lines and for commands that
	// cannot run now (the ToolTip then gives the reason).
	Enabled bool

	// Checked shows a check mark, for toggles such as Launch at Login.
	Checked bool

	// Indent is the NSMenuItem indentation level, used under section
	// headers.
	Indent int

	// Symbol is the SF Symbol name of the item's image, or "" for none.
	Symbol string

	// ToolTip holds the full text of a shortened title, or the reason a
	// command is disabled.
	ToolTip string

	// Action runs when the user chooses the item; nil for none.
	Action Action

	// Submenu, when not empty, opens beside the item.
	Submenu []Item
}
