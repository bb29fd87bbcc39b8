package engine

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/portalsapp/portals/engine/channel"
	"github.com/portalsapp/portals/engine/identity"
	"github.com/portalsapp/portals/engine/relay"
	"github.com/portalsapp/portals/engine/session"
	"github.com/portalsapp/portals/engine/state"
)

// dialResult is the outcome of trying one route.
type dialResult struct {
	sess   *session.Session
	route  string
	direct bool
	err    error
}

// dialPeer tries every route of cfg at once and returns the first session
// that completes, preferring a direct route: a relayed session waits up to
// preferDirectGrace for a direct attempt still in progress. The sessions
// that lose are closed.
func (e *Engine) dialPeer(ctx context.Context, cfg state.Peer) (*session.Session, string, error) {
	ctx, cancel := context.WithTimeout(ctx, peerDialTimeout)
	results := make(chan dialResult, len(cfg.Routes))
	directLeft := 0
	for _, r := range cfg.Routes {
		if r.Direct != "" {
			directLeft++
		}
		e.goWorker(func() { results <- e.dialRoute(ctx, cfg.ID, r) })
	}

	best, errs, left := pickSession(results, len(cfg.Routes), directLeft)
	cancel()
	e.goWorker(func() { closeLosers(results, left) })

	if best == nil {
		return nil, "", fmt.Errorf("every route failed: %s", strings.Join(errs, "; "))
	}
	return best.sess, best.route, nil
}

// pickSession reads results until it can choose. It returns the winner
// (nil if every route failed), the errors seen and how many results are
// still to come.
func pickSession(results <-chan dialResult, left, directLeft int) (*dialResult, []string, int) {
	var best *dialResult
	var errs []string
	var grace <-chan time.Time
	for left > 0 {
		select {
		case r := <-results:
			left--
			if r.direct {
				directLeft--
			}
			switch {
			case r.err != nil:
				errs = append(errs, r.err.Error())
			case r.direct:
				if best != nil {
					best.sess.Close()
				}
				return &r, errs, left
			case best == nil:
				best = &r
				grace = time.After(preferDirectGrace)
			default:
				r.sess.Close()
			}
			if best != nil && directLeft == 0 {
				return best, errs, left
			}
		case <-grace:
			return best, errs, left
		}
	}
	return best, errs, left
}

// closeLosers closes the sessions of attempts that finish after the choice.
func closeLosers(results <-chan dialResult, left int) {
	for range left {
		if r := <-results; r.sess != nil {
			r.sess.Close()
		}
	}
}

// dialRoute connects over one route and runs the handshake, pinning id.
func (e *Engine) dialRoute(ctx context.Context, id identity.ID, r state.Route) dialResult {
	res := dialResult{direct: r.Direct != ""}
	var conn net.Conn
	var err error
	if res.direct {
		res.route = "direct " + r.Direct
		var d net.Dialer
		conn, err = d.DialContext(ctx, "tcp", r.Direct)
	} else {
		res.route = "relay " + r.Relay
		conn, err = relay.Dial(ctx, r.Relay, id)
	}
	if err != nil {
		res.err = fmt.Errorf("%s: %w", res.route, err)
		return res
	}

	cc, err := channel.Client(ctx, conn, e.channelConfig(), id)
	if err != nil {
		res.err = fmt.Errorf("%s: %w", res.route, err)
		return res
	}
	res.sess, err = session.Client(cc, e.sessionCfg)
	if err != nil {
		cc.Close()
		res.err = fmt.Errorf("%s: %w", res.route, err)
	}
	return res
}
