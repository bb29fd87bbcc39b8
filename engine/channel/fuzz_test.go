package channel

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/flynn/noise"

	"github.com/portalsapp/portals/engine/identity"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite the committed fuzz seed corpora under testdata/fuzz")

// streamConn is a net.Conn that reads a fixed byte stream and discards
// what is written to it.
type streamConn struct {
	r *bytes.Reader
}

func newStreamConn(data []byte) *streamConn { return &streamConn{r: bytes.NewReader(data)} }

func (c *streamConn) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c *streamConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *streamConn) Close() error                     { return nil }
func (c *streamConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *streamConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *streamConn) SetDeadline(time.Time) error      { return nil }
func (c *streamConn) SetReadDeadline(time.Time) error  { return nil }
func (c *streamConn) SetWriteDeadline(time.Time) error { return nil }

// fuzzKey is the fixed receive key of the frame fuzz target, so that the
// committed seeds can hold authentic frames for the fuzzer to mutate.
var fuzzKey = [32]byte{1, 2, 3, 4, 5, 6, 7, 8}

func fuzzCipher() *noise.CipherState {
	return noise.UnsafeNewCipherState(cipherSuite, fuzzKey, 0)
}

// sealForFuzz returns the wire bytes of frames sealed under fuzzKey.
func sealForFuzz(frames ...[]byte) []byte {
	cs := fuzzCipher()
	var out []byte
	for _, plain := range frames {
		sealed, err := cs.Encrypt(nil, nil, plain)
		if err != nil {
			panic(err)
		}
		out = binary.BigEndian.AppendUint16(out, uint16(len(sealed)))
		out = append(out, sealed...)
	}
	return out
}

func dataFrame(data []byte) []byte { return append([]byte{byte(frameData)}, data...) }

// frameSeeds are inputs at the edges of the frame layout.
func frameSeeds() map[string][]byte {
	withPrefix := func(size int) []byte {
		return append(binary.BigEndian.AppendUint16(nil, uint16(size)), make([]byte, size)...)
	}
	return map[string][]byte{
		"empty":               {},
		"one-byte-prefix":     {0},
		"zero-length":         {0, 0},
		"below-minimum":       withPrefix(minFrameSize - 1),
		"minimum-forged":      withPrefix(minFrameSize),
		"maximum-forged":      withPrefix(MaxFrameSize),
		"one-byte-frame":      sealForFuzz(dataFrame([]byte{'x'})),
		"largest-frame":       sealForFuzz(dataFrame(bytes.Repeat([]byte{'y'}, maxFrameData))),
		"close-frame":         sealForFuzz([]byte{byte(frameClose)}),
		"data-then-close":     sealForFuzz(dataFrame([]byte("abc")), []byte{byte(frameClose)}),
		"empty-data-frame":    sealForFuzz([]byte{byte(frameData)}),
		"unknown-type":        sealForFuzz([]byte{7, 'z'}),
		"close-with-data":     sealForFuzz([]byte{byte(frameClose), 'z'}),
		"truncated-authentic": sealForFuzz(dataFrame([]byte("abc")))[:10],
	}
}

// FuzzReadFrames feeds arbitrary bytes to the transport reader. It must
// never panic, release more bytes than it received, or recover from a
// final error.
func FuzzReadFrames(f *testing.F) {
	addSeeds(f, frameSeeds())
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &Conn{conn: newStreamConn(data), rekeyInterval: RekeyInterval}
		c.rx.cipher = fuzzCipher()

		got, err := io.ReadAll(c)
		if len(got) > len(data) {
			t.Fatalf("released %d bytes from %d input bytes", len(got), len(data))
		}
		if err == nil {
			return
		}
		if _, again := c.Read(make([]byte, 1)); !errors.Is(again, err) {
			t.Fatalf("error %v was followed by %v, want the same final error", err, again)
		}
	})
}

