// Package app is Portals.app, the macOS menubar app, around the engine
// running in the same process.
//
// The package is thin on purpose. Package app/menu decides what the menu
// shows and what each action does, and is tested on Linux. This package
// starts the engine and feeds its snapshots to the menu model
// (controller.go, also tested on Linux), and on macOS renders the model
// with AppKit through darwinkit and runs the dialogs (the *_darwin.go
// files). Package app/darwincheck type-checks those files for both Mac
// architectures in Linux CI.
package app
