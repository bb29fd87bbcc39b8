package verify

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"

	"howett.net/plist"
)

// DMGReport is the result of DMG for one UDIF image.
type DMGReport struct {
	// Raw is the decompressed device image.
	Raw []byte
	// SectorCount is the koly trailer's sector count.
	SectorCount uint64
	// Chunks counts the chunk entries of every blkx table, terminators
	// excluded.
	Chunks int
	// DataForkCRC and MasterCRC are the trailer's checksums.
	DataForkCRC, MasterCRC uint32
}

// resourceFork is the UDIF XML metadata as howett.net/plist decodes it.
type resourceFork struct {
	Fork struct {
		Blkx []struct {
			Data []byte `plist:"Data"`
			Name string `plist:"Name"`
		} `plist:"blkx"`
	} `plist:"resource-fork"`
}

// UDIF layout constants, from the format's description (koly trailer of
// 512 big-endian bytes, mish tables of 204-byte headers and 40-byte chunk
// entries, 512-byte sectors).
const (
	udifSector = 512
	kolyLen    = 512
	mishHeader = 204
	mishEntry  = 40
	typeZlib   = 0x80000005
	typeZero   = 0x00000000
	typeIgnore = 0x00000002
	typeEnd    = 0xffffffff
	crcType    = 2
)

// DMG parses the UDIF image in img and checks that: the koly trailer is
// where and what it should be; the data fork's CRC-32 matches the trailer;
// every blkx table's chunks are contiguous, inside the data fork, and
// decompress to exactly their sector counts; each table's CRC-32 matches
// its decompressed sectors; the master checksum is the CRC-32 of the
// tables' CRCs; and the tables add up to the trailer's sector count.
func DMG(img []byte) (*DMGReport, error) {
	if len(img) < kolyLen {
		return nil, fmt.Errorf("verify: %d bytes cannot hold a koly trailer", len(img))
	}
	k := img[len(img)-kolyLen:]
	be := binary.BigEndian
	if string(k[:4]) != "koly" || be.Uint32(k[8:]) != kolyLen {
		return nil, fmt.Errorf("verify: no koly trailer at the end of the image")
	}
	forkOff, forkLen := be.Uint64(k[24:]), be.Uint64(k[32:])
	xmlOff, xmlLen := be.Uint64(k[216:]), be.Uint64(k[224:])
	body := uint64(len(img) - kolyLen)
	if forkOff+forkLen > body || xmlOff+xmlLen > body || xmlLen == 0 {
		return nil, fmt.Errorf("verify: the data fork [%d,+%d) or XML [%d,+%d) lies outside the %d-byte image", forkOff, forkLen, xmlOff, xmlLen, body)
	}
	fork := img[forkOff : forkOff+forkLen]
	rep := &DMGReport{SectorCount: be.Uint64(k[492:])}

	var err error
	if rep.DataForkCRC, err = readCRC(k[80:]); err != nil {
		return nil, fmt.Errorf("verify: data fork checksum: %w", err)
	}
	if got := crc32.ChecksumIEEE(fork); got != rep.DataForkCRC {
		return nil, fmt.Errorf("verify: data fork CRC-32 is %08x, the trailer records %08x", got, rep.DataForkCRC)
	}
	if rep.MasterCRC, err = readCRC(k[352:]); err != nil {
		return nil, fmt.Errorf("verify: master checksum: %w", err)
	}

	var rf resourceFork
	if _, err := plist.Unmarshal(img[xmlOff:xmlOff+xmlLen], &rf); err != nil {
		return nil, fmt.Errorf("verify: the XML metadata does not parse: %w", err)
	}
	if len(rf.Fork.Blkx) == 0 {
		return nil, fmt.Errorf("verify: the metadata has no blkx table")
	}

	var raw bytes.Buffer
	var tableCRCs []byte
	for i, t := range rf.Fork.Blkx {
		crc, n, err := readTable(t.Data, fork, uint64(raw.Len())/udifSector, &raw)
		if err != nil {
			return nil, fmt.Errorf("verify: blkx table %d (%s): %w", i, t.Name, err)
		}
		rep.Chunks += n
		tableCRCs = be.AppendUint32(tableCRCs, crc)
	}
	if got := crc32.ChecksumIEEE(tableCRCs); got != rep.MasterCRC {
		return nil, fmt.Errorf("verify: master checksum is %08x, the tables give %08x", rep.MasterCRC, got)
	}
	if uint64(raw.Len()) != rep.SectorCount*udifSector {
		return nil, fmt.Errorf("verify: the tables give %d bytes, the trailer's sector count %d means %d", raw.Len(), rep.SectorCount, rep.SectorCount*udifSector)
	}
	rep.Raw = raw.Bytes()
	return rep, nil
}

