package relay

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestWireConstants pins every wire value, so a renumbering breaks a test
// before it breaks a deployed relay.
func TestWireConstants(t *testing.T) {
	pinned := []struct {
		name      string
		got, want int
	}{
		{"helloVersion", helloVersion, 1},
		{"kindControl", int(kindControl), 1},
		{"kindDial", int(kindDial), 2},
		{"kindDialBack", int(kindDialBack), 3},
		{"statusOK", int(statusOK), 0},
		{"statusNotRegistered", int(statusNotRegistered), 1},
		{"statusUnavailable", int(statusUnavailable), 2},
		{"statusRejected", int(statusRejected), 3},
		{"msgRegister", int(msgRegister), 1},
		{"msgRegistered", int(msgRegistered), 2},
		{"msgRejected", int(msgRejected), 3},
		{"msgDialBack", int(msgDialBack), 4},
		{"msgPing", int(msgPing), 5},
		{"maxHelloSize", maxHelloSize, 39},
		{"maxControlBodySize", maxControlBodySize, 96},
		{"linkVersion", linkVersion, 1},
	}
	for _, p := range pinned {
		if p.got != p.want {
			t.Errorf("%s = %d, want %d", p.name, p.got, p.want)
		}
	}
}

func TestHelloRoundTrip(t *testing.T) {
	var body [maxHelloBodySize]byte
	for i := range body {
		body[i] = byte(i + 1)
	}
	for _, h := range []hello{{kind: kindControl}, {kind: kindDial, body: body}, {kind: kindDialBack, body: body}} {
		encoded := appendHello(nil, h)
		got, err := readHello(bytes.NewReader(encoded))
		if err != nil {
			t.Fatalf("%s: %v", h.kind, err)
		}
		if got != h {
			t.Fatalf("%s: round trip changed the frame", h.kind)
		}

		// Byte by byte delivery must give the same frame.
		got, err = readHello(iotest.OneByteReader(bytes.NewReader(encoded)))
		if err != nil || got != h {
			t.Fatalf("%s: one byte at a time: %v", h.kind, err)
		}
	}
}

func TestReadHelloRejects(t *testing.T) {
	cases := map[string]string{
		"empty":          "",
		"short header":   "prly\x01",
		"bad magic":      "PRLY\x01\x01\x00",
		"version 0":      "prly\x00\x01\x00",
		"version 2":      "prly\x02\x01\x00",
		"kind 0":         "prly\x01\x00\x00",
		"kind 4":         "prly\x01\x04\x00",
		"dial length 31": "prly\x01\x02\x1f" + strings.Repeat("x", 31),
		"dial length 33": "prly\x01\x02\x21" + strings.Repeat("x", 33),
		"length 255":     "prly\x01\x03\xff",
		"truncated body": "prly\x01\x03\x20" + strings.Repeat("x", 31),
	}
	for name, input := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := readHello(strings.NewReader(input)); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// TestReadHelloBadLengthCheap checks that a hostile length is rejected
// from the header alone: readHello reads no body byte and makes only the
// few small allocations of its error value, whatever the length claims.
func TestReadHelloBadLengthCheap(t *testing.T) {
	input := append([]byte("prly\x01\x02\xff"), make([]byte, 255)...)
	r := bytes.NewReader(input)
	if _, err := readHello(r); err == nil {
		t.Fatal("accepted a 255-byte dial body")
	}
	if consumed := len(input) - r.Len(); consumed != helloHeaderSize {
		t.Fatalf("readHello read %d bytes, want only the %d-byte header", consumed, helloHeaderSize)
	}

	allocs := testing.AllocsPerRun(100, func() {
		r.Reset(input)
		readHello(r)
	})
	if allocs > 8 {
		t.Fatalf("readHello made %v allocations on a bad length, want at most 8", allocs)
	}
}

func TestControlRoundTrip(t *testing.T) {
	var tok token
	tok[0], tok[31] = 1, 2
	secret := bytes.Repeat([]byte{9}, secretSize)
	longAddr := strings.Repeat("a", maxDialerAddrSize+10)
	messages := []struct {
		typ  msgType
		body []byte
	}{
		{msgRegister, nil},
		{msgRegister, secret},
		{msgRegistered, nil},
		{msgRejected, nil},
		{msgPing, nil},
		{msgDialBack, dialBackBody(tok, "")},
		{msgDialBack, dialBackBody(tok, "192.0.2.1:5555")},
		{msgDialBack, dialBackBody(tok, longAddr)},
	}

	var stream []byte
	for _, m := range messages {
		stream = appendControl(stream, m.typ, m.body)
	}
	r := bytes.NewReader(stream)
	var got controlMessage
	for _, m := range messages {
		if err := readControl(r, &got); err != nil {
			t.Fatalf("%s: %v", m.typ, err)
		}
		if got.typ != m.typ || !bytes.Equal(got.body(), m.body) {
			t.Fatalf("%s: round trip changed the message", m.typ)
		}
	}
	if err := readControl(r, &got); err == nil || !strings.Contains(err.Error(), io.EOF.Error()) {
		t.Fatalf("read past the end: %v, want EOF", err)
	}

	gotTok, addr := parseDialBack(dialBackBody(tok, longAddr))
	if gotTok != tok || addr != longAddr[:maxDialerAddrSize] {
		t.Fatal("dial-back body did not cut the address to its limit")
	}
}

func TestReadControlRejects(t *testing.T) {
	cases := map[string]string{
		"unknown type":          "\x09\x00\x00",
		"type 0":                "\x00\x00\x00",
		"register 31":           "\x01\x00\x1f" + strings.Repeat("s", 31),
		"registered with body":  "\x02\x00\x01x",
		"ping with body":        "\x05\x00\x01x",
		"dial-back short token": "\x04\x00\x1f" + strings.Repeat("t", 31),
		"dial-back over limit":  "\x04\x00\x61" + strings.Repeat("t", 97),
		"length 65535":          "\x04\xff\xff",
		"truncated":             "\x04\x00\x20" + strings.Repeat("t", 10),
	}
	for name, input := range cases {
		t.Run(name, func(t *testing.T) {
			var m controlMessage
			if err := readControl(strings.NewReader(input), &m); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
