package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/portalsapp/portals/engine"
)

func lsCommand() *command {
	c := &command{name: "ls", usage: "ls", shortHelp: "List shared and accepted services with their state"}
	c.run = func(args []string, stdout, stderr io.Writer) error {
		var cf clientFlags
		fs := newFlagSet(c, stderr)
		cf.register(fs)
		if err := parseFlags(fs, args, 0); err != nil {
			return err
		}

		client, err := cf.client()
		if err != nil {
			return err
		}
		ctx, cancel := apiContext(apiTimeout)
		defer cancel()
		snap, err := client.Snapshot(ctx)
		if err != nil {
			return err
		}
		return cf.output(stdout, snap, func() { printList(stdout, snap) })
	}
	return c
}

func printList(w io.Writer, s *engine.Snapshot) {
	fmt.Fprintf(w, "node %s (%s)\n", s.ID, s.DisplayName)
	for _, r := range s.Relays {
		fmt.Fprintf(w, "relay %s: %s%s\n", r.Addr, r.State, errSuffix(r.LastError))
	}

	fmt.Fprintln(w)
	if len(s.Services) == 0 {
		fmt.Fprintln(w, "shared: none (portals share NAME HOST:PORT)")
	} else {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SHARED\tTARGET\tCONNECTIONS\tOPEN INVITES\tACCESS")
		for _, svc := range s.Services {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", svc.Name, svc.Target, svc.Connections, svc.Invitations, accessList(svc.Access))
		}
		tw.Flush()
	}

	fmt.Fprintln(w)
	if len(s.Inlets) == 0 {
		fmt.Fprintln(w, "accepted: none (portals accept LINK)")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCEPTED\tADDRESS\tFROM\tSTATE\tROUTE\tRTT\tCONNECTIONS\tRECEIVED\tSENT")
	for _, in := range s.Inlets {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", in.Name, in.Addr, who(in.PeerName, in.Peer.Short()),
			in.State+errSuffix(in.LastError), dash(in.Route), rtt(in.RTT), in.Connections, bytesText(in.BytesIn), bytesText(in.BytesOut))
	}
	tw.Flush()
}

func accessList(access []engine.AccessStatus) string {
	if len(access) == 0 {
		return "nobody yet (portals invite NAME)"
	}
	var parts []string
	for _, a := range access {
		parts = append(parts, fmt.Sprintf("%s [%d]", who(a.Name, a.ID.Short()), a.Connections))
	}
	return strings.Join(parts, ", ")
}

func who(name, short string) string {
	if name == "" {
		return short
	}
	return name + " " + short
}

func errSuffix(err string) string {
	if err == "" {
		return ""
	}
	const max = 60
	if len(err) > max {
		err = err[:max] + "..."
	}
	return " (" + err + ")"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func rtt(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return d.Round(10 * time.Microsecond).String()
}

// bytesText formats a byte count in SI units.
func bytesText(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
