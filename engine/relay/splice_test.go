package relay

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine/internal/loopback"
)

// userSpaceConn hides the *net.TCPConn type, so splice takes the
// user-space copy loop. CloseWrite stays available through embedding.
type userSpaceConn struct{ *net.TCPConn }

// spliceModes are the two copy loops of splice: the kernel one that Linux
// relays use, and the user-space one of other systems.
var spliceModes = []struct {
	name string
	wrap func(*net.TCPConn) net.Conn
}{
	{"kernel", func(c *net.TCPConn) net.Conn { return c }},
	{"user space", func(c *net.TCPConn) net.Conn { return userSpaceConn{c} }},
}

// startSplice splices two fresh connections and returns their outer ends
// and the splice's result, which arrives when the splice ends.
func startSplice(t *testing.T, wrap func(*net.TCPConn) net.Conn, idle time.Duration) (a, b *net.TCPConn, result <-chan spliceResult) {
	t.Helper()
	a, aInner := loopback.TCPPair(t)
	bInner, b := loopback.TCPPair(t)

	// Each side first sends one byte, as the relay's hello frames do, so
	// the kernel's byte counters have started and the kernel copy is used.
	hello := make([]byte, 1)
	for _, c := range [][2]*net.TCPConn{{a, aInner}, {b, bInner}} {
		if _, err := c[0].Write(hello); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c[1], hello); err != nil {
			t.Fatal(err)
		}
	}

	out := make(chan spliceResult, 1)
	go func() { out <- splice(wrap(aInner), wrap(bInner), idle) }()
	return a, b, out
}

func waitSplice(t *testing.T, result <-chan spliceResult) spliceResult {
	t.Helper()
	select {
	case res := <-result:
		return res
	case <-time.After(5 * time.Second):
		t.Fatal("splice still running 5 s after both sides ended")
		return spliceResult{}
	}
}

func TestSpliceCopiesBothWays(t *testing.T) {
	for _, mode := range spliceModes {
		t.Run(mode.name, func(t *testing.T) {
			a, b, result := startSplice(t, mode.wrap, time.Minute)
			a.SetDeadline(time.Now().Add(10 * time.Second))
			b.SetDeadline(time.Now().Add(10 * time.Second))

			request := make([]byte, 4<<20)
			rand.Read(request)
			go func() {
				a.Write(request)
				a.CloseWrite()
			}()
			got, err := io.ReadAll(b)
			if err != nil {
				t.Fatalf("reading the request: %v", err)
			}
			if !bytes.Equal(got, request) {
				t.Fatalf("the far side read %d bytes that differ from the %d sent", len(got), len(request))
			}

			if _, err := b.Write([]byte("response")); err != nil {
				t.Fatalf("writing after the peer half-closed: %v", err)
			}
			b.CloseWrite()
			reply, err := io.ReadAll(a)
			if err != nil || string(reply) != "response" {
				t.Fatalf("a read %q, %v; want the response then EOF", reply, err)
			}

			res := waitSplice(t, result)
			if res.err != nil {
				t.Errorf("splice ended with %v, want a clean end", res.err)
			}
			if res.aToB != int64(len(request)) {
				t.Errorf("splice counted %d bytes from a to b, want %d", res.aToB, len(request))
			}
			if res.bToA != int64(len("response")) {
				t.Errorf("splice counted %d bytes from b to a, want %d", res.bToA, len("response"))
			}
		})
	}
}

func TestSpliceCutsIdlePair(t *testing.T) {
	for _, mode := range spliceModes {
		t.Run(mode.name, func(t *testing.T) {
			const idle = 200 * time.Millisecond
			a, _, result := startSplice(t, mode.wrap, idle)

			start := time.Now()
			a.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := a.Read(make([]byte, 1)); err == nil || isTimeout(err) {
				t.Fatalf("read on an idle splice: %v, want the splice to close it", err)
			}
			// The kernel copy's watchdog cuts between one and two idle
			// periods, and the rest is slack for a loaded machine.
			if took := time.Since(start); took > 5*idle {
				t.Errorf("idle splice cut after %v, want within %v", took, 5*idle)
			}
			if res := waitSplice(t, result); !errors.Is(res.err, errIdle) {
				t.Errorf("splice ended with %v, want %v", res.err, errIdle)
			}
		})
	}
}

// TestSpliceKeepsTrickle sends one byte every idle/4 for three idle
// periods: slow traffic is not idleness. The idle period is long enough
// that a loaded machine does not delay a byte past it.
func TestSpliceKeepsTrickle(t *testing.T) {
	for _, mode := range spliceModes {
		t.Run(mode.name, func(t *testing.T) {
			const idle = time.Second
			a, b, result := startSplice(t, mode.wrap, idle)
			b.SetReadDeadline(time.Now().Add(10 * time.Second))

			buf := make([]byte, 1)
			for i := range 12 {
				time.Sleep(idle / 4)
				if _, err := a.Write([]byte{byte(i)}); err != nil {
					t.Fatalf("byte %d of the trickle: write: %v", i, err)
				}
				if _, err := io.ReadFull(b, buf); err != nil {
					t.Fatalf("byte %d of the trickle: read: %v", i, err)
				}
			}

			a.Close()
			b.Close()
			waitSplice(t, result)
		})
	}
}
