package seal

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Mach-O constants used here (<mach-o/loader.h>). Only thin 64-bit
// little-endian files are handled: that is what Go builds for darwin/arm64
// and darwin/amd64.
const (
	machHeaderMagic64 = 0xfeedfacf
	fatMagic          = 0xcafebabe
	machHeaderSize64  = 32 // magic … reserved

	lcSegment64     = 0x19
	lcCodeSignature = 0x1d

	segmentCommandSize64 = 72 // without its sections
	sectionSize64        = 80
	linkeditCommandSize  = 16 // cmd, cmdsize, dataoff, datasize

	mhExecute = 0x2 // filetype of a main executable

	cpuTypeARM64 = 0x0100000c
)

// ErrNotMachO reports input that is not a thin 64-bit little-endian Mach-O.
var ErrNotMachO = errors.New("seal: not a thin 64-bit Mach-O file")

// segment is an LC_SEGMENT_64 command and where it sits in the file.
type segment struct {
	cmdOffset         int // file offset of the load command
	fileoff, filesize uint64
	vmsize            uint64
}

// machO is the parsed layout of a Mach-O file that signing needs.
type machO struct {
	data      []byte
	cpuType   uint32
	fileType  uint32
	ncmds     uint32
	sizeofcmd uint32
	text      *segment
	linkedit  *segment
	// sigCmdOffset is the file offset of LC_CODE_SIGNATURE, or -1.
	sigCmdOffset int
	// firstSection is the lowest file offset of any section's content: the
	// load commands may grow up to it.
	firstSection uint64
}

// parseMachO reads the header and the load commands of data. Every offset
// it returns is checked to lie inside data.
func parseMachO(data []byte) (*machO, error) {
	if len(data) >= 4 && binary.BigEndian.Uint32(data) == fatMagic {
		return nil, fmt.Errorf("%w: it is a universal binary; sign each architecture's thin file before merging them", ErrNotMachO)
	}
	if len(data) < machHeaderSize64 || binary.LittleEndian.Uint32(data) != machHeaderMagic64 {
		return nil, ErrNotMachO
	}
	le := binary.LittleEndian
	m := &machO{
		data:         data,
		cpuType:      le.Uint32(data[4:]),
		fileType:     le.Uint32(data[12:]),
		ncmds:        le.Uint32(data[16:]),
		sizeofcmd:    le.Uint32(data[20:]),
		sigCmdOffset: -1,
		firstSection: uint64(len(data)),
	}
	end := machHeaderSize64 + int(m.sizeofcmd)
	if end > len(data) {
		return nil, fmt.Errorf("%w: load commands (%d bytes) run past the end of the file", ErrNotMachO, m.sizeofcmd)
	}

	off := machHeaderSize64
	for i := uint32(0); i < m.ncmds; i++ {
		if off+8 > end {
			return nil, fmt.Errorf("%w: load command %d starts past the load command area", ErrNotMachO, i)
		}
		cmd, size := le.Uint32(data[off:]), int(le.Uint32(data[off+4:]))
		if size < 8 || off+size > end {
			return nil, fmt.Errorf("%w: load command %d has size %d", ErrNotMachO, i, size)
		}
		switch cmd {
		case lcSegment64:
			if err := m.addSegment(off, size); err != nil {
				return nil, err
			}
		case lcCodeSignature:
			m.sigCmdOffset = off
		}
		off += size
	}

	if m.text == nil || m.linkedit == nil {
		return nil, fmt.Errorf("%w: no __TEXT or no __LINKEDIT segment", ErrNotMachO)
	}
	if m.linkedit.fileoff+m.linkedit.filesize > uint64(len(data)) {
		return nil, fmt.Errorf("%w: __LINKEDIT runs past the end of the file", ErrNotMachO)
	}
	return m, nil
}

func (m *machO) addSegment(off, size int) error {
	le := binary.LittleEndian
	if size < segmentCommandSize64 {
		return fmt.Errorf("%w: segment command of %d bytes", ErrNotMachO, size)
	}
	name := string(trimNUL(m.data[off+8 : off+24]))
	seg := &segment{
		cmdOffset: off,
		vmsize:    le.Uint64(m.data[off+32:]),
		fileoff:   le.Uint64(m.data[off+40:]),
		filesize:  le.Uint64(m.data[off+48:]),
	}
	nsects := int(le.Uint32(m.data[off+64:]))
	if segmentCommandSize64+nsects*sectionSize64 > size {
		return fmt.Errorf("%w: segment %s claims %d sections in %d bytes", ErrNotMachO, name, nsects, size)
	}
	for s := 0; s < nsects; s++ {
		sec := off + segmentCommandSize64 + s*sectionSize64
		if secOff := uint64(le.Uint32(m.data[sec+48:])); secOff != 0 && secOff < m.firstSection {
			m.firstSection = secOff
		}
	}
	switch name {
	case "__TEXT":
		m.text = seg
	case "__LINKEDIT":
		m.linkedit = seg
	}
	return nil
}

