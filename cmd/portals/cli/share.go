package cli

import (
	"fmt"
	"io"

	"github.com/portalsapp/portals/engine/state"
)

func shareCommand() *command {
	c := &command{name: "share", usage: "share NAME HOST:PORT", shortHelp: "Share the local TCP service at HOST:PORT under NAME"}
	c.run = func(args []string, stdout, stderr io.Writer) error {
		var cf clientFlags
		fs := newFlagSet(c, stderr)
		cf.register(fs)
		client, err := cf.connect(fs, args, 2, "NAME HOST:PORT")
		if err != nil {
			return err
		}
		name, target := fs.Arg(0), fs.Arg(1)
		if err := state.ValidateServiceName(name); err != nil {
			return usageError{err.Error()}
		}

		ctx, cancel := apiContext(apiTimeout)
		defer cancel()
		snap, err := client.Share(ctx, name, target)
		if err != nil {
			return err
		}
		return cf.output(stdout, snap.Services, func() {
			fmt.Fprintf(stdout, "sharing %s (%s)\nnext: portals invite %s\n", name, target, name)
		})
	}
	return c
}

func unshareCommand() *command {
	c := &command{name: "unshare", usage: "unshare NAME", shortHelp: "Stop sharing a service and cut its connections"}
	c.run = func(args []string, stdout, stderr io.Writer) error {
		var cf clientFlags
		fs := newFlagSet(c, stderr)
		cf.register(fs)
		client, err := cf.connect(fs, args, 1, "NAME")
		if err != nil {
			return err
		}
		ctx, cancel := apiContext(apiTimeout)
		defer cancel()
		snap, err := client.Unshare(ctx, fs.Arg(0))
		if err != nil {
			return err
		}
		return cf.output(stdout, snap.Services, func() {
			fmt.Fprintf(stdout, "stopped sharing %s\n", fs.Arg(0))
		})
	}
	return c
}
