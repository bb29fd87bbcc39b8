package sockio

import (
	"io"
	"os"
	"syscall"
	"unsafe"
)

// Read reads up to len(p) bytes with one read(2) once the socket is
// readable. It returns io.EOF at the peer's FIN.
func (c *Conn) Read(p []byte) (int, error) {
	if c.raw == nil {
		return c.TCPConn.Read(p)
	}
	if len(p) == 0 {
		// No system call, but the same checks, such as a closed socket.
		return c.TCPConn.Read(p)
	}

	c.rdMu.Lock()
	defer c.rdMu.Unlock()
	c.rd = op{buf: p}
	err := c.raw.Read(c.readOnce)
	n, errno := c.rd.n, c.rd.errno
	c.rd = op{}
	raceAfterRead(p, n)

	switch {
	case err != nil:
		return 0, c.opError("read", err)
	case errno != 0:
		return 0, c.opError("read", os.NewSyscallError("read", errno))
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// readSyscall is the syscall.RawConn callback of Read. It returns false
// when the socket has nothing to read yet.
func (c *Conn) readSyscall(fd uintptr) bool {
	p := c.rd.buf
	for {
		r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
		switch e {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		c.rd.n, c.rd.errno = int(r), e
		return true
	}
}

// Write writes all of p, waiting for the socket to take more whenever it
// is full. On an error it returns the count written before it.
func (c *Conn) Write(p []byte) (int, error) {
	if c.raw == nil {
		return c.TCPConn.Write(p)
	}

	c.wrMu.Lock()
	defer c.wrMu.Unlock()
	raceBeforeWrite(p)
	c.wr = op{buf: p}
	err := c.raw.Write(c.writeAll)
	written, errno := c.wr.n, c.wr.errno
	c.wr = op{}

	switch {
	case err != nil:
		return written, c.opError("write", err)
	case errno != 0:
		return written, c.opError("write", os.NewSyscallError("write", errno))
	}
	return written, nil
}

// writeSyscalls is the syscall.RawConn callback of Write. It writes until
// the buffer is done or the socket is full, and returns false in the
// second case.
func (c *Conn) writeSyscalls(fd uintptr) bool {
	for c.wr.n < len(c.wr.buf) {
		rest := c.wr.buf[c.wr.n:]
		r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&rest[0])), uintptr(len(rest)))
		switch e {
		case 0:
			c.wr.n += int(r)
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			c.wr.errno = e
			return true
		}
	}
	return true
}
