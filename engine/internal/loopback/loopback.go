// Package loopback gives tests connected TCP sockets on 127.0.0.1.
package loopback

import (
	"net"
	"testing"
	"time"
)

// TCPPair returns the dialed and the accepted end of one new TCP
// connection on 127.0.0.1. Both are closed when the test ends.
func TCPPair(t testing.TB) (dialed, accepted *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	done := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		done <- c
	}()
	d, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	a := <-done
	if a == nil {
		d.Close()
		t.Fatal("accepting the loopback connection failed")
	}
	t.Cleanup(func() {
		d.Close()
		a.Close()
	})
	return d.(*net.TCPConn), a.(*net.TCPConn)
}
