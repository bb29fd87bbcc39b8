package engine

import (
	"context"

	"github.com/portalsapp/portals/engine/channel"
	"github.com/portalsapp/portals/engine/session"
)

// streamHandler returns the handler for the streams a peer opens on sess.
func (e *Engine) streamHandler(sess *session.Session) session.Handler {
	return func(ctx context.Context, peer channel.Peer, h session.Header) session.Response {
		switch h.Kind {
		case session.KindPortal:
			return e.handlePortal(ctx, sess, peer, h.Service)
		case session.KindRedeem:
			return e.handleRedeem(peer, h.Secret)
		case session.KindReset:
			e.resetStream(streamKey{sess: sess, id: h.StreamID})
			return session.Response{Status: session.StatusOK, Serve: func(st *session.Stream) { st.Close() }}
		}
		return session.Response{Status: session.StatusUnknownKind}
	}
}
