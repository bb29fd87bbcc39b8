package relay

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// maxTrackedSources bounds the per-source rate limiter's table. When it is
// full, the limiter removes sources whose bucket has refilled, and if that
// frees nothing, it lets new sources through untracked.
const maxTrackedSources = 1 << 16

// sourceLimiter is a token bucket per source IP address that limits how
// fast one address may open new connections. It is safe for concurrent
// use.
type sourceLimiter struct {
	rate  float64 // tokens per second
	burst float64 // bucket size

	mu      sync.Mutex // guards buckets
	buckets map[netip.Addr]*bucket
}

// bucket is one source's token bucket.
type bucket struct {
	tokens float64
	last   time.Time
}

func newSourceLimiter(rate float64, burst int) *sourceLimiter {
	return &sourceLimiter{rate: rate, burst: float64(burst), buckets: make(map[netip.Addr]*bucket)}
}

// allow takes one token from the bucket of addr's IP address and reports
// whether there was one. Addresses without an IP (such as pipes in tests)
// share one bucket.
func (l *sourceLimiter) allow(addr net.Addr, now time.Time) bool {
	ip := sourceIP(addr)

	l.mu.Lock()
	defer l.mu.Unlock()

	b := l.buckets[ip]
	if b == nil {
		if len(l.buckets) >= maxTrackedSources && !l.pruneLocked(now) {
			// NOTE: with the table full of active sources, new sources are
			// not limited until some bucket refills.
			return true
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[ip] = b
	}

	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// pruneLocked removes every source whose bucket has refilled by now and
// reports whether it removed any. The caller holds l.mu.
func (l *sourceLimiter) pruneLocked(now time.Time) bool {
	pruned := false
	for ip, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, ip)
			pruned = true
		}
	}
	return pruned
}

// sourceIP returns the IP address of a TCP or UDP address, unmapped from
// IPv4-in-IPv6, or the zero Addr for any other kind of address.
func sourceIP(addr net.Addr) netip.Addr {
	switch a := addr.(type) {
	case *net.TCPAddr:
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap()
	case *net.UDPAddr:
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap()
	default:
		return netip.Addr{}
	}
}
