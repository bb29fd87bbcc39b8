package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/portalsapp/portals/engine/channel"
	"github.com/portalsapp/portals/engine/identity"
	"github.com/portalsapp/portals/engine/invite"
	"github.com/portalsapp/portals/engine/portal"
	"github.com/portalsapp/portals/engine/session"
	"github.com/portalsapp/portals/engine/state"
)

// Invitation defaults and limits.
const (
	DefaultInviteUses = 1
	DefaultInviteTTL  = 7 * 24 * time.Hour
	maxInviteUses     = 1000
	maxInviteTTL      = 365 * 24 * time.Hour
	minInviteTTL      = time.Minute
)

// ServiceInfo is the service description a sharer sends after a
// successful redemption.
type ServiceInfo struct {
	Service string `json:"service"`
}

// Share adds a service under name that the outlet reaches at target
// ("host:port"). Sharing a name again with the same target does nothing;
// with another target it fails.
func (e *Engine) Share(name, target string) error {
	if err := state.ValidateServiceName(name); err != nil {
		return err
	}
	if err := state.ValidateTarget(target); err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	return e.updateState(func(st *state.State) error {
		for _, svc := range st.Services {
			if svc.Name != name {
				continue
			}
			if svc.Target == target {
				return nil
			}
			return fmt.Errorf("engine: service %q is already shared with target %s; run `portals unshare %s` first or pick another name", name, svc.Target, name)
		}
		st.Services = append(st.Services, state.Service{Name: name, Target: target})
		return nil
	})
}

// Unshare stops sharing a service: its access list and invitations are
// deleted and its live connections cut.
func (e *Engine) Unshare(name string) error {
	err := e.updateState(func(st *state.State) error {
		i := serviceIndex(st, name)
		if i < 0 {
			return fmt.Errorf("engine: no shared service is named %q; `portals ls` lists them", name)
		}
		st.Services = slices.Delete(st.Services, i, i+1)
		return nil
	})
	if err != nil {
		return err
	}
	e.resetConns(func(c *liveConn) bool { return c.service == name })
	return nil
}

// Invite creates an invitation to service name, redeemable uses times
// until ttl from now, and returns its link. Zero values mean the defaults.
func (e *Engine) Invite(name string, uses int, ttl time.Duration) (string, error) {
	uses, ttl, err := inviteLimits(uses, ttl)
	if err != nil {
		return "", err
	}
	var secret [32]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return "", fmt.Errorf("engine: generating an invitation secret: %w", err)
	}

	now := time.Now().UTC().Truncate(time.Second)
	link := invite.Link{Sharer: e.ID(), Secret: secret, Expires: now.Add(ttl), Service: name}
	hash := invite.HashSecret(secret)
	err = e.updateState(func(st *state.State) error {
		i := serviceIndex(st, name)
		if i < 0 {
			return fmt.Errorf("engine: no shared service is named %q; share it first with `portals share %s HOST:PORT`", name, name)
		}
		link.SharerName = displayName(st)
		link.Routes = e.routesLocked(st)
		if len(link.Routes) == 0 {
			return errors.New("engine: this node has no route a peer could use: add a relay with `portals up --relay LINK` or listen with `portals up --listen ADDR`")
		}
		st.Services[i].Invitations = append(st.Services[i].Invitations, state.Invitation{
			Hash: hex.EncodeToString(hash[:]), Created: now, Expires: now.Add(ttl), UsesLeft: uses,
		})
		return nil
	})
	if err != nil {
		return "", err
	}
	e.log.Info("invitation created", "service", name, "uses", uses, "expires", link.Expires)
	return link.Text()
}

// CancelInvitations deletes every invitation to service name, so no link
// to it can be redeemed again, and returns how many were still open (uses
// left, not expired). People who already redeemed one keep their access,
// which Revoke removes.
func (e *Engine) CancelInvitations(name string) (int, error) {
	var cancelled int
	now := time.Now()
	err := e.updateState(func(st *state.State) error {
		i := serviceIndex(st, name)
		if i < 0 {
			return fmt.Errorf("engine: no shared service is named %q: run `portals ls` to list them", name)
		}
		for _, inv := range st.Services[i].Invitations {
			if inv.UsesLeft > 0 && now.Before(inv.Expires) {
				cancelled++
			}
		}
		st.Services[i].Invitations = nil
		return nil
	})
	if err != nil {
		return 0, err
	}
	e.log.Info("invitations cancelled", "service", name, "count", cancelled)
	return cancelled, nil
}

