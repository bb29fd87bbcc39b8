//go:build darwin

// Command portals-app is the executable of Portals.app: the menubar app,
// or the portals command line when started with arguments.
package main

import (
	"os"

	"github.com/portalsapp/portals/app"
	"github.com/portalsapp/portals/cmd/portals/cli"
)

// version is set at release time with -ldflags "-X main.version=x.y.z",
// as for cmd/portals.
var version = "dev"

func main() {
	cli.Version = version
	os.Exit(app.Main(os.Args[1:], cli.Run, version))
}
