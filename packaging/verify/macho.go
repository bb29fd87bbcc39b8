// Package verify checks what the release tooling produced, with parsers
// that share no code with the writers: Mach-O signatures through
// github.com/blacktop/go-macho, property lists through howett.net/plist,
// and disk images through this package's own UDIF reader. Tests run it
// after the pipeline, and `portals-release verify` runs it on a dist
// directory. It must not import packages seal or dmg.
package verify

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"

	macho "github.com/blacktop/go-macho"
	cstypes "github.com/blacktop/go-macho/pkg/codesign/types"
	mtypes "github.com/blacktop/go-macho/types"
)

// Expected values of a signature. Nil seals must be unbound.
type Expected struct {
	// Identifier is the CodeDirectory identifier; empty accepts any.
	Identifier string
	// InfoPlist and CodeResources are the files that special slots -1 and
	// -3 must hash; nil means the slot must be absent or zero.
	InfoPlist, CodeResources []byte
	// AllowLinkerSigned accepts a signature that a linker wrote (flag
	// 0x20000), which binds no special slots and has no requirements.
	// The release tooling must replace those, so only tests of the
	// verifier itself set this.
	AllowLinkerSigned bool
}

// Signature is the result of MachO for one file.
type Signature struct {
	Identifier string
	// CDHash is the SHA-256 of the CodeDirectory, as go-macho computes it.
	CDHash []byte
	// Pages is the number of code slots checked.
	Pages int
	// Flags are the CodeDirectory flags (0x2 ad hoc, 0x10000 hardened
	// runtime, 0x20000 linker-signed).
	Flags uint32
}

// Required CodeDirectory properties: version with execSeg fields, SHA-256
// hashes, 4096-byte pages.
const (
	minCDVersion = 0x20400
	pageShift    = 12
	sha256Type   = 2
	specialInfo  = 1
	specialReqs  = 2
	specialRsrc  = 3

	flagAdhoc        = 0x2
	flagLinkerSigned = 0x20000
)

// MachO opens the thin Mach-O at path with go-macho and checks its
// embedded signature: placement at the end of __LINKEDIT, the first
// CodeDirectory's identifier, version, hash type and page size, every page
// hash, the executable-segment fields, and the special slots against
// want and against the requirements blob in the file.
func MachO(path string, want Expected) (*Signature, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := macho.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("verify: go-macho cannot parse %s: %w", path, err)
	}
	defer f.Close()

	cs := f.CodeSignature()
	if cs == nil {
		return nil, fmt.Errorf("verify: %s has no LC_CODE_SIGNATURE", path)
	}
	if err := checkPlacement(f, cs, len(data)); err != nil {
		return nil, fmt.Errorf("verify: %s: %w", path, err)
	}
	if len(cs.CodeDirectories) == 0 {
		return nil, fmt.Errorf("verify: %s: the signature has no CodeDirectory", path)
	}
	cd := cs.CodeDirectories[0]
	if err := checkDirectory(f, cd, data, uint64(cs.Offset), want); err != nil {
		return nil, fmt.Errorf("verify: %s: %w", path, err)
	}
	if uint32(cd.Header.Flags)&flagLinkerSigned != 0 {
		if !want.AllowLinkerSigned || len(cd.SpecialSlots) != 0 {
			return nil, fmt.Errorf("verify: %s carries a linker signature (flags %#x), which seals no bundle; it must be re-signed", path, uint32(cd.Header.Flags))
		}
		return report(path, cd)
	}
	if uint32(cd.Header.Flags)&flagAdhoc == 0 && len(cs.CMSSignature) == 0 {
		return nil, fmt.Errorf("verify: %s is neither ad-hoc signed nor carries a CMS signature", path)
	}
	reqs, err := rawBlob(data[cs.Offset:uint64(cs.Offset)+uint64(cs.Size)], uint32(cstypes.CSSLOT_REQUIREMENTS))
	if err != nil {
		return nil, fmt.Errorf("verify: %s: %w", path, err)
	}
	if err := checkSpecial(cd, reqs, want); err != nil {
		return nil, fmt.Errorf("verify: %s: %w", path, err)
	}
	return report(path, cd)
}

func report(path string, cd cstypes.CodeDirectory) (*Signature, error) {
	sum, err := hex.DecodeString(cd.CDHash)
	if err != nil || len(sum) != sha256.Size {
		return nil, fmt.Errorf("verify: %s: go-macho gave no SHA-256 CDHash: %s", path, cd.CDHash)
	}
	return &Signature{Identifier: cd.ID, CDHash: sum, Pages: len(cd.CodeSlots), Flags: uint32(cd.Header.Flags)}, nil
}

