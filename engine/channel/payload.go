package channel

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/portalsapp/portals/engine/identity"
)

// Identity payload, sent encrypted in handshake messages 2 and 3 (all
// integers big-endian):
//
//	offset  size  field
//	0       1     payload version (payloadVersion)
//	1       2     attestation length A
//	3       A     attestation (identity.TypeChannelKey signed structure)
//	3+A     1     display name length D
//	4+A     D     display name, UTF-8
//
// Nothing may follow the display name.
const (
	payloadVersion = 1

	// maxPayloadSize bounds an identity payload, in bytes.
	maxPayloadSize = 1 + 2 + identity.MaxSignedSize + 1 + MaxDisplayNameSize
)

// ErrBadPayload is wrapped by every error about a malformed identity
// payload.
var ErrBadPayload = errors.New("channel: malformed identity payload")

type payload struct {
	attestation []byte
	displayName string
}

func (p payload) marshal() []byte {
	out := make([]byte, 0, 1+2+len(p.attestation)+1+len(p.displayName))
	out = append(out, payloadVersion)
	out = binary.BigEndian.AppendUint16(out, uint16(len(p.attestation)))
	out = append(out, p.attestation...)
	out = append(out, byte(len(p.displayName)))
	return append(out, p.displayName...)
}

func parsePayload(data []byte) (payload, error) {
	if len(data) > maxPayloadSize {
		return payload{}, fmt.Errorf("%w: %d bytes, the limit is %d", ErrBadPayload, len(data), maxPayloadSize)
	}
	if len(data) < 3 {
		return payload{}, fmt.Errorf("%w: %d bytes is too short", ErrBadPayload, len(data))
	}
	if data[0] != payloadVersion {
		return payload{}, fmt.Errorf("%w: version %d, this build reads version %d", ErrBadPayload, data[0], payloadVersion)
	}

	attestationLen := int(binary.BigEndian.Uint16(data[1:3]))
	rest := data[3:]
	if len(rest) < attestationLen+1 {
		return payload{}, fmt.Errorf("%w: attestation of %d bytes overruns the payload", ErrBadPayload, attestationLen)
	}
	attestation, rest := rest[:attestationLen], rest[attestationLen:]

	nameLen := int(rest[0])
	if len(rest) != 1+nameLen {
		return payload{}, fmt.Errorf("%w: display name of %d bytes does not end the payload", ErrBadPayload, nameLen)
	}
	name := string(rest[1:])
	if err := checkDisplayName(name); err != nil {
		return payload{}, fmt.Errorf("%w: %w", ErrBadPayload, err)
	}
	return payload{attestation: attestation, displayName: name}, nil
}

// checkDisplayName rejects names that could spoof UI text: invalid UTF-8,
// control characters, or more than MaxDisplayNameSize bytes.
func checkDisplayName(name string) error {
	if len(name) > MaxDisplayNameSize {
		return fmt.Errorf("channel: display name is %d bytes, the limit is %d", len(name), MaxDisplayNameSize)
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("channel: display name %q is not valid UTF-8", name)
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return fmt.Errorf("channel: display name %q contains control character %U", name, r)
		}
	}
	return nil
}
