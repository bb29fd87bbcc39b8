package session

import (
	"math/rand/v2"
	"time"
)

// Reconnect delays.
const (
	// DefaultBackoffMin is the first backoff step. With jitter the first
	// delay falls between 0.5 s and 1 s.
	DefaultBackoffMin = time.Second

	// DefaultBackoffMax caps the backoff step and so every delay.
	DefaultBackoffMax = 30 * time.Second
)

// Backoff yields reconnect delays: exponential from Min, doubling per
// attempt up to Max, with "equal jitter": each delay is uniform in
// [d/2, d] where d is the current step. The lower bound keeps a reconnect
// loop from ever spinning: no delay is shorter than Min/2.
//
// The zero value uses DefaultBackoffMin and DefaultBackoffMax and
// math/rand/v2. A Backoff is not safe for concurrent use.
type Backoff struct {
	// Min is the first step. Zero or negative means DefaultBackoffMin.
	Min time.Duration

	// Max caps every step. Zero or negative means DefaultBackoffMax; a
	// Max below Min is raised to Min.
	Max time.Duration

	// Rand returns a uniform value in [0, 1). Nil means rand.Float64.
	// Tests inject a fixed source.
	Rand func() float64

	step time.Duration // current step; zero before the first Next
}

// Next returns the delay before the next attempt and doubles the step.
func (b *Backoff) Next() time.Duration {
	lo, hi := b.bounds()
	if b.step < lo {
		b.step = lo
	}

	d := b.step
	half := d / 2
	delay := half + time.Duration(float64(d-half)*b.random())

	if b.step < hi {
		b.step = min(b.step*2, hi)
	}
	return delay
}

// Reset starts over from Min. Call it once a connection has stayed up.
func (b *Backoff) Reset() {
	b.step = 0
}

func (b *Backoff) bounds() (time.Duration, time.Duration) {
	lo := b.Min
	if lo <= 0 {
		lo = DefaultBackoffMin
	}
	hi := b.Max
	if hi <= 0 {
		hi = DefaultBackoffMax
	}
	return lo, max(lo, hi)
}

func (b *Backoff) random() float64 {
	if b.Rand == nil {
		return rand.Float64()
	}
	return min(max(b.Rand(), 0), 1)
}
