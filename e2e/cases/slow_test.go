package cases_test

import (
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// C4: the target streams up to 1 GiB as fast as it can; the client reads
// at 1 MiB/s. The resident memory of every process in the path grows by
// less than 64 MiB, and the outlet stops reading the target while the
// window is full.
//
// Scaled down: the client reads for slowFor (10 s) instead of 30 s, to
// keep the suite within its time budget. The target fills every buffer in
// the path (the mux window of 8 MiB and the socket buffers) in well under
// a second on loopback. So the backpressure and the memory bound are in
// force for most of the 10 s.
func TestSlowConsumer(t *testing.T) {
	const (
		slowFor    = 10 * time.Second
		readRate   = 1 << 20 // bytes per second
		maxGrowth  = 64 << 20
		targetSize = 1 << 30
	)
	eachRoute(t, func(t *testing.T, route string) {
		ln := listen(t)
		var written atomic.Int64
		go streamTarget(ln, targetSize, &written)
		p := openProcPortal(t, route, ln.Addr().String(), "")

		base := map[*portalsProc]int64{}
		for _, proc := range p.all() {
			base[proc] = proc.rss(t)
		}

		c := p.dial(t)
		peak := map[*portalsProc]int64{}
		var read int64
		buf := make([]byte, readRate/16)
		start := time.Now()
		for tick := 0; time.Since(start) < slowFor; tick++ {
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, err := io.ReadFull(c, buf)
			read += int64(n)
			if err != nil {
				t.Fatalf("client reading at 1 MiB/s: %v after %d bytes", err, read)
			}
			for _, proc := range p.all() {
				peak[proc] = max(peak[proc], proc.rss(t))
			}
			// Pace the reads: tick+1 blocks of 1/16 s each.
			time.Sleep(time.Until(start.Add(time.Duration(tick+1) * time.Second / 16)))
		}
		sent := written.Load()
		t.Logf("client read %d MiB in %v; target wrote %d MiB", read>>20, time.Since(start).Round(time.Millisecond), sent>>20)

		for _, proc := range p.all() {
			growth := peak[proc] - base[proc]
			t.Logf("%s: RSS %d MiB before, peak %d MiB, growth %d MiB", proc.name, base[proc]>>20, peak[proc]>>20, growth>>20)
			if growth >= maxGrowth {
				t.Errorf("%s: resident memory grew by %d MiB while the client read slowly, want under %d MiB", proc.name, growth>>20, maxGrowth>>20)
			}
		}
		if ahead := sent - read; ahead > maxGrowth {
			t.Errorf("target wrote %d MiB while the client read %d MiB: %d MiB ahead, want the outlet to stop reading the target once the window is full (under %d MiB ahead)", sent>>20, read>>20, ahead>>20, maxGrowth>>20)
		}
	})
}

// streamTarget accepts one connection and writes size bytes to it as fast
// as the connection takes them, counting them in written.
func streamTarget(ln net.Listener, size int64, written *atomic.Int64) {
	c, err := ln.Accept()
	if err != nil {
		return
	}
	defer c.Close()
	buf := make([]byte, 64<<10)
	for written.Load() < size {
		n, err := c.Write(buf)
		written.Add(int64(n))
		if err != nil {
			return
		}
	}
}
