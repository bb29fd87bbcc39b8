package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/portalsapp/portals/engine/localapi"
	"github.com/portalsapp/portals/engine/state"
)

// apiTimeout bounds a local API call. Accepting an invitation reaches the
// sharer, so it gets longer.
const (
	apiTimeout    = 10 * time.Second
	acceptTimeout = 45 * time.Second
)

// clientFlags are the flags of every command that talks to the engine.
type clientFlags struct {
	stateFlags
	json bool
}

func (f *clientFlags) register(fs *flag.FlagSet) {
	f.stateFlags.register(fs)
	fs.BoolVar(&f.json, "json", false, "print the result as JSON, for scripts")
}

// client returns a local API client for the state directory.
func (f *clientFlags) client() (*localapi.Client, error) {
	dir, err := state.ResolveDir(f.stateDir)
	if err != nil {
		return nil, err
	}
	return localapi.NewClient(dir), nil
}

func apiContext(timeout time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), timeout)
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// output prints v as JSON with --json, or runs human otherwise.
func (f *clientFlags) output(w io.Writer, v any, human func()) error {
	if f.json {
		return printJSON(w, v)
	}
	human()
	return nil
}

// connect parses args, which must hold exactly n positional arguments
// (described by names for the error), and returns a client for the engine.
func (f *clientFlags) connect(fs *flag.FlagSet, args []string, n int, names string) (*localapi.Client, error) {
	if err := parseFlags(fs, args, n); err != nil {
		return nil, err
	}
	if err := needArgs(fs, n, names); err != nil {
		return nil, err
	}
	return f.client()
}

// needArgs checks the count of positional arguments.
func needArgs(fs *flag.FlagSet, n int, names string) error {
	if fs.NArg() != n {
		return usageError{fmt.Sprintf("want %s, got %d arguments", names, fs.NArg())}
	}
	return nil
}
