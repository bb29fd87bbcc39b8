package channel

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flynn/noise"
	"github.com/portalsapp/portals/engine/sockio"
)

// Conn is an established secure channel. It implements net.Conn: Read and
// Write may run concurrently with each other and with Close, and deadlines
// behave as on a TCP connection. A Read or Write that times out may be
// retried once the deadline is moved; any other error is final.
//
// Write seals data into frames before it writes them. After a Write timeout
// the frames already sealed stay queued and are sent before any later data
// or by Close, so the count Write returns with a timeout includes them.
type Conn struct {
	// Constant after construction.
	conn          net.Conn
	peer          Peer
	handshakeHash []byte
	rekeyInterval uint64

	closed        atomic.Bool
	writeDeadline atomic.Int64 // Unix nanoseconds; zero means none

	// rx is owned by the goroutine in Read.
	rx struct {
		sync.Mutex
		cipher     *noise.CipherState
		buf        []byte // network bytes; frames are decrypted in place
		start, end int    // buf[start:end] is received, not yet decrypted
		plain      []byte // decrypted data not yet returned, inside buf
		eof        bool   // the peer sent frameClose
		err        error  // final error, returned by every later Read
	}

	// tx is owned by the goroutine in Write, CloseWrite or Close.
	tx struct {
		sync.Mutex
		cipher  *noise.CipherState
		buf     []byte // sealed frames of the current batch
		pending []byte // sealed bytes a timed-out write left unsent
		closed  bool   // frameClose has been sealed
		err     error  // final error, returned by every later Write
	}
}

func newConn(conn net.Conn, cfg *Config, peer Peer, hash []byte, send, receive *noise.CipherState) *Conn {
	if tcp, ok := conn.(*net.TCPConn); ok {
		// Frames go out and come in without waking the runtime's monitor
		// thread; see package sockio.
		conn = sockio.New(tcp)
	}
	c := &Conn{
		conn:          conn,
		peer:          peer,
		handshakeHash: append([]byte(nil), hash...),
		rekeyInterval: cfg.rekeyEvery(),
	}
	c.rx.cipher = receive
	c.tx.cipher = send
	return c
}

// Peer returns the authenticated identity of the other end.
func (c *Conn) Peer() Peer {
	return c.peer
}

// HandshakeHash returns the Noise handshake hash, which is unique to this
// channel and equal on both ends. Upper layers may bind to it.
func (c *Conn) HandshakeHash() []byte {
	return append([]byte(nil), c.handshakeHash...)
}

// NetConn returns the underlying connection. Writing to or reading from it
// breaks the channel.
func (c *Conn) NetConn() net.Conn {
	return c.conn
}

// Read reads decrypted data. It returns io.EOF only after the peer closed
// its direction with a close frame; a stream cut without one returns
// ErrTruncated.
func (c *Conn) Read(p []byte) (int, error) {
	c.rx.Lock()
	defer c.rx.Unlock()

	for len(c.rx.plain) == 0 {
		switch {
		case c.closed.Load():
			return 0, net.ErrClosed
		case c.rx.err != nil:
			return 0, c.rx.err
		case c.rx.eof:
			return 0, io.EOF
		case len(p) == 0:
			return 0, nil
		}
		if err := c.readFrameLocked(); err != nil {
			return 0, err
		}
	}

	n := copy(p, c.rx.plain)
	c.rx.plain = c.rx.plain[n:]
	return n, nil
}

// readFrameLocked reads and opens the next frame. A timeout keeps the
// bytes of a partial frame, so a later call resumes it. c.rx must be held
// and c.rx.plain must be empty, because refilling moves the buffer.
func (c *Conn) readFrameLocked() error {
	if c.rx.buf == nil {
		c.rx.buf = make([]byte, readBufferSize)
	}

	for empty := 0; ; {
		buffered := c.rx.buf[c.rx.start:c.rx.end]
		if len(buffered) >= lengthSize {
			size := int(binary.BigEndian.Uint16(buffered))
			if size < minFrameSize {
				return c.failReadLocked(fmt.Errorf("%w: length prefix %d is below the minimum of %d", ErrBadFrame, size, minFrameSize))
			}
			if len(buffered) >= lengthSize+size {
				c.rx.start += lengthSize + size
				return c.openFrameLocked(buffered[lengthSize : lengthSize+size])
			}
		}

		n, err := c.fillLocked()
		if n > 0 {
			empty = 0
			continue
		}
		if err != nil {
			return err
		}
		if empty++; empty > maxEmptyReads {
			return c.failReadLocked(io.ErrNoProgress)
		}
	}
}