func inviteLimits(uses int, ttl time.Duration) (int, time.Duration, error) {
	if uses == 0 {
		uses = DefaultInviteUses
	}
	if ttl == 0 {
		ttl = DefaultInviteTTL
	}
	if uses < 1 || uses > maxInviteUses {
		return 0, 0, fmt.Errorf("engine: invitation uses %d is out of range: use 1 to %d", uses, maxInviteUses)
	}
	if ttl < minInviteTTL || ttl > maxInviteTTL {
		return 0, 0, fmt.Errorf("engine: invitation lifetime %v is out of range: use %v to %v", ttl, minInviteTTL, maxInviteTTL)
	}
	return uses, ttl, nil
}

// routesLocked lists the routes a peer can use to reach this node: each
// listener with a specific address, and each relay. e.mu must be held.
func (e *Engine) routesLocked(st *state.State) []state.Route {
	var routes []state.Route
	for _, l := range e.listeners {
		addr := l.ln.Addr().(*net.TCPAddr)
		if !addr.IP.IsUnspecified() {
			routes = append(routes, state.Route{Direct: addr.String()})
		}
	}
	slices.SortFunc(routes, func(a, b state.Route) int { return strings.Compare(a.Direct, b.Direct) })
	for _, r := range st.Relays {
		routes = append(routes, state.Route{Relay: r.Addr, RelayID: r.ID})
	}
	return routes
}

// Revoke removes who from the access list of service name and cuts its
// live connections to that service. who is a full identifier, a short
// form, or a display name, and must match exactly one entry.
func (e *Engine) Revoke(name, who string) (identity.ID, error) {
	var revoked identity.ID
	err := e.updateState(func(st *state.State) error {
		i := serviceIndex(st, name)
		if i < 0 {
			return fmt.Errorf("engine: no shared service is named %q; `portals ls` lists them", name)
		}
		j, err := matchAccess(st.Services[i].Access, who)
		if err != nil {
			return fmt.Errorf("engine: service %q: %w", name, err)
		}
		revoked = st.Services[i].Access[j].ID
		st.Services[i].Access = slices.Delete(st.Services[i].Access, j, j+1)
		return nil
	})
	if err != nil {
		return identity.ID{}, err
	}

	cut := e.resetConns(func(c *liveConn) bool { return c.service == name && c.peer == revoked })
	e.log.Info("access revoked", "service", name, "peer", revoked.Short(), "connections_cut", cut)
	return revoked, nil
}

