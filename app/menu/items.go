package menu

// These constructors keep Build's code close to the menu it describes.

// info is a line of information: disabled, no action.
func info(title string) Item {
	return Item{Title: title}
}

// header is the disabled title of a section.
func header(title string) Item {
	return Item{Title: title}
}

// command is an enabled item that performs a.
func command(title string, a Action) Item {
	return Item{Title: title, Enabled: true, Action: a}
}

// disabledCommand is a command that cannot run now, for the reason given.
func disabledCommand(title, reason string) Item {
	return Item{Title: title, ToolTip: reason}
}

// submenu is an enabled item that opens items.
func submenu(title string, items []Item) Item {
	return Item{Title: title, Enabled: true, Submenu: items}
}

func separator() Item {
	return Item{Separator: true}
}

func (it Item) withSymbol(symbol string) Item {
	it.Symbol = symbol
	return it
}

func (it Item) withTip(tip string) Item {
	it.ToolTip = tip
	return it
}

// tipIfShortened sets the tool tip to full when title does not show all
// of it.
func (it Item) tipIfShortened(title, full string) Item {
	if title != full {
		it.ToolTip = full
	}
	return it
}

func (it Item) indented() Item {
	it.Indent++
	return it
}

// maxInline is how many items of one list (services, accepted services)
// the menu shows before moving the rest into a "More" submenu. Beyond
// about ten the menu outgrows a laptop screen and scrolls, which hides
// Quit and the sections below.
const maxInline = 8

// inline returns items as they are when there are at most maxInline,
// otherwise the first maxInline-1 followed by a submenu with the rest, so
// a list takes at most maxInline lines.
func inline(items []Item) []Item {
	if len(items) <= maxInline {
		return items
	}
	keep := maxInline - 1
	rest := make([]Item, len(items)-keep)
	for i, it := range items[keep:] {
		it.Indent = 0 // a submenu has no section header to indent under
		rest[i] = it
	}
	more := submenu(countText(len(rest), "More", "More"), rest).indented()
	return append(items[:keep:keep], more)
}
