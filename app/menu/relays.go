package menu

import (
	"time"

	"github.com/portalsapp/portals/engine"
)

// relaysItem is the Relays submenu: each relay with its state, the direct
// listen addresses, and Add Relay. Its title counts the relays offline,
// so trouble shows without opening it.
func relaysItem(snap *engine.Snapshot, now time.Time) Item {
	var items []Item
	for _, r := range snap.Relays {
		items = append(items, relayItems(r, now)...)
	}
	for _, addr := range snap.Listen {
		items = append(items, info("Direct: listening on "+shorten(addr, maxTargetWidth)).withTip(addr))
	}
	if len(items) == 0 {
		items = append(items, info("No relay yet: teammates outside your network need one"))
	}
	items = append(items, separator(), command("Add Relay…", ShowAddRelayDialog{}))

	title, symbol := "Relays", "server.rack"
	if down, _ := countStates(snap.Relays, func(r engine.RelayStatus) string { return r.State }); down > 0 {
		title, symbol = "Relays — "+countText(down, "offline", "offline"), symbolDown
	}
	return submenu(title, items).withSymbol(symbol)
}

// relayItems is one relay's line, and its last error when it is not up.
func relayItems(r engine.RelayStatus, now time.Time) []Item {
	addr := shorten(r.Addr, maxTargetWidth)
	line := info(addr + " — " + relayStateText(r, now)).
		withSymbol(stateSymbol(r.State)).
		withTip(r.Addr + " (" + r.ID.Short() + ")")
	items := []Item{line}
	if r.LastError != "" && r.State != engine.StateUp {
		msg := clip(r.LastError, maxErrorWidth)
		items = append(items, info("Last error: "+msg).tipIfShortened(msg, r.LastError).indented())
	}
	return items
}

// relayStateText is the relay's state, with how long it has been so when
// that is not up.
func relayStateText(r engine.RelayStatus, now time.Time) string {
	switch r.State {
	case engine.StateUp:
		return "registered"
	case engine.StateConnecting:
		return "connecting…"
	case engine.StateDown:
		if r.Since.IsZero() || now.Before(r.Since) {
			return "offline"
		}
		return "offline for " + durationText(now.Sub(r.Since))
	}
	return "not in use"
}
