package menu

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine/invite"
	"github.com/portalsapp/portals/engine/relay"
	"github.com/portalsapp/portals/engine/state"
)

// inviteLink is a valid invitation from bob-laptop to the service db.
func inviteLink(t *testing.T) string {
	t.Helper()
	link := invite.Link{
		Sharer: bobID, Secret: [invite.SecretSize]byte{1, 2, 3}, Expires: now.Add(7 * 24 * time.Hour),
		Service: "db", SharerName: "bob-laptop",
		Routes: []state.Route{{Relay: "relay.example.com:7443", RelayID: relayID}},
	}
	text, err := link.Text()
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// relayLink is a valid relay link.
func relayLink() string {
	return relay.Link{Addr: "relay.example.com:7443", RelayID: relayID, Secret: [32]byte{9, 9, 9}}.String()
}

// actionCase is one action with the engine and host calls it must make
// when the user confirms every question and answers dialogs with answers.
type actionCase struct {
	action     Action
	answers    [][]string
	engineCall string // "" for an action that must not touch the engine
	hostCalls  []string
}

func actionCases(t *testing.T) []actionCase {
	link, rlink := inviteLink(t), relayLink()
	return []actionCase{
		{action: Share{Name: "db", Target: "localhost:5432"}, engineCall: `Share("db", "localhost:5432")`},
		{action: Unshare{Service: "db"}, engineCall: `Unshare("db")`, hostCalls: []string{`Confirm("Stop sharing db?")`}},
		{action: CopyInvitation{Service: "db"}, engineCall: `Invite("db", 0, 0s)`,
			hostCalls: []string{`CopyText("portals://invite/fake-link-for-db")`, `Notify("Invitation to db copied")`}},
		{action: CancelInvitations{Service: "db"}, engineCall: `CancelInvitations("db")`,
			hostCalls: []string{`Confirm("Cancel unused invitations to db?")`}},
		{action: Revoke{Service: "db", Who: bobID.String(), Label: "bob-laptop"}, engineCall: `Revoke("db", "` + bobID.String() + `")`,
			hostCalls: []string{`Confirm("Revoke bob-laptop's access to db?")`}},
		{action: Accept{Link: link, Port: 0}, engineCall: `Accept(deadline=true, ` + strconv.Itoa(len(link)) + ` chars, 0)`,
			hostCalls: []string{`Notify("db is ready")`}},
		{action: Remove{Inlet: "web"}, engineCall: `Remove("web")`, hostCalls: []string{`Confirm("Remove web?")`}},
		{action: AddRelay{Link: rlink}, engineCall: `AddRelay(deadline=true, ` + strconv.Itoa(len(rlink)) + ` chars)`},
		{action: ShowShareDialog{}, answers: [][]string{{"db", "localhost:5432"}},
			engineCall: `Share("db", "localhost:5432")`, hostCalls: []string{`Ask("Share a Service")`}},
		{action: ShowAcceptDialog{}, answers: [][]string{{link, "15432"}},
			engineCall: `Accept(deadline=true, ` + strconv.Itoa(len(link)) + ` chars, 15432)`,
			hostCalls:  []string{`Pasteboard()`, `Ask("Accept Invitation")`, `Notify("db is ready")`}},
		{action: ShowAddRelayDialog{}, answers: [][]string{{rlink}},
			engineCall: `AddRelay(deadline=true, ` + strconv.Itoa(len(rlink)) + ` chars)`, hostCalls: []string{`Ask("Add a Relay")`}},
		{action: CopyText{Text: "127.0.0.1:8080", What: "address"}, hostCalls: []string{`CopyText("127.0.0.1:8080")`}},
		{action: OpenURL{URL: "http://127.0.0.1:8080/"}, hostCalls: []string{`OpenURL("http://127.0.0.1:8080/")`}},
		{action: OpenLogs{}, hostCalls: []string{`OpenLogs()`}},
		{action: ShowAbout{}, hostCalls: []string{`ShowAbout()`}},
		{action: SetLaunchAtLogin{Enable: true}, hostCalls: []string{`SetLaunchAtLogin(true)`}},
		{action: Quit{}, hostCalls: []string{`Quit()`}},
	}
}

// TestEveryActionMapsToOneCall checks, for every action type, that
// performing it makes exactly the one engine call it stands for (or none,
// for an action that only uses the host) and the expected host calls.
func TestEveryActionMapsToOneCall(t *testing.T) {
	for _, tc := range actionCases(t) {
		t.Run(reflect.TypeOf(tc.action).Name(), func(t *testing.T) {
			eng := &recordingEngine{}
			host := &recordingHost{confirm: true, answers: tc.answers}

			if err := Perform(context.Background(), tc.action, eng, host, now); err != nil {
				t.Fatalf("Perform(%v): %v", tc.action, err)
			}

			var wantEngine []string
			if tc.engineCall != "" {
				wantEngine = []string{tc.engineCall}
			}
			if !slices.Equal(eng.calls, wantEngine) {
				t.Errorf("engine calls = %q, want %q", eng.calls, wantEngine)
			}
			if !slices.Equal(host.calls, tc.hostCalls) {
				t.Errorf("host calls = %q, want %q", host.calls, tc.hostCalls)
			}
		})
	}
}

// TestActionCasesCoverEveryType parses this package's source and checks
// that actionCases has a case for every type with an action method, so a
// new action cannot skip the test above.
func TestActionCasesCoverEveryType(t *testing.T) {
	declared := actionTypesInSource(t)
	covered := map[string]bool{}
	for _, tc := range actionCases(t) {
		covered[reflect.TypeOf(tc.action).Name()] = true
	}
	for _, name := range declared {
		if !covered[name] {
			t.Errorf("action type %s has no case in actionCases", name)
		}
	}
	if len(declared) != len(covered) {
		t.Errorf("the source declares %d action types, actionCases covers %d", len(declared), len(covered))
	}
}

// actionTypesInSource lists the receiver types of every method named
// "action" in the package's non-test files.
func actionTypesInSource(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi fs.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, pkg := range pkgs {
		for _, file := range pkg.Files {
			for _, decl := range file.Decls {
				fn, ok := decl.(*ast.FuncDecl)
				if ok && fn.Recv != nil && fn.Name.Name == "action" {
					names = append(names, fn.Recv.List[0].Type.(*ast.Ident).Name)
				}
			}
		}
	}
	if len(names) == 0 {
		t.Fatal("found no action methods in the package source")
	}
	return names
}

// TestMenuActionsMapToOneCall performs every action that any scenario's
// menu offers, with the user confirming, and checks that each makes at
// most one engine call, and exactly one when it is an engine action.
func TestMenuActionsMapToOneCall(t *testing.T) {
	engineActions := map[string]bool{"Share": true, "Unshare": true, "CopyInvitation": true, "CancelInvitations": true, "Revoke": true, "Accept": true, "Remove": true, "AddRelay": true}
	seen := 0
	for _, sc := range scenarios {
		for _, a := range menuActions(Build(sc.snap(), sc.env).Items) {
			eng := &recordingEngine{}
			host := &recordingHost{confirm: true}
			Perform(context.Background(), a, eng, host, now)

			seen++
			want := 0
			if engineActions[reflect.TypeOf(a).Name()] {
				want = 1
			}
			if len(eng.calls) != want {
				t.Errorf("%s: %v made engine calls %q, want %d", sc.name, a, eng.calls, want)
			}
		}
	}
	if seen < 100 {
		t.Fatalf("only %d menu actions found; the scenarios should offer more", seen)
	}
}

// menuActions collects the actions of items and their submenus.
func menuActions(items []Item) []Action {
	var out []Action
	for _, it := range items {
		if it.Action != nil {
			out = append(out, it.Action)
		}
		out = append(out, menuActions(it.Submenu)...)
	}
	return out
}

func TestDeclinedConfirmationCallsNothing(t *testing.T) {
	for _, a := range []Action{Unshare{Service: "db"}, CancelInvitations{Service: "db"}, Revoke{Service: "db", Who: bobID.String(), Label: "bob"}, Remove{Inlet: "web"}} {
		eng := &recordingEngine{}
		host := &recordingHost{confirm: false}
		if err := Perform(context.Background(), a, eng, host, now); err != nil {
			t.Errorf("Perform(%v) after a declined confirmation: %v", a, err)
		}
		if len(eng.calls) != 0 {
			t.Errorf("Perform(%v) called the engine after the user declined: %q", a, eng.calls)
		}
	}
}

func TestCancelledDialogCallsNothing(t *testing.T) {
	for _, a := range []Action{ShowShareDialog{}, ShowAcceptDialog{}, ShowAddRelayDialog{}} {
		eng := &recordingEngine{}
		if err := Perform(context.Background(), a, eng, &recordingHost{}, now); err != nil {
			t.Errorf("Perform(%v) after cancel: %v", a, err)
		}
		if len(eng.calls) != 0 {
			t.Errorf("Perform(%v) called the engine after cancel: %q", a, eng.calls)
		}
	}
}

// TestInvalidDialogValuesAskAgain checks that a refused value reopens the
// dialog with the problem shown and the typed values kept, and that the
// engine is called once, with the corrected values.
func TestInvalidDialogValuesAskAgain(t *testing.T) {
	eng := &recordingEngine{}
	host := &recordingHost{answers: [][]string{{"My DB", "localhost:5432"}, {"db", "localhost"}, {"db", " localhost:5432 "}}}

	if err := Perform(context.Background(), ShowShareDialog{}, eng, host, now); err != nil {
		t.Fatal(err)
	}
	if want := []string{`Share("db", "localhost:5432")`}; !slices.Equal(eng.calls, want) {
		t.Errorf("engine calls = %q, want %q", eng.calls, want)
	}
	if len(host.dialogs) != 3 {
		t.Fatalf("the dialog was shown %d times, want 3", len(host.dialogs))
	}
	second, third := host.dialogs[1], host.dialogs[2]
	if !strings.HasPrefix(second.Problem, "Name: ") || second.Fields[0].Value != "My DB" {
		t.Errorf("second dialog: problem %q, name %q; want a Name problem and the typed name kept", second.Problem, second.Fields[0].Value)
	}
	if !strings.HasPrefix(third.Problem, "Address: ") || !strings.Contains(third.Problem, "host:port") {
		t.Errorf("third dialog: problem %q, want an Address problem that shows the host:port form", third.Problem)
	}
}

func TestAcceptDialogPrefill(t *testing.T) {
	link := inviteLink(t)
	chat := "hey, here is the db:\n" + strings.ToUpper(link) + "\nthanks"

	d := AcceptDialog(chat, now)
	if d.Fields[0].Value != link {
		t.Errorf("prefilled link = %q, want the link found in the pasted text", d.Fields[0].Value)
	}
	for _, want := range []string{"bob-laptop (" + bobID.Short() + ")", "“db”", "expires in 7 days"} {
		if !strings.Contains(d.Message, want) {
			t.Errorf("message %q does not contain %q", d.Message, want)
		}
	}

	empty := AcceptDialog("some unrelated text on the pasteboard", now)
	if empty.Fields[0].Value != "" {
		t.Errorf("a pasteboard without a link prefilled %q", empty.Fields[0].Value)
	}
	expired := AcceptDialog(link, now.Add(8*24*time.Hour))
	if !strings.Contains(expired.Message, "has expired") {
		t.Errorf("message for an expired link: %q", expired.Message)
	}
}

func TestEngineErrorShowsAlert(t *testing.T) {
	eng := &recordingEngine{err: errors.New("engine: no shared service is named \"db\"; `portals ls` lists them")}
	host := &recordingHost{confirm: true}

	err := Perform(context.Background(), Unshare{Service: "db"}, eng, host, now)
	if err == nil {
		t.Fatal("Perform returned nil for a failed engine call")
	}
	want := Alert{Title: "Could not stop sharing db", Message: eng.err.Error()}
	if len(host.alerts) != 1 || host.alerts[0] != want {
		t.Errorf("alerts = %+v, want [%+v]", host.alerts, want)
	}
}

func TestActionForURL(t *testing.T) {
	link, rlink := inviteLink(t), relayLink()
	cases := []struct {
		url  string
		want Action
	}{
		{link, ShowAcceptDialog{Link: link}},
		{strings.ToUpper(link), ShowAcceptDialog{Link: strings.ToUpper(link)}},
		{rlink, ShowAddRelayDialog{Link: rlink}},
		{"portals://unknown/x", nil},
		{"https://example.com/", nil},
	}
	for _, tc := range cases {
		if got := ActionForURL(tc.url); got != tc.want {
			t.Errorf("ActionForURL(%.30q) = %v, want %v", tc.url, got, tc.want)
		}
	}
}

// TestActionStringsHideLinks checks that no action prints a link, since
// links carry secrets and action strings go to logs.
func TestActionStringsHideLinks(t *testing.T) {
	link, rlink := inviteLink(t), relayLink()
	for _, a := range []Action{Accept{Link: link}, AddRelay{Link: rlink}, ShowAcceptDialog{Link: link}, ShowAddRelayDialog{Link: rlink}} {
		if s := a.String(); strings.Contains(s, "portals://") {
			t.Errorf("%T prints a link: %q", a, s)
		}
	}
}
