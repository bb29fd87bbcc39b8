// Command portals-icon writes the Portals app icon, drawn by package icns,
// to the path given as its only argument (resources/Portals.icns):
//
//	go run ./packaging/cmd/portals-icon resources/Portals.icns
//
// The committed icon is this command's output; run it again after changing
// the drawing code.
package main

import (
	"fmt"
	"os"

	"github.com/portalsapp/portals/packaging/icns"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: portals-icon OUTPUT.icns")
		os.Exit(2)
	}
	b, err := icns.Encode()
	if err != nil {
		fmt.Fprintln(os.Stderr, "portals-icon:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(os.Args[1], b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "portals-icon: writing the icon:", err)
		os.Exit(1)
	}
}
