package menu

import (
	"net"
	"slices"
	"strings"

	"github.com/portalsapp/portals/engine"
)

// sharedByMe is the section of services this node shares.
func sharedByMe(snap *engine.Snapshot) []Item {
	items := []Item{header("Shared by Me")}
	if len(snap.Services) == 0 {
		return append(items, info("Nothing shared yet").indented())
	}
	services := slices.Clone(snap.Services)
	slices.SortFunc(services, func(a, b engine.ServiceStatus) int { return strings.Compare(a.Name, b.Name) })

	canInvite := hasRoute(snap)
	var list []Item
	for _, svc := range services {
		list = append(list, serviceItem(svc, canInvite).indented())
	}
	return append(items, inline(list)...)
}

// serviceItem is one shared service with its submenu.
func serviceItem(svc engine.ServiceStatus, canInvite bool) Item {
	name, target := shorten(svc.Name, maxNameWidth), shorten(svc.Target, maxTargetWidth)
	symbol := symbolNotInUse
	if svc.Connections > 0 {
		symbol = symbolUp
	}
	title := name + " — " + target
	return submenu(title, serviceSubmenu(svc, canInvite)).
		withSymbol(symbol).
		tipIfShortened(title, svc.Name+" — "+svc.Target)
}

func serviceSubmenu(svc engine.ServiceStatus, canInvite bool) []Item {
	target := shorten(svc.Target, maxTargetWidth)
	items := []Item{
		info("Sharing "+target).tipIfShortened(target, svc.Target),
		info(accessSummary(svc)),
	}
	if svc.Invitations > 0 {
		items = append(items, info(countText(svc.Invitations, "invitation", "invitations")+" not used yet"))
	}
	items = append(items, separator(), invitationItem(svc.Name, canInvite))
	if svc.Invitations > 0 {
		items = append(items, command("Cancel Unused Invitations…", CancelInvitations{Service: svc.Name}))
	}
	items = append(items, separator())
	items = append(items, accessItems(svc)...)
	return append(items, separator(), command("Stop Sharing "+shorten(svc.Name, maxNameWidth)+"…", Unshare{Service: svc.Name}))
}

// invitationItem creates and copies a link, or explains why it cannot: a
// link must name a route, and a node with no relay and no specific listen
// address has none.
func invitationItem(service string, canInvite bool) Item {
	if !canInvite {
		return disabledCommand("Copy Invitation Link", "Add a relay first (Relays ▸ Add Relay…): an invitation must say how to reach this computer")
	}
	return command("Copy Invitation Link", CopyInvitation{Service: service}).withSymbol("link")
}

// accessItems lists the people with access, each with a Revoke command.
func accessItems(svc engine.ServiceStatus) []Item {
	items := []Item{header("People with Access")}
	if len(svc.Access) == 0 {
		return append(items, info("Nobody yet: copy an invitation link and send it").indented())
	}
	for _, a := range svc.Access {
		label := a.Name
		if label == "" {
			label = a.ID.Short()
		}
		title := who(a.Name, a.ID.Short()) + " — " + countText(a.Connections, "connection", "connections")
		person := []Item{
			info(a.ID.String()),
			command("Copy Identifier", CopyText{Text: a.ID.String(), What: "identifier"}),
			separator(),
			command("Revoke Access…", Revoke{Service: svc.Name, Who: a.ID.String(), Label: shorten(label, maxNameWidth)}),
		}
		items = append(items, submenu(title, person).withSymbol("person").indented())
	}
	return items
}

// hasRoute reports whether an invitation could name a route to this node,
// by the engine's rule: any relay, or a listen address with a specific
// host.
func hasRoute(snap *engine.Snapshot) bool {
	if len(snap.Relays) > 0 {
		return true
	}
	for _, addr := range snap.Listen {
		host, _, err := net.SplitHostPort(addr)
		if err != nil || host == "" {
			continue
		}
		if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() {
			return true
		}
	}
	return false
}

// accessSummary counts the people with access and the open connections.
func accessSummary(svc engine.ServiceStatus) string {
	if len(svc.Access) == 0 {
		return "Nobody has access yet"
	}
	return countText(len(svc.Access), "person has", "people have") + " access · " +
		countText(svc.Connections, "connection", "connections")
}
