package menu

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine"
	"github.com/portalsapp/portals/engine/identity"
)

// now is the fixed time of every scenario.
var now = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// testID returns a distinct, recognisable identifier per n.
func testID(n byte) identity.ID {
	var id identity.ID
	for i := range id {
		id[i] = n + byte(i)
	}
	return id
}

// Roles in the scenarios.
var (
	aliceID = testID(1)  // this node
	bobID   = testID(20) // a teammate
	carolID = testID(40) // another teammate
	relayID = testID(60)
)

// baseSnapshot is a node called alice-mbp with nothing configured.
func baseSnapshot() *engine.Snapshot {
	return &engine.Snapshot{
		ID: aliceID, DisplayName: "alice-mbp", StateDir: "/Users/alice/Library/Application Support/Portals",
		VaultKind: "keychain", Listen: []string{}, Relays: []engine.RelayStatus{}, Peers: []engine.PeerStatus{},
		Services: []engine.ServiceStatus{}, Inlets: []engine.InletStatus{},
	}
}

func relayUp() engine.RelayStatus {
	return engine.RelayStatus{Addr: "relay.example.com:7443", ID: relayID, State: engine.StateUp, Since: now.Add(-time.Hour)}
}

// inlet is bob's service "web" on 127.0.0.1:8080 in the given state.
func inlet(state, lastErr string) engine.InletStatus {
	in := engine.InletStatus{
		Name: "web", Service: "web", Peer: bobID, PeerName: "bob-laptop", Addr: "127.0.0.1:8080",
		State: state, LastError: lastErr,
	}
	if state == engine.StateUp {
		in.Route, in.RTT = "relay "+relayID.Short(), 23*time.Millisecond
		in.Connections, in.BytesIn, in.BytesOut = 2, 1_234_567, 45_000
	}
	return in
}

// scenarios are the menu states that docs/app.md shows, one golden file
// each.
var scenarios = []struct {
	name string
	snap func() *engine.Snapshot
	env  Env
}{
	{"first-start", baseSnapshot, Env{Now: now, LaunchAtLogin: LoginOff}},
	{"starting", func() *engine.Snapshot { return nil }, Env{Now: now, LaunchAtLogin: LoginOff}},
	{"start-failed", func() *engine.Snapshot { return nil }, Env{Now: now, LaunchAtLogin: LoginUnavailable,
		StartError: "state: state directory /Users/alice/Library/Application Support/Portals is locked by another engine (pid 4242): quit `portals up` first"}},
	{"shared-two-people", sharedTwoPeople, Env{Now: now, LaunchAtLogin: LoginOn}},
	{"accepted-connected", func() *engine.Snapshot { return withInlet(inlet(engine.StateUp, "")) }, Env{Now: now, LaunchAtLogin: LoginOn}},
	{"accepted-connecting", func() *engine.Snapshot { return withInlet(inlet(engine.StateConnecting, "")) }, Env{Now: now, LaunchAtLogin: LoginOn}},
	{"accepted-sharer-offline", func() *engine.Snapshot {
		return withInlet(inlet(engine.StateDown, "dialing every route failed: relay pid1:hmhk-jlfu: peer pid1:cqkb-ezft is not registered"))
	}, Env{Now: now, LaunchAtLogin: LoginOn}},
	{"pending-errors", pendingErrors, Env{Now: now, LaunchAtLogin: LoginOn}},
	{"long-names", longNames, Env{Now: now, LaunchAtLogin: LoginOn}},
	{"many-services", manyServices, Env{Now: now, LaunchAtLogin: LoginOn}},
	{"relay-down", relayDown, Env{Now: now, LaunchAtLogin: LoginOn}},
}