// fillLocked reads more network bytes into c.rx.buf. It returns an error
// only when no bytes arrived; an error that comes with bytes returns again
// on the next read, since EOF, timeouts and closed sockets persist.
func (c *Conn) fillLocked() (int, error) {
	if c.rx.start == c.rx.end {
		c.rx.start, c.rx.end = 0, 0
	}
	if len(c.rx.buf)-c.rx.start < lengthSize+MaxFrameSize {
		c.rx.end = copy(c.rx.buf, c.rx.buf[c.rx.start:c.rx.end])
		c.rx.start = 0
	}

	n, err := c.conn.Read(c.rx.buf[c.rx.end:])
	c.rx.end += n
	switch {
	case n > 0 || err == nil:
		return n, nil
	case isTimeout(err):
		return 0, err
	case errors.Is(err, io.EOF):
		return 0, c.failReadLocked(fmt.Errorf("%w (%d bytes of a frame were pending)", ErrTruncated, c.rx.end-c.rx.start))
	default:
		return 0, c.failReadLocked(err)
	}
}

// openFrameLocked authenticates and decrypts frame in place.
func (c *Conn) openFrameLocked(frame []byte) error {
	plain, err := c.rx.cipher.Decrypt(frame[:0], nil, frame)
	if err != nil {
		if errors.Is(err, noise.ErrMaxNonce) {
			return c.failReadLocked(fmt.Errorf("channel: receive nonce exhausted: %w", err))
		}
		return c.failReadLocked(ErrFrameAuth)
	}
	c.rekeyIfDue(c.rx.cipher)

	switch frameType(plain[0]) {
	case frameData:
		if len(plain) == 1 {
			return c.failReadLocked(fmt.Errorf("%w: data frame without data", ErrBadFrame))
		}
		c.rx.plain = plain[1:]
	case frameClose:
		if len(plain) != 1 {
			return c.failReadLocked(fmt.Errorf("%w: close frame with %d data bytes", ErrBadFrame, len(plain)-1))
		}
		c.rx.eof = true
	default:
		return c.failReadLocked(fmt.Errorf("%w: unknown frame type %d", ErrBadFrame, plain[0]))
	}
	return nil
}

func (c *Conn) failReadLocked(err error) error {
	c.rx.err = err
	c.rx.cipher = nil
	c.rx.plain = nil
	return err
}

// Write seals p into frames and writes them.
func (c *Conn) Write(p []byte) (int, error) {
	return c.write(nil, p)
}

// MaxPrefixSize is the longest prefix WriteWithPrefix takes, in bytes.
const MaxPrefixSize = 256

// WriteWithPrefix writes prefix and then p, like one Write of their
// concatenation but without copying them together first: the prefix goes
// into the first frame with p's first bytes. It returns the count of p's
// bytes written. The mux uses it to send a frame header and its body as one
// frame and one system call.
func (c *Conn) WriteWithPrefix(prefix, p []byte) (int, error) {
	if len(prefix) > MaxPrefixSize {
		return 0, fmt.Errorf("channel: internal error: a %d-byte prefix exceeds the %d-byte limit", len(prefix), MaxPrefixSize)
	}
	return c.write(prefix, p)
}

