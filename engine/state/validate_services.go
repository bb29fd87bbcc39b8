package state

import (
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// MaxServiceNameLen bounds a service or inlet name, in bytes.
const MaxServiceNameLen = 64

// ValidateServiceName checks a service or inlet name: 1 to
// MaxServiceNameLen characters from a-z, 0-9, '.', '_' and '-', starting
// with a letter or digit. Names appear in commands, links and menus, so
// they are kept plain.
func ValidateServiceName(name string) error {
	if err := checkServiceName("name", name); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return nil
}

// ValidateTarget checks a service target: host:port with a port from 1 to
// 65535, such as localhost:5432.
func ValidateTarget(target string) error {
	const example = "write host:port, such as localhost:5432 or 127.0.0.1:8080"
	host, port, err := net.SplitHostPort(target)
	if err != nil || host == "" || strings.IndexFunc(host, notHostChar) >= 0 {
		return fmt.Errorf("invalid target %q: %s", target, example)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return fmt.Errorf("invalid target %q: the port must be a number from 1 to 65535", target)
	}
	return nil
}

func checkServiceName(path, name string) error {
	const rule = "use 1 to 64 characters from a-z, 0-9, '.', '_' and '-', starting with a letter or digit"
	if name == "" || len(name) > MaxServiceNameLen {
		return fieldError(path, name, "invalid name: "+rule)
	}
	for i, r := range name {
		letterOrDigit := r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
		switch {
		case !letterOrDigit && r != '.' && r != '_' && r != '-':
			return fieldError(path, name, fmt.Sprintf("invalid character %q: %s", r, rule))
		case i == 0 && !letterOrDigit:
			return fieldError(path, name, fmt.Sprintf("it starts with %q: %s", r, rule))
		}
	}
	return nil
}

func checkServices(services []Service) error {
	seen := map[string]string{}
	for i, svc := range services {
		path := indexPath("services", i)
		if err := checkServiceName(joinPath(path, "name"), svc.Name); err != nil {
			return err
		}
		if err := checkUnique(seen, joinPath(path, "name"), svc.Name, svc.Name); err != nil {
			return err
		}
		if err := checkAddr(joinPath(path, "target"), svc.Target, false); err != nil {
			return err
		}
		if err := checkAccess(joinPath(path, "access"), svc.Access); err != nil {
			return err
		}
		if err := checkInvitations(joinPath(path, "invitations"), svc.Invitations); err != nil {
			return err
		}
	}
	return nil
}

func checkAccess(path string, access []Access) error {
	seen := map[string]string{}
	for i, a := range access {
		entry := indexPath(path, i)
		if err := checkID(joinPath(entry, "id"), a.ID); err != nil {
			return err
		}
		if err := checkUnique(seen, joinPath(entry, "id"), a.ID.String(), a.ID.String()); err != nil {
			return err
		}
		if err := checkName(joinPath(entry, "name"), a.Name); err != nil {
			return err
		}
	}
	return nil
}

func checkInvitations(path string, invitations []Invitation) error {
	seen := map[string]string{}
	for i, inv := range invitations {
		entry := indexPath(path, i)
		hash, err := hex.DecodeString(inv.Hash)
		if err != nil || len(hash) != 32 {
			return fieldError(joinPath(entry, "hash"), inv.Hash, "not 64 hex digits: remove the invitation and create a new one")
		}
		if err := checkUnique(seen, joinPath(entry, "hash"), inv.Hash, inv.Hash); err != nil {
			return err
		}
		if inv.UsesLeft < 0 {
			return fieldError(joinPath(entry, "uses_left"), strconv.Itoa(inv.UsesLeft), "must be 0 or more")
		}
		if !inv.Expires.After(inv.Created) {
			return fieldError(joinPath(entry, "expires"), inv.Expires.String(), "must be after created")
		}
		for k, id := range inv.RedeemedBy {
			if err := checkID(indexPath(joinPath(entry, "redeemed_by"), k), id); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkInlets(inlets []Inlet, peers []Peer) error {
	known := map[string]bool{}
	for _, p := range peers {
		known[p.ID.String()] = true
	}
	names, ports := map[string]string{}, map[string]string{}
	for i, in := range inlets {
		path := indexPath("inlets", i)
		if err := checkServiceName(joinPath(path, "name"), in.Name); err != nil {
			return err
		}
		if err := checkUnique(names, joinPath(path, "name"), in.Name, in.Name); err != nil {
			return err
		}
		if err := checkServiceName(joinPath(path, "service"), in.Service); err != nil {
			return err
		}
		if err := checkID(joinPath(path, "peer"), in.Peer); err != nil {
			return err
		}
		if !known[in.Peer.String()] {
			return fieldError(joinPath(path, "peer"), in.Peer.String(), "no entry in peers has this identifier: add the peer with its routes, or remove the inlet")
		}
		if in.Port < 1 || in.Port > 65535 {
			return fieldError(joinPath(path, "port"), strconv.Itoa(in.Port), "the port must be a number from 1 to 65535")
		}
		port := strconv.Itoa(in.Port)
		if err := checkUnique(ports, joinPath(path, "port"), port, port); err != nil {
			return err
		}
	}
	return nil
}
