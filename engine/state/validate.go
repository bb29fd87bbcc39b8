package state

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/portalsapp/portals/engine/identity"
)

// MaxNameLen bounds a display name or peer name, in bytes of UTF-8.
const MaxNameLen = 64

// Validate checks every field of s and returns the first problem as an
// error that wraps ErrInvalid and a *FieldError. The rules are:
//   - the version is Version;
//   - every address is host:port with a port from 1 to 65535;
//   - every identifier is set;
//   - no relay, peer, listen address or route appears twice;
//   - each route is either direct or through a relay;
//   - names are at most MaxNameLen bytes of UTF-8 without control characters.
func (s *State) Validate() error {
	if err := s.validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

func (s *State) validate() error {
	if s.Version != Version {
		return fieldError("version", strconv.Itoa(s.Version), fmt.Sprintf("this build reads and writes version %d: set \"version\": %d", Version, Version))
	}
	if err := checkName("display_name", s.DisplayName); err != nil {
		return err
	}
	if err := checkListen(s.Listen); err != nil {
		return err
	}
	if err := checkRelays(s.Relays); err != nil {
		return err
	}
	if err := checkPeers(s.Peers); err != nil {
		return err
	}
	if err := checkServices(s.Services); err != nil {
		return err
	}
	return checkInlets(s.Inlets, s.Peers)
}

func checkListen(addrs []string) error {
	seen := map[string]string{}
	for i, addr := range addrs {
		path := indexPath("listen", i)
		if err := checkAddr(path, addr, true); err != nil {
			return err
		}
		if err := checkUnique(seen, path, addr, addr); err != nil {
			return err
		}
	}
	return nil
}

func checkRelays(relays []Relay) error {
	seenAddr := map[string]string{}
	seenID := map[string]string{}
	for i, relay := range relays {
		path := indexPath("relays", i)
		if err := checkAddr(joinPath(path, "addr"), relay.Addr, false); err != nil {
			return err
		}
		if err := checkID(joinPath(path, "id"), relay.ID); err != nil {
			return err
		}
		if err := checkUnique(seenAddr, joinPath(path, "addr"), relay.Addr, relay.Addr); err != nil {
			return err
		}
		if err := checkUnique(seenID, joinPath(path, "id"), relay.ID.String(), relay.ID.String()); err != nil {
			return err
		}
	}
	return nil
}

func checkPeers(peers []Peer) error {
	seen := map[string]string{}
	for i, peer := range peers {
		path := indexPath("peers", i)
		if err := checkID(joinPath(path, "id"), peer.ID); err != nil {
			return err
		}
		if err := checkUnique(seen, joinPath(path, "id"), peer.ID.String(), peer.ID.String()); err != nil {
			return err
		}
		if err := checkName(joinPath(path, "name"), peer.Name); err != nil {
			return err
		}
		if err := checkRoutes(joinPath(path, "routes"), peer.Routes); err != nil {
			return err
		}
	}
	return nil
}

func checkRoutes(path string, routes []Route) error {
	if len(routes) == 0 {
		return fieldError(path, "", "a peer needs at least one route: add a direct or relay route, or remove the peer")
	}

	seen := map[string]string{}
	for i, route := range routes {
		routePath := indexPath(path, i)
		if err := checkRoute(routePath, route); err != nil {
			return err
		}
		key := route.Direct + "|" + route.Relay + "|" + route.RelayID.String()
		if err := checkUnique(seen, routePath, key, route.Direct+route.Relay); err != nil {
			return err
		}
	}
	return nil
}

// checkRoute checks that route is direct, or through a relay with its
// identifier, and not both.
func checkRoute(path string, route Route) error {
	switch {
	case route.Direct != "" && (route.Relay != "" || !route.RelayID.IsZero()):
		return fieldError(path, "", "a route is either direct or through a relay: split it into two routes")
	case route.Direct != "":
		return checkAddr(joinPath(path, "direct"), route.Direct, false)
	case route.Relay != "":
		if err := checkAddr(joinPath(path, "relay"), route.Relay, false); err != nil {
			return err
		}
		return checkID(joinPath(path, "relay_id"), route.RelayID)
	case !route.RelayID.IsZero():
		return fieldError(joinPath(path, "relay"), "", "relay_id is set but relay is missing: add the relay's host:port")
	default:
		return fieldError(path, "", "the route is empty: set direct, or relay and relay_id, or remove it")
	}
}

// checkAddr checks that addr is host:port with a numeric port from 1 to
// 65535. An empty host, meaning every local interface, is allowed only
// when emptyHost is true (for listen addresses).
func checkAddr(path, addr string, emptyHost bool) error {
	const example = "write host:port, such as relay.example.com:7443 or 192.0.2.1:7443"
	if addr == "" {
		return fieldError(path, "", "the address is missing: "+example)
	}

	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fieldError(path, addr, "not a host:port address: "+example)
	}
	if host == "" && !emptyHost {
		return fieldError(path, addr, "the host is missing: "+example)
	}
	if strings.IndexFunc(host, notHostChar) >= 0 {
		return fieldError(path, addr, "the host contains a space or control character: "+example)
	}

	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		return fieldError(path, addr, "the port must be a number from 1 to 65535: "+example)
	}
	return nil
}

// notHostChar reports characters that no host name or address contains.
func notHostChar(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r)
}

// checkID checks that id is set. A parsed identifier is otherwise valid;
// only a State built in code can hold the zero identifier.
func checkID(path string, id identity.ID) error {
	if id.IsZero() {
		return fieldError(path, "", "the identifier is missing: copy the full identifier, starting with "+identity.IDPrefix)
	}
	return nil
}

// checkName checks a display name or peer name.
func checkName(path, name string) error {
	switch {
	case len(name) > MaxNameLen:
		return fieldError(path, name, fmt.Sprintf("the name is %d bytes long, more than %d: shorten it", len(name), MaxNameLen))
	case !utf8.ValidString(name):
		return fieldError(path, name, "the name is not valid UTF-8: retype it")
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return fieldError(path, name, "the name contains a control character such as a tab or line break: remove it")
	}
	return nil
}

// checkUnique records key for path in seen and fails, quoting value, when
// an earlier path had the same key.
func checkUnique(seen map[string]string, path, key, value string) error {
	if first, ok := seen[key]; ok {
		return fieldError(path, value, "the same as "+first+": remove one of them")
	}
	seen[key] = path
	return nil
}
