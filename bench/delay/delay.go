// Package delay is a userspace TCP proxy that simulates a long network
// path on loopback. It holds every chunk of data for a fixed delay in each
// direction, and it bounds the bytes in flight the way a TCP receive
// window does.
//
// On a real path a sender may have at most one receive window of bytes
// unacknowledged, and each byte stays unacknowledged for a whole round
// trip. The proxy reads bytes, which acknowledges them on loopback, only
// while fewer than the window are in flight in that direction. A byte
// counts as in flight from its read until twice the one-way delay later,
// when its acknowledgement would reach the sender. So one direction moves
// at most one window per round trip, as TCP does. End-to-end flow control
// with a smaller window (a mux window, an SSH channel window) is slower
// still.
package delay

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Tuning of the proxy itself, chosen so that the window, not the proxy,
// is the limit.
const (
	// readSize is the largest chunk one read takes from a socket.
	readSize = 64 << 10

	// queueChunks bounds the chunks waiting for their due time per
	// direction. A window of 64 MiB in full-size chunks needs 1,024.
	queueChunks = 4096
)

// Proxy forwards connections on a loopback listener to one upstream
// address, delaying each direction by delay with at most window bytes in
// flight per direction.
type Proxy struct {
	ln       net.Listener
	upstream string
	delay    time.Duration
	window   int

	mu     sync.Mutex // guards conns and closed
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Listen starts a proxy on a free port of 127.0.0.1 to upstream. window
// is in bytes and must be positive.
func Listen(upstream string, delay time.Duration, window int) (*Proxy, error) {
	if window <= 0 {
		return nil, fmt.Errorf("delay proxy window %d bytes is invalid: use a positive size such as the kernel's largest TCP receive buffer", window)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, upstream: upstream, delay: delay, window: window, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Addr is the address clients dial.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Close stops the listener and cuts every proxied connection.
func (p *Proxy) Close() {
	p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		down, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.handle(down)
		}()
	}
}

func (p *Proxy) handle(down net.Conn) {
	up, err := net.DialTimeout("tcp", p.upstream, 5*time.Second)
	if err != nil {
		down.Close()
		return
	}
	if !p.track(down, up) {
		return
	}
	defer p.untrack(down, up)

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pipe(up.(*net.TCPConn), down.(*net.TCPConn)) }()
	go func() { defer wg.Done(); p.pipe(down.(*net.TCPConn), up.(*net.TCPConn)) }()
	wg.Wait()
}

func (p *Proxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		for _, c := range conns {
			c.Close()
		}
		return false
	}
	for _, c := range conns {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *Proxy) untrack(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		c.Close()
		delete(p.conns, c)
	}
}

// chunk is data read at one moment, or the end of the stream (data nil).
type chunk struct {
	data []byte
	due  time.Time
	err  error // nil for a clean end of stream
}

// pipe copies src to dst, each chunk no earlier than delay after it was
// read, and returns each chunk's bytes to the window a further delay after
// writing them. A clean end of src becomes CloseWrite on dst; an error
// closes both.
func (p *Proxy) pipe(dst, src *net.TCPConn) {
	queue := make(chan chunk, queueChunks)
	win := newWindow(p.window)
	done := make(chan struct{})
	defer func() {
		close(done)
		win.close()
	}()
	go p.read(src, queue, win, done)

	for c := range queue {
		if wait := time.Until(c.due); wait > 0 {
			time.Sleep(wait)
		}
		if c.data == nil {
			if c.err != nil {
				dst.SetLinger(0)
				dst.Close()
				src.Close()
				return
			}
			dst.CloseWrite()
			return
		}
		if _, err := dst.Write(c.data); err != nil {
			src.Close()
			return
		}
		n := len(c.data)
		time.AfterFunc(time.Until(c.due.Add(p.delay)), func() { win.give(n) })
	}
}

// read reads src into chunks while the window has room, until src ends
// or pipe is done.
func (p *Proxy) read(src *net.TCPConn, queue chan<- chunk, win *window, done <-chan struct{}) {
	defer close(queue)
	buf := make([]byte, readSize)
	for {
		room := win.take(readSize)
		if room == 0 {
			return
		}
		n, err := src.Read(buf[:room])
		win.give(room - n)
		due := time.Now().Add(p.delay)

		if n > 0 {
			select {
			case queue <- chunk{data: append([]byte(nil), buf[:n]...), due: due}:
			case <-done:
				return
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			select {
			case queue <- chunk{due: due, err: err}:
			case <-done:
			}
			return
		}
	}
}

// window is the bytes one direction may still put in flight.
type window struct {
	mu     sync.Mutex
	cond   sync.Cond
	free   int
	closed bool
}

func newWindow(size int) *window {
	w := &window{free: size}
	w.cond.L = &w.mu
	return w
}

// take waits until the window has room and takes up to max bytes of it.
// It returns 0 once the window is closed.
func (w *window) take(max int) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.free == 0 && !w.closed {
		w.cond.Wait()
	}
	if w.closed {
		return 0
	}
	n := min(max, w.free)
	w.free -= n
	return n
}

// give returns n bytes to the window.
func (w *window) give(n int) {
	if n == 0 {
		return
	}
	w.mu.Lock()
	w.free += n
	w.mu.Unlock()
	w.cond.Signal()
}

// close wakes a waiting take for good.
func (w *window) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.cond.Broadcast()
}
