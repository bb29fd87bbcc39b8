package cases_test

import (
	"bytes"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine"
)

// C9 is scaled down. The idle period of 10 minutes becomes idleTimeout
// (2 s) when an idle timeout is configured, and silentFor (6 s) without
// one. The trickle keeps its rate of 1 byte per second.
const (
	idleTimeout = 2 * time.Second
	silentFor   = 6 * time.Second
)

// C9: a silent connection stays open when no idle timeout is configured.
func TestIdleSilentStaysOpen(t *testing.T) {
	eachRoute(t, func(t *testing.T, route string) {
		echo := startEcho(t)
		p := openPortal(t, route, echo.Addr().String(), nil)
		c := p.dial(t)
		roundTrip(t, c, "before the silence")

		time.Sleep(silentFor)
		roundTrip(t, c, "after "+silentFor.String()+" of silence")
	})
}

// C9: with an idle timeout, a silent connection is reset after it, on
// both ends, and a trickle of 1 byte per second is never cut.
func TestIdleTimeout(t *testing.T) {
	withIdle := func(o *engine.Options) { o.IdleTimeout = idleTimeout }
	eachRoute(t, func(t *testing.T, route string) {
		ln := listen(t)
		p := openPortal(t, route, ln.Addr().String(), withIdle)

		t.Run("silent", func(t *testing.T) {
			c := p.dial(t)
			c.Write([]byte{1})
			tc := acceptOne(t, ln)
			io.ReadFull(tc, make([]byte, 1))
			start := time.Now()

			tc.SetReadDeadline(start.Add(3 * idleTimeout))
			_, targetErr := tc.Read(make([]byte, 1))
			targetAfter := time.Since(start)
			c.SetReadDeadline(start.Add(3 * idleTimeout))
			_, clientErr := c.Read(make([]byte, 1))
			t.Logf("target's end after %v: %v; client's: %v", targetAfter.Round(time.Millisecond), targetErr, clientErr)

			if isTimeout(targetErr) {
				t.Errorf("target's connection still open %v after the last byte, want it reset after the idle timeout of %v", 3*idleTimeout, idleTimeout)
			} else if targetAfter < idleTimeout {
				t.Errorf("target's connection ended %v after the last byte, before the idle timeout of %v", targetAfter, idleTimeout)
			}
			if isTimeout(clientErr) {
				t.Errorf("client's connection still open %v after the last byte, want it reset after the idle timeout of %v", 3*idleTimeout, idleTimeout)
			}
		})

		t.Run("trickle", func(t *testing.T) {
			// Only the client sends; the target is silent until the end.
			c := p.dial(t)
			c.Write([]byte{0})
			tc := acceptOne(t, ln)
			const bytes = 6
			for i := range bytes {
				time.Sleep(time.Second)
				if _, err := c.Write([]byte{byte(i + 1)}); err != nil {
					t.Fatalf("trickle byte %d after %d s: %v", i+1, i+1, err)
				}
			}
			tc.SetReadDeadline(time.Now().Add(5 * time.Second))
			got := make([]byte, bytes+1)
			if _, err := io.ReadFull(tc, got); err != nil {
				t.Fatalf("target reading the trickle: %v", err)
			}
			if _, err := tc.Write([]byte("done")); err != nil {
				t.Fatalf("target answering after the trickle: %v", err)
			}
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			answer := make([]byte, 4)
			if _, err := io.ReadFull(c, answer); err != nil {
				t.Errorf("client reading the answer after a %d s trickle with an idle timeout of %v: %v, want the connection intact", bytes, idleTimeout, err)
			}
		})
	})
}

// C9: a peer that stops responding (SIGSTOP: its sockets stay open) is
// detected by keepalive, and the client's connection ends instead of
// staying half-open.
func TestDeadPeer(t *testing.T) {
	const keepalive = 500 * time.Millisecond
	eachRoute(t, func(t *testing.T, route string) {
		echo := startEcho(t)
		p := openProcPortal(t, route, echo.Addr().String(), "", "--keepalive", keepalive.String())
		c := p.dial(t)
		roundTrip(t, c, "before the sharer stops")

		if err := p.sharer.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatalf("stopping the sharer: %v", err)
		}
		stopped := time.Now()
		t.Cleanup(func() { p.sharer.cmd.Process.Signal(syscall.SIGCONT) })

		// Keepalive detects a dead peer within 3 intervals; allow 2 s
		// more for -race and scheduling.
		limit := 3*keepalive + 2*time.Second
		c.SetReadDeadline(stopped.Add(3 * limit))
		_, err := c.Read(make([]byte, 1))
		elapsed := time.Since(stopped)
		t.Logf("client's connection ended %v after the sharer stopped: %v", elapsed.Round(time.Millisecond), err)
		if isTimeout(err) || elapsed > limit {
			t.Errorf("client's connection ended %v after the sharer stopped (%v), want within %v (3 keepalive intervals of %v, plus 2 s)", elapsed, err, limit, keepalive)
		}
		if err == nil {
			t.Errorf("client's connection ended with a clean EOF when the sharer died, want a reset")
		}
	})
}

// roundTrip sends a message on c and checks its echo.
func roundTrip(t *testing.T, c net.Conn, when string) {
	t.Helper()
	msg := []byte("are you there?")
	c.SetDeadline(time.Now().Add(5 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := c.Write(msg); err != nil {
		t.Fatalf("writing %s: %v", when, err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("reading the echo %s: %v, want the connection open", when, err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("echo %s is %q, want %q", when, got, msg)
	}
}
