package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

// forwardCommand is the hidden first argument that makes the harness
// binary a plain TCP forwarder, for the go-2hop reference path.
const forwardCommand = "forward"

// forwardBufferSize is the forwarder's copy buffer per direction, in
// bytes, the size of Portals' busy-connection buffers.
const forwardBufferSize = 256 << 10

// runForward serves `portals-bench forward LISTEN UPSTREAM`: each
// accepted connection is copied both ways to a new connection to
// UPSTREAM, a FIN becoming CloseWrite. Every byte passes through user
// space, as it must in any forwarder that encrypts, but there is no mux
// and no encryption. So two of them in a row show what two Go processes
// cost a path on this machine, apart from what Portals adds.
func runForward(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: portals-bench %s LISTEN UPSTREAM", forwardCommand)
	}
	ln, err := net.Listen("tcp", args[0])
	if err != nil {
		return err
	}
	for {
		down, err := ln.Accept()
		if err != nil {
			return err
		}
		go forward(down.(*net.TCPConn), args[1])
	}
}

func forward(down *net.TCPConn, upstream string) {
	defer down.Close()
	c, err := net.DialTimeout("tcp", upstream, 5*time.Second)
	if err != nil {
		fmt.Fprintf(os.Stderr, "forward: dialing %s: %v\n", upstream, err)
		return
	}
	up := c.(*net.TCPConn)
	defer up.Close()

	done := make(chan struct{})
	go func() {
		copyThroughUser(up, down)
		up.CloseWrite()
		close(done)
	}()
	copyThroughUser(down, up)
	down.CloseWrite()
	<-done
}

// copyThroughUser copies src to dst through a buffer in this process.
// Plain io.Copy between two TCP connections would use splice(2) on Linux
// and keep the bytes in the kernel, which an encrypting forwarder cannot.
func copyThroughUser(dst, src *net.TCPConn) {
	buf := make([]byte, forwardBufferSize)
	io.CopyBuffer(struct{ io.Writer }{dst}, struct{ io.Reader }{src}, buf)
}