func sharedTwoPeople() *engine.Snapshot {
	s := baseSnapshot()
	s.Relays = []engine.RelayStatus{relayUp()}
	s.Services = []engine.ServiceStatus{{
		Name: "db", Target: "localhost:5432", Connections: 3, Invitations: 1,
		Access: []engine.AccessStatus{
			{ID: bobID, Name: "bob-laptop", Added: now.Add(-48 * time.Hour), Connections: 2},
			{ID: carolID, Name: "", Added: now.Add(-time.Hour), Connections: 1},
		},
	}}
	return s
}

func withInlet(in engine.InletStatus) *engine.Snapshot {
	s := baseSnapshot()
	s.Relays = []engine.RelayStatus{relayUp()}
	s.Inlets = []engine.InletStatus{in}
	return s
}

// pendingErrors has an engine that keeps retrying: a relay registration
// that failed once, an inlet whose port another program holds, and an
// inlet reconnecting after an error.
func pendingErrors() *engine.Snapshot {
	s := baseSnapshot()
	s.Relays = []engine.RelayStatus{{Addr: "relay.example.com:7443", ID: relayID, State: engine.StateConnecting, Since: now.Add(-5 * time.Second),
		LastError: "registering with the relay: relay refused the registration secret: add the relay again with a fresh link"}}
	s.Services = []engine.ServiceStatus{{Name: "db", Target: "localhost:5432", Access: []engine.AccessStatus{}}}
	portTaken := inlet(engine.StateDown, "listen tcp 127.0.0.1:8080: bind: address already in use")
	portTaken.PeerName = ""
	retrying := inlet(engine.StateConnecting, "session with pid1:cqkb-ezft ended: keepalive timeout after 15 s")
	retrying.Name, retrying.Service, retrying.Addr = "api", "api", "127.0.0.1:9000"
	s.Inlets = []engine.InletStatus{retrying, portTaken}
	return s
}

// longNames uses the longest names the state file allows.
func longNames() *engine.Snapshot {
	s := baseSnapshot()
	s.DisplayName = "Alice's MacBook Pro (16-inch, 2023) — work account"
	s.Relays = []engine.RelayStatus{{Addr: "relay-eu-west-1.portals-infra.internal.example.com:7443", ID: relayID, State: engine.StateUp, Since: now}}
	long := strings.Repeat("staging-", 7) + "db-eu-01" // 64 bytes
	s.Services = []engine.ServiceStatus{{
		Name: long, Target: "postgres-primary.staging.eu-west-1.rds.example.com:5432", Access: []engine.AccessStatus{
			{ID: bobID, Name: "Bob Example-Longname (temporary contractor laptop)", Added: now},
		},
	}}
	in := inlet(engine.StateUp, "")
	in.Name, in.Service = strings.Repeat("analytics-", 6)+"dash", strings.Repeat("analytics-", 6)+"dash"
	in.PeerName = "Bob Example-Longname (temporary contractor laptop)"
	s.Inlets = []engine.InletStatus{in}
	return s
}

// manyServices shares 20 services and accepts 12.
func manyServices() *engine.Snapshot {
	s := baseSnapshot()
	s.Relays = []engine.RelayStatus{relayUp()}
	for i := range 20 {
		s.Services = append(s.Services, engine.ServiceStatus{
			Name: fmt.Sprintf("svc-%02d", 20-i), Target: fmt.Sprintf("localhost:%d", 8000+i), Access: []engine.AccessStatus{},
		})
	}
	for i := range 12 {
		in := inlet(engine.StateUp, "")
		in.Name, in.Service, in.Addr = fmt.Sprintf("remote-%02d", i+1), fmt.Sprintf("remote-%02d", i+1), fmt.Sprintf("127.0.0.1:%d", 9000+i)
		s.Inlets = append(s.Inlets, in)
	}
	return s
}

