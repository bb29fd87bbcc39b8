package menu

import (
	"time"

	"github.com/portalsapp/portals/engine"
)

// Env holds the inputs of the menu besides the engine's snapshot.
type Env struct {
	// Now dates relative times ("offline for 3 min").
	Now time.Time

	// LaunchAtLogin is the login item's state.
	LaunchAtLogin LoginItem

	// StartError is the reason the engine did not start, or "" when it
	// runs or is starting.
	StartError string
}

// LoginItem is the state of Launch at Login.
type LoginItem int

// The login item states.
const (
	// LoginUnavailable: SMAppService needs macOS 13 and a real bundle.
	LoginUnavailable LoginItem = iota
	LoginOff
	LoginOn
)

// Build returns the menu for snap, or for an engine that is starting
// (snap nil) or failed to start (env.StartError set). It is a pure
// function: equal inputs give equal menus.
func Build(snap *engine.Snapshot, env Env) Menu {
	if env.StartError != "" {
		return failedMenu(env)
	}
	if snap == nil {
		return startingMenu(env)
	}
	var items []Item
	items = append(items, identityItem(snap), separator())
	items = append(items,
		command("Share a Service…", ShowShareDialog{}).withSymbol("plus.circle"),
		command("Accept Invitation…", ShowAcceptDialog{}).withSymbol("envelope.open"),
		separator())
	items = append(items, sharedByMe(snap)...)
	items = append(items, separator())
	items = append(items, sharedWithMe(snap)...)
	items = append(items, separator(), relaysItem(snap, env.Now), separator())
	items = append(items, appItems(env)...)
	return Menu{Icon: statusIcon(snap), Items: items}
}

func identityItem(snap *engine.Snapshot) Item {
	return info(who(snap.DisplayName, snap.ID.Short())).
		withSymbol("person.crop.circle").
		withTip("This computer's identifier: " + snap.ID.String())
}

// startingMenu is shown until the engine's first snapshot arrives.
func startingMenu(env Env) Menu {
	items := []Item{info("Starting…"), separator()}
	return Menu{
		Icon:  StatusIcon{Symbol: symbolBusy, State: IconBusy, ToolTip: "Portals: starting"},
		Items: append(items, appItems(env)...),
	}
}

// failedMenu explains why the engine did not start and offers the logs.
func failedMenu(env Env) Menu {
	msg := clip(env.StartError, maxErrorWidth)
	items := []Item{
		info("Portals could not start").withSymbol(symbolTrouble),
		info(msg).tipIfShortened(msg, env.StartError).indented(),
		separator(),
	}
	return Menu{
		Icon:  StatusIcon{Symbol: symbolTrouble, State: IconTrouble, ToolTip: "Portals could not start"},
		Items: append(items, appItems(env)...),
	}
}

// appItems end every menu.
func appItems(env Env) []Item {
	return []Item{
		launchAtLoginItem(env.LaunchAtLogin),
		command("Open Logs", OpenLogs{}),
		command("About Portals", ShowAbout{}),
		separator(),
		command("Quit Portals", Quit{}),
	}
}

func launchAtLoginItem(state LoginItem) Item {
	switch state {
	case LoginOn:
		it := command("Launch at Login", SetLaunchAtLogin{Enable: false})
		it.Checked = true
		return it
	case LoginOff:
		return command("Launch at Login", SetLaunchAtLogin{Enable: true})
	}
	return disabledCommand("Launch at Login", "Needs macOS 13 or later, with Portals in the Applications folder")
}
