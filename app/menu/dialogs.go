package menu

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/portalsapp/portals/engine"
	"github.com/portalsapp/portals/engine/invite"
	"github.com/portalsapp/portals/engine/relay"
	"github.com/portalsapp/portals/engine/state"
	"github.com/portalsapp/portals/engine/vault"
)

// Dialog is a modal alert with text fields (NSAlert with an accessory
// view). The host shows it, and Perform passes the typed values to Submit
// until they are valid or the user cancels.
type Dialog struct {
	Title   string // the alert's message text
	Message string // the alert's informative text
	Fields  []Field
	OK      string // the default button
	Cancel  string

	// Problem is the reason the last submission was rejected, or "".
	Problem string

	submit func(values []string) (Action, error)
}

// Field is one labelled text field of a Dialog.
type Field struct {
	Label       string
	Placeholder string
	Value       string
}

// Submit checks the values typed into the fields, one per field in order,
// and returns the action they request. On an invalid value it returns an
// error that names the field and how to fix it.
func (d Dialog) Submit(values []string) (Action, error) {
	if len(values) != len(d.Fields) {
		return nil, fmt.Errorf("menu: internal error: dialog %q got %d values for %d fields", d.Title, len(values), len(d.Fields))
	}
	return d.submit(values)
}

// retry returns d with values kept and the problem shown, so the user can
// correct one field without typing the others again.
func (d Dialog) retry(values []string, problem error) Dialog {
	fields := make([]Field, len(d.Fields))
	copy(fields, d.Fields)
	for i := range fields {
		fields[i].Value = values[i]
	}
	d.Fields, d.Problem = fields, problem.Error()
	return d
}

// Confirmation is the question shown before a destructive action.
type Confirmation struct {
	Title       string
	Message     string
	OK          string
	Cancel      string
	Destructive bool // the OK button is styled as destructive
}

// Alert reports a failure to the user.
type Alert struct {
	Title   string
	Message string
}

// Notification is a banner shown through the notification center. The
// host drops it when notifications are unavailable.
type Notification struct {
	Title string
	Body  string
}

// ShareDialog returns the dialog for a service name and the address the
// service listens on.
func ShareDialog() Dialog {
	return Dialog{
		Title:   "Share a Service",
		Message: "Teammates you invite will reach this service on their own computer. Only people you invite can connect.",
		Fields: []Field{
			{Label: "Name", Placeholder: "db"},
			{Label: "Address", Placeholder: "localhost:5432"},
		},
		OK:     "Share",
		Cancel: "Cancel",
		submit: submitShare,
	}
}

// submitShare checks the name and address with the same rules the engine
// applies to its state file, so a value the dialog accepts is one the
// engine accepts.
func submitShare(values []string) (Action, error) {
	name, target := strings.TrimSpace(values[0]), strings.TrimSpace(values[1])
	if err := state.ValidateServiceName(name); err != nil {
		return nil, fieldProblem("Name", err)
	}
	st := state.Default()
	st.Services = []state.Service{{Name: name, Target: target}}
	if err := st.Validate(); err != nil {
		return nil, fieldProblem("Address", err)
	}
	return Share{Name: name, Target: target}, nil
}

// fieldProblem words a validation error for a dialog: the field label,
// then the problem without the state file's field path.
func fieldProblem(label string, err error) error {
	var fe *state.FieldError
	if errors.As(err, &fe) {
		return fmt.Errorf("%s: %s", label, fe.Problem)
	}
	return fmt.Errorf("%s: %w", label, err)
}

// AcceptDialog returns the dialog for an invitation link. The field is prefilled with
// the link found in text (a portals:// URL, or what the pasteboard holds)
// and the message then names the sharer and the service, so the user
// can check what they accept before anything is sent. now dates the expiry.
func AcceptDialog(text string, now time.Time) Dialog {
	d := Dialog{
		Title:   "Accept Invitation",
		Message: "Paste the invitation link a teammate sent you. The service will appear on 127.0.0.1 of this computer.",
		Fields: []Field{
			{Label: "Invitation link", Placeholder: invite.LinkPrefix + "…"},
			{Label: "Local port", Placeholder: "any free port"},
		},
		OK:     "Accept",
		Cancel: "Cancel",
		submit: submitAccept,
	}
	link, err := invite.Parse(text)
	if err != nil {
		return d
	}
	linkText, err := link.Text()
	if err != nil {
		return d
	}
	d.Fields[0].Value = linkText
	d.Message = fmt.Sprintf("%s offers you the service “%s”. It will appear on 127.0.0.1 of this computer. %s",
		who(link.SharerName, link.Sharer.Short()), link.Service, expiryText(link.Expires, now))
	return d
}

