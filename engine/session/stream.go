package session

import (
	"errors"
	"io"
	"net"
	"sync/atomic"
	"time"

	"github.com/hashicorp/yamux"
	"github.com/portalsapp/portals/engine/channel"
)

// Stream is one accepted stream: a net.Conn with half-close.
//
// What yamux v0.1.2 gives, and what Stream adds:
//
//   - yamux has no CloseWrite; its Stream.Close is a half-close. It sends
//     FIN, after which local Writes fail with yamux.ErrStreamClosed, but
//     local Reads go on returning data until the peer's FIN, then io.EOF.
//     The peer's Reads return io.EOF once buffered data is drained, and
//     the peer's Writes keep working. The stream is freed once both sides
//     have sent FIN.
//   - yamux has no way to abandon the read side: there is no reset call,
//     and data the peer keeps sending is buffered up to the stream window
//     (8 MiB).
//
// So CloseWrite here is yamux's Close, and Close is yamux's Close plus a
// local flag that makes Read return net.ErrClosed and wakes a blocked Read.
// After Close the stream is freed only when the peer closes its side too.
type Stream struct {
	raw    *yamux.Stream
	peer   channel.Peer
	header Header

	closed atomic.Bool
}

func newStream(raw *yamux.Stream, peer channel.Peer, h Header) *Stream {
	return &Stream{raw: raw, peer: peer, header: h}
}

// Peer returns the authenticated peer at the other end.
func (s *Stream) Peer() channel.Peer { return s.peer }

// ID returns the stream's yamux ID, which both ends share; a KindReset
// header names a stream by it.
func (s *Stream) ID() uint32 { return s.raw.StreamID() }

// Header returns the header the stream was opened with.
func (s *Stream) Header() Header { return s.header }

// Read reads stream data. It returns io.EOF after the peer's CloseWrite or
// Close, ErrSessionLost when the session ended first, and net.ErrClosed
// after a local Close.
func (s *Stream) Read(p []byte) (int, error) {
	if s.closed.Load() {
		return 0, net.ErrClosed
	}
	n, err := s.raw.Read(p)
	switch {
	case err != nil && s.closed.Load():
		return n, net.ErrClosed
	case errors.Is(err, io.EOF) && s.raw.Session().IsClosed():
		// yamux ends the streams of a dead session with io.EOF, which
		// would pass for the peer's clean end of stream.
		return n, ErrSessionLost
	}
	return n, err
}

// Write writes stream data. It blocks while the peer's window is full and
// fails after CloseWrite or Close.
func (s *Stream) Write(p []byte) (int, error) {
	if s.closed.Load() {
		return 0, net.ErrClosed
	}
	return s.raw.Write(p)
}

// CloseWrite sends FIN: the peer reads io.EOF after the data already
// written, and this side can still Read.
func (s *Stream) CloseWrite() error {
	return s.raw.Close()
}

// Close sends FIN if not sent yet and stops local reading; a blocked Read
// returns net.ErrClosed.
func (s *Stream) Close() error {
	if s.closed.Swap(true) {
		return net.ErrClosed
	}
	s.raw.SetReadDeadline(time.Now())
	return s.raw.Close()
}

// LocalAddr returns the channel's local address.
func (s *Stream) LocalAddr() net.Addr { return s.raw.LocalAddr() }

// RemoteAddr returns the channel's remote address.
func (s *Stream) RemoteAddr() net.Addr { return s.raw.RemoteAddr() }

// SetDeadline sets the read and write deadlines.
func (s *Stream) SetDeadline(t time.Time) error { return s.raw.SetDeadline(t) }

// SetReadDeadline sets the deadline for Read.
func (s *Stream) SetReadDeadline(t time.Time) error { return s.raw.SetReadDeadline(t) }

// SetWriteDeadline sets the deadline for Write.
func (s *Stream) SetWriteDeadline(t time.Time) error { return s.raw.SetWriteDeadline(t) }