// handshakeSeeds are streams at the edges of handshake message sizes.
func handshakeSeeds() map[string][]byte {
	message := func(size int) []byte {
		return append(binary.BigEndian.AppendUint16(nil, uint16(size)), bytes.Repeat([]byte{9}, size)...)
	}
	return map[string][]byte{
		"empty":              {},
		"prefix-only":        {0, msg1Size},
		"message-1-short":    message(msg1Size - 1),
		"message-1":          message(msg1Size),
		"message-1-long":     message(msg1Size + 1),
		"at-limit":           message(maxHandshakeMessageSize),
		"above-limit":        message(maxHandshakeMessageSize + 1),
		"maximum-prefix":     {0xff, 0xff},
		"message-1-then-3":   append(message(msg1Size), message(48+maxPayloadSize/2)...),
		"message-1-then-max": append(message(msg1Size), message(maxHandshakeMessageSize)...),
	}
}

// FuzzServerHandshake feeds arbitrary bytes to the responder as the
// initiator's messages 1 and 3. Completing the handshake would need the
// initiator's keys, so it must always fail, and never panic.
func FuzzServerHandshake(f *testing.F) {
	addSeeds(f, handshakeSeeds())
	_, server := testConfigs(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := Server(context.Background(), newStreamConn(data), server); err == nil {
			t.Fatal("handshake completed on fuzz input")
		}
	})
}

// FuzzClientHandshake feeds arbitrary bytes to the initiator as the
// responder's message 2.
func FuzzClientHandshake(f *testing.F) {
	addSeeds(f, handshakeSeeds())
	client, server := testConfigs(f)
	expected := server.Credentials.Identity().ID()
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := Client(context.Background(), newStreamConn(data), client, expected); err == nil {
			t.Fatal("handshake completed on fuzz input")
		}
	})
}

// payloadSeeds are identity payloads at their size edges.
func payloadSeeds() map[string][]byte {
	id, err := identity.FromSeed(make([]byte, 32))
	if err != nil {
		panic(err)
	}
	attestation, err := id.Attest(make([]byte, 32), time.Unix(0, 0), time.Unix(1, 0))
	if err != nil {
		panic(err)
	}
	longName := string(bytes.Repeat([]byte{'n'}, MaxDisplayNameSize))
	valid := payload{attestation: attestation, displayName: "node"}.marshal()
	return map[string][]byte{
		"empty":           {},
		"version-only":    {payloadVersion},
		"minimum":         {payloadVersion, 0, 0, 0},
		"valid":           valid,
		"longest-name":    payload{attestation: attestation, displayName: longName}.marshal(),
		"name-too-long":   append(payload{attestation: attestation, displayName: longName}.marshal(), 'n'),
		"trailing-byte":   append(append([]byte(nil), valid...), 0),
		"above-limit":     make([]byte, maxPayloadSize+1),
		"wrong-version":   append([]byte{payloadVersion + 1}, valid[1:]...),
		"control-in-name": payload{attestation: attestation, displayName: "a\nb"}.marshal(),
	}
}

// FuzzParsePayload checks that the identity payload parser never panics
// and that whatever it accepts encodes back to the same bytes.
func FuzzParsePayload(f *testing.F) {
	addSeeds(f, payloadSeeds())
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parsePayload(data)
		if err != nil {
			return
		}
		if again := p.marshal(); !bytes.Equal(again, data) {
			t.Fatalf("accepted payload re-encodes differently:\n got %x\nwant %x", again, data)
		}
	})
}

// addSeeds adds the seeds to f. The same seeds are committed under
// testdata/fuzz so that `go test -fuzz` starts from them; -update-seeds
// rewrites those files.
func addSeeds(f *testing.F, seeds map[string][]byte) {
	for _, data := range seeds {
		f.Add(data)
	}
	if *updateSeeds {
		writeSeedCorpus(f, seeds)
	}
}

func writeSeedCorpus(f *testing.F, seeds map[string][]byte) {
	dir := filepath.Join("testdata", "fuzz", f.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		f.Fatal(err)
	}
	for name, data := range seeds {
		content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			f.Fatal(err)
		}
	}
}
