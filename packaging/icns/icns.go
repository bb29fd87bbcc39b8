// Package icns draws the Portals icon and writes it as an Apple icon
// container (.icns), so the bundle's icon is generated from source rather
// than committed as an opaque binary.
//
// The container layout is: the magic "icns", the total length as a
// big-endian uint32 (header included), then one element per image: a
// four-character type, the element length (its 8-byte header included) and
// a PNG stream. Every type used here accepts PNG data since macOS 10.7.
package icns

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image/png"
)

// headerSize is the size of the container header and of each element
// header: a four-character code and a big-endian uint32 length.
const headerSize = 8

// Element is one image of the container.
type Element struct {
	// Type is the four-character icns type, such as "ic07".
	Type string
	// Pixels is the width and height of the image that Type requires.
	Pixels int
}

// Elements are the images that Encode writes: each point size from 16 to
// 512 at 1x and 2x, as Finder and the Dock ask for them.
var Elements = []Element{
	{"icp4", 16},
	{"icp5", 32},
	{"ic11", 32}, // 16 pt @2x
	{"ic12", 64}, // 32 pt @2x
	{"ic07", 128},
	{"ic13", 256}, // 128 pt @2x
	{"ic08", 256},
	{"ic14", 512}, // 256 pt @2x
	{"ic09", 512},
	{"ic10", 1024}, // 512 pt @2x
}

// Encode draws the icon at every size in Elements and returns the .icns
// bytes. The output depends only on the drawing code and on the Go
// version's PNG encoder, so it is the same on every run.
func Encode() ([]byte, error) {
	var body bytes.Buffer
	for _, el := range Elements {
		var img bytes.Buffer
		if err := png.Encode(&img, Draw(el.Pixels)); err != nil {
			return nil, fmt.Errorf("icns: encoding the %d px image for %s: %w", el.Pixels, el.Type, err)
		}
		writeHeader(&body, el.Type, headerSize+img.Len())
		body.Write(img.Bytes())
	}

	var out bytes.Buffer
	writeHeader(&out, "icns", headerSize+body.Len())
	out.Write(body.Bytes())
	return out.Bytes(), nil
}

func writeHeader(b *bytes.Buffer, code string, length int) {
	b.WriteString(code)
	_ = binary.Write(b, binary.BigEndian, uint32(length))
}

// Parsed is one element read back by Decode.
type Parsed struct {
	Type string
	Data []byte
}

// ErrMalformed reports a container whose lengths do not add up.
var ErrMalformed = errors.New("icns: malformed container")

// Decode splits an .icns file into its elements. It checks the magic and
// that every length stays inside the file, and nothing else.
func Decode(b []byte) ([]Parsed, error) {
	if len(b) < headerSize || string(b[:4]) != "icns" {
		return nil, fmt.Errorf("%w: no icns magic", ErrMalformed)
	}
	total := int(binary.BigEndian.Uint32(b[4:8]))
	if total != len(b) {
		return nil, fmt.Errorf("%w: the header gives %d bytes, the file has %d", ErrMalformed, total, len(b))
	}
	var out []Parsed
	for off := headerSize; off < total; {
		if total-off < headerSize {
			return nil, fmt.Errorf("%w: truncated element header at offset %d", ErrMalformed, off)
		}
		n := int(binary.BigEndian.Uint32(b[off+4 : off+8]))
		if n < headerSize || off+n > total {
			return nil, fmt.Errorf("%w: element at offset %d claims %d bytes", ErrMalformed, off, n)
		}
		out = append(out, Parsed{Type: string(b[off : off+4]), Data: b[off+headerSize : off+n]})
		off += n
	}
	return out, nil
}
