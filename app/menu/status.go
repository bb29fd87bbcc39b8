package menu

import (
	"strings"

	"github.com/portalsapp/portals/engine"
)

// SF Symbol names. Every one exists in SF Symbols 2, which macOS 11 and
// later ship, so the icon shows on every macOS the app supports.
const (
	symbolIdle    = "circle.circle"
	symbolActive  = "circle.circle.fill"
	symbolBusy    = "circle.dashed"
	symbolTrouble = "exclamationmark.triangle"

	symbolUp         = "checkmark.circle.fill"
	symbolConnecting = "ellipsis.circle"
	symbolDown       = "exclamationmark.triangle"
	symbolNotInUse   = "circle"
)

// stateSymbol is the item symbol for an engine connection state.
func stateSymbol(state string) string {
	switch state {
	case engine.StateUp:
		return symbolUp
	case engine.StateConnecting:
		return symbolConnecting
	case engine.StateDown:
		return symbolDown
	}
	return symbolNotInUse
}

// statusIcon sums up the node: trouble when a relay or an accepted
// service is offline, busy while one connects, active while a portal
// connection is open, idle otherwise. The tool tip names what is wrong.
func statusIcon(snap *engine.Snapshot) StatusIcon {
	relaysDown, relaysBusy := countStates(snap.Relays, func(r engine.RelayStatus) string { return r.State })
	inletsDown, inletsBusy := countStates(snap.Inlets, func(in engine.InletStatus) string { return in.State })
	open := openConnections(snap)

	var trouble []string
	if relaysDown > 0 {
		trouble = append(trouble, countText(relaysDown, "relay", "relays")+" offline")
	}
	if inletsDown > 0 {
		trouble = append(trouble, countText(inletsDown, "accepted service", "accepted services")+" offline")
	}
	switch {
	case len(trouble) > 0:
		return StatusIcon{Symbol: symbolTrouble, State: IconTrouble, ToolTip: "Portals: " + strings.Join(trouble, ", ")}
	case relaysBusy+inletsBusy > 0:
		return StatusIcon{Symbol: symbolBusy, State: IconBusy, ToolTip: "Portals: connecting"}
	case open > 0:
		return StatusIcon{Symbol: symbolActive, State: IconActive, ToolTip: "Portals: " + countText(open, "connection", "connections") + " open"}
	}
	return StatusIcon{Symbol: symbolIdle, State: IconIdle, ToolTip: "Portals: no open connections"}
}

// countStates counts the entries of list that are down and connecting.
func countStates[T any](list []T, state func(T) string) (down, connecting int) {
	for _, v := range list {
		switch state(v) {
		case engine.StateDown:
			down++
		case engine.StateConnecting:
			connecting++
		}
	}
	return down, connecting
}

// openConnections counts portal connections in both directions.
func openConnections(snap *engine.Snapshot) int {
	n := 0
	for _, svc := range snap.Services {
		n += svc.Connections
	}
	for _, in := range snap.Inlets {
		n += in.Connections
	}
	return n
}
