package channel

import (
	"net"
	"testing"

	"golang.org/x/net/nettest"

	"github.com/portalsapp/portals/engine/identity"
)

// TestNetConnConformance runs the x/net/nettest suite, which checks the
// net.Conn contract: concurrent use, deadlines in the past, present and
// future, timeouts that leave the connection usable, and Close unblocking
// pending calls.
func TestNetConnConformance(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
				client, server := testConfigs(t)
				clientRaw, serverRaw := tr.pipe(t)
				c, s := handshakePair(t, clientRaw, serverRaw, client, server, identity.ID{})
				if c.err != nil {
					return nil, nil, nil, c.err
				}
				if s.err != nil {
					return nil, nil, nil, s.err
				}
				stop = func() {
					c.conn.Close()
					s.conn.Close()
				}
				return c.conn, s.conn, stop, nil
			})
		})
	}
}