func matchAccess(access []state.Access, who string) (int, error) {
	var matches []int
	for i, a := range access {
		if a.ID.String() == strings.ToLower(who) || a.ID.Short() == who || a.Name == who {
			matches = append(matches, i)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return 0, fmt.Errorf("nobody on the access list matches %q: give the identifier or name that `portals ls` shows", who)
	default:
		return 0, fmt.Errorf("%d entries on the access list match %q: give the full identifier", len(matches), who)
	}
}

func serviceIndex(st *state.State, name string) int {
	return slices.IndexFunc(st.Services, func(s state.Service) bool { return s.Name == name })
}

// handlePortal authorizes a portal stream, dials the target and joins the
// two. The peer must be on the service's access list.
func (e *Engine) handlePortal(ctx context.Context, sess *session.Session, peer channel.Peer, name string) session.Response {
	target, ok, exists := e.authorize(peer.ID, name)
	switch {
	case !exists:
		return session.Response{Status: session.StatusUnknownService, Reason: fmt.Sprintf("no service named %q is shared here", name)}
	case !ok:
		return session.Response{Status: session.StatusDenied, Reason: fmt.Sprintf("not on the access list of %q", name)}
	}

	tcp, err := portal.Dial(ctx, target, e.opts.DialTimeout)
	if err != nil {
		// The peer learns that the service is down, not the sharer's
		// internal addresses; the log has the details.
		e.logRefusal(name, err)
		return session.Response{Status: session.StatusUnreachable, Reason: fmt.Sprintf("the sharing computer cannot reach %q right now", name)}
	}
	return session.Response{Status: session.StatusOK, Serve: func(st *session.Stream) {
		e.runConn(&liveConn{key: streamKey{sess, st.ID()}, peer: peer.ID, service: name}, tcp, st, sess)
	}}
}

// runConn joins tcp and st, tracked under c, until the connection ends.
func (e *Engine) runConn(c *liveConn, tcp *net.TCPConn, st *session.Stream, sess *session.Session) {
	c.conn = portal.New(tcp, st, e.resetSender(sess, st.ID()), e.opts.IdleTimeout)
	if !e.trackConn(c) {
		return
	}
	c.conn.Run()
	e.untrackConn(c)
}

// authorize reports the target of service name and whether id may use it.
func (e *Engine) authorize(id identity.ID, name string) (target string, allowed, exists bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	i := serviceIndex(e.state, name)
	if i < 0 {
		return "", false, false
	}
	svc := e.state.Services[i]
	allowed = slices.ContainsFunc(svc.Access, func(a state.Access) bool { return a.ID == id })
	return svc.Target, allowed, true
}

// logRefusal logs a failed dial to a target, unless the same failure was
// logged for this service within the last 30 s (repeatLogInterval).
func (e *Engine) logRefusal(service string, err error) {
	e.mu.Lock()
	limiter := e.refusalLogs[service]
	if limiter == nil {
		limiter = newLogLimiter()
		e.refusalLogs[service] = limiter
	}
	e.mu.Unlock()
	if limiter.allow(err.Error()) {
		e.log.Warn("service target unreachable; further identical failures are not logged for a while", "service", service, "err", err)
	}
}

// handleRedeem checks an invitation secret and, when it is valid, adds the
// peer to the service's access list and sends the service description.
func (e *Engine) handleRedeem(peer channel.Peer, secret []byte) session.Response {
	if len(secret) != 32 {
		return session.Response{Status: session.StatusDenied, Reason: "no invitation matches"}
	}
	var s [invite.SecretSize]byte
	copy(s[:], secret)

	var service string
	err := e.updateState(func(st *state.State) error {
		var err error
		service, err = redeem(st, s, peer, time.Now())
		return err
	})
	switch {
	case errors.Is(err, errRevoked):
		return session.Response{Status: session.StatusDenied, Reason: "access revoked by the sharer"}
	case errors.Is(err, invite.ErrExpired):
		return session.Response{Status: session.StatusExpired, Reason: err.Error()}
	case errors.Is(err, invite.ErrUsed):
		return session.Response{Status: session.StatusUsed, Reason: err.Error()}
	case err != nil:
		return session.Response{Status: session.StatusDenied, Reason: "no invitation matches"}
	}

	e.log.Info("invitation redeemed", "service", service, "peer", peer.ID.Short(), "name", peer.DisplayName)
	info, _ := json.Marshal(ServiceInfo{Service: service})
	return session.Response{Status: session.StatusOK, Serve: func(st *session.Stream) {
		st.SetWriteDeadline(time.Now().Add(5 * time.Second))
		st.Write(info)
		st.Close()
	}}
}

// redeem applies one redemption of the invitation whose secret is secret
// to st and returns the service name. Each stored invitation is checked
// with invite.Record, in constant time.
func redeem(st *state.State, secret [invite.SecretSize]byte, peer channel.Peer, now time.Time) (string, error) {
	for i := range st.Services {
		svc := &st.Services[i]
		for j := range svc.Invitations {
			inv := &svc.Invitations[j]
			rec := invite.Record{Service: svc.Name, Created: inv.Created, Expires: inv.Expires, UsesLeft: inv.UsesLeft}
			if _, err := hex.Decode(rec.Hash[:], []byte(inv.Hash)); err != nil {
				continue
			}
			if !rec.Matches(secret) {
				continue
			}
			if slices.Contains(inv.RedeemedBy, peer.ID) {
				return redeemAgain(svc, peer.ID)
			}
			if err := rec.Redeem(secret, now); err != nil {
				return "", err
			}
			inv.UsesLeft = rec.UsesLeft
			inv.RedeemedBy = append(inv.RedeemedBy, peer.ID)
			grant(svc, peer, now)
			return svc.Name, nil
		}
	}
	return "", invite.ErrNoMatch
}

// redeemAgain handles an identity that already redeemed this invitation:
// it uses no second use, and it does not restore access that the sharer
// revoked.
func redeemAgain(svc *state.Service, id identity.ID) (string, error) {
	if slices.ContainsFunc(svc.Access, func(a state.Access) bool { return a.ID == id }) {
		return svc.Name, nil
	}
	return "", errRevoked
}

// errRevoked rejects an identity whose access was revoked after it
// redeemed the invitation it presents again.
var errRevoked = errors.New("engine: your access to this service was revoked after you redeemed this invitation; ask the sharer for a new one")

// grant adds peer to svc's access list, or refreshes its name.
func grant(svc *state.Service, peer channel.Peer, now time.Time) {
	name := peer.DisplayName
	if len(name) > state.MaxNameLen {
		name = name[:state.MaxNameLen]
	}
	for i, a := range svc.Access {
		if a.ID == peer.ID {
			svc.Access[i].Name = name
			return
		}
	}
	svc.Access = append(svc.Access, state.Access{ID: peer.ID, Name: name, Added: now})
}
