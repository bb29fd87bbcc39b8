package menu

import (
	"fmt"
	"strings"
)

// Render writes m as indented text, one item per line, for golden files
// and docs/app.md. A reviewer reads it as the menu:
//
//	icon: SYMBOL (STATE) "TOOL TIP"
//	Title ▸                   an item with a submenu, whose items follow
//	    Child                 four more spaces per submenu level
//	  Child                   two more spaces per indentation level
//	[x] Title                 a checked item
//	Title (disabled)          a line that cannot be chosen
//	Title  → ACTION           what choosing it does
//	────                      a separator
//
// An item's SF Symbol is shown as {symbol}, and its tool tip on the next
// line as « tip ».
func Render(m Menu) string {
	var b strings.Builder
	fmt.Fprintf(&b, "icon: %s (%s) %q\n", m.Icon.Symbol, m.Icon.State, m.Icon.ToolTip)
	renderItems(&b, m.Items, "")
	return b.String()
}

// RenderTop is Render without the items of submenus, for a view of the
// menu as it first opens.
func RenderTop(m Menu) string {
	top := make([]Item, len(m.Items))
	for i, it := range m.Items {
		it.Submenu = nil
		if len(m.Items[i].Submenu) > 0 {
			it.Title += " ▸"
		}
		top[i] = it
	}
	var b strings.Builder
	fmt.Fprintf(&b, "icon: %s (%s) %q\n", m.Icon.Symbol, m.Icon.State, m.Icon.ToolTip)
	renderItems(&b, top, "")
	return b.String()
}

func renderItems(b *strings.Builder, items []Item, prefix string) {
	for _, it := range items {
		renderItem(b, it, prefix)
	}
}

func renderItem(b *strings.Builder, it Item, prefix string) {
	if it.Separator {
		fmt.Fprintf(b, "%s────\n", prefix)
		return
	}
	indent := prefix + strings.Repeat("  ", it.Indent)
	b.WriteString(indent + itemLine(it) + "\n")
	if it.ToolTip != "" {
		fmt.Fprintf(b, "%s    « %s »\n", indent, it.ToolTip)
	}
	renderItems(b, it.Submenu, indent+"    ")
}

// itemLine is the item's one line, without indentation.
func itemLine(it Item) string {
	line := it.Title
	if it.Checked {
		line = "[x] " + line
	}
	if it.Symbol != "" {
		line = "{" + it.Symbol + "} " + line
	}
	if len(it.Submenu) > 0 {
		line += " ▸"
	}
	if !it.Enabled {
		line += " (disabled)"
	}
	if it.Action != nil {
		line += "  → " + it.Action.String()
	}
	return line
}

// RenderDialog writes d as text, for golden files and docs/app.md.
func RenderDialog(d Dialog) string {
	var b strings.Builder
	fmt.Fprintf(&b, "┌ %s\n│ %s\n", d.Title, d.Message)
	if d.Problem != "" {
		fmt.Fprintf(&b, "│ ⚠ %s\n", d.Problem)
	}
	for _, f := range d.Fields {
		value := f.Value
		if value == "" {
			value = "(" + f.Placeholder + ")"
		}
		fmt.Fprintf(&b, "│ %s: [%s]\n", f.Label, value)
	}
	fmt.Fprintf(&b, "└ [%s] [%s]\n", d.Cancel, d.OK)
	return b.String()
}

// RenderConfirmation writes c as text, for golden files and docs/app.md.
func RenderConfirmation(c Confirmation) string {
	ok := c.OK
	if c.Destructive {
		ok += " (destructive)"
	}
	return fmt.Sprintf("┌ %s\n│ %s\n└ [%s] [%s]\n", c.Title, c.Message, c.Cancel, ok)
}