// checkPlacement: the signature is the last thing in the file and inside
// __LINKEDIT, which is the last segment.
func checkPlacement(f *macho.File, cs *macho.CodeSignature, size int) error {
	end := uint64(cs.Offset) + uint64(cs.Size)
	if end != uint64(size) {
		return fmt.Errorf("signature ends at %d, file is %d bytes", end, size)
	}
	le := f.Segment("__LINKEDIT")
	if le == nil {
		return fmt.Errorf("no __LINKEDIT segment")
	}
	if uint64(cs.Offset) < le.Offset || le.Offset+le.Filesz != uint64(size) {
		return fmt.Errorf("__LINKEDIT [%d, %d) does not end with the signature at %d", le.Offset, le.Offset+le.Filesz, cs.Offset)
	}
	if le.Memsz < le.Filesz {
		return fmt.Errorf("__LINKEDIT vmsize %d is below its filesize %d", le.Memsz, le.Filesz)
	}
	// No alignment is checked: codesign puts the signature on a 16-byte
	// boundary, but quill does not, and macOS runs quill-signed binaries.
	return nil
}

func checkDirectory(f *macho.File, cd cstypes.CodeDirectory, data []byte, limit uint64, want Expected) error {
	h := cd.Header
	switch {
	case want.Identifier != "" && cd.ID != want.Identifier:
		return fmt.Errorf("identifier %q, want %q", cd.ID, want.Identifier)
	case uint32(h.Version) < minCDVersion:
		return fmt.Errorf("CodeDirectory version %#x, want at least %#x", uint32(h.Version), minCDVersion)
	case uint8(h.HashType) != sha256Type || h.HashSize != sha256.Size:
		return fmt.Errorf("hash type %d size %d, want SHA-256", h.HashType, h.HashSize)
	case h.PageSize != pageShift:
		return fmt.Errorf("page size 2^%d, want 4096", h.PageSize)
	case cd.CodeLimit != limit:
		return fmt.Errorf("code limit %d, want the signature offset %d", cd.CodeLimit, limit)
	}

	pages := int((limit + 4095) / 4096)
	if len(cd.CodeSlots) != pages {
		return fmt.Errorf("%d code slots for %d pages", len(cd.CodeSlots), pages)
	}
	for i, slot := range cd.CodeSlots {
		end := min(uint64(i+1)*4096, limit)
		sum := sha256.Sum256(data[uint64(i)*4096 : end])
		if !bytes.Equal(slot.Hash, sum[:]) {
			return fmt.Errorf("page %d hash mismatch", i)
		}
	}

	text := f.Segment("__TEXT")
	if text == nil || h.ExecSegBase != text.Offset || h.ExecSegLimit != text.Filesz {
		return fmt.Errorf("execSeg [%#x, +%#x) does not match __TEXT", h.ExecSegBase, h.ExecSegLimit)
	}
	isMain := f.FileHeader.Type == mtypes.MH_EXECUTE
	if isMain != (uint64(h.ExecSegFlags)&uint64(cstypes.EXECSEG_MAIN_BINARY) != 0) {
		return fmt.Errorf("execSeg flags %#x do not match file type %s", uint64(h.ExecSegFlags), f.FileHeader.Type)
	}
	return nil
}

func checkSpecial(cd cstypes.CodeDirectory, reqs []byte, want Expected) error {
	slots := map[uint32][]byte{}
	for _, s := range cd.SpecialSlots {
		slots[s.Index] = s.Hash
	}
	reqSum := sha256.Sum256(reqs)
	checks := []struct {
		index uint32
		name  string
		file  []byte
	}{
		{specialInfo, "Info.plist", want.InfoPlist},
		{specialReqs, "requirements", reqs},
		{specialRsrc, "CodeResources", want.CodeResources},
	}
	for _, c := range checks {
		got, bound := slots[c.index]
		bound = bound && !bytes.Equal(got, make([]byte, len(got)))
		if c.file == nil {
			if bound {
				return fmt.Errorf("special slot -%d (%s) is bound but nothing should be", c.index, c.name)
			}
			continue
		}
		sum := sha256.Sum256(c.file)
		if c.index == specialReqs {
			sum = reqSum
		}
		if !bound || !bytes.Equal(got, sum[:]) {
			return fmt.Errorf("special slot -%d does not hash %s (slot %x, file %x)", c.index, c.name, got, sum)
		}
	}
	return nil
}

// rawBlob returns the bytes of the blob in slot from an embedded-signature
// SuperBlob, read directly from the index so the requirements hash is
// checked against the file and not against a parser's reconstruction.
func rawBlob(sb []byte, slot uint32) ([]byte, error) {
	be := binary.BigEndian
	if len(sb) < 12 || be.Uint32(sb) != 0xfade0cc0 {
		return nil, fmt.Errorf("signature is not an embedded-signature SuperBlob")
	}
	count := int(be.Uint32(sb[8:]))
	if 12+8*count > len(sb) {
		return nil, fmt.Errorf("SuperBlob index of %d entries overruns %d bytes", count, len(sb))
	}
	for i := 0; i < count; i++ {
		if be.Uint32(sb[12+8*i:]) != slot {
			continue
		}
		off := int(be.Uint32(sb[16+8*i:]))
		if off+8 > len(sb) {
			return nil, fmt.Errorf("blob %d at %d is outside the SuperBlob", slot, off)
		}
		n := int(be.Uint32(sb[off+4:]))
		if n < 8 || off+n > len(sb) {
			return nil, fmt.Errorf("blob %d of %d bytes overruns the SuperBlob", slot, n)
		}
		return sb[off : off+n], nil
	}
	return nil, fmt.Errorf("no blob in slot %d", slot)
}
