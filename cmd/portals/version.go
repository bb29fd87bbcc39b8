package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version is set at release time with -ldflags "-X main.version=x.y.z".
var version = "dev"

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
		fmt.Fprintf(stdout, "portals %s%s %s/%s %s\n", version, revision, runtime.GOOS, runtime.GOARCH, runtime.Version())
		return nil
	}
	return c
}
