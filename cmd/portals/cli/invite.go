package cli

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/portalsapp/portals/engine/localapi"
)

func inviteCommand() *command {
	c := &command{name: "invite", usage: "invite NAME [--uses N] [--expires DURATION] | invite NAME --cancel", shortHelp: "Create an invitation link to a shared service, or cancel the open ones"}
	c.run = func(args []string, stdout, stderr io.Writer) error {
		var cf clientFlags
		var uses int
		var expires time.Duration
		var cancelOpen bool
		fs := newFlagSet(c, stderr)
		cf.register(fs)
		fs.IntVar(&uses, "uses", 1, "how many people can redeem the link (1 to 1000)")
		fs.DurationVar(&expires, "expires", 7*24*time.Hour, "how long the link stays valid, such as 30m, 12h or 168h (1m to 8760h)")
		fs.BoolVar(&cancelOpen, "cancel", false, "cancel every open invitation to NAME instead of creating one; people who already accepted keep access")
		client, err := cf.connect(fs, args, 1, "NAME")
		if err != nil {
			return err
		}
		if cancelOpen {
			if flagSet(fs, "uses") || flagSet(fs, "expires") {
				return usageError{"--cancel creates no link, so it takes no --uses or --expires"}
			}
			return cancelInvitations(client, fs.Arg(0), cf, stdout)
		}

		ctx, cancel := apiContext(apiTimeout)
		defer cancel()
		resp, err := client.Invite(ctx, fs.Arg(0), localapi.InviteRequest{Uses: uses, Expires: expires.String()})
		if err != nil {
			return err
		}
		return cf.output(stdout, resp, func() {
			fmt.Fprintln(stdout, resp.Link)
			fmt.Fprintf(stderr, "send this link to your teammate; it works %d time(s) until %s\nthey run: portals accept LINK\n",
				resp.Uses, resp.Expires.Local().Format("2006-01-02 15:04"))
		})
	}
	return c
}

// cancelInvitations runs `portals invite NAME --cancel`.
func cancelInvitations(client *localapi.Client, name string, cf clientFlags, stdout io.Writer) error {
	ctx, cancel := apiContext(apiTimeout)
	defer cancel()
	resp, err := client.CancelInvitations(ctx, name)
	if err != nil {
		return err
	}
	return cf.output(stdout, resp, func() {
		fmt.Fprintf(stdout, "cancelled %d open invitation(s) to %s; people who already accepted keep access until `portals revoke %s WHO`\n",
			resp.Cancelled, resp.Service, resp.Service)
	})
}

// flagSet reports whether the command line set the flag name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func acceptCommand() *command {
	c := &command{name: "accept", usage: "accept LINK [--port N]", shortHelp: "Redeem an invitation and make the service appear on 127.0.0.1"}
	c.run = func(args []string, stdout, stderr io.Writer) error {
		var cf clientFlags
		var port int
		fs := newFlagSet(c, stderr)
		cf.register(fs)
		fs.IntVar(&port, "port", 0, "local port on 127.0.0.1 for the service (default: a free port, kept across restarts)")
		client, err := cf.connect(fs, args, 1, "LINK (in quotes if your shell splits it)")
		if err != nil {
			return err
		}
		ctx, cancel := apiContext(acceptTimeout)
		defer cancel()
		result, err := client.Accept(ctx, fs.Arg(0), port)
		if err != nil {
			return err
		}
		return cf.output(stdout, result, func() {
			fmt.Fprintf(stdout, "%s from %s is now at %s\n", result.Service, result.Peer.Short(), result.Addr)
		})
	}
	return c
}

func revokeCommand() *command {
	c := &command{name: "revoke", usage: "revoke NAME WHO", shortHelp: "Remove someone's access to a service and cut their connections"}
	c.run = func(args []string, stdout, stderr io.Writer) error {
		var cf clientFlags
		fs := newFlagSet(c, stderr)
		cf.register(fs)
		client, err := cf.connect(fs, args, 2, "NAME WHO (an identifier, short form or name from portals ls)")
		if err != nil {
			return err
		}
		ctx, cancel := apiContext(apiTimeout)
		defer cancel()
		resp, err := client.Revoke(ctx, fs.Arg(0), fs.Arg(1))
		if err != nil {
			return err
		}
		return cf.output(stdout, resp, func() {
			fmt.Fprintf(stdout, "revoked %s from %s\n", resp.ID, fs.Arg(0))
		})
	}
	return c
}

func removeCommand() *command {
	c := &command{name: "remove", usage: "remove NAME", shortHelp: "Remove a service shared with you and close its local port"}
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
		snap, err := client.Remove(ctx, fs.Arg(0))
		if err != nil {
			return err
		}
		return cf.output(stdout, snap.Inlets, func() {
			fmt.Fprintf(stdout, "removed %s\n", fs.Arg(0))
		})
	}
	return c
}
