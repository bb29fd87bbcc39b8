package relay

import (
	"bytes"
	"strings"
	"testing"
)

func FuzzReadHello(f *testing.F) {
	f.Add(appendHello(nil, hello{kind: kindControl}))
	f.Add(appendHello(nil, hello{kind: kindDial}))
	f.Add(appendHello(nil, hello{kind: kindDialBack}))
	f.Add([]byte("prly\x01\x02\x1f"))
	f.Add([]byte("prly\x01\x02\x21"))
	f.Add([]byte("prly\x01\x02\xff"))
	f.Add([]byte("prly\x01\x01\x00extra"))

	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := readHello(bytes.NewReader(data))
		if err != nil {
			return
		}
		encoded := appendHello(nil, h)
		if !bytes.HasPrefix(data, encoded) {
			t.Fatalf("accepted %x, which re-encodes as %x", data, encoded)
		}
	})
}

func FuzzReadControl(f *testing.F) {
	var tok token
	f.Add(appendControl(nil, msgPing, nil))
	f.Add(appendControl(nil, msgRegister, make([]byte, secretSize)))
	f.Add(appendControl(nil, msgDialBack, dialBackBody(tok, strings.Repeat("a", maxDialerAddrSize))))
	f.Add([]byte("\x04\x00\x1f"))
	f.Add([]byte("\x04\x00\x61"))
	f.Add([]byte("\x04\xff\xff"))

	f.Fuzz(func(t *testing.T, data []byte) {
		var m controlMessage
		if err := readControl(bytes.NewReader(data), &m); err != nil {
			return
		}
		encoded := appendControl(nil, m.typ, m.body())
		if !bytes.HasPrefix(data, encoded) {
			t.Fatalf("accepted %x, which re-encodes as %x", data, encoded)
		}
	})
}

func FuzzParseLink(f *testing.F) {
	l := testLink()
	f.Add(l.String())
	l.Addr = strings.Repeat("h", maxLinkAddrSize-5) + ":7700"
	f.Add(l.String())
	f.Add(LinkPrefix)
	f.Add(LinkPrefix + strings.Repeat("a", maxLinkTextSize-len(LinkPrefix)))
	f.Add(LinkPrefix + strings.Repeat("a", maxLinkTextSize-len(LinkPrefix)+1))

	f.Fuzz(func(t *testing.T, s string) {
		link, err := ParseLink(s)
		if err != nil {
			return
		}
		again, err := ParseLink(link.String())
		if err != nil || again != link {
			t.Fatalf("accepted %q, but its re-encoding does not parse back: %v", s, err)
		}
	})
}
