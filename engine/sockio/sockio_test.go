package sockio

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine/internal/loopback"
	"golang.org/x/net/nettest"
)

// tcpPair returns both ends of one loopback TCP connection, each wrapped.
func tcpPair(t *testing.T) (*Conn, *Conn) {
	dialed, accepted := loopback.TCPPair(t)
	return New(dialed), New(accepted)
}

// TestConnContract runs x/net/nettest's checks of net.Conn behaviour:
// deadlines, concurrent use, Close unblocking reads and writes.
func TestConnContract(t *testing.T) {
	nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
		a, b := tcpPair(t)
		return a, b, func() {
			a.Close()
			b.Close()
		}, nil
	})
}

// TestWriteFillsSlowReader writes far more than the socket buffers hold,
// so Write must wait for room again and again.
func TestWriteFillsSlowReader(t *testing.T) {
	a, b := tcpPair(t)
	data := make([]byte, 32<<20)
	rand.Read(data)

	errs := make(chan error, 1)
	go func() {
		n, err := a.Write(data)
		if err == nil && n != len(data) {
			err = io.ErrShortWrite
		}
		a.CloseWrite()
		errs <- err
	}()

	b.SetReadDeadline(time.Now().Add(20 * time.Second))
	var got bytes.Buffer
	buf := make([]byte, 4096)
	for {
		n, err := b.Read(buf)
		got.Write(buf[:n])
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("reading after %d bytes: %v", got.Len(), err)
		}
	}

	if err := <-errs; err != nil {
		t.Fatalf("write: %v", err)
	}
	if !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("read %d bytes that differ from the %d written", got.Len(), len(data))
	}
}

func TestReadReportsReset(t *testing.T) {
	a, b := tcpPair(t)
	b.SetLinger(0)
	b.Close()

	a.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := a.Read(make([]byte, 1))
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("read after the peer's reset: %v, want ECONNRESET", err)
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) || opErr.Op != "read" {
		t.Errorf("error %#v is not a net.OpError for op read", err)
	}
}

func TestReadTimeoutNamesRead(t *testing.T) {
	a, _ := tcpPair(t)
	a.SetReadDeadline(time.Now().Add(20 * time.Millisecond))

	_, err := a.Read(make([]byte, 1))
	var opErr *net.OpError
	if !errors.As(err, &opErr) || !opErr.Timeout() {
		t.Fatalf("read past the deadline: %v, want a timeout", err)
	}
	if opErr.Op != "read" {
		t.Errorf("timeout op is %q, want read", opErr.Op)
	}
}

func TestReadWriteAllocateNothing(t *testing.T) {
	a, b := tcpPair(t)
	out, in := make([]byte, 1000), make([]byte, 1000)

	allocs := testing.AllocsPerRun(100, func() {
		if _, err := a.Write(out); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(b, in); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("a write and a read of 1000 bytes cost %.1f allocations, want 0", allocs)
	}
}

// TestWriteHappensBeforeRead checks that the race detector orders a write
// before the read of its data, as it does for *net.TCPConn. A value set
// before the write is then read after the read without a report.
func TestWriteHappensBeforeRead(t *testing.T) {
	a, b := tcpPair(t)
	var shared int
	go func() {
		shared = 42
		a.Write([]byte{1})
	}()

	b.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(b, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	if shared != 42 {
		t.Fatalf("shared = %d after the read, want 42", shared)
	}
}

func TestEmptyReadOnClosedConn(t *testing.T) {
	a, _ := tcpPair(t)
	a.Close()
	if _, err := a.Read(nil); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("empty read on a closed conn: %v, want net.ErrClosed", err)
	}
}
