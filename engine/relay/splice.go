package relay

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// spliceBufferSize is the copy buffer per direction of a splice, in bytes.
// Memory per spliced pair is twice this.
const spliceBufferSize = 32 << 10

// errIdle ends a splice that carried no byte in either direction for the
// idle timeout.
var errIdle = errors.New("relay: splice idle timeout")

// spliceResult is the byte counts of a splice and the reason it ended.
type spliceResult struct {
	aToB, bToA int64 // bytes copied in each direction
	err        error // first error that ended a direction, or nil when both sides closed cleanly
}

// splice copies bytes between a and b in both directions until both
// directions end, then closes both. When one side ends its direction
// cleanly, splice half-closes the other side's write direction, so the
// far node's read returns io.EOF while the other direction keeps going.
// Any error, or idle without a byte in either direction, closes both
// sides at once. On Linux the bytes stay in the kernel (spliceInKernel).
func splice(a, b net.Conn, idle time.Duration) spliceResult {
	if res, ok := spliceInKernel(a, b, idle); ok {
		return res
	}

	s := &splicer{idle: idle, abort: closeBoth(a, b)}
	s.touch()
	res, bToAErr := bothWays(a, b, s.copyHalf)

	s.abort()
	// When one direction ends the splice for idleness, the other direction
	// fails on a closed connection. Idleness is the reason to report.
	if res.err == nil || errors.Is(bToAErr, errIdle) {
		res.err = bToAErr
	}
	return res
}

// closeBoth returns a function that closes a and b, once.
func closeBoth(a, b net.Conn) func() {
	return sync.OnceFunc(func() {
		a.Close()
		b.Close()
	})
}

// bothWays runs copyHalf from b to a in a new goroutine and from a to b in
// this one, and returns when both end. res.err is the a-to-b error.
func bothWays(a, b net.Conn, copyHalf func(dst, src net.Conn) (int64, error)) (res spliceResult, bToAErr error) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		res.bToA, bToAErr = copyHalf(a, b)
	}()
	res.aToB, res.err = copyHalf(b, a)
	<-done
	return res, bToAErr
}

// splicer is the state two copy directions of one splice share.
type splicer struct {
	idle         time.Duration
	abort        func()       // closes both sides, once
	lastActivity atomic.Int64 // Unix nanoseconds of the last byte copied either way
}

func (s *splicer) touch() {
	s.lastActivity.Store(time.Now().UnixNano())
}

// idleFor returns how long no byte was copied either way.
func (s *splicer) idleFor() time.Duration {
	return time.Duration(time.Now().UnixNano() - s.lastActivity.Load())
}

// copyHalf copies src to dst until src ends. A read deadline that passes
// while the other direction is busy is not idleness, so the loop waits
// again. It ends after one full idle timeout without a byte either way.
func (s *splicer) copyHalf(dst, src net.Conn) (int64, error) {
	buf := make([]byte, spliceBufferSize)
	var copied int64
	for {
		src.SetReadDeadline(time.Now().Add(s.idle))
		n, readErr := src.Read(buf)

		if n > 0 {
			dst.SetWriteDeadline(time.Now().Add(s.idle))
			written, err := dst.Write(buf[:n])
			copied += int64(written)
			s.touch()
			if err != nil {
				s.abort()
				return copied, err
			}
		}

		switch {
		case readErr == nil:
		case errors.Is(readErr, io.EOF):
			closeWrite(dst)
			return copied, nil
		case isTimeout(readErr) && s.idleFor() < s.idle:
		case isTimeout(readErr):
			s.abort()
			return copied, errIdle
		default:
			s.abort()
			return copied, readErr
		}
	}
}

// closeWrite half-closes c's write direction. A connection that cannot
// half-close is closed completely.
func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
		return
	}
	c.Close()
}

// isTimeout reports whether err is a deadline error.
func isTimeout(err error) bool {
	var netErr net.Error
	return errors.As(err, &netErr) && netErr.Timeout()
}
