package portal

import (
	"net"

	"golang.org/x/sys/unix"
)

// tcpClose is Linux's TCP_CLOSE state (include/net/tcp_states.h).
const tcpClose = 7

// closedByReset reports whether the kernel has closed conn without this
// side having sent a FIN, which means the peer reset it. A FIN alone
// leaves the socket in CLOSE_WAIT.
func closedByReset(conn *net.TCPConn) bool {
	raw, err := conn.SyscallConn()
	if err != nil {
		return false
	}
	var state uint8
	raw.Control(func(fd uintptr) {
		if info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO); err == nil {
			state = info.State
		}
	})
	return state == tcpClose
}
