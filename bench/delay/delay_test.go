package delay

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func TestProxyDelaysEachDirection(t *testing.T) {
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		c, err := echo.Accept()
		if err != nil {
			return
		}
		io.Copy(c, c)
		c.Close()
	}()

	const d = 20 * time.Millisecond
	p, err := Listen(echo.Addr().String(), d, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))

	start := time.Now()
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1)
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatal(err)
	}
	if rtt := time.Since(start); rtt < 2*d {
		t.Errorf("round trip took %v, want at least %v", rtt, 2*d)
	}

	c.(*net.TCPConn).CloseWrite()
	if n, err := c.Read(buf); n != 0 || err != io.EOF {
		t.Errorf("after CloseWrite the echo answered %d bytes, %v; want EOF", n, err)
	}
}

// TestProxyWindowBoundsThroughput sends 8 windows of data one way. With
// each byte in flight for a round trip (2 × d), the transfer takes at
// least 7 round trips beyond the first, however fast loopback is.
func TestProxyWindowBoundsThroughput(t *testing.T) {
	sink, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	received := make(chan int64, 1)
	go func() {
		c, err := sink.Accept()
		if err != nil {
			received <- -1
			return
		}
		defer c.Close()
		n, _ := io.Copy(io.Discard, c)
		received <- n
	}()

	const (
		d      = 10 * time.Millisecond
		window = 256 << 10
		total  = 8 * window
	)
	p, err := Listen(sink.Addr().String(), d, window)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))

	start := time.Now()
	if _, err := c.Write(make([]byte, total)); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	n := <-received
	elapsed := time.Since(start)

	if n != total {
		t.Fatalf("the sink received %d bytes, want %d", n, total)
	}
	if least := 7 * 2 * d; elapsed < least {
		t.Errorf("%d bytes through a %d-byte window took %v, want at least %v", total, window, elapsed, least)
	}
}

func TestListenRejectsEmptyWindow(t *testing.T) {
	_, err := Listen("127.0.0.1:9", time.Millisecond, 0)
	if err == nil || !strings.Contains(err.Error(), "window 0 bytes is invalid") {
		t.Fatalf("Listen with window 0: err = %v, want an invalid-window error", err)
	}
}
