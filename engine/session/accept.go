package session

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/hashicorp/yamux"
	"github.com/portalsapp/portals/engine/channel"
)

// Handler decides on one incoming stream. Serve calls it on the stream's
// own goroutine after the header has been read, so a slow handler (one
// that dials a service, say) delays only its own stream. ctx is canceled
// when the session ends.
//
// Handler is only called for the kinds defined in header.go. Any other kind is
// rejected with StatusUnknownKind without calling it.
type Handler func(ctx context.Context, peer channel.Peer, h Header) Response

// Response is a Handler's decision.
type Response struct {
	// Status is sent to the opener.
	Status Status

	// Reason is sent with the status, cut to MaxReasonSize. Leave it
	// empty for StatusOK; never put a secret in it.
	Reason string

	// Serve is required for StatusOK and ignored otherwise. It is called
	// after the response was sent, owns the stream and must close it. It
	// runs on the stream's goroutine and must return once the stream
	// fails.
	Serve func(*Stream)
}

// serveStream reads the header, responds to it and hands an accepted stream to
// the handler's Serve.
func (s *Session) serveStream(raw *yamux.Stream, handle Handler) {
	log := s.log.With(slog.Uint64("stream", uint64(raw.StreamID())))

	h, err := s.readRequest(raw)
	if err != nil {
		status, reason := rejectionFor(err, h, log)
		s.reject(raw, h, status, reason, log)
		return
	}

	resp := handle(s.ctx, s.Peer(), h)
	status, reason := s.checkResponse(resp, h, log)
	if status != StatusOK {
		s.reject(raw, h, status, reason, log)
		return
	}
	s.accept(raw, h, resp.Serve, log)
}

// readRequest reads the header within HeaderTimeout.
func (s *Session) readRequest(raw *yamux.Stream) (Header, error) {
	raw.SetReadDeadline(time.Now().Add(s.cfg.headerTimeout()))
	defer raw.SetReadDeadline(time.Time{})
	return readHeader(raw)
}

// rejectionFor returns the response to a header that could not be read, or a
// zero status when no opener waits for one (timeout, reset, session end,
// FIN before a whole header).
func rejectionFor(err error, h Header, log *slog.Logger) (Status, string) {
	switch {
	case errors.Is(err, errUnknownKind):
		log.Debug("rejecting stream of unknown kind", slog.Int("kind", int(h.Kind)))
		return StatusUnknownKind, ""
	case errors.Is(err, ErrMalformed):
		log.Debug("rejecting malformed stream header", slog.Any("err", err))
		return StatusMalformed, err.Error()
	}
	log.Debug("stream ended before its header", slog.Any("err", err))
	return 0, ""
}

// checkResponse turns a handler's Response into the status to send. An OK
// without Serve is a handler bug; the opener gets StatusDenied.
func (s *Session) checkResponse(a Response, h Header, log *slog.Logger) (Status, string) {
	if _, known := statusNames[a.Status]; !known {
		log.Error("internal error: handler returned an undefined status", slog.Any("header", h), slog.Int("status", int(a.Status)))
		return StatusDenied, "internal error"
	}
	if a.Status == StatusOK && a.Serve == nil {
		log.Error("internal error: handler accepted a stream without Serve", slog.Any("header", h))
		return StatusDenied, "internal error"
	}
	return a.Status, a.Reason
}

// accept sends StatusOK and runs serve.
func (s *Session) accept(raw *yamux.Stream, h Header, serve func(*Stream), log *slog.Logger) {
	if err := s.respond(raw, StatusOK, ""); err != nil {
		log.Debug("writing ok response failed", slog.Any("header", h), slog.Any("err", err))
		raw.Close()
		return
	}
	log.Debug("stream accepted", slog.Any("header", h))
	serve(newStream(raw, s.Peer(), h))
}

// reject sends a rejection, unless no opener waits for one (status 0), and
// closes the stream. The opener reads the response and then EOF.
func (s *Session) reject(raw *yamux.Stream, h Header, status Status, reason string, log *slog.Logger) {
	defer raw.Close()
	if status == 0 {
		return
	}

	log.Debug("stream rejected", slog.Any("header", h), slog.String("status", status.String()))
	if err := s.respond(raw, status, reason); err != nil {
		log.Debug("writing rejection failed", slog.Any("err", err))
	}
}

// respond writes one response within HeaderTimeout.
func (s *Session) respond(raw *yamux.Stream, status Status, reason string) error {
	raw.SetWriteDeadline(time.Now().Add(s.cfg.headerTimeout()))
	_, err := raw.Write(appendResponse(nil, status, reason))
	raw.SetWriteDeadline(time.Time{})
	return err
}
