package cases_test

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// C7: the target's SYNs are dropped (an nft rule in a network namespace
// the test creates; every process of the path runs in it). Each client
// connection closes at the outlet's dial timeout, and the outlet logs a
// clear line naming the target.
func TestTargetBlackHole(t *testing.T) {
	needRoot(t, "it creates a network namespace with an nft rule")
	const dialTimeout = 2 * time.Second
	eachRoute(t, func(t *testing.T, route string) {
		ns := newNetns(t)
		target := "127.0.0.1:7007"
		nft(t, ns, fmt.Sprintf(`table inet portals_c7 {
	chain out {
		type filter hook output priority 0; policy accept;
		ip daddr 127.0.0.1 tcp dport 7007 tcp flags & (syn | ack) == syn drop
	}
}`))
		if c, err := dialIn(ns, target, time.Second); err == nil {
			c.Close()
			t.Fatalf("a direct dial to %s in the namespace connected, want the nft rule to drop its SYN", target)
		} else if !isTimeout(err) {
			t.Fatalf("a direct dial to %s in the namespace failed with %v, want a timeout from the dropped SYN", target, err)
		}

		p := openProcPortal(t, route, target, ns, "--dial-timeout", dialTimeout.String())
		for i := range 3 {
			c, err := dialIn(ns, p.inlet, 5*time.Second)
			if err != nil {
				t.Fatalf("connection %d: dialing the inlet %s in the namespace: %v", i, p.inlet, err)
			}
			start := time.Now()
			c.SetReadDeadline(start.Add(4 * dialTimeout))
			n, err := io.Copy(io.Discard, c)
			elapsed := time.Since(start)
			c.Close()
			t.Logf("connection %d ended after %v: %v", i, elapsed.Round(time.Millisecond), err)
			if n != 0 {
				t.Errorf("connection %d received %d bytes from a black-holed target, want none", i, n)
			}
			if isTimeout(err) {
				t.Errorf("connection %d still open after %v, want it closed at the outlet's dial timeout of %v", i, 4*dialTimeout, dialTimeout)
			} else if elapsed < dialTimeout-200*time.Millisecond || elapsed > dialTimeout+1500*time.Millisecond {
				t.Errorf("connection %d closed after %v, want at the outlet's dial timeout of %v", i, elapsed, dialTimeout)
			}
		}

		logs := p.sharer.out.String()
		var named []string
		for line := range strings.Lines(logs) {
			timeout := strings.Contains(line, "timed out") || strings.Contains(line, "timeout")
			if strings.Contains(line, target) && timeout {
				named = append(named, line)
			}
		}
		if len(named) == 0 {
			t.Errorf("the sharer's log has no line naming the target %s and saying the dial timed out; its lines about the target:\n%s", target, targetLines(logs, target))
		} else {
			t.Logf("the sharer logged: %s", strings.TrimSpace(named[0]))
		}
	})
}

// targetLines returns the lines of logs that name target.
func targetLines(logs, target string) string {
	var lines []string
	for line := range strings.Lines(logs) {
		if strings.Contains(line, target) {
			lines = append(lines, strings.TrimSpace(line))
		}
	}
	return strings.Join(lines, "\n")
}

// newNetns creates a network namespace with loopback up and deletes it
// at cleanup, after the processes in it are gone (cleanups run in reverse
// order, so it must be created before them).
func newNetns(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("portals-c7-%d-%d", os.Getpid(), time.Now().UnixNano()%1e6)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v\n%s", name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v\n%s", name, err, out)
		}
	})
	if out, err := exec.Command("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("bringing lo up in %s: %v\n%s", name, err, out)
	}
	return name
}

// nft loads ruleset into the namespace's nftables.
func nft(t *testing.T, ns, ruleset string) {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", ns, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(ruleset)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft in %s: %v\n%s", ns, err, out)
	}
}

// dialIn connects to addr from inside network namespace ns. The socket is
// created on a thread that has joined ns and stays in ns afterwards.
func dialIn(ns, addr string, timeout time.Duration) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		// The thread is only unlocked once it is back in its own
		// namespace; otherwise it ends with this goroutine.
		own, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			done <- result{err: err}
			return
		}
		defer own.Close()
		target, err := os.Open("/var/run/netns/" + ns)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer target.Close()
		if err := setns(target); err != nil {
			done <- result{err: fmt.Errorf("joining namespace %s: %w", ns, err)}
			return
		}
		c, err := net.DialTimeout("tcp", addr, timeout)
		if setns(own) == nil {
			runtime.UnlockOSThread()
		}
		done <- result{c, err}
	}()
	r := <-done
	return r.c, r.err
}

func setns(f *os.File) error {
	return unix.Setns(int(f.Fd()), unix.CLONE_NEWNET)
}
