package main

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// The target server speaks first: on accept it writes helloByte, so a
// client that reads one byte has proven the whole path, inlet to target,
// is connected. The client then sends one operation byte.
const (
	helloByte = 'h'

	// opUpload: the client sends bytes until it half-closes; the server
	// replies with the count as 8 bytes, big-endian, and closes.
	opUpload = 'u'

	// opDownload: the client sends a count as 8 bytes, big-endian; the
	// server sends that many bytes and closes.
	opDownload = 'd'

	// opEcho: the server writes back what it reads until the client
	// half-closes.
	opEcho = 'e'

	// ioSize is the buffer of every bulk read and write in the harness.
	ioSize = 256 << 10
)

// target is the service at the far end of every path.
type target struct {
	ln net.Listener
	wg sync.WaitGroup

	mu    sync.Mutex // guards conns
	conns map[net.Conn]struct{}
}

var zeros = make([]byte, ioSize)

func startTarget() (*target, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	t := &target{ln: ln, conns: map[net.Conn]struct{}{}}
	t.wg.Add(1)
	go t.serve()
	return t, nil
}

func (t *target) addr() string { return t.ln.Addr().String() }

func (t *target) close() {
	t.ln.Close()
	t.mu.Lock()
	for c := range t.conns {
		c.Close()
	}
	t.mu.Unlock()
	t.wg.Wait()
}

func (t *target) serve() {
	defer t.wg.Done()
	for {
		c, err := t.ln.Accept()
		if err != nil {
			return
		}
		t.mu.Lock()
		t.conns[c] = struct{}{}
		t.mu.Unlock()
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			t.handle(c.(*net.TCPConn))
			t.mu.Lock()
			delete(t.conns, c)
			t.mu.Unlock()
			c.Close()
		}()
	}
}

func (t *target) handle(c *net.TCPConn) {
	c.SetNoDelay(true)
	if _, err := c.Write([]byte{helloByte}); err != nil {
		return
	}
	op := make([]byte, 1)
	if _, err := io.ReadFull(c, op); err != nil {
		return // an idle connection that was closed
	}
	switch op[0] {
	case opUpload:
		n, err := io.CopyBuffer(io.Discard, readerOnly{c}, make([]byte, ioSize))
		if err != nil {
			return
		}
		c.Write(binary.BigEndian.AppendUint64(nil, uint64(n)))
	case opDownload:
		var size [8]byte
		if _, err := io.ReadFull(c, size[:]); err != nil {
			return
		}
		sendZeros(c, int64(binary.BigEndian.Uint64(size[:])))
		c.CloseWrite()
		// Wait for the client to close, so the last bytes are not cut
		// by a reset.
		c.SetReadDeadline(time.Now().Add(time.Minute))
		io.Copy(io.Discard, c)
	case opEcho:
		io.CopyBuffer(c, readerOnly{c}, make([]byte, 4096))
	}
}

func sendZeros(w io.Writer, n int64) error {
	for n > 0 {
		chunk := min(n, int64(len(zeros)))
		if _, err := w.Write(zeros[:chunk]); err != nil {
			return err
		}
		n -= chunk
	}
	return nil
}

// readerOnly hides WriterTo and ReaderFrom, so io.Copy uses the buffer
// given and every path gets writes of the same sizes.
type readerOnly struct{ r io.Reader }

func (r readerOnly) Read(p []byte) (int, error) { return r.r.Read(p) }

// dialPath connects to addr and waits for the hello byte.
func dialPath(addr string, timeout time.Duration) (*net.TCPConn, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	tc := c.(*net.TCPConn)
	tc.SetNoDelay(true)
	tc.SetReadDeadline(time.Now().Add(timeout))
	b := make([]byte, 1)
	if _, err := io.ReadFull(tc, b); err != nil {
		tc.Close()
		return nil, errors.Join(errors.New("reading the target's hello byte"), err)
	}
	if b[0] != helloByte {
		tc.Close()
		return nil, errors.New("the first byte from the path is not the target's hello byte")
	}
	tc.SetReadDeadline(time.Time{})
	return tc, nil
}