// relayDown shares a service through one relay that is up and one that
// has been unreachable for 7 minutes, with direct listening as well.
func relayDown() *engine.Snapshot {
	s := baseSnapshot()
	s.Listen = []string{"192.0.2.10:7701"}
	s.Relays = []engine.RelayStatus{
		{Addr: "relay-b.example.com:7443", ID: testID(80), State: engine.StateDown, Since: now.Add(-7 * time.Minute),
			LastError: "dial tcp 203.0.113.9:7443: connect: connection refused"},
		relayUp(),
	}
	s.Services = []engine.ServiceStatus{{Name: "db", Target: "localhost:5432", Access: []engine.AccessStatus{}}}
	return s
}

func TestBuildGolden(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			m := Build(sc.snap(), sc.env)
			checkGolden(t, sc.name, Render(m))
			if sc.name == "many-services" {
				checkGolden(t, sc.name+"-top", RenderTop(m))
			}
		})
	}
}

// TestManyServicesMenuStaysShort checks that the top level of the menu
// stays the same height however many services there are, so Quit and the
// sections below stay on screen.
func TestManyServicesMenuStaysShort(t *testing.T) {
	heights := map[int]int{}
	for _, n := range []int{maxInline + 1, 20, 200} {
		s := manyServices()
		s.Services = s.Services[:0]
		for i := range n {
			s.Services = append(s.Services, engine.ServiceStatus{Name: fmt.Sprintf("svc-%03d", i), Target: "localhost:1"})
		}
		m := Build(s, Env{Now: now})
		heights[n] = len(m.Items)
		if got := countServiceItems(m.Items); got != n {
			t.Errorf("%d services: the menu reaches %d of them", n, got)
		}
	}
	if heights[maxInline+1] != heights[200] {
		t.Errorf("top-level heights by service count = %v, want one height", heights)
	}
}

// countServiceItems counts the Stop Sharing commands reachable in items,
// one per shared service.
func countServiceItems(items []Item) int {
	n := 0
	for _, it := range items {
		if _, ok := it.Action.(Unshare); ok {
			n++
		}
		n += countServiceItems(it.Submenu)
	}
	return n
}

// TestDialogsGolden renders every dialog and confirmation.
func TestDialogsGolden(t *testing.T) {
	var b strings.Builder
	section := func(title, body string) {
		b.WriteString("== " + title + "\n" + body + "\n")
	}
	section("Share a Service", RenderDialog(ShareDialog()))
	_, err := ShareDialog().Submit([]string{"My DB", "localhost:5432"})
	section("Share a Service, invalid name", RenderDialog(ShareDialog().retry([]string{"My DB", "localhost:5432"}, err)))
	_, err = ShareDialog().Submit([]string{"db", "localhost"})
	section("Share a Service, invalid address", RenderDialog(ShareDialog().retry([]string{"db", "localhost"}, err)))
	section("Accept Invitation, pasteboard without a link", RenderDialog(AcceptDialog("", now)))
	section("Accept Invitation, prefilled from the pasteboard or a portals:// link", RenderDialog(AcceptDialog(inviteLink(t), now)))
	section("Add a Relay", RenderDialog(AddRelayDialog("")))
	section("Add a Relay, from a portals://relay/ link", RenderDialog(AddRelayDialog(relayLink())))
	for _, a := range []Action{Unshare{Service: "db"}, CancelInvitations{Service: "db"}, Revoke{Service: "db", Who: bobID.String(), Label: "bob-laptop"}, Remove{Inlet: "web"}} {
		section("Confirm: "+a.String(), RenderConfirmation(*ConfirmationFor(a)))
	}
	section("Alert after a failed action", renderAlert(failureAlert(Share{Name: "db", Target: "localhost:5432"},
		errors.New(`engine: service "db" is already shared with target localhost:5433; run `+"`portals unshare db`"+` first or pick another name`))))
	section("About", renderAlert(AboutAlert(sharedTwoPeople(), "1.2.3")))
	checkGolden(t, "dialogs", b.String())
}

func renderAlert(a Alert) string {
	return "┌ " + a.Title + "\n│ " + a.Message + "\n└ [OK]\n"
}