func submitAccept(values []string) (Action, error) {
	text, portText := strings.TrimSpace(values[0]), strings.TrimSpace(values[1])
	if _, err := invite.Parse(text); err != nil {
		return nil, fmt.Errorf("Invitation link: %w", err)
	}
	port := 0
	if portText != "" {
		n, err := strconv.Atoi(portText)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("Local port: %q is not a port number: use 1 to 65535, or leave it empty for any free port", portText)
		}
		port = n
	}
	return Accept{Link: text, Port: port}, nil
}

// expiryText describes when an invitation expires, relative to now.
func expiryText(expires, now time.Time) string {
	if !now.Before(expires) {
		return "The invitation has expired: ask for a new one."
	}
	return "The invitation expires in " + durationText(expires.Sub(now)) + "."
}

// AddRelayDialog returns the dialog for a relay link, prefilled with link
// when it is one.
func AddRelayDialog(link string) Dialog {
	d := Dialog{
		Title:   "Add a Relay",
		Message: "Paste the relay link that `portals relay` printed. Teammates reach your services through it; the relay sees only encrypted bytes.",
		Fields:  []Field{{Label: "Relay link", Placeholder: relay.LinkPrefix + "…"}},
		OK:      "Add Relay",
		Cancel:  "Cancel",
		submit:  submitAddRelay,
	}
	if l, err := relay.ParseLink(link); err == nil {
		d.Fields[0].Value = strings.TrimSpace(link)
		d.Message = fmt.Sprintf("Add the relay at %s (%s)? Teammates will reach your services through it; the relay sees only encrypted bytes.", l.Addr, l.RelayID.Short())
	}
	return d
}

func submitAddRelay(values []string) (Action, error) {
	text := strings.TrimSpace(values[0])
	if _, err := relay.ParseLink(text); err != nil {
		return nil, fmt.Errorf("Relay link: %w", err)
	}
	return AddRelay{Link: text}, nil
}

// ConfirmationFor returns the question shown before a, or nil when a
// needs none. Stopping a share, revoking access and removing an accepted
// service cut live connections, and cancelled invitations cannot be
// restored, so each of them needs a confirmation.
func ConfirmationFor(a Action) *Confirmation {
	switch a := a.(type) {
	case Unshare:
		return &Confirmation{
			Title:   fmt.Sprintf("Stop sharing %s?", a.Service),
			Message: "Everyone loses access, open connections are cut, and unused invitation links stop working. To share it again you send new invitations.",
			OK:      "Stop Sharing", Cancel: "Cancel", Destructive: true,
		}
	case CancelInvitations:
		return &Confirmation{
			Title:   fmt.Sprintf("Cancel unused invitations to %s?", a.Service),
			Message: "Invitation links that nobody has accepted yet stop working. People who already accepted keep their access.",
			OK:      "Cancel Invitations", Cancel: "Keep Them", Destructive: true,
		}
	case Revoke:
		return &Confirmation{
			Title:   fmt.Sprintf("Revoke %s's access to %s?", a.Label, a.Service),
			Message: "Their open connections are cut at once. They need a new invitation to connect again.",
			OK:      "Revoke", Cancel: "Cancel", Destructive: true,
		}
	case Remove:
		return &Confirmation{
			Title:   fmt.Sprintf("Remove %s?", a.Inlet),
			Message: "The local address stops working and open connections are cut. You need a new invitation to use it again.",
			OK:      "Remove", Cancel: "Cancel", Destructive: true,
		}
	}
	return nil
}

// AboutAlert is the About window: the version, what Portals does, and
// where this node keeps its identity and state, for support requests.
// snap is nil while the engine is not running.
func AboutAlert(snap *engine.Snapshot, version string) Alert {
	msg := "Portals makes a TCP service on one computer appear on 127.0.0.1 of a teammate's computer, through an end-to-end encrypted channel."
	if snap != nil {
		msg += fmt.Sprintf("\n\nThis computer: %s\nIdentifier: %s\nState: %s\nSecrets: %s",
			snap.DisplayName, snap.ID, snap.StateDir, vaultText(snap.VaultKind))
	}
	return Alert{Title: "Portals " + version, Message: msg}
}

// vaultText names where the node's secrets are kept.
func vaultText(kind string) string {
	switch kind {
	case vault.KindKeychain:
		return "the login Keychain"
	case vault.KindSecretService:
		return "the Secret Service"
	case vault.KindFile:
		return "a file in the state directory"
	}
	return kind
}
