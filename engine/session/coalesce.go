package session

import (
	"encoding/binary"

	"github.com/portalsapp/portals/engine/channel"
)

// yamux v0.1.2 frame header, as its sendLoop writes it: version (1 byte),
// type (1), flags (2), stream ID (4), length (4), all big-endian. For a
// data frame the length counts the body bytes that the next write carries.
const (
	yamuxHeaderSize   = 12
	yamuxTypeData     = 0
	yamuxLengthOffset = 8
)

// frameCoalescer sits between yamux and the channel. yamux writes each
// data frame as two writes, the header and then the body, which would cost
// two sealed channel frames and two system calls. The coalescer holds a
// data header back and writes it together with the body that follows.
// Other frames (window updates, pings, a data header without a body) go
// out at once. Only yamux's send goroutine writes, so no lock is needed.
type frameCoalescer struct {
	*channel.Conn
	header [yamuxHeaderSize]byte
	held   bool
}

func (w *frameCoalescer) Write(p []byte) (int, error) {
	if w.held {
		w.held = false
		return w.Conn.WriteWithPrefix(w.header[:], p)
	}
	if len(p) == yamuxHeaderSize && p[1] == yamuxTypeData && binary.BigEndian.Uint32(p[yamuxLengthOffset:]) > 0 {
		copy(w.header[:], p)
		w.held = true
		return len(p), nil
	}
	return w.Conn.Write(p)
}
