package seal

import (
	"crypto/sha256"
	"encoding/binary"
)

// Code-signing blob magics and slot numbers (<Security/CSCommonPriv.h>,
// also in xnu's cs_blobs.h). All code-signing structures are big-endian,
// unlike the Mach-O file that carries them.
const (
	magicEmbeddedSignature = 0xfade0cc0 // SuperBlob of an embedded signature
	magicCodeDirectory     = 0xfade0c02
	magicRequirements      = 0xfade0c01 // requirement set
	magicBlobWrapper       = 0xfade0b01 // CMS signature wrapper

	slotCodeDirectory = 0
	slotRequirements  = 2
	slotCMSSignature  = 0x10000
)

// Special slots of a CodeDirectory: slot -n holds the hash of the item
// below. They are stored in front of the code slots, from -n up to -1.
const (
	specialInfoPlist     = 1 // Contents/Info.plist
	specialRequirements  = 2 // the requirements blob in the SuperBlob
	specialResourceDir   = 3 // Contents/_CodeSignature/CodeResources
	specialSlotsBundle   = specialResourceDir
	specialSlotsStandard = specialRequirements
)

// emptyRequirements is an ad-hoc signature's requirement set: the magic,
// the blob length (12) and a count of zero.
func emptyRequirements() []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint32(b, magicRequirements)
	binary.BigEndian.PutUint32(b[4:], 12)
	return b
}

// emptyCMS is the CMS wrapper that an ad-hoc signature carries: a blob
// header with no payload. codesign writes it too, and some verifiers
// expect the slot to be present.
func emptyCMS() []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint32(b, magicBlobWrapper)
	binary.BigEndian.PutUint32(b[4:], 8)
	return b
}

// indexedBlob is one entry of a SuperBlob.
type indexedBlob struct {
	slot uint32
	data []byte
}

// superBlobSize is the encoded size of a SuperBlob holding blobs of the
// given sizes: a 12-byte header, an 8-byte index entry per blob, the blobs.
func superBlobSize(sizes ...int) int {
	n := 12 + 8*len(sizes)
	for _, s := range sizes {
		n += s
	}
	return n
}

// encodeSuperBlob lays out the header, the index (slot, offset from the
// SuperBlob's start) and the blobs in order.
func encodeSuperBlob(blobs []indexedBlob) []byte {
	sizes := make([]int, len(blobs))
	for i, b := range blobs {
		sizes[i] = len(b.data)
	}
	out := make([]byte, 12+8*len(blobs), superBlobSize(sizes...))
	be := binary.BigEndian
	be.PutUint32(out, magicEmbeddedSignature)
	be.PutUint32(out[4:], uint32(cap(out)))
	be.PutUint32(out[8:], uint32(len(blobs)))
	off := len(out)
	for i, b := range blobs {
		be.PutUint32(out[12+8*i:], b.slot)
		be.PutUint32(out[16+8*i:], uint32(off))
		off += len(b.data)
	}
	for _, b := range blobs {
		out = append(out, b.data...)
	}
	return out
}

func sha256Of(b []byte) [sha256.Size]byte {
	return sha256.Sum256(b)
}
