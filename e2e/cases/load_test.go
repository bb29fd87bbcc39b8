package cases_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// C5: 2000 client connections at once, each sends 1 KiB, reads the echo,
// holds 5 s and closes. All are served, and within 5 s of the last close
// every engine process is back to its baseline of descriptors and
// goroutines (the relay process to its descriptors).
func TestManyConnections(t *testing.T) {
	const (
		conns = 2000
		hold  = 5 * time.Second
		// goroutineSlack allows for the engine's own short-lived
		// goroutines (keepalive pings, RTT probes, the local API request
		// itself) that may run at one count and not at the other.
		goroutineSlack = 5
	)
	eachRoute(t, func(t *testing.T, route string) {
		echo := startEcho(t)
		p := openProcPortal(t, route, echo.Addr().String(), "")

		// One connection first, so that the session and the first
		// stream's buffers are in the baseline.
		if err := echoOnce(p.inlet, 0, nil); err != nil {
			t.Fatalf("warm-up connection: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
		type baseline struct{ goroutines, fds int }
		base := map[*portalsProc]baseline{}
		for _, e := range p.engines() {
			s := e.runtime(t)
			base[e] = baseline{s.Goroutines, s.OpenFiles}
			t.Logf("%s baseline: %d goroutines, %d descriptors", e.name, s.Goroutines, s.OpenFiles)
		}
		var relayFDs int
		if p.relay != nil {
			relayFDs = p.relay.fds(t)
			t.Logf("relay baseline: %d descriptors", relayFDs)
		}

		var served, failed atomic.Int64
		var firstErr sync.Once
		var errMsg string
		var wg sync.WaitGroup
		release := make(chan struct{})
		start := time.Now()
		for i := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := echoOnce(p.inlet, i, release); err != nil {
					failed.Add(1)
					firstErr.Do(func() { errMsg = err.Error() })
					return
				}
				served.Add(1)
			}()
		}
		// Every connection holds until all have had their echo, and at
		// least hold.
		time.Sleep(hold)
		peak := map[*portalsProc]int{}
		for _, e := range p.engines() {
			peak[e] = e.runtime(t).OpenFiles
		}
		close(release)
		wg.Wait()
		lastClose := time.Now()
		t.Logf("%d connections served, %d failed, in %v", served.Load(), failed.Load(), lastClose.Sub(start).Round(time.Millisecond))
		if failed.Load() > 0 {
			t.Errorf("%d of %d connections failed, want all served; first failure: %s", failed.Load(), conns, errMsg)
		}

		for _, e := range p.engines() {
			b := base[e]
			var s = e.runtime(t)
			back := waitUntil(5*time.Second, func() bool {
				s = e.runtime(t)
				return s.OpenFiles <= b.fds && s.Goroutines <= b.goroutines+goroutineSlack
			})
			t.Logf("%s: %d descriptors at the peak, %d goroutines and %d descriptors %v after the last close", e.name, peak[e], s.Goroutines, s.OpenFiles, time.Since(lastClose).Round(time.Millisecond))
			if !back {
				t.Errorf("%s 5 s after the last close: %d descriptors (baseline %d), %d goroutines (baseline %d, slack %d); sockets by state: inlet side %v, target side %v",
					e.name, s.OpenFiles, b.fds, s.Goroutines, b.goroutines, goroutineSlack, socketStates(t, "sport", p.inlet), socketStates(t, "dport", echo.Addr().String()))
			}
		}
		if p.relay != nil {
			var n int
			if !waitUntil(5*time.Second, func() bool { n = p.relay.fds(t); return n <= relayFDs }) {
				t.Errorf("relay 5 s after the last close: %d descriptors, want at most the %d before", n, relayFDs)
			}
		}
	})
}

// socketStates counts the TCP sockets whose dir ("sport" or "dport")
// is the port of addr, by state, as ss shows them.
func socketStates(t *testing.T, dir, addr string) map[string]int {
	t.Helper()
	_, port := splitPort(t, addr)
	out, err := exec.Command("ss", "-Htan", fmt.Sprintf("( %s = :%d )", dir, port)).Output()
	if err != nil {
		t.Fatalf("ss: %v", err)
	}
	counts := map[string]int{}
	for line := range strings.Lines(string(out)) {
		if f := strings.Fields(line); len(f) > 0 {
			counts[f[0]]++
		}
	}
	return counts
}

// echoOnce connects to addr, sends 1 KiB, checks the echo, waits for
// release (if not nil) and closes.
func echoOnce(addr string, i int, release <-chan struct{}) error {
	c, err := net.DialTimeout("tcp", addr, 20*time.Second)
	if err != nil {
		return fmt.Errorf("connection %d: dialing: %w", i, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	msg := make([]byte, 1024)
	rand.Read(msg)
	if _, err := c.Write(msg); err != nil {
		return fmt.Errorf("connection %d: writing: %w", i, err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		return fmt.Errorf("connection %d: reading the echo: %w", i, err)
	}
	if !bytes.Equal(got, msg) {
		return fmt.Errorf("connection %d: the echo differs from what was sent", i)
	}
	if release != nil {
		<-release
	}
	return nil
}

// startEcho runs an echo server on a free loopback port.
func startEcho(t *testing.T) net.Listener {
	t.Helper()
	ln := listen(t)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	return ln
}
