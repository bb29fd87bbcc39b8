// Package session multiplexes many streams over one secure channel between
// two nodes, with github.com/hashicorp/yamux, and gives every stream a typed
// header that the accepting side responds to with a status.
//
// A Session wraps an established *channel.Conn. The channel initiator runs
// Client, the responder runs Server. Either side may open streams; each
// stream starts with a Header (see header.go for the wire layout) and the
// acceptor responds with a Status before any stream data flows, so a rejection
// is a response, never a silent hang.
package session

import (
	"log/slog"
	"time"

	"github.com/hashicorp/yamux"
)

// Defaults used when a Config field is zero.
const (
	// DefaultKeepAliveInterval makes a dead peer detected within
	// 3 × 5 s = 15 s; see Config.KeepAliveInterval.
	DefaultKeepAliveInterval = 5 * time.Second

	// DefaultOpenTimeout bounds OpenStream, from the header write to the
	// response, when its context has no earlier deadline.
	DefaultOpenTimeout = 10 * time.Second

	// DefaultHeaderTimeout bounds how long the acceptor waits for a
	// header, and then for its response to be written.
	DefaultHeaderTimeout = 10 * time.Second
)

// Yamux tuning. These are local choices, not part of the wire protocol.
const (
	// maxStreamWindow is the most a stream may have in flight unacked,
	// and so the data one stream can leave buffered on the receiver when
	// its reader is slow. A stream's throughput is capped at
	// window / RTT: yamux's 256 KiB default caps a 100 ms path at
	// 2.5 MB/s; 8 MiB allows 80 MiB/s there. yamux keeps the buffered
	// data in a bytes.Buffer that grows by doubling, so a slow reader can
	// cost up to twice the window in memory; 16 MiB made one slow reader
	// grow an engine by about 55 MiB.
	maxStreamWindow = 8 << 20

	// acceptBacklog is how many opened streams may wait for Accept
	// before yamux resets new ones.
	acceptBacklog = 256
)

// Config configures a Session. The zero value is usable. A Config may be
// shared by many sessions and must not be modified after first use.
type Config struct {
	// KeepAliveInterval is the pause between keepalive pings. It also
	// bounds each ping: the write of the ping and the wait for its reply
	// may each take up to this long (yamux ConnectionWriteTimeout is set
	// to the same value). So a peer that stops answering right after a
	// ping is declared dead, and Done is closed, at most
	// 3 × KeepAliveInterval later: one pause plus two waits. Zero means
	// DefaultKeepAliveInterval (15 s to detect).
	//
	// The same timeout applies to every yamux frame write: a Write of a
	// single buffer larger than the path can carry in this time fails
	// with a timeout. Copy with buffers of 32 KiB to 1 MiB.
	KeepAliveInterval time.Duration

	// OpenTimeout bounds OpenStream when its context has no earlier
	// deadline. Zero means DefaultOpenTimeout.
	OpenTimeout time.Duration

	// HeaderTimeout bounds the acceptor's wait for a stream header and
	// the write of its response. Zero means DefaultHeaderTimeout.
	HeaderTimeout time.Duration

	// Logger receives session and yamux messages. Nil means
	// slog.Default().
	Logger *slog.Logger
}

func (c *Config) keepAliveInterval() time.Duration {
	if c == nil || c.KeepAliveInterval <= 0 {
		return DefaultKeepAliveInterval
	}
	return c.KeepAliveInterval
}

func (c *Config) openTimeout() time.Duration {
	if c == nil || c.OpenTimeout <= 0 {
		return DefaultOpenTimeout
	}
	return c.OpenTimeout
}

func (c *Config) headerTimeout() time.Duration {
	if c == nil || c.HeaderTimeout <= 0 {
		return DefaultHeaderTimeout
	}
	return c.HeaderTimeout
}

func (c *Config) logger() *slog.Logger {
	if c == nil || c.Logger == nil {
		return slog.Default()
	}
	return c.Logger
}

// yamuxConfig returns the yamux configuration for this Config, logging
// through log.
func (c *Config) yamuxConfig(log *slog.Logger) *yamux.Config {
	interval := c.keepAliveInterval()
	return &yamux.Config{
		AcceptBacklog:          acceptBacklog,
		EnableKeepAlive:        true,
		KeepAliveInterval:      interval,
		ConnectionWriteTimeout: interval,
		MaxStreamWindowSize:    maxStreamWindow,

		// Zero: no per-open timer goroutine. OpenStream has its own
		// deadline and keepalive catches a dead peer.
		StreamOpenTimeout: 0,

		// Zero: a half-closed stream may stay half-closed as long as
		// the other direction is in use. yamux's timer would reset a
		// stream that is still receiving after the timeout. The cost:
		// a stream whose peer never closes its side stays in the map
		// until the session ends.
		StreamCloseTimeout: 0,

		LogOutput: nil,
		Logger:    yamuxLogger{log: log},
	}
}
