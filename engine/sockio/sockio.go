// Package sockio reads and writes TCP sockets on the data path without
// waking the Go runtime's monitor thread.
//
// Once every scheduler P is idle, the runtime's monitor thread (sysmon)
// sleeps until a goroutine enters a system call, and that call wakes it
// with a futex. A portal that carries requests and replies goes idle
// between them, so the first read of each message paid that wakeup on
// every node. On Linux, Conn reads and writes with raw system calls, which
// the runtime does not track. Go opens sockets non-blocking, so these
// calls return at once. When one would block, Conn waits through
// syscall.RawConn, which uses the netpoller and honours deadlines and
// Close. On other systems Conn uses *net.TCPConn's Read and Write.
package sockio

import (
	"errors"
	"net"
	"sync"
	"syscall"
)

// Conn is a TCP connection whose Read and Write use raw system calls on
// Linux. Every other method is the embedded *net.TCPConn's. Do not call
// File on it: that switches the socket to blocking mode, and a raw read
// would then hold its scheduler P until data arrives.
type Conn struct {
	*net.TCPConn
	raw syscall.RawConn

	// The operation in progress in each direction. The callbacks that
	// syscall.RawConn runs are method values made once in New, so a read
	// or write allocates nothing.
	rd, wr     op
	readOnce   func(fd uintptr) bool
	writeAll   func(fd uintptr) bool
	rdMu, wrMu sync.Mutex // guard rd and wr for the length of one call
}

// op is the buffer, progress and result of one read or write.
type op struct {
	buf   []byte
	n     int
	errno syscall.Errno
}

// New wraps c. It falls back to c's own Read and Write when c has no
// file descriptor to reach.
func New(c *net.TCPConn) *Conn {
	conn := &Conn{TCPConn: c}
	if raw, err := c.SyscallConn(); err == nil {
		conn.raw = raw
	}
	conn.readOnce = conn.readSyscall
	conn.writeAll = conn.writeSyscalls
	return conn
}

// opError describes a failed read or write the way package net does, so
// callers that test for timeouts, net.ErrClosed or a reset see the same
// errors as from *net.TCPConn.
func (c *Conn) opError(op string, err error) error {
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		// syscall.RawConn names its operations "raw-read" and "raw-write".
		opErr.Op = op
		return opErr
	}
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}
