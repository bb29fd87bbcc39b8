// Package delay is a userspace TCP proxy that holds every chunk of data
// for a fixed delay in each direction, to stand in for a long network path
// on loopback.
//
// The proxy acknowledges bytes at once on the loopback side and queues
// them, so the kernel's TCP windows never see the delay. Only end-to-end
// flow control that waits for a reply from the far end feels it, such as
// a mux window or an SSH channel window. The benchmark's latency profile
// measures exactly that.
package delay

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// Tuning of the proxy itself; chosen so the proxy is never the limit.
const (
	// readSize is the largest chunk one read takes from a socket.
	readSize = 64 << 10

	// queueChunks bounds the chunks in flight per direction. At readSize
	// each it holds up to 256 MiB, so a 25 ms delay caps the proxy near
	// 10 GiB/s, beyond any path measured here.
	queueChunks = 4096
)

// Proxy forwards connections on a loopback listener to one upstream
// address, delaying each direction by Delay.
type Proxy struct {
	ln       net.Listener
	upstream string
	delay    time.Duration

	mu     sync.Mutex // guards conns and closed
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Listen starts a proxy on a free port of 127.0.0.1 to upstream.
func Listen(upstream string, delay time.Duration) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, upstream: upstream, delay: delay, conns: map[net.Conn]struct{}{}}
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
// read. A clean end of src becomes CloseWrite on dst; an error closes both.
func (p *Proxy) pipe(dst, src *net.TCPConn) {
	queue := make(chan chunk, queueChunks)
	go p.read(src, queue)

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
	}
}

func (p *Proxy) read(src *net.TCPConn, queue chan<- chunk) {
	defer close(queue)
	buf := make([]byte, readSize)
	for {
		n, err := src.Read(buf)
		due := time.Now().Add(p.delay)
		if n > 0 {
			queue <- chunk{data: append([]byte(nil), buf[:n]...), due: due}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			queue <- chunk{due: due, err: err}
			return
		}
	}
}
