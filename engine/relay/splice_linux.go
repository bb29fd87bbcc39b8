package relay

import (
	"net"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// spliceInKernel splices two TCP connections without copying their bytes
// into this process: Go's (*net.TCPConn).ReadFrom moves them with
// splice(2) through a kernel pipe. It returns false, having done nothing,
// when a or b is not a *net.TCPConn or when the kernel does not count TCP
// bytes (see below).
//
// The copy loop runs inside the runtime, so idleness is judged from the
// sockets' TCP_INFO byte counters instead of from read deadlines. Both
// connections have already carried a hello, so counters that are still
// zero mean a kernel that does not fill them, such as an old kernel or a
// sandbox. The watchdog would then cut every splice, so the relay
// copies through user space instead.
func spliceInKernel(a, b net.Conn, idle time.Duration) (spliceResult, bool) {
	ta, okA := a.(*net.TCPConn)
	tb, okB := b.(*net.TCPConn)
	if !okA || !okB || tcpProgress([]*net.TCPConn{ta, tb}) == 0 {
		return spliceResult{}, false
	}

	abort := closeBoth(a, b)
	watch := watchIdle(idle, abort, ta, tb)
	res, bToAErr := bothWays(a, b, func(dst, src net.Conn) (int64, error) {
		return copyInKernel(dst.(*net.TCPConn), src.(*net.TCPConn), abort)
	})

	idled := watch.stop()
	abort()
	switch {
	case idled:
		res.err = errIdle
	case res.err == nil:
		res.err = bToAErr
	}
	return res, true
}

// copyInKernel copies src to dst until src ends, then half-closes dst. An
// error closes both sides of the splice.
func copyInKernel(dst, src *net.TCPConn, abort func()) (int64, error) {
	n, err := dst.ReadFrom(src)
	if err != nil {
		abort()
		return n, err
	}
	dst.CloseWrite()
	return n, nil
}

// idleWatch calls abort once a full idle period passes in which none of
// its connections received a byte or had a sent byte acknowledged. A
// splice is thus cut between one and two idle periods after its last byte.
type idleWatch struct {
	idle  time.Duration
	abort func()
	conns []*net.TCPConn

	mu      sync.Mutex // guards the fields below
	timer   *time.Timer
	last    uint64 // tcpProgress at the previous check
	idled   bool
	stopped bool
}

func watchIdle(idle time.Duration, abort func(), conns ...*net.TCPConn) *idleWatch {
	w := &idleWatch{idle: idle, abort: abort, conns: conns, last: tcpProgress(conns)}
	w.mu.Lock()
	w.timer = time.AfterFunc(idle, w.check)
	w.mu.Unlock()
	return w
}

func (w *idleWatch) check() {
	progress := tcpProgress(w.conns)

	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	if progress != w.last {
		w.last = progress
		w.timer.Reset(w.idle)
		return
	}
	w.idled = true
	go w.abort()
}

// stop ends the watch and reports whether it cut the splice for idleness.
func (w *idleWatch) stop() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	w.timer.Stop()
	return w.idled
}

// tcpProgress sums the bytes each connection received and had
// acknowledged, as TCP_INFO counts them. It only ever grows while the
// connections carry data.
func tcpProgress(conns []*net.TCPConn) uint64 {
	var sum uint64
	for _, c := range conns {
		raw, err := c.SyscallConn()
		if err != nil {
			continue
		}
		raw.Control(func(fd uintptr) {
			if info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO); err == nil {
				sum += info.Bytes_received + info.Bytes_acked
			}
		})
	}
	return sum
}
