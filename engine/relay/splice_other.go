//go:build !linux

package relay

import (
	"net"
	"time"
)

// spliceInKernel returns false: outside Linux the relay copies through
// user space (see splicer.copyHalf).
func spliceInKernel(a, b net.Conn, idle time.Duration) (spliceResult, bool) {
	return spliceResult{}, false
}
