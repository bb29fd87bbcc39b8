package seal

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"os"
)

// Ad-hoc signature of one Mach-O file.
//
// An ad-hoc signature proves nothing about who made the file: it is a
// CodeDirectory of hashes with no certificate. macOS still requires one on
// Apple silicon before it runs any code, and Gatekeeper checks the bundle
// seal against it, so a tampered bundle fails to launch even unsigned.

// Seals are the special-slot inputs of a signature. Nil fields leave their
// slot unbound (zero).
type Seals struct {
	// InfoPlist is the exact content of Contents/Info.plist (slot -1).
	InfoPlist []byte
	// CodeResources is the exact content of
	// Contents/_CodeSignature/CodeResources (slot -3).
	CodeResources []byte
}

// SignFile replaces the signature of the thin Mach-O at path, if any, with
// an ad-hoc signature whose CodeDirectory has the given identifier and
// binds seals. It returns the CodeDirectory hash (SHA-256 of the encoded
// CodeDirectory), the value that CodeResources records for nested code.
// The file is rewritten in place with its mode kept.
func SignFile(path, identifier string, seals Seals) ([sha256.Size]byte, error) {
	var cdhash [sha256.Size]byte
	info, err := os.Stat(path)
	if err != nil {
		return cdhash, fmt.Errorf("seal: %w", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return cdhash, fmt.Errorf("seal: %w", err)
	}
	signed, cdhash, err := sign(data, identifier, seals)
	if err != nil {
		return cdhash, fmt.Errorf("%w (file %s)", err, path)
	}
	if err := os.WriteFile(path, signed, info.Mode().Perm()); err != nil {
		return cdhash, fmt.Errorf("seal: writing the signed %s: %w", path, err)
	}
	return cdhash, nil
}

// sign returns data with a new ad-hoc signature; see SignFile.
func sign(data []byte, identifier string, seals Seals) ([]byte, [sha256.Size]byte, error) {
	var cdhash [sha256.Size]byte
	if identifier == "" {
		return nil, cdhash, fmt.Errorf("seal: empty signing identifier")
	}
	m, err := parseMachO(append([]byte(nil), data...))
	if err != nil {
		return nil, cdhash, err
	}
	if err := m.stripSignature(); err != nil {
		return nil, cdhash, err
	}

	// Special slots: a bundle's main executable binds Info.plist and
	// CodeResources as well as the requirements; a lone binary binds only
	// the requirements.
	requirements := emptyRequirements()
	nSpecial := specialSlotsStandard
	if seals.CodeResources != nil {
		nSpecial = specialSlotsBundle
	}
	special := make([][sha256.Size]byte, nSpecial)
	special[specialRequirements-1] = sha256Of(requirements)
	if seals.InfoPlist != nil {
		special[specialInfoPlist-1] = sha256Of(seals.InfoPlist)
	}
	if seals.CodeResources != nil {
		special[specialResourceDir-1] = sha256Of(seals.CodeResources)
	}

	// The size of the signature depends only on the code length, which is
	// known once the old signature is gone and the file is 16-byte aligned.
	codeLen := int(roundUp(uint64(len(m.data)), 16))
	if codeLen > math.MaxUint32 {
		return nil, cdhash, fmt.Errorf("seal: %d bytes of code exceed the 4 GiB that a 32-bit code limit covers", codeLen)
	}
	cmsBlob := emptyCMS()
	sigSize := superBlobSize(cdSize(len(identifier), nSpecial, codeLen), len(requirements), len(cmsBlob))
	codeLimit := m.reserveSignature(sigSize)

	cd := codeDirectory{
		identifier:   identifier,
		special:      special,
		code:         m.data[:codeLimit],
		execSegBase:  m.text.fileoff,
		execSegLimit: m.text.filesize,
		mainBinary:   m.fileType == mhExecute,
	}
	cdBlob := cd.encode()
	sig := encodeSuperBlob([]indexedBlob{
		{slotCodeDirectory, cdBlob},
		{slotRequirements, requirements},
		{slotCMSSignature, cmsBlob},
	})
	if len(sig) != sigSize {
		return nil, cdhash, fmt.Errorf("seal: internal error: signature is %d bytes, %d were reserved", len(sig), sigSize)
	}
	return append(m.data, sig...), sha256Of(cdBlob), nil
}

// ReadCDHash returns the hash of the first CodeDirectory in the signature
// of the thin Mach-O at path, read back with this package's own parser.
func ReadCDHash(path string) ([sha256.Size]byte, error) {
	var h [sha256.Size]byte
	data, err := os.ReadFile(path)
	if err != nil {
		return h, fmt.Errorf("seal: %w", err)
	}
	m, err := parseMachO(data)
	if err != nil {
		return h, fmt.Errorf("%w (file %s)", err, path)
	}
	if m.sigCmdOffset < 0 {
		return h, fmt.Errorf("seal: %s has no code signature; sign it before sealing the bundle", path)
	}

	be, le := binary.BigEndian, binary.LittleEndian
	off := uint64(le.Uint32(data[m.sigCmdOffset+8:]))
	size := uint64(le.Uint32(data[m.sigCmdOffset+12:]))
	if off+size > uint64(len(data)) || size < 12 {
		return h, fmt.Errorf("seal: the signature of %s lies outside the file", path)
	}

	sb := data[off : off+size]
	count := uint64(be.Uint32(sb[8:]))
	if be.Uint32(sb) != magicEmbeddedSignature || 12+8*count > size {
		return h, fmt.Errorf("seal: the signature of %s is not an embedded-signature SuperBlob", path)
	}
	for i := uint64(0); i < count; i++ {
		if be.Uint32(sb[12+8*i:]) != slotCodeDirectory {
			continue
		}
		at := uint64(be.Uint32(sb[16+8*i:]))
		if at+8 > size || be.Uint32(sb[at:]) != magicCodeDirectory {
			return h, fmt.Errorf("seal: the CodeDirectory of %s is malformed", path)
		}
		n := uint64(be.Uint32(sb[at+4:]))
		if at+n > size {
			return h, fmt.Errorf("seal: the CodeDirectory of %s runs past its signature", path)
		}
		return sha256Of(sb[at : at+n]), nil
	}
	return h, fmt.Errorf("seal: the signature of %s has no CodeDirectory", path)
}
