package session

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"sync/atomic"
	"testing"

	"github.com/portalsapp/portals/engine/channel"
)

// countingConn counts the writes that reach the network.
type countingConn struct {
	net.Conn
	writes atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

func yamuxHeader(frameType byte, length uint32) []byte {
	h := make([]byte, yamuxHeaderSize)
	h[1] = frameType
	binary.BigEndian.PutUint32(h[yamuxLengthOffset:], length)
	return h
}

// TestCoalescerMergesDataFrames checks that a data header and its body
// leave as one network write and arrive intact, and that other headers
// leave at once.
func TestCoalescerMergesDataFrames(t *testing.T) {
	dialed, accepted := tcpPair(t, nil)
	counter := &countingConn{Conn: dialed}
	serverCfg := channelConfig(t, "server")
	serverDone := make(chan *channel.Conn, 1)
	go func() {
		c, err := channel.Server(context.Background(), accepted, serverCfg)
		if err != nil {
			t.Error(err)
		}
		serverDone <- c
	}()
	client, err := channel.Client(context.Background(), counter, channelConfig(t, "client"), serverCfg.Credentials.Identity().ID())
	if err != nil {
		t.Fatal(err)
	}
	server := <-serverDone
	defer client.Close()
	defer server.Close()

	w := &frameCoalescer{Conn: client}
	before := counter.writes.Load()
	header, body := yamuxHeader(yamuxTypeData, 5), []byte("hello")
	w.Write(header)
	if got := counter.writes.Load() - before; got != 0 {
		t.Errorf("a data header with a body caused %d network writes before its body, want 0", got)
	}
	w.Write(body)
	if got := counter.writes.Load() - before; got != 1 {
		t.Errorf("a data header and its body took %d network writes, want 1", got)
	}

	update := yamuxHeader(1, 4096)
	w.Write(update)
	if got := counter.writes.Load() - before; got != 2 {
		t.Errorf("a window update waited for more data: %d network writes in all, want 2", got)
	}

	want := append(append(append([]byte(nil), header...), body...), update...)
	got := make([]byte, len(want))
	if _, err := io.ReadFull(server, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("received %x, want %x", got, want)
	}
}
