// Command portals shares a local TCP service with a teammate through an
// end-to-end encrypted portal, and runs the engine and the relay.
package main

import (
	"os"

	"github.com/portalsapp/portals/cmd/portals/cli"
)

// version is set at release time with -ldflags "-X main.version=x.y.z".
var version = "dev"

func main() {
	cli.Version = version
	os.Exit(cli.Run(os.Args[1:], os.Stdout, os.Stderr))
}
