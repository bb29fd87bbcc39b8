package engine

import (
	"sync"
	"time"
)

// Local tuning.
const (
	// acceptRetryDelay paces Accept after an error such as EMFILE, so the
	// loop never spins.
	acceptRetryDelay = 100 * time.Millisecond

	// repeatLogInterval is how often the same error from one loop is
	// logged again while it keeps happening.
	repeatLogInterval = 30 * time.Second
)

// logLimiter lets a loop log an error when it differs from the previous
// one or when repeatLogInterval has passed, so a retry loop writes a few
// lines, not one per attempt. It is safe for concurrent use.
type logLimiter struct {
	mu       sync.Mutex
	last     string
	lastTime time.Time
}

func newLogLimiter() *logLimiter { return &logLimiter{} }

func (l *logLimiter) allow(message string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()

	now := time.Now()
	if message == l.last && now.Sub(l.lastTime) < repeatLogInterval {
		return false
	}
	l.last, l.lastTime = message, now
	return true
}

// reset makes the next message log even if it repeats the last one.
func (l *logLimiter) reset() {
	l.mu.Lock()
	l.last = ""
	l.mu.Unlock()
}