func (c *Conn) write(prefix, p []byte) (int, error) {
	c.tx.Lock()
	defer c.tx.Unlock()

	if err := c.writableLocked(); err != nil {
		return 0, err
	}
	if err := c.flushLocked(); err != nil {
		return 0, err
	}

	written := 0
	for written < len(p) || len(prefix) > 0 {
		c.tx.buf = c.tx.buf[:0]
		batch := 0
		for (written+batch < len(p) || len(prefix) > 0) && len(c.tx.buf) < writeBatchSize {
			chunk := min(len(p)-written-batch, maxFrameData-len(prefix))
			if err := c.sealLocked(frameData, prefix, p[written+batch:written+batch+chunk]); err != nil {
				return written, err
			}
			prefix = nil
			batch += chunk
		}

		err := c.sendLocked(c.tx.buf)
		written += batch
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

// CloseWrite sends a close frame, after which the peer's Read returns
// io.EOF, and half-closes the underlying connection when it supports that.
// Reading continues to work.
func (c *Conn) CloseWrite() error {
	c.tx.Lock()
	defer c.tx.Unlock()

	if err := c.writableLocked(); err != nil {
		return err
	}
	if err := c.sendCloseLocked(); err != nil {
		return err
	}
	if cw, ok := c.conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// Close sends a close frame unless a Write is in progress, then closes the
// underlying connection, which unblocks any Read or Write, and drops the
// keys.
func (c *Conn) Close() error {
	if c.closed.Swap(true) {
		return net.ErrClosed
	}

	locked := c.tx.TryLock()
	if locked && c.tx.err == nil && !c.tx.closed {
		// Best effort: a peer that stopped reading must not block Close.
		c.conn.SetWriteDeadline(time.Now().Add(closeNotifyTimeout))
		c.sendCloseLocked()
	}
	err := c.conn.Close()

	if !locked {
		c.tx.Lock()
	}
	c.tx.cipher, c.tx.buf, c.tx.pending, c.tx.err = nil, nil, nil, net.ErrClosed
	c.tx.Unlock()

	c.rx.Lock()
	c.rx.cipher, c.rx.buf, c.rx.plain = nil, nil, nil
	if c.rx.err == nil {
		c.rx.err = net.ErrClosed
	}
	c.rx.Unlock()
	return err
}

func (c *Conn) writableLocked() error {
	switch {
	case c.closed.Load():
		return net.ErrClosed
	case c.tx.err != nil:
		return c.tx.err
	case c.tx.closed:
		return ErrWriteAfterClose
	}

	// Check the deadline before sealing anything, so a write that cannot
	// start leaves no queued frames behind.
	if d := c.writeDeadline.Load(); d != 0 && time.Now().UnixNano() >= d {
		return os.ErrDeadlineExceeded
	}
	return nil
}

func (c *Conn) sendCloseLocked() error {
	if err := c.flushLocked(); err != nil {
		return err
	}

	c.tx.buf = c.tx.buf[:0]
	if err := c.sealLocked(frameClose, nil, nil); err != nil {
		return err
	}
	c.tx.closed = true
	return c.sendLocked(c.tx.buf)
}

// sealLocked appends one sealed frame carrying head and then data to
// c.tx.buf. The frame is encrypted in place, which needs room for the tag
// beyond the plaintext.
func (c *Conn) sealLocked(t frameType, head, data []byte) error {
	need := lengthSize + 1 + len(head) + len(data) + tagSize
	if cap(c.tx.buf)-len(c.tx.buf) < need {
		grown := make([]byte, len(c.tx.buf), max(2*cap(c.tx.buf), len(c.tx.buf)+need))
		copy(grown, c.tx.buf)
		c.tx.buf = grown
	}

	start := len(c.tx.buf)
	buf := append(c.tx.buf, 0, 0, byte(t))
	buf = append(buf, head...)
	buf = append(buf, data...)
	body := buf[start+lengthSize:]
	sealed, err := c.tx.cipher.Encrypt(body[:0], nil, body)
	if err != nil {
		c.tx.err = fmt.Errorf("channel: send nonce exhausted: %w", err)
		return c.tx.err
	}
	binary.BigEndian.PutUint16(buf[start:], uint16(len(sealed)))
	c.tx.buf = buf[:start+lengthSize+len(sealed)]

	c.rekeyIfDue(c.tx.cipher)
	return nil
}

// sendLocked writes sealed bytes. After a timeout the unsent rest is kept
// in c.tx.pending; any other error is final.
func (c *Conn) sendLocked(sealed []byte) error {
	n, err := c.conn.Write(sealed)
	if err == nil {
		return nil
	}
	if isTimeout(err) {
		c.tx.pending = sealed[n:]
		return err
	}
	c.tx.err = err
	return err
}

// flushLocked sends what a timed-out write left behind. c.tx.pending
// aliases c.tx.buf, so it must be empty before a new batch is sealed.
func (c *Conn) flushLocked() error {
	if len(c.tx.pending) == 0 {
		return nil
	}
	pending := c.tx.pending
	c.tx.pending = nil
	return c.sendLocked(pending)
}

// rekeyIfDue replaces cs's key after every rekeyInterval frames. Both ends
// count the same frames, so they switch keys at the same frame.
func (c *Conn) rekeyIfDue(cs *noise.CipherState) {
	if cs.Nonce()%c.rekeyInterval == 0 {
		cs.Rekey()
	}
}

// LocalAddr returns the local address of the underlying connection.
func (c *Conn) LocalAddr() net.Addr { return c.conn.LocalAddr() }

// RemoteAddr returns the remote address of the underlying connection.
func (c *Conn) RemoteAddr() net.Addr { return c.conn.RemoteAddr() }

// SetDeadline sets the read and write deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	c.storeWriteDeadline(t)
	return c.conn.SetDeadline(t)
}

// SetReadDeadline sets the deadline for Read.
func (c *Conn) SetReadDeadline(t time.Time) error {
	return c.conn.SetReadDeadline(t)
}

// SetWriteDeadline sets the deadline for Write.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.storeWriteDeadline(t)
	return c.conn.SetWriteDeadline(t)
}

func (c *Conn) storeWriteDeadline(t time.Time) {
	if t.IsZero() {
		c.writeDeadline.Store(0)
		return
	}
	c.writeDeadline.Store(t.UnixNano())
}

func isTimeout(err error) bool {
	var netErr net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout())
}
