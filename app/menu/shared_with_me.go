package menu

import (
	"github.com/portalsapp/portals/engine"
)

// sharedWithMe is the section of services accepted from other nodes.
// The engine sorts inlets by name.
func sharedWithMe(snap *engine.Snapshot) []Item {
	items := []Item{header("Shared with Me")}
	if len(snap.Inlets) == 0 {
		return append(items, info("Nothing yet: accept an invitation to add one").indented())
	}
	var list []Item
	for _, in := range snap.Inlets {
		list = append(list, inletItem(in).indented())
	}
	return append(items, inline(list)...)
}

// inletItem is one accepted service: its local address and state in the
// title, so the state reads without opening the submenu.
func inletItem(in engine.InletStatus) Item {
	name := shorten(in.Name, maxNameWidth)
	title := name + " — " + in.Addr + " — " + inletStateWord(in.State)
	return submenu(title, inletSubmenu(in)).
		withSymbol(stateSymbol(in.State)).
		tipIfShortened(name, in.Name)
}

func inletSubmenu(in engine.InletStatus) []Item {
	items := []Item{info(inletStatusLine(in))}
	if in.LastError != "" && in.State != engine.StateUp {
		msg := clip(in.LastError, maxErrorWidth)
		items = append(items, info("Last error: "+msg).tipIfShortened(msg, in.LastError))
	}
	items = append(items, info("From "+who(in.PeerName, in.Peer.Short())))
	if in.Service != in.Name {
		items = append(items, info("Their name for it: "+shorten(in.Service, maxNameWidth)))
	}
	items = append(items,
		info(countText(in.Connections, "connection", "connections")+" · "+
			bytesText(in.BytesIn)+" received · "+bytesText(in.BytesOut)+" sent"),
		separator(),
		command("Copy Address", CopyText{Text: in.Addr, What: "address"}).withSymbol("doc.on.doc"),
		command("Open in Browser", OpenURL{URL: "http://" + in.Addr + "/"}).withSymbol("safari"),
		separator(),
		command("Remove "+shorten(in.Name, maxNameWidth)+"…", Remove{Inlet: in.Name}),
	)
	return items
}

// inletStateWord is the state in the item's title.
func inletStateWord(state string) string {
	switch state {
	case engine.StateUp:
		return "connected"
	case engine.StateConnecting:
		return "connecting…"
	case engine.StateDown:
		return "offline"
	}
	return "not connected"
}

// inletStatusLine is the first line of the submenu: the state in words,
// with the route and round-trip time when connected.
func inletStatusLine(in engine.InletStatus) string {
	switch in.State {
	case engine.StateUp:
		line := "Connected"
		if in.Route != "" {
			line += " via " + in.Route
		}
		if in.RTT > 0 {
			line += " · " + rttText(in.RTT)
		}
		return line
	case engine.StateConnecting:
		return "Connecting to the sharer…"
	case engine.StateDown:
		return "Offline: retrying in the background"
	}
	return "Not connected: connects on first use"
}
