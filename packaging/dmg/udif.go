package dmg

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
)

// UDIF ("Universal Disk Image Format") as written here: a read-only
// zlib-compressed image (the format hdiutil calls UDZO), laid out as
//
//	data fork   the chunks, each a zlib stream of up to chunkSectors sectors
//	XML plist   resource-fork dictionary with one "blkx" entry: a mish
//	            table that maps sector ranges to chunks
//	koly        512-byte big-endian trailer at the very end of the file
//
// All integers are big-endian. Sectors are 512 bytes.

// Sizes and magics of the format.
const (
	SectorSize = 512

	// chunkSectors is how many sectors one chunk covers (1 MiB), the
	// size hdiutil uses; readers allocate BuffersNeeded sectors for it.
	chunkSectors = 2048

	mishMagic      = 0x6d697368 // "mish", a blkx table
	mishHeaderSize = 204
	mishChunkSize  = 40

	kolyMagic   = 0x6b6f6c79 // "koly", the trailer
	kolySize    = 512
	kolyVersion = 4

	checksumCRC32 = 2 // UDIFChecksum type: CRC-32 (IEEE), 32 bits
	checksumSize  = 136

	flagFlattened = 1 // the data fork and the metadata are in one file
	variantDevice = 1 // the image is a whole device, not one partition
)

// Chunk entry types of a blkx table.
const (
	chunkZlib       = 0x80000005
	chunkIgnore     = 0x00000002 // sectors read as zeros, no data stored
	chunkTerminator = 0xffffffff
)

// chunk is one entry of the blkx table. Sector numbers are relative to the
// table's first sector; offsets are absolute in the data fork.
type chunk struct {
	kind                uint32
	sector, sectors     uint64
	offset, compressLen uint64
}

// Write wraps raw, a whole device image whose length is a multiple of
// SectorSize, in a UDIF image and writes it to w. name labels the blkx
// entry (hdiutil shows it). The output depends only on raw, name and the
// Go version's zlib encoder.
func Write(w io.Writer, raw []byte, name string) error {
	if len(raw) == 0 || len(raw)%SectorSize != 0 {
		return fmt.Errorf("dmg: the raw image is %d bytes, not a positive multiple of %d-byte sectors", len(raw), SectorSize)
	}
	totalSectors := uint64(len(raw) / SectorSize)

	// Data fork: compress each chunk; all-zero chunks store nothing.
	var fork bytes.Buffer
	var chunks []chunk
	for first := uint64(0); first < totalSectors; first += chunkSectors {
		n := min(chunkSectors, totalSectors-first)
		data := raw[first*SectorSize : (first+n)*SectorSize]
		c := chunk{kind: chunkIgnore, sector: first, sectors: n, offset: uint64(fork.Len())}
		if !allZero(data) {
			start := fork.Len()
			zw := zlib.NewWriter(&fork)
			if _, err := zw.Write(data); err != nil {
				return fmt.Errorf("dmg: compressing sectors %d-%d: %w", first, first+n-1, err)
			}
			if err := zw.Close(); err != nil {
				return fmt.Errorf("dmg: compressing sectors %d-%d: %w", first, first+n-1, err)
			}
			c.kind, c.compressLen = chunkZlib, uint64(fork.Len()-start)
		}
		chunks = append(chunks, c)
	}
	chunks = append(chunks, chunk{kind: chunkTerminator, sector: totalSectors, offset: uint64(fork.Len())})

	// Metadata: one blkx table for the whole device.
	imageCRC := crc32.ChecksumIEEE(raw)
	table := encodeMish(totalSectors, imageCRC, chunks)
	xmlPlist := encodeResourceFork(name, table)

	trailer := koly{
		dataForkLength: uint64(fork.Len()),
		dataForkCRC:    crc32.ChecksumIEEE(fork.Bytes()),
		xmlOffset:      uint64(fork.Len()),
		xmlLength:      uint64(len(xmlPlist)),
		masterCRC:      masterChecksum([]uint32{imageCRC}),
		sectorCount:    totalSectors,
		segmentID:      segmentID(raw),
	}
	for _, part := range [][]byte{fork.Bytes(), xmlPlist, trailer.encode()} {
		if _, err := w.Write(part); err != nil {
			return fmt.Errorf("dmg: writing the image: %w", err)
		}
	}
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// encodeMish writes a blkx table covering sectors [0, sectors) whose
// checksum is the CRC-32 of those sectors uncompressed.
func encodeMish(sectors uint64, crc uint32, chunks []chunk) []byte {
	b := make([]byte, mishHeaderSize+mishChunkSize*len(chunks))
	be := binary.BigEndian
	be.PutUint32(b[0:], mishMagic)
	be.PutUint32(b[4:], 1) // version
	be.PutUint64(b[8:], 0) // first sector
	be.PutUint64(b[16:], sectors)
	be.PutUint64(b[24:], 0)              // data offset: chunk offsets are absolute
	be.PutUint32(b[32:], chunkSectors+8) // buffers needed, in sectors
	be.PutUint32(b[36:], 0)              // block descriptors
	putChecksum(b[64:], crc)             // after 24 reserved bytes at 40
	be.PutUint32(b[200:], uint32(len(chunks)))
	for i, c := range chunks {
		e := b[mishHeaderSize+mishChunkSize*i:]
		be.PutUint32(e[0:], c.kind)
		be.PutUint32(e[4:], 0) // comment
		be.PutUint64(e[8:], c.sector)
		be.PutUint64(e[16:], c.sectors)
		be.PutUint64(e[24:], c.offset)
		be.PutUint64(e[32:], c.compressLen)
	}
	return b
}

// putChecksum writes a UDIFChecksum (type, bit count, 32 words of data)
// holding one CRC-32.
func putChecksum(b []byte, crc uint32) {
	be := binary.BigEndian
	be.PutUint32(b[0:], checksumCRC32)
	be.PutUint32(b[4:], 32)
	be.PutUint32(b[8:], crc)
}

// masterChecksum is the CRC-32 over the blkx tables' CRC-32 values, each
// as 4 big-endian bytes, in table order.
func masterChecksum(tableCRCs []uint32) uint32 {
	buf := make([]byte, 4*len(tableCRCs))
	for i, c := range tableCRCs {
		binary.BigEndian.PutUint32(buf[4*i:], c)
	}
	return crc32.ChecksumIEEE(buf)
}

// segmentID derives the image's 16-byte segment id from its content, so
// the same image always gets the same id (a name-based UUID, version 5
// layout over SHA-256).
func segmentID(raw []byte) [16]byte {
	sum := sha256.Sum256(raw)
	var id [16]byte
	copy(id[:], sum[:16])
	id[6] = id[6]&0x0f | 0x50
	id[8] = id[8]&0x3f | 0x80
	return id
}
