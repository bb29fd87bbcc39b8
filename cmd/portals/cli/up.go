package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/portalsapp/portals/engine"
	"github.com/portalsapp/portals/engine/localapi"
	"github.com/portalsapp/portals/engine/state"
)

// stringList is a flag that may be given several times.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func upCommand() *command {
	c := &command{
		name:      "up",
		usage:     "up [--listen ADDR] [--relay LINK]",
		shortHelp: "Run the engine in the foreground until interrupted",
	}
	c.run = func(args []string, stdout, stderr io.Writer) error {
		var sf stateFlags
		var listen, relays stringList
		var timing engine.Options
		fs := newFlagSet(c, stderr)
		sf.register(fs)
		fs.Var(&listen, "listen", "host:port on which to accept direct sessions from peers, for this run (repeatable)")
		fs.Var(&relays, "relay", "relay link (portals://relay/...) to register with; saved in the state (repeatable)")
		fs.DurationVar(&timing.KeepAliveInterval, "keepalive", 0, "interval between session keepalive pings; a dead peer is detected within 3 intervals (default 5s)")
		fs.DurationVar(&timing.DialTimeout, "dial-timeout", 0, "how long the outlet waits to connect to a shared service's target (default 5s)")
		fs.DurationVar(&timing.OpenTimeout, "open-timeout", 0, "how long a connection to an inlet waits for the sharer to answer, session setup included (default 15s)")
		fs.DurationVar(&timing.IdleTimeout, "idle-timeout", 0, "reset portal connections that carry no byte either way for this long (default 0: never)")
		if err := parseFlags(fs, args, 0); err != nil {
			return err
		}
		if err := checkTimings(timing); err != nil {
			return err
		}
		return runUp(sf, listen, relays, timing, stderr)
	}
	return c
}

// checkTimings rejects negative durations and ones too short to work: a
// keepalive of a few microseconds would declare every peer dead.
func checkTimings(o engine.Options) error {
	limits := []struct {
		flag  string
		value time.Duration
		min   time.Duration
	}{
		{"--keepalive", o.KeepAliveInterval, 250 * time.Millisecond},
		{"--dial-timeout", o.DialTimeout, 100 * time.Millisecond},
		{"--open-timeout", o.OpenTimeout, 100 * time.Millisecond},
		{"--idle-timeout", o.IdleTimeout, time.Second},
	}
	for _, l := range limits {
		if l.value != 0 && l.value < l.min {
			return usageError{fmt.Sprintf("%s %v is too short: use at least %v, or 0 for the default", l.flag, l.value, l.min)}
		}
	}
	return nil
}

func runUp(sf stateFlags, listen, relays []string, timing engine.Options, stderr io.Writer) error {
	dir, err := state.ResolveDir(sf.stateDir)
	if err != nil {
		return err
	}
	log := newLogger(stderr)
	procs := engine.SetNodeProcs()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	opts := timing
	opts.StateDir, opts.VaultKind, opts.Listen, opts.Logger = dir, sf.vault, listen, log
	e, err := engine.Start(ctx, opts)
	if err != nil {
		return err
	}
	defer e.Close()

	for _, link := range relays {
		if err := e.AddRelay(ctx, link); err != nil {
			return err
		}
	}

	api, err := localapi.Listen(dir, e, log)
	if err != nil {
		return err
	}
	defer api.Close()

	log.Info("engine up; stop it with Ctrl-C", "id", e.ID().String(), "state_dir", dir, "api", localapi.SocketPath(dir), "gomaxprocs", procs)
	<-ctx.Done()
	log.Info("stopping the engine")
	return nil
}
