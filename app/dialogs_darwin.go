//go:build darwin

package app

import (
	"github.com/progrium/darwinkit/macos/appkit"
	"github.com/progrium/darwinkit/macos/foundation"

	"github.com/portalsapp/portals/app/menu"
)

// Accessory view layout, in points: each field is a label above a text
// field, and rows are stacked from the top.
const (
	fieldWidth  = 360.0
	labelHeight = 17.0
	inputHeight = 24.0
	rowHeight   = labelHeight + 2 + inputHeight + 10
)

// runDialog adds d's fields and buttons to alert, runs it, and returns
// the typed values, or ok false when the user cancels. Main thread only.
func runDialog(alert appkit.Alert, d menu.Dialog) (values []string, ok bool) {
	alert.AddButtonWithTitle(d.OK)
	alert.AddButtonWithTitle(d.Cancel)
	fields := addFields(alert, d.Fields)
	if len(fields) > 0 {
		alert.Window().SetInitialFirstResponder(fields[0])
	}
	if alert.RunModal() != appkit.AlertFirstButtonReturn {
		return nil, false
	}
	for _, f := range fields {
		values = append(values, f.StringValue())
	}
	return values, true
}

// addFields builds the accessory view and returns its text fields in
// order, linked so that Tab moves from one to the next.
func addFields(alert appkit.Alert, specs []menu.Field) []appkit.TextField {
	height := rowHeight * float64(len(specs))
	view := appkit.NewViewWithFrame(rect(0, 0, fieldWidth, height))
	var fields []appkit.TextField
	for i, spec := range specs {
		top := height - rowHeight*float64(i)

		label := appkit.TextField_LabelWithString(spec.Label)
		label.SetFrame(rect(0, top-labelHeight, fieldWidth, labelHeight))
		view.AddSubview(label)

		field := appkit.NewTextFieldWithFrame(rect(0, top-labelHeight-2-inputHeight, fieldWidth, inputHeight))
		field.SetPlaceholderString(spec.Placeholder)
		field.SetStringValue(spec.Value)
		view.AddSubview(field)
		if i > 0 {
			fields[i-1].SetNextKeyView(field)
		}
		fields = append(fields, field)
	}
	alert.SetAccessoryView(view)
	return fields
}

func rect(x, y, w, h float64) foundation.Rect {
	return foundation.Rect{Origin: foundation.Point{X: x, Y: y}, Size: foundation.Size{Width: w, Height: h}}
}
