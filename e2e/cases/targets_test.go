package cases_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// C6: nothing listens at the target. Each client connection closes within
// a second with nothing received, the outlet logs the refusal once for the
// burst, and no descriptor is left behind.
func TestTargetRefuses(t *testing.T) {
	const attempts = 100
	eachRoute(t, func(t *testing.T, route string) {
		target := closedAddr(t)
		p := openPortal(t, route, target, nil)

		// One connection first, so that the buffers and goroutines of a
		// first refusal are in the baseline.
		expectRefused(t, p, -1)
		baseline := openFiles(t)

		for i := range attempts {
			if !expectRefused(t, p, i) {
				break
			}
		}

		logged := p.sharer.logs.lines("service target unreachable", target)
		if len(logged) != 1 {
			t.Errorf("outlet logged the refusal of %s %d times for a burst of %d connections, want once:\n%s", target, len(logged), attempts+1, trimLines(strings.Join(logged, ""), 5))
		}
		var now int
		if !waitUntil(2*time.Second, func() bool { now = openFiles(t); return now <= baseline }) {
			t.Errorf("%d descriptors open 2 s after %d refused connections, want at most the %d before", now, attempts, baseline)
		}
	})
}

// expectRefused connects to the inlet and checks that the connection ends
// within a second with no byte received. It reports whether it did.
func expectRefused(t *testing.T, p *portalPath, i int) bool {
	t.Helper()
	start := time.Now()
	c, err := net.DialTimeout("tcp", p.inlet, 5*time.Second)
	if errors.Is(err, syscall.ECONNRESET) {
		// The inlet accepted and reset the connection before connect
		// returned: closed at once, nothing received.
		return true
	}
	if err != nil {
		t.Fatalf("connection %d: dialing the inlet: %v", i, err)
	}
	defer c.Close()
	c.SetReadDeadline(start.Add(3 * time.Second))
	n, err := io.Copy(io.Discard, c)
	elapsed := time.Since(start)
	ok := true
	if n != 0 {
		t.Errorf("connection %d received %d bytes from a target that refuses, want none", i, n)
		ok = false
	}
	if isTimeout(err) || elapsed > time.Second {
		t.Errorf("connection %d ended after %v (%v), want within 1 s", i, elapsed, err)
		ok = false
	}
	return ok
}

func isTimeout(err error) bool {
	type timeout interface{ Timeout() bool }
	te, ok := err.(timeout)
	return ok && te.Timeout()
}

// openFiles counts this process's open descriptors.
func openFiles(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("counting descriptors: %v", err)
	}
	return len(entries)
}

// C8: the target streams endlessly (yes, behind socat). The client reads
// for a second and goes away. ss must show the target's connection closed
// within 2 s.
func TestClientGoesAway(t *testing.T) {
	eachRoute(t, func(t *testing.T, route string) {
		target := closedAddr(t)
		_, port := splitPort(t, target)
		startYes(t, port)
		p := openPortal(t, route, target, nil)

		c := p.dial(t)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		deadline := time.Now().Add(time.Second)
		var n int64
		buf := make([]byte, 32<<10)
		for time.Now().Before(deadline) {
			m, err := c.Read(buf)
			n += int64(m)
			if err != nil {
				t.Fatalf("client reading yes through the portal: %v after %d bytes", err, n)
			}
		}
		if n == 0 {
			t.Fatal("client read nothing from yes in 1 s")
		}
		if open := targetSockets(t, port); len(open) == 0 {
			t.Fatal("ss shows no connection to the target while the client reads, want one: the check cannot see it")
		}
		c.Close()
		gone := time.Now()
		t.Logf("client read %d MiB in 1 s, then closed", n>>20)

		var open []string
		if !waitUntil(2*time.Second, func() bool { open = targetSockets(t, port); return len(open) == 0 }) {
			t.Errorf("2 s after the client went away, ss still shows the target's connection:\n%s", strings.Join(open, "\n"))
		} else {
			t.Logf("target's connection closed %v after the client went away", time.Since(gone).Round(time.Millisecond))
		}
	})
}

// startYes runs socat on 127.0.0.1:port, giving each connection its own
// yes, and stops it at cleanup.
func startYes(t *testing.T, port int) {
	t.Helper()
	cmd := exec.Command("socat", "TCP-LISTEN:"+strconv.Itoa(port)+",bind=127.0.0.1,reuseaddr,fork", "EXEC:yes")
	startCmd(t, cmd)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	if !waitUntil(5*time.Second, func() bool { return canDial(addr) }) {
		t.Fatalf("socat does not listen on %s after 5 s", addr)
	}
}

// targetSockets lists the TCP sockets to or from port that are not
// listening and not in TIME-WAIT, as ss prints them.
func targetSockets(t *testing.T, port int) []string {
	t.Helper()
	filter := "( sport = :" + strconv.Itoa(port) + " or dport = :" + strconv.Itoa(port) + " )"
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ss", "-Htan", filter).Output()
	if err != nil {
		t.Fatalf("ss: %v", err)
	}
	var open []string
	for line := range strings.Lines(string(out)) {
		state := strings.Fields(line)
		if len(state) == 0 || state[0] == "LISTEN" || state[0] == "TIME-WAIT" {
			continue
		}
		open = append(open, strings.TrimSpace(line))
	}
	return open
}
