package channel

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

const integrityBytes = 64 << 20

// randomStream is a deterministic pseudo-random byte stream of a fixed
// length, so sender and checker agree without keeping 64 MiB in memory.
func randomStream(seed uint64, size int64) io.Reader {
	return io.LimitReader(rand.NewChaCha8(seedBytes(seed)), size)
}

func seedBytes(seed uint64) [32]byte {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return s
}

// writeRandomSizes writes src to w in chunks of 1 byte to 1 MiB, sizes
// drawn at random, then closes w's direction.
func writeRandomSizes(w *Conn, src io.Reader, seed uint64) error {
	sizes := rand.New(rand.NewPCG(seed, 1))
	buf := make([]byte, 1<<20)
	for {
		n, err := io.ReadFull(src, buf[:1+sizes.IntN(len(buf))])
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return w.CloseWrite()
		}
		if err != nil {
			return err
		}
	}
}

// readDigest reads r to the end with reads of readSize bytes and returns
// the SHA-256 of what it read and the byte count.
func readDigest(r io.Reader, readSize int) ([]byte, int64, error) {
	h := sha256.New()
	buf := make([]byte, readSize)
	var total int64
	for {
		n, err := r.Read(buf)
		h.Write(buf[:n])
		total += int64(n)
		if errors.Is(err, io.EOF) {
			return h.Sum(nil), total, nil
		}
		if err != nil {
			return nil, total, err
		}
	}
}

func expectedDigest(t *testing.T, seed uint64, size int64) []byte {
	t.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, randomStream(seed, size)); err != nil {
		t.Fatal(err)
	}
	return h.Sum(nil)
}

// transferBothWays sends size bytes each way at once and checks both
// digests. readSize is the buffer each reader uses.
func transferBothWays(t *testing.T, client, server *Conn, size int64, readSize int) {
	t.Helper()
	deadline := time.Now().Add(4 * time.Minute)
	client.SetDeadline(deadline)
	server.SetDeadline(deadline)

	type result struct {
		digest []byte
		n      int64
		err    error
	}
	var wg sync.WaitGroup
	var writeErrs [2]error
	var results [2]result
	for i, pair := range [][2]*Conn{{client, server}, {server, client}} {
		seed := uint64(i + 1)
		wg.Add(2)
		go func() {
			defer wg.Done()
			writeErrs[i] = writeRandomSizes(pair[0], randomStream(seed, size), seed)
		}()
		go func() {
			defer wg.Done()
			d, n, err := readDigest(pair[1], readSize)
			results[i] = result{d, n, err}
		}()
	}
	wg.Wait()

	for i, name := range []string{"client to server", "server to client"} {
		if writeErrs[i] != nil {
			t.Errorf("%s: write failed: %v", name, writeErrs[i])
		}
		r := results[i]
		if r.err != nil {
			t.Errorf("%s: read failed after %d bytes: %v", name, r.n, r.err)
			continue
		}
		if r.n != size {
			t.Errorf("%s: received %d bytes, want %d", name, r.n, size)
		}
		if want := expectedDigest(t, uint64(i+1), size); string(r.digest) != string(want) {
			t.Errorf("%s: SHA-256 %x, want %x", name, r.digest, want)
		}
	}
}

// TestIntegrityRandomWriteSizes moves 64 MiB each way at once, written in
// random sizes, over both transports, with a small rekey interval so that
// many key changes happen mid-stream.
func TestIntegrityRandomWriteSizes(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			client, server := testConfigs(t)
			client.rekeyInterval, server.rekeyInterval = 97, 97
			c, s := connectedPair(t, tr, client, server)
			transferBothWays(t, c, s, integrityBytes, 256<<10)
		})
	}
}

// TestIntegrityOneByteReads moves 64 MiB each way and reads it back one
// byte per Read call.
func TestIntegrityOneByteReads(t *testing.T) {
	client, server := testConfigs(t)
	client.rekeyInterval, server.rekeyInterval = 97, 97
	c, s := connectedPair(t, transports[1], client, server)
	transferBothWays(t, c, s, integrityBytes, 1)
}

// TestRekeyBoundary sends single-byte frames across several rekey
// boundaries and checks that each side changes keys exactly after frame
// k*interval-1, and that both sides agree.
func TestRekeyBoundary(t *testing.T) {
	const interval = 3
	client, server := testConfigs(t)
	client.rekeyInterval, server.rekeyInterval = interval, interval
	c, s := connectedPair(t, transports[1], client, server)

	r := bufio.NewReader(s)
	for frame := uint64(0); frame < 4*interval; frame++ {
		before := c.tx.cipher.UnsafeKey()
		if _, err := c.Write([]byte{byte(frame)}); err != nil {
			t.Fatalf("frame %d: write: %v", frame, err)
		}
		after := c.tx.cipher.UnsafeKey()

		got, err := r.ReadByte()
		if err != nil {
			t.Fatalf("frame %d: read: %v", frame, err)
		}
		if got != byte(frame) {
			t.Fatalf("frame %d: read %d", frame, got)
		}

		wantRekey := (frame+1)%interval == 0
		if rekeyed := before != after; rekeyed != wantRekey {
			t.Errorf("frame %d: sender changed key: %v, want %v", frame, rekeyed, wantRekey)
		}
		s.rx.Lock()
		receiverKey := s.rx.cipher.UnsafeKey()
		s.rx.Unlock()
		if receiverKey != after {
			t.Errorf("frame %d: receiver key differs from sender key", frame)
		}
	}
}

// TestRekeyMismatchFails shows that rekeying really changes the keys: a
// receiver that rekeys one frame later than the sender cannot open the
// first frame after the sender's boundary.
func TestRekeyMismatchFails(t *testing.T) {
	client, server := testConfigs(t)
	client.rekeyInterval, server.rekeyInterval = 3, 4
	c, s := connectedPair(t, transports[1], client, server)

	go func() {
		for i := range 5 {
			c.Write([]byte{byte(i)})
		}
	}()
	s.SetReadDeadline(time.Now().Add(5 * time.Second))
	var got []byte
	buf := make([]byte, 1)
	var err error
	for err == nil {
		var n int
		n, err = s.Read(buf)
		got = append(got, buf[:n]...)
	}
	if string(got) != "\x00\x01\x02" {
		t.Errorf("received %v, want the 3 frames before the boundary", got)
	}
	if !errors.Is(err, ErrFrameAuth) {
		t.Errorf("error %v, want ErrFrameAuth", err)
	}
}
