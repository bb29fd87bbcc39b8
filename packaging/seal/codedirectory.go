package seal

import (
	"crypto/sha256"
	"encoding/binary"
)

// CodeDirectory fields this package writes (version 0x20400, the first with
// the executable-segment fields that macOS 11+ on Apple silicon expects).
const (
	cdVersion       = 0x20400
	cdHeaderSize    = 88 // fields up to and including execSegFlags
	cdFlagAdhoc     = 0x2
	cdHashTypeSHA   = 2 // SHA-256
	cdPageShift     = 12
	cdPageSize      = 1 << cdPageShift // 4096 bytes per code slot
	execSegMainBin  = 0x1
	cdhashTruncated = 20 // bytes of a CodeDirectory hash that CodeResources and requirements use
)

// codeDirectory is the content of one CodeDirectory.
type codeDirectory struct {
	identifier string
	// special holds the special-slot hashes, special[i] being slot -(i+1);
	// a zero hash marks an unbound slot.
	special [][sha256.Size]byte
	// code is the signed range, file offset 0 up to the code limit.
	code []byte
	// execSegBase, execSegLimit are __TEXT's file offset and size.
	execSegBase, execSegLimit uint64
	mainBinary                bool
}

// cdSize is the encoded size of a CodeDirectory for an identifier of
// idLen bytes, nSpecial special slots and codeLen signed bytes.
func cdSize(idLen, nSpecial, codeLen int) int {
	return cdHeaderSize + idLen + 1 + (nSpecial+codeSlots(codeLen))*sha256.Size
}

func codeSlots(codeLen int) int {
	return (codeLen + cdPageSize - 1) / cdPageSize
}

// encode writes the CodeDirectory: header, identifier, special slots from
// -n to -1, then one SHA-256 per 4096-byte page of code (the last page
// hashed over its actual length).
func (cd *codeDirectory) encode() []byte {
	nSpecial := len(cd.special)
	nCode := codeSlots(len(cd.code))
	size := cdSize(len(cd.identifier), nSpecial, len(cd.code))
	identOffset := cdHeaderSize
	hashOffset := identOffset + len(cd.identifier) + 1 + nSpecial*sha256.Size

	b := make([]byte, size)
	be := binary.BigEndian
	be.PutUint32(b[0:], magicCodeDirectory)
	be.PutUint32(b[4:], uint32(size))
	be.PutUint32(b[8:], cdVersion)
	be.PutUint32(b[12:], cdFlagAdhoc)
	be.PutUint32(b[16:], uint32(hashOffset))
	be.PutUint32(b[20:], uint32(identOffset))
	be.PutUint32(b[24:], uint32(nSpecial))
	be.PutUint32(b[28:], uint32(nCode))
	be.PutUint32(b[32:], uint32(len(cd.code)))
	b[36] = sha256.Size
	b[37] = cdHashTypeSHA
	b[38] = 0 // platform
	b[39] = cdPageShift
	// 40: spare2, 44: scatterOffset, 48: teamOffset, 52: spare3 stay zero;
	// 56: codeLimit64 stays zero because the code limit fits in 32 bits.
	be.PutUint64(b[64:], cd.execSegBase)
	be.PutUint64(b[72:], cd.execSegLimit)
	if cd.mainBinary {
		be.PutUint64(b[80:], execSegMainBin)
	}

	copy(b[identOffset:], cd.identifier)
	for i, h := range cd.special {
		copy(b[hashOffset-(i+1)*sha256.Size:], h[:])
	}
	for i := 0; i < nCode; i++ {
		end := min((i+1)*cdPageSize, len(cd.code))
		h := sha256.Sum256(cd.code[i*cdPageSize : end])
		copy(b[hashOffset+i*sha256.Size:], h[:])
	}
	return b
}
