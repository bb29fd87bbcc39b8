// Package cli is the portals command line: every subcommand, its flags and
// its output. The portals command and Portals.app (started with
// arguments) both run it through Run.
package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
)

// command is one subcommand.
type command struct {
	name      string
	usage     string // the full command line, for help
	shortHelp string // one line, imperative, no trailing period
	run       func(args []string, stdout, stderr io.Writer) error
}

func commands() []*command {
	return []*command{
		shareCommand(),
		unshareCommand(),
		inviteCommand(),
		acceptCommand(),
		lsCommand(),
		revokeCommand(),
		removeCommand(),
		upCommand(),
		idCommand(),
		relayCommand(),
		demoCommand(),
		versionCommand(),
	}
}

// CommandInfo describes one subcommand for documentation and tests.
type CommandInfo struct {
	Name      string
	Usage     string // the command line after "portals"
	ShortHelp string // one line, imperative, no trailing period
}

// Commands lists the subcommands in the order help shows them.
func Commands() []CommandInfo {
	var out []CommandInfo
	for _, c := range commands() {
		out = append(out, CommandInfo{Name: c.name, Usage: c.usage, ShortHelp: c.shortHelp})
	}
	return out
}

// Run executes the command line args (without the program name) and
// returns the exit code: 0 on success, 2 for a usage error, 1 for any other
// failure.
func Run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(stdout)
		return 0
	}

	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(args[1:], stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, new(usageError)):
			fmt.Fprintf(stderr, "portals %s: %v\n", c.name, err)
			return 2
		default:
			fmt.Fprintf(stderr, "portals %s: %v\n", c.name, err)
			return 1
		}
	}

	fmt.Fprintf(stderr, "portals: unknown command %q; run `portals help` for the list\n", args[0])
	return 2
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "Portals makes a TCP service on one computer appear on 127.0.0.1 of another,")
	fmt.Fprintln(w, "through an end-to-end encrypted channel.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-36s %s\n", c.usage, c.shortHelp)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run `portals COMMAND -h` for the flags of a command.")
}

// linkText matches the payload of a pasted invitation or relay link.
var linkText = regexp.MustCompile(`(?i)(portals://[a-z]+/)[a-z0-9]+`)

// redactLinks shortens every link in msg to its prefix, because links
// carry secrets and error messages end up in terminals' scrollback and
// in bug reports.
func redactLinks(msg string) string {
	return linkText.ReplaceAllString(msg, "${1}…")
}

// usageError is a mistake in the command line, reported with exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// newFlagSet returns a flag set whose errors are returned, not printed
// with os.Exit, and whose help lists the flags with their units.
func newFlagSet(c *command, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: portals %s\n\n%s.\n", c.usage, c.shortHelp)
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprint(stderr, "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args, with flags allowed before, between and after
// the positional arguments, and rejects positional arguments beyond
// maxArgs. After it, fs.Args() holds the positional arguments only.
func parseFlags(fs *flag.FlagSet, args []string, maxArgs int) error {
	// The flag package prints its own error and the usage; send that
	// through redactLinks too.
	out := fs.Output()
	var printed bytes.Buffer
	fs.SetOutput(&printed)
	defer func() {
		fs.SetOutput(out)
		io.WriteString(out, redactLinks(printed.String()))
	}()

	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return usageError{redactLinks(err.Error())}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}

	if len(positional) > maxArgs {
		return usageError{redactLinks(fmt.Sprintf("unexpected arguments: %s", strings.Join(positional[maxArgs:], " ")))}
	}
	fs.Parse(append([]string{"--"}, positional...))
	return nil
}

// stateFlags are the flags every command that touches a state directory
// takes.
type stateFlags struct {
	stateDir string
	vault    string
}

func (f *stateFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.stateDir, "state-dir", "", "state directory (default: $PORTALS_HOME, else the platform's config directory)")
	fs.StringVar(&f.vault, "vault", "auto", `where secrets are kept: "auto", "keyring" or "file" (default from $PORTALS_VAULT)`)
}

// newLogger returns the logger for long-running commands: text on stderr,
// debug level when PORTALS_LOG=debug.
func newLogger(stderr io.Writer) *slog.Logger {
	level := slog.LevelInfo
	if os.Getenv("PORTALS_LOG") == "debug" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
}