// readCRC reads a UDIFChecksum that must be a CRC-32.
func readCRC(b []byte) (uint32, error) {
	if t, bits := binary.BigEndian.Uint32(b), binary.BigEndian.Uint32(b[4:]); t != crcType || bits != 32 {
		return 0, fmt.Errorf("type %d with %d bits, want CRC-32", t, bits)
	}
	return binary.BigEndian.Uint32(b[8:]), nil
}

// readTable decodes one mish table, appends its sectors to raw and returns
// the table's checksum after checking it, and its number of data chunks.
func readTable(m, fork []byte, start uint64, raw *bytes.Buffer) (uint32, int, error) {
	be := binary.BigEndian
	if len(m) < mishHeader || string(m[:4]) != "mish" {
		return 0, 0, fmt.Errorf("not a mish table")
	}
	first, sectors := be.Uint64(m[8:]), be.Uint64(m[16:])
	if first != start {
		return 0, 0, fmt.Errorf("starts at sector %d, the previous table ended at %d", first, start)
	}
	crc, err := readCRC(m[64:])
	if err != nil {
		return 0, 0, err
	}
	count := int(be.Uint32(m[200:]))
	if len(m) != mishHeader+mishEntry*count {
		return 0, 0, fmt.Errorf("%d bytes for %d chunk entries", len(m), count)
	}

	begin := raw.Len()
	next, chunks := uint64(0), 0
	for i := 0; i < count; i++ {
		e := m[mishHeader+mishEntry*i:]
		kind, sec, n := be.Uint32(e), be.Uint64(e[8:]), be.Uint64(e[16:])
		off, clen := be.Uint64(e[24:]), be.Uint64(e[32:])
		if kind == typeEnd {
			if i != count-1 || sec != sectors {
				return 0, 0, fmt.Errorf("terminator at entry %d, sector %d of %d", i, sec, sectors)
			}
			break
		}
		if sec != next {
			return 0, 0, fmt.Errorf("chunk %d starts at sector %d, expected %d", i, sec, next)
		}
		if err := readChunk(kind, n, fork, off, clen, raw); err != nil {
			return 0, 0, fmt.Errorf("chunk %d: %w", i, err)
		}
		next += n
		chunks++
	}
	if next != sectors {
		return 0, 0, fmt.Errorf("chunks cover %d sectors, the table header gives %d", next, sectors)
	}
	if got := crc32.ChecksumIEEE(raw.Bytes()[begin:]); got != crc {
		return 0, 0, fmt.Errorf("CRC-32 of the sectors is %08x, the table records %08x", got, crc)
	}
	return crc, chunks, nil
}

func readChunk(kind uint32, sectors uint64, fork []byte, off, clen uint64, raw *bytes.Buffer) error {
	want := int64(sectors * udifSector)
	switch kind {
	case typeZero, typeIgnore:
		raw.Write(make([]byte, want))
		return nil
	case typeZlib:
		if off+clen > uint64(len(fork)) {
			return fmt.Errorf("compressed data [%d,+%d) outside the data fork", off, clen)
		}
		zr, err := zlib.NewReader(bytes.NewReader(fork[off : off+clen]))
		if err != nil {
			return err
		}
		n, err := io.Copy(raw, io.LimitReader(zr, want+1))
		if err != nil {
			return err
		}
		if n != want {
			return fmt.Errorf("decompresses to %d bytes, want %d", n, want)
		}
		return nil
	default:
		return fmt.Errorf("unsupported chunk type %#x", kind)
	}
}
