//go:build darwin

package app

import (
	"sync"

	"github.com/progrium/darwinkit/dispatch"
	"github.com/progrium/darwinkit/macos/appkit"
	"github.com/progrium/darwinkit/objc"

	"github.com/portalsapp/portals/app/menu"
)

// statusItem is the menu bar item. It is package-level and retained so
// that it is never released: AppKit removes a status item from the menu
// bar when its last reference goes away. Used on the main thread only.
var statusItem appkit.StatusItem

// createStatusItem adds the status item and shows the latest menu. Main
// thread only.
func createStatusItem() {
	statusItem = appkit.StatusBar_SystemStatusBar().StatusItemWithLength(appkit.VariableStatusItemLength)
	objc.Retain(&statusItem)
	renderLatest()
}

// latest holds the newest menu not rendered yet. Snapshots can come many
// times a second while connections open and close; the main thread
// renders only the newest, once.
var latest struct {
	sync.Mutex
	menu      *menu.Menu
	scheduled bool
	perform   func(menu.Action)
}

// scheduleRender returns the Show function of the controller: it stores
// m and schedules one render on the main queue.
func scheduleRender(a *darwinApp) func(menu.Menu) {
	return func(m menu.Menu) {
		latest.Lock()
		latest.menu, latest.perform = &m, func(act menu.Action) { a.ctrl.Perform(act) }
		schedule := !latest.scheduled
		latest.scheduled = true
		latest.Unlock()
		if schedule {
			dispatch.MainQueue().DispatchAsync(renderLatest)
		}
	}
}

// renderLatest rebuilds the status item from the newest menu. Main
// thread only. Before the status item exists it leaves the menu for
// createStatusItem.
func renderLatest() {
	latest.Lock()
	m, perform := latest.menu, latest.perform
	latest.scheduled = false
	latest.Unlock()
	if m == nil || statusItem.Ptr() == nil {
		return
	}
	button := statusItem.Button()
	button.SetImage(symbolImage(m.Icon.Symbol, m.Icon.ToolTip))
	button.SetToolTip(m.Icon.ToolTip)
	statusItem.SetMenu(buildMenu(m.Items, perform))
}

// buildMenu makes an NSMenu of items. Automatic enabling is off: the
// model decides which items are enabled.
func buildMenu(items []menu.Item, perform func(menu.Action)) appkit.Menu {
	nm := appkit.NewMenuWithTitle("")
	nm.SetAutoenablesItems(false)
	for _, it := range items {
		nm.AddItem(buildItem(it, perform))
	}
	return nm
}

func buildItem(it menu.Item, perform func(menu.Action)) appkit.MenuItem {
	if it.Separator {
		return appkit.MenuItem_SeparatorItem()
	}
	var mi appkit.MenuItem
	if it.Action != nil {
		act := it.Action
		mi = appkit.NewMenuItemWithAction(it.Title, "", func(objc.Object) { perform(act) })
	} else {
		mi = appkit.NewMenuItemWithTitleActionKeyEquivalent(it.Title, objc.Selector{}, "")
	}
	mi.SetEnabled(it.Enabled)
	if it.Checked {
		mi.SetState(appkit.ControlStateValueOn)
	}
	mi.SetIndentationLevel(it.Indent)
	if it.ToolTip != "" {
		mi.SetToolTip(it.ToolTip)
	}
	if it.Symbol != "" {
		mi.SetImage(symbolImage(it.Symbol, it.Title))
	}
	if len(it.Submenu) > 0 {
		mi.SetSubmenu(buildMenu(it.Submenu, perform))
	}
	return mi
}

// symbolImage is an SF Symbol as a template image, which AppKit tints
// for the menu bar's appearance. description is what VoiceOver reads.
func symbolImage(name, description string) appkit.Image {
	img := appkit.Image_ImageWithSystemSymbolNameAccessibilityDescription(name, description)
	img.SetTemplate(true)
	return img
}
