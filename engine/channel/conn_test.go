package channel

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestConnRoundTrip(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			clientCfg, serverCfg := testConfigs(t)
			client, server := connectedPair(t, tr, clientCfg, serverCfg)

			if got, want := client.Peer().ID, serverCfg.Credentials.Identity().ID(); got != want {
				t.Errorf("client sees peer %v, want %v", got, want)
			}
			if got, want := server.Peer().ID, clientCfg.Credentials.Identity().ID(); got != want {
				t.Errorf("server sees peer %v, want %v", got, want)
			}
			if got := server.Peer().DisplayName; got != "alice" {
				t.Errorf("server sees display name %q, want alice", got)
			}
			if !bytes.Equal(client.HandshakeHash(), server.HandshakeHash()) {
				t.Error("handshake hashes differ between the two ends")
			}

			go func() {
				client.Write([]byte("hello"))
				client.CloseWrite()
			}()
			got, err := io.ReadAll(server)
			if err != nil {
				t.Fatalf("server read: %v", err)
			}
			if string(got) != "hello" {
				t.Errorf("server read %q, want hello", got)
			}

			go func() {
				server.Write([]byte("world"))
				server.Close()
			}()
			got, err = io.ReadAll(client)
			if err != nil {
				t.Fatalf("client read: %v", err)
			}
			if string(got) != "world" {
				t.Errorf("client read %q, want world", got)
			}
			if _, err := client.Write([]byte("x")); !errors.Is(err, ErrWriteAfterClose) {
				t.Errorf("write after CloseWrite: got %v, want ErrWriteAfterClose", err)
			}
		})
	}
}

// TestFrameAllocations checks that sealing and opening a frame after the
// first one allocates nothing in the channel itself.
func TestFrameAllocations(t *testing.T) {
	client, server := testConfigs(t)
	c, s := connectedPair(t, transports[1], client, server)
	msg := bytes.Repeat([]byte{'a'}, 1000)
	buf := make([]byte, len(msg))

	roundTrip := func() {
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(s, buf); err != nil {
			t.Fatal(err)
		}
	}
	roundTrip()

	if allocs := testing.AllocsPerRun(100, roundTrip); allocs > 0 {
		t.Errorf("a 1000-byte frame costs %.1f allocations, want 0", allocs)
	}
}

// TestWriteWithPrefix checks that a prefix and data arrive as their
// concatenation, for data that fits in the first frame, data that spans
// several frames, and a prefix alone.
func TestWriteWithPrefix(t *testing.T) {
	client, server := testConfigs(t)
	c, s := connectedPair(t, transports[1], client, server)

	cases := []struct {
		name         string
		prefix, data []byte
	}{
		{"small", []byte("head"), []byte("body")},
		{"spans frames", bytes.Repeat([]byte{'h'}, 12), bytes.Repeat([]byte{'b'}, 3*maxFrameData+5)},
		{"prefix only", []byte("alone"), nil},
	}
	for _, tc := range cases {
		n, err := c.WriteWithPrefix(tc.prefix, tc.data)
		if err != nil || n != len(tc.data) {
			t.Fatalf("%s: WriteWithPrefix = %d, %v; want %d, nil", tc.name, n, err, len(tc.data))
		}
		want := append(append([]byte(nil), tc.prefix...), tc.data...)
		got := make([]byte, len(want))
		if _, err := io.ReadFull(s, got); err != nil {
			t.Fatalf("%s: read: %v", tc.name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: received %d bytes that differ from the %d sent", tc.name, len(got), len(want))
		}
	}

	if _, err := c.WriteWithPrefix(make([]byte, MaxPrefixSize+1), nil); err == nil {
		t.Error("a prefix over MaxPrefixSize was accepted")
	}
}
