//go:build !linux && !darwin

package portal

import "net"

// closedByReset cannot read the TCP state on this platform, so a reset
// that another read or write has already reported looks like a FIN.
func closedByReset(*net.TCPConn) bool { return false }
