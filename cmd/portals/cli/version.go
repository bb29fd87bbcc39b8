package cli

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// Version is the version this build reports. The main package sets it
// from its own version variable, which releases set with
// -ldflags "-X main.version=x.y.z".
var Version = "dev"

func versionCommand() *command {
	c := &command{name: "version", usage: "version", shortHelp: "Print the version of this build"}
	c.run = func(args []string, stdout, stderr io.Writer) error {
		fs := newFlagSet(c, stderr)
		if err := parseFlags(fs, args, 0); err != nil {
			return err
		}

		revision := ""
		if info, ok := debug.ReadBuildInfo(); ok {
			for _, s := range info.Settings {
				if s.Key == "vcs.revision" {
					revision = " " + s.Value
				}
			}
		}
		fmt.Fprintf(stdout, "portals %s%s %s/%s %s\n", Version, revision, runtime.GOOS, runtime.GOARCH, runtime.Version())
		return nil
	}
	return c
}
