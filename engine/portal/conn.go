// Package portal is the data path of a portal connection: it joins a TCP
// connection to a session stream with correct half-close, reset
// propagation and backpressure, and dials targets.
package portal

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portalsapp/portals/engine/sockio"
)

// Copy buffers. Each direction reads into a small buffer while traffic is
// light, so an idle connection holds little memory, and into a large pooled
// buffer while reads fill the small one, so bulk transfers take few system
// calls and mux frames. Neither buffer is used after the Write that
// carries it returns: the TCP side writes synchronously, and yamux copies a
// frame's body before Stream.Write returns.
const (
	smallBufferSize = 2 << 10
	largeBufferSize = 256 << 10
)

var largeBuffers = sync.Pool{New: func() any { b := make([]byte, largeBufferSize); return &b }}

// Stream is the mux side of a portal connection.
type Stream interface {
	net.Conn
	CloseWrite() error
}

// Conn is one portal connection: a TCP connection on this node joined to a
// stream to the peer node. Create it with New, then call Run.
type Conn struct {
	// Constant after New.
	tcp         *net.TCPConn
	tcpIO       *sockio.Conn // tcp, read and written without waking the runtime's monitor thread
	stream      Stream
	sendReset   func()
	idleTimeout time.Duration

	aborted   chan struct{}
	abortOnce sync.Once
	lastIO    atomic.Int64 // Unix nanoseconds of the last byte in either direction

	// finSent is set before CloseWrite on the TCP side, and tcpBroken when
	// a write to it fails. Both tell a read's EOF apart from the peer's
	// FIN: on Linux, once one call has reported a reset, a read returns a
	// plain EOF.
	finSent, tcpBroken atomic.Bool

	// BytesIn counts bytes from the stream to the TCP side, BytesOut the
	// other way.
	BytesIn, BytesOut atomic.Int64
}

// New joins tcp and stream. sendReset tells the peer to reset its side
// of the connection and must return once the peer has done so (or after
// a short timeout). idleTimeout, when positive, resets the connection
// after that long without a byte in either direction.
func New(tcp *net.TCPConn, stream Stream, sendReset func(), idleTimeout time.Duration) *Conn {
	tcp.SetNoDelay(true)
	c := &Conn{tcp: tcp, tcpIO: sockio.New(tcp), stream: stream, sendReset: sendReset, idleTimeout: idleTimeout, aborted: make(chan struct{})}
	c.lastIO.Store(time.Now().UnixNano())
	return c
}

// Run copies both ways until both directions have ended or the connection
// is aborted, then closes both sides. A FIN in one direction becomes
// CloseWrite on the other side. A reset on the TCP side becomes a reset
// request to the peer. A broken stream becomes a TCP reset, never a clean
// end that could pass for a complete response.
func (c *Conn) Run() {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		c.tcpToStream()
	}()
	go func() {
		defer wg.Done()
		c.streamToTCP()
	}()
	stopIdle := c.watchIdle()

	wg.Wait()
	stopIdle()
	c.tcp.Close()
	c.stream.Close()
}

// Reset asks the peer to reset its side, then aborts this side. Revocation
// and the idle timeout use it, so neither end sees a clean end of stream.
func (c *Conn) Reset() {
	if c.isAborted() {
		return
	}
	c.sendReset()
	c.Abort()
}

// Abort resets the TCP side and closes the stream at once, without telling
// the peer. A reset request from the peer uses it.
func (c *Conn) Abort() {
	c.abortOnce.Do(func() {
		close(c.aborted)
		c.tcp.SetLinger(0)
		c.tcp.Close()
		c.stream.Close()
	})
}

// Aborted is closed once the connection has been aborted.
func (c *Conn) Aborted() <-chan struct{} { return c.aborted }

func (c *Conn) isAborted() bool {
	select {
	case <-c.aborted:
		return true
	default:
		return false
	}
}

// tcpToStream copies what the local TCP peer sends into the stream.
func (c *Conn) tcpToStream() {
	readErr, writeErr := c.copy(c.stream, c.tcpIO, &c.BytesOut)
	switch {
	case c.isAborted():
	case writeErr != nil:
		// The stream broke: the far side is gone. Tell the local peer
		// with a reset.
		c.Abort()
	case readErr == nil && c.resetSeen():
		// The EOF follows a reset that the other direction reported.
		c.sendReset()
		c.Abort()
	case readErr == nil:
		// A FIN from the local peer: pass it on and keep reading the
		// other direction.
		c.stream.CloseWrite()
	default:
		// The local peer reset the connection.
		c.sendReset()
		c.Abort()
	}
}

// streamToTCP copies what the peer sends into the local TCP connection.
func (c *Conn) streamToTCP() {
	readErr, writeErr := c.copy(c.tcpIO, c.stream, &c.BytesIn)
	switch {
	case c.isAborted():
	case writeErr != nil:
		// The local peer went away while data was arriving.
		c.tcpBroken.Store(true)
		c.sendReset()
		c.Abort()
	case readErr == nil:
		c.finSent.Store(true)
		c.tcp.CloseWrite()
	default:
		// The stream was reset or the session died.
		c.Abort()
	}
}

// resetSeen reports whether an EOF read from the TCP side actually ended a
// reset connection.
func (c *Conn) resetSeen() bool {
	if c.tcpBroken.Load() {
		return true
	}
	if c.finSent.Load() {
		// After this side's FIN the socket may close normally.
		return false
	}
	return closedByReset(c.tcp)
}

// copy moves bytes from src to dst until EOF or an error. It returns the
// read error (nil on a clean EOF) and the write error separately, so the
// caller can tell which side failed.
func (c *Conn) copy(dst io.Writer, src io.Reader, counter *atomic.Int64) (readErr, writeErr error) {
	small := make([]byte, smallBufferSize)
	buf := small
	var large *[]byte
	defer func() {
		if large != nil {
			largeBuffers.Put(large)
		}
	}()

	for {
		n, err := src.Read(buf)
		if n > 0 {
			c.lastIO.Store(time.Now().UnixNano())
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return nil, werr
			}
			counter.Add(int64(n))
		}
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		if err != nil {
			return err, nil
		}

		// Grow when a read filled the small buffer; shrink when reads
		// become small again.
		switch {
		case large == nil && n == len(small):
			large = largeBuffers.Get().(*[]byte)
			buf = *large
		case large != nil && n < smallBufferSize:
			largeBuffers.Put(large)
			large, buf = nil, small
		}
	}
}

// watchIdle aborts the connection after idleTimeout without traffic. It
// returns a function that stops watching.
func (c *Conn) watchIdle() (stop func()) {
	if c.idleTimeout <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		ticker := time.NewTicker(c.idleTimeout / 4)
		defer ticker.Stop()
		for {
			select {
			case <-done:
				return
			case <-c.aborted:
				return
			case <-ticker.C:
				idle := time.Since(time.Unix(0, c.lastIO.Load()))
				if idle >= c.idleTimeout {
					c.Reset()
					return
				}
			}
		}
	}()
	return func() { close(done) }
}
