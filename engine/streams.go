package engine

import (
	"context"
	"fmt"

	"github.com/portalsapp/portals/engine/channel"
	"github.com/portalsapp/portals/engine/session"
)

// handleStream answers a stream a peer opens. This node shares no
// services and holds no invitations yet, so every known request gets its
// refusal; session answers unknown kinds itself.
func (e *Engine) handleStream(ctx context.Context, peer channel.Peer, h session.Header) session.Response {
	switch h.Kind {
	case session.KindPortal:
		return session.Response{Status: session.StatusUnknownService, Reason: fmt.Sprintf("this node shares no service named %q", h.Service)}
	case session.KindRedeem:
		return session.Response{Status: session.StatusDenied, Reason: "no invitation of this node matches the secret"}
	}
	return session.Response{Status: session.StatusUnknownKind}
}
