package invite

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/portalsapp/portals/engine/state"
)

// ErrInvalidServiceName is wrapped by every error that ValidateServiceName
// returns.
var ErrInvalidServiceName = errors.New("invite: invalid service name")

// ValidateServiceName checks that name is 1 to MaxServiceNameLen bytes of
// lowercase letters, digits, '.', '_' and '-', starting with a letter or
// digit. The narrow alphabet keeps names safe in links, file names, shell
// arguments and log lines. The error wraps ErrInvalidServiceName and quotes
// the name.
func ValidateServiceName(name string) error {
	if problem := serviceNameProblem(name); problem != "" {
		return fmt.Errorf("%w %q: %s", ErrInvalidServiceName, abbreviate(name), problem)
	}
	return nil
}

// serviceNameProblem describes what is wrong with name, or returns "".
func serviceNameProblem(name string) string {
	switch {
	case name == "":
		return "the name is empty"
	case len(name) > MaxServiceNameLen:
		return fmt.Sprintf("the name is %d bytes long, more than %d: shorten it", len(name), MaxServiceNameLen)
	case !isLowerAlnum(rune(name[0])):
		return "the name must start with a lowercase letter or a digit"
	}

	if i := strings.IndexFunc(name, notServiceNameChar); i >= 0 {
		r, _ := utf8.DecodeRuneInString(name[i:])
		return fmt.Sprintf("character %+q at offset %d is not allowed: use a-z, 0-9, '.', '_' and '-'", r, i)
	}
	return ""
}

// isLowerAlnum reports whether r is an ASCII lowercase letter or digit.
func isLowerAlnum(r rune) bool {
	return 'a' <= r && r <= 'z' || '0' <= r && r <= '9'
}

// notServiceNameChar reports whether r cannot appear in a service name.
func notServiceNameChar(r rune) bool {
	return !isLowerAlnum(r) && r != '.' && r != '_' && r != '-'
}

// check validates every field of l against the limits of the payload.
func (l Link) check() error {
	if l.Sharer.IsZero() {
		return fmt.Errorf("%w: the sharer identifier is all zeros", ErrInvalidLink)
	}
	if l.Secret == ([SecretSize]byte{}) {
		return fmt.Errorf("%w: the secret is all zeros", ErrInvalidLink)
	}
	if sec := l.Expires.Unix(); l.Expires.IsZero() || sec < minExpiryUnix || sec > maxExpiryUnix {
		return fmt.Errorf("%w: the expiry %d (Unix seconds) is outside 1970 to 9999", ErrInvalidLink, sec)
	}

	if problem := serviceNameProblem(l.Service); problem != "" {
		return fmt.Errorf("%w: invalid service name %q: %s", ErrInvalidLink, abbreviate(l.Service), problem)
	}
	if err := checkSharerName(l.SharerName); err != nil {
		return err
	}
	return checkRoutes(l.Routes)
}

// checkSharerName checks the display name: at most MaxSharerNameLen bytes
// of UTF-8 without control characters, the same rules as the state file.
//
// NOTE: invisible format characters such as bidirectional overrides pass,
// so a crafted name can still look like another one. The sharer
// identifier, not the name, is what the accepting node pins.
func checkSharerName(name string) error {
	switch {
	case len(name) > MaxSharerNameLen:
		return fmt.Errorf("%w: the sharer name is %d bytes long, more than %d", ErrInvalidLink, len(name), MaxSharerNameLen)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: the sharer name %q is not valid UTF-8", ErrInvalidLink, abbreviate(name))
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return fmt.Errorf("%w: the sharer name %q contains a control character", ErrInvalidLink, abbreviate(name))
	}
	return nil
}

// checkRoutes checks the route count and every route.
func checkRoutes(routes []state.Route) error {
	if len(routes) == 0 || len(routes) > MaxRoutes {
		return fmt.Errorf("%w: invalid route list: it has %d routes, want 1 to %d", ErrInvalidLink, len(routes), MaxRoutes)
	}

	for i, route := range routes {
		if err := checkRoute(route); err != nil {
			return fmt.Errorf("%w: invalid route %d: %w", ErrInvalidLink, i+1, err)
		}
	}
	return nil
}

// checkRoute checks that route is either direct or through a relay with
// its identifier. The error is a bare problem description, without the
// ErrInvalidLink prefix.
func checkRoute(route state.Route) error {
	switch {
	case route.Direct != "" && (route.Relay != "" || !route.RelayID.IsZero()):
		return errors.New("it is both direct and through a relay")
	case route.Direct != "":
		return checkAddr(route.Direct)
	case route.Relay == "":
		return errors.New("it has no address")
	case route.RelayID.IsZero():
		return fmt.Errorf("relay %q has no identifier", abbreviate(route.Relay))
	}
	return checkAddr(route.Relay)
}

// checkAddr checks that addr is "host:port" of at most maxAddrLen bytes,
// with a non-empty host without spaces or control characters, and a port
// from 1 to 65535.
func checkAddr(addr string) error {
	if len(addr) > maxAddrLen {
		return fmt.Errorf("address %q is %d bytes long, more than %d", abbreviate(addr), len(addr), maxAddrLen)
	}

	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q is not host:port", abbreviate(addr))
	}
	if host == "" || strings.ContainsFunc(host, notHostChar) {
		return fmt.Errorf("address %q has an empty host or a space or control character in it", abbreviate(addr))
	}

	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		return fmt.Errorf("address %q has port %q, want 1 to 65535", abbreviate(addr), abbreviate(port))
	}
	return nil
}

// notHostChar reports characters that no host name or address contains.
func notHostChar(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError
}

// abbreviate cuts s to 40 bytes at a character boundary, so that an error
// quoting a pasted value stays readable.
func abbreviate(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}

	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
