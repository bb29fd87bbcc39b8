//go:build !darwin

// Command portals-app is the executable of Portals.app, which runs on
// macOS only. Elsewhere it prints that and exits with status 1, and the
// portals command line is the way to run Portals.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "portals-app: Portals.app runs on macOS only; use the portals command (go install ./cmd/portals)")
	os.Exit(1)
}
