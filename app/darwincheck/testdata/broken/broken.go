//go:build darwin

// Package broken misuses darwinkit on purpose. The darwincheck test
// checks that each line marked "want" is reported, which proves that the
// type check of app/ can fail. It lives under testdata/ so that no build
// or vet of ./... includes it.
package broken

import (
	"github.com/progrium/darwinkit/dispatch"
	"github.com/progrium/darwinkit/macos/appkit"
)

// Alert uses the darwinkit API correctly, then wrongly.
func Alert() {
	alert := appkit.NewAlert()
	alert.SetMessageText("fine")
	alert.SetMessageText(42)                // want: an int is not a string
	alert.AddButtonWithTitle("OK", "extra") // want: too many arguments
	alert.RunModalForWindow()               // want: no such method
	dispatch.MainQueue().DispatchAsync(func() {})
	dispatch.MainQueue().DispatchAsync(func() error { return nil }) // want: wrong function type
}
