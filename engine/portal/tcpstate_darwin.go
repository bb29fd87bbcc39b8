package portal

import (
	"net"

	"golang.org/x/sys/unix"
)

// tcpsClosed is the BSD TCPS_CLOSED state (netinet/tcp_fsm.h).
const tcpsClosed = 0

// closedByReset reports whether the kernel has closed conn without this
// side having sent a FIN, which means the peer reset it. A FIN alone
// leaves the socket in CLOSE_WAIT.
//
// NOTE: written from the macOS headers and type-checked only; no test has
// run it on macOS.
func closedByReset(conn *net.TCPConn) bool {
	raw, err := conn.SyscallConn()
	if err != nil {
		return false
	}
	state := uint8(255)
	raw.Control(func(fd uintptr) {
		if info, err := unix.GetsockoptTCPConnectionInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_CONNECTION_INFO); err == nil {
			state = info.State
		}
	})
	return state == tcpsClosed
}