func trimNUL(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

// stripSignature removes an existing code signature's data, keeping its
// load command for reuse, or adds an empty LC_CODE_SIGNATURE when there is
// none (Go's linker signs darwin/arm64 binaries itself, but leaves
// darwin/amd64 ones unsigned). Either way the result ends with __LINKEDIT,
// whose last bytes will be the new signature.
func (m *machO) stripSignature() error {
	le := binary.LittleEndian
	linkEnd := m.linkedit.fileoff + m.linkedit.filesize

	if m.sigCmdOffset >= 0 {
		dataoff := uint64(le.Uint32(m.data[m.sigCmdOffset+8:]))
		datasize := uint64(le.Uint32(m.data[m.sigCmdOffset+12:]))
		if dataoff+datasize != uint64(len(m.data)) || linkEnd != uint64(len(m.data)) {
			return fmt.Errorf("seal: the existing signature (offset %d, %d bytes) is not the last thing in the %d-byte file; re-link the binary instead of signing it", dataoff, datasize, len(m.data))
		}
		m.data = m.data[:dataoff]
		m.linkedit.filesize = dataoff - m.linkedit.fileoff
		return nil
	}

	if linkEnd != uint64(len(m.data)) {
		return fmt.Errorf("seal: %d bytes follow __LINKEDIT; only a file that ends with __LINKEDIT can take a signature", uint64(len(m.data))-linkEnd)
	}
	at := machHeaderSize64 + int(m.sizeofcmd)
	if uint64(at+linkeditCommandSize) > m.firstSection {
		return fmt.Errorf("seal: no room for LC_CODE_SIGNATURE after the load commands (%d bytes free, %d needed); link with -headerpad", m.firstSection-uint64(at), linkeditCommandSize)
	}
	for _, b := range m.data[at : at+linkeditCommandSize] {
		if b != 0 {
			return fmt.Errorf("seal: the padding after the load commands is not zero; refusing to overwrite it")
		}
	}
	le.PutUint32(m.data[at:], lcCodeSignature)
	le.PutUint32(m.data[at+4:], linkeditCommandSize)
	m.sigCmdOffset = at
	m.ncmds++
	m.sizeofcmd += linkeditCommandSize
	le.PutUint32(m.data[16:], m.ncmds)
	le.PutUint32(m.data[20:], m.sizeofcmd)
	return nil
}

// reserveSignature pads the file to a 16-byte boundary, points
// LC_CODE_SIGNATURE at the end of the file with room for size bytes, and
// grows __LINKEDIT to cover them. It returns the signature's file offset,
// which is also the CodeDirectory's code limit.
func (m *machO) reserveSignature(size int) uint64 {
	le := binary.LittleEndian
	for len(m.data)%16 != 0 {
		m.data = append(m.data, 0)
	}
	dataoff := uint64(len(m.data))
	le.PutUint32(m.data[m.sigCmdOffset+8:], uint32(dataoff))
	le.PutUint32(m.data[m.sigCmdOffset+12:], uint32(size))

	m.linkedit.filesize = dataoff + uint64(size) - m.linkedit.fileoff
	if vm := roundUp(m.linkedit.filesize, m.segmentAlign()); vm > m.linkedit.vmsize {
		m.linkedit.vmsize = vm
	}
	le.PutUint64(m.data[m.linkedit.cmdOffset+32:], m.linkedit.vmsize)
	le.PutUint64(m.data[m.linkedit.cmdOffset+48:], m.linkedit.filesize)
	return dataoff
}

// segmentAlign is the VM page size that segment sizes round to: 16 KiB on
// arm64, 4 KiB on x86_64.
func (m *machO) segmentAlign() uint64 {
	if m.cpuType == cpuTypeARM64 {
		return 0x4000
	}
	return 0x1000
}

func roundUp(n, align uint64) uint64 {
	return (n + align - 1) / align * align
}
