package dmg

import "encoding/binary"

// koly is the UDIF trailer. Fields that this writer always sets to the
// same value (version, header size, flags, segment 1 of 1, device
// variant) are filled in by encode.
type koly struct {
	dataForkLength uint64
	dataForkCRC    uint32
	xmlOffset      uint64
	xmlLength      uint64
	masterCRC      uint32
	sectorCount    uint64
	segmentID      [16]byte
}

// encode lays out the 512-byte trailer. Offsets, in bytes:
//
//	0 magic, 4 version, 8 header size, 12 flags,
//	16 running data fork offset, 24 data fork offset, 32 data fork length,
//	40 resource fork offset, 48 resource fork length,
//	56 segment number, 60 segment count, 64 segment id (16),
//	80 data fork checksum (136), 216 XML offset, 224 XML length,
//	232 reserved (120), 352 master checksum (136), 488 image variant,
//	492 sector count, 500 reserved (12).
func (k koly) encode() []byte {
	b := make([]byte, kolySize)
	be := binary.BigEndian
	be.PutUint32(b[0:], kolyMagic)
	be.PutUint32(b[4:], kolyVersion)
	be.PutUint32(b[8:], kolySize)
	be.PutUint32(b[12:], flagFlattened)
	be.PutUint64(b[32:], k.dataForkLength)
	be.PutUint32(b[56:], 1)
	be.PutUint32(b[60:], 1)
	copy(b[64:80], k.segmentID[:])
	putChecksum(b[80:], k.dataForkCRC)
	be.PutUint64(b[216:], k.xmlOffset)
	be.PutUint64(b[224:], k.xmlLength)
	putChecksum(b[352:], k.masterCRC)
	be.PutUint32(b[488:], variantDevice)
	be.PutUint64(b[492:], k.sectorCount)
	return b
}
