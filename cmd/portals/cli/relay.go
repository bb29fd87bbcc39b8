package cli

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/portalsapp/portals/engine"
	"github.com/portalsapp/portals/engine/channel"
	"github.com/portalsapp/portals/engine/identity"
	"github.com/portalsapp/portals/engine/relay"
	"github.com/portalsapp/portals/engine/state"
	"github.com/portalsapp/portals/engine/vault"
)

// Relay state: the relay keeps its identity and registration secret in the
// vault of its own state directory, and the address it advertises in
// relayInfoFile, so that `portals relay link` can print the link later.
const (
	relaySubdir      = "relay"
	relaySecretName  = "relay-secret"
	relayInfoFile    = "relay.json"
	relaySecretBytes = 32
)

// relayInfo is the content of relayInfoFile.
type relayInfo struct {
	Advertise string `json:"advertise"`
}

func relayCommand() *command {
	c := &command{
		name:      "relay",
		usage:     "relay [--listen ADDR] [--advertise ADDR] | relay link",
		shortHelp: "Run a relay, or print its link",
	}
	c.run = func(args []string, stdout, stderr io.Writer) error {
		if len(args) > 0 && args[0] == "link" {
			return runRelayLink(c, args[1:], stdout, stderr)
		}
		return runRelay(c, args, stdout, stderr)
	}
	return c
}

func runRelay(c *command, args []string, stdout, stderr io.Writer) error {
	var sf stateFlags
	var listen, advertise string
	var allow stringList
	var printLink bool
	fs := newFlagSet(c, stderr)
	sf.register(fs)
	fs.StringVar(&listen, "listen", ":7700", "host:port on which the relay accepts nodes")
	fs.StringVar(&advertise, "advertise", "", "host:port that nodes dial, written into the relay link (default: the listen address, with this host's name when the host is empty)")
	fs.Var(&allow, "allow", "identifier of a node that may register without the secret (repeatable)")
	fs.BoolVar(&printLink, "print-link", false, "print the relay link, which contains the registration secret, even when standard output is not a terminal")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}

	dir, err := relayStateDir(sf.stateDir)
	if err != nil {
		return err
	}
	lock, err := state.Lock(dir)
	if err != nil {
		return err
	}
	defer lock.Close()

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w; choose another --listen address", listen, err)
	}
	if advertise == "" {
		advertise = defaultAdvertise(ln.Addr().(*net.TCPAddr))
	}

	log := newLogger(stderr)
	srv, link, err := startRelayServer(dir, sf.vault, advertise, allow, log)
	if err != nil {
		ln.Close()
		return err
	}
	if printLink || isTerminal(stdout) {
		fmt.Fprintf(stdout, "relay link (give it to the nodes that share through this relay; it contains the registration secret):\n%s\n", link)
	} else {
		// Standard output may be a log file or the journal, which must
		// never hold the secret.
		fmt.Fprintf(stdout, "relay up; print its link with: portals relay link --state-dir %s\n", dir)
	}
	log.Info("relay up", "listen", ln.Addr().String(), "advertise", advertise, "id", srv.ID().String())

	return serveUntilSignal(srv, ln, log)
}

func serveUntilSignal(srv *relay.Server, ln net.Listener, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		log.Info("stopping the relay")
		srv.Close()
		<-served
		return nil
	case err := <-served:
		return err
	}
}

func runRelayLink(c *command, args []string, stdout, stderr io.Writer) error {
	var sf stateFlags
	fs := newFlagSet(c, stderr)
	sf.register(fs)
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}

	dir, err := relayStateDir(sf.stateDir)
	if err != nil {
		return err
	}
	info, err := loadRelayInfo(dir)
	if err != nil {
		return err
	}
	_, link, err := newRelayServer(dir, sf.vault, info.Advertise, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, link)
	return nil
}

// relayStateDir is --state-dir when given, else the "relay" directory
// inside the default state directory, so a node and a relay on one
// computer do not share a lock.
func relayStateDir(flagValue string) (string, error) {
	if flagValue != "" {
		return state.ResolveDir(flagValue)
	}
	base, err := state.ResolveDir("")
	if err != nil {
		return "", err
	}
	return state.ResolveDir(filepath.Join(base, relaySubdir))
}

// startRelayServer builds the relay server and records the advertised
// address for `portals relay link`.
func startRelayServer(dir, vaultKind, advertise string, allow []string, log *slog.Logger) (*relay.Server, string, error) {
	srv, link, err := newRelayServer(dir, vaultKind, advertise, allow, log)
	if err != nil {
		return nil, "", err
	}
	if err := saveRelayInfo(dir, relayInfo{Advertise: advertise}); err != nil {
		return nil, "", err
	}
	return srv, link, nil
}

// newRelayServer loads or creates the relay's identity and secret and
// returns the server with its link text.
func newRelayServer(dir, vaultKind, advertise string, allow []string, log *slog.Logger) (*relay.Server, string, error) {
	srv, err := buildRelayServer(dir, vaultKind, advertise, allow, log)
	if err != nil {
		return nil, "", err
	}
	link, err := srv.Link()
	if err != nil {
		return nil, "", err
	}
	return srv, link.String(), nil
}

func buildRelayServer(dir, vaultKind, advertise string, allow []string, log *slog.Logger) (*relay.Server, error) {
	kind, err := vault.ResolveKind(vaultKind)
	if err != nil {
		return nil, err
	}
	v, err := vault.Open(vault.Options{StateDir: dir, Kind: kind})
	if err != nil {
		return nil, err
	}
	id, err := engine.LoadOrCreateIdentity(v)
	if err != nil {
		return nil, err
	}
	secret, err := loadOrCreateSecret(v)
	if err != nil {
		return nil, err
	}
	allowlist, err := parseIDs(allow)
	if err != nil {
		return nil, err
	}

	creds, err := channel.NewCredentials(id, "relay", 0)
	if err != nil {
		return nil, err
	}
	return relay.NewServer(relay.Config{Credentials: creds, Secret: secret, Allowlist: allowlist, AdvertiseAddr: advertise, Logger: log})
}

func loadOrCreateSecret(v vault.Vault) ([]byte, error) {
	secret, err := v.Get(relaySecretName)
	if err == nil {
		return secret, nil
	}
	if !errors.Is(err, vault.ErrNotFound) {
		return nil, err
	}
	secret = make([]byte, relaySecretBytes)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	return secret, v.Set(relaySecretName, secret)
}

func parseIDs(texts []string) ([]identity.ID, error) {
	var ids []identity.ID
	for _, t := range texts {
		id, err := identity.ParseID(t)
		if err != nil {
			return nil, usageError{fmt.Sprintf("--allow: %v", err)}
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func defaultAdvertise(addr *net.TCPAddr) string {
	if addr.IP.IsUnspecified() {
		if host, err := os.Hostname(); err == nil {
			return net.JoinHostPort(host, fmt.Sprint(addr.Port))
		}
	}
	return addr.String()
}

func saveRelayInfo(dir string, info relayInfo) error {
	data, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dir, relayInfoFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

func loadRelayInfo(dir string) (relayInfo, error) {
	path := filepath.Join(dir, relayInfoFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return relayInfo{}, fmt.Errorf("no relay has run with state directory %s yet; start one with `portals relay --state-dir %s`", dir, dir)
	}
	if err != nil {
		return relayInfo{}, err
	}
	var info relayInfo
	if err := json.Unmarshal(data, &info); err != nil || info.Advertise == "" {
		return relayInfo{}, fmt.Errorf("%s is damaged; start the relay again to rewrite it", path)
	}
	return info, nil
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
