package identity_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/portalsapp/portals/engine/identity"
)

func TestSignedWireValues(t *testing.T) {
	if identity.TypeChannelKey != 1 {
		t.Errorf("TypeChannelKey = %d, want wire value 1", identity.TypeChannelKey)
	}
	if identity.TypeInvitation != 2 {
		t.Errorf("TypeInvitation = %d, want wire value 2", identity.TypeInvitation)
	}
	if identity.MaxBodySize != 4096 {
		t.Errorf("MaxBodySize = %d, want 4096", identity.MaxBodySize)
	}
	if want := wireHeaderSize + 4096 + wireSignatureSize; identity.MaxSignedSize != want {
		t.Errorf("MaxSignedSize = %d, want header, 4096-byte body and signature = %d", identity.MaxSignedSize, want)
	}
	for _, tt := range allTypes {
		if got := tt.typ.String(); got != tt.label {
			t.Errorf("Type(%d).String() = %q, want %q", tt.typ, got, tt.label)
		}
	}
	if got := identity.Type(9).String(); got != "type(9)" {
		t.Errorf("Type(9).String() = %q, want \"type(9)\"", got)
	}
}

func TestSignMatchesDocumentedLayout(t *testing.T) {
	id := mustFromSeed(t, mustHex(t, rfc8032Seed))
	priv := privateKey(id)

	for _, tt := range allTypes {
		for _, n := range []int{0, 1, 48, identity.MaxBodySize} {
			body := bytes.Repeat([]byte{0xa5}, n)
			got := mustSign(t, id, tt.typ, body)
			want := encodeSigned(priv, wireVersion, byte(tt.typ), tt.label, body, uint16(n))
			if !bytes.Equal(got, want) {
				t.Errorf("Sign(%v, %d-byte body) differs from the documented layout:\n got %x\nwant %x", tt.typ, n, got, want)
			}
		}
	}
}

func TestSignOpenRoundTrip(t *testing.T) {
	id := randomIdentity(t)
	for _, tt := range allTypes {
		for _, n := range []int{0, 1, 48, 1000, identity.MaxBodySize} {
			t.Run(fmt.Sprintf("%v/%d", tt.typ, n), func(t *testing.T) {
				body := make([]byte, n)
				for i := range body {
					body[i] = byte(i * 7)
				}
				data := mustSign(t, id, tt.typ, body)

				if want := wireMinSize + n; len(data) != want {
					t.Errorf("Sign gave %d bytes, want %d", len(data), want)
				}
				signer, got, err := identity.Open(data, tt.typ)
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				if !bytes.Equal(signer, id.PublicKey()) {
					t.Errorf("Open signer = %x, want %x", signer, id.PublicKey())
				}
				if !bytes.Equal(got, body) {
					t.Errorf("Open body differs from the signed body")
				}
				if identity.IDFromPublicKey(signer) != id.ID() {
					t.Errorf("ID of the signer = %s, want %s", identity.IDFromPublicKey(signer), id.ID())
				}
			})
		}
	}
}

func TestSignDoesNotKeepBody(t *testing.T) {
	id := fixedIdentity(t, 3)
	body := []byte("original")
	data := mustSign(t, id, identity.TypeInvitation, body)
	copy(body, "changed!")

	_, got, err := identity.Open(data, identity.TypeInvitation)
	if err != nil {
		t.Fatalf("Open after changing the caller's body: %v", err)
	}
	if string(got) != "original" {
		t.Errorf("Open body = %q, want %q", got, "original")
	}
}

func TestSignRejects(t *testing.T) {
	id := fixedIdentity(t, 4)
	tests := []struct {
		name    string
		typ     identity.Type
		bodyLen int
		wantMsg string
	}{
		{"body one over MaxBodySize", identity.TypeInvitation, identity.MaxBodySize + 1, "4097 bytes, the limit is 4096"},
		{"body far over MaxBodySize", identity.TypeChannelKey, 70000, "70000 bytes, the limit is 4096"},
		{"type zero", identity.Type(0), 1, "unknown type(0)"},
		{"unknown type", identity.Type(3), 1, "unknown type(3)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := id.Sign(tt.typ, make([]byte, tt.bodyLen))
			if err == nil {
				t.Fatalf("Sign = %d bytes, want an error", len(data))
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Sign error %q, want it to say %q", err, tt.wantMsg)
			}
			if data != nil {
				t.Errorf("Sign returned %d bytes with its error", len(data))
			}
		})
	}
}

// checkOpenFails asserts that Open fails with exactly the sentinel want
// and returns no signer and no body.
func checkOpenFails(t *testing.T, caseName string, data []byte, typ identity.Type, want error) {
	t.Helper()
	signer, body, err := identity.Open(data, typ)
	if err == nil {
		t.Errorf("%s: Open succeeded, want an error wrapping %v", caseName, want)
		return
	}
	if got := wrappedSentinels(err); len(got) != 1 || got[0] != want {
		t.Errorf("%s: Open error %q wraps %v, want exactly %v", caseName, err, got, want)
	}
	if signer != nil || body != nil {
		t.Errorf("%s: Open returned a signer or body with its error", caseName)
	}
}

func TestOpenRejectsEveryTruncation(t *testing.T) {
	id := fixedIdentity(t, 5)
	for _, tt := range allTypes {
		data := mustSign(t, id, tt.typ, []byte("some body bytes"))
		for n := range len(data) {
			checkOpenFails(t, fmt.Sprintf("%v cut to %d of %d bytes", tt.typ, n, len(data)), data[:n], tt.typ, identity.ErrMalformed)
		}
	}
}

func TestOpenRejectsTrailingBytes(t *testing.T) {
	id := fixedIdentity(t, 6)
	for _, tt := range allTypes {
		for _, n := range []int{0, identity.MaxBodySize} {
			data := mustSign(t, id, tt.typ, make([]byte, n))
			for _, extra := range [][]byte{{0}, {0xff}, make([]byte, 64)} {
				long := append(append([]byte(nil), data...), extra...)
				checkOpenFails(t, fmt.Sprintf("%v with %d-byte body and %d trailing bytes", tt.typ, n, len(extra)), long, tt.typ, identity.ErrMalformed)
			}
		}
	}
}

func TestOpenRejectsWrongVersion(t *testing.T) {
	priv := privateKey(fixedIdentity(t, 7))
	for _, version := range []byte{0, 2, 0x81, 0xff} {
		// Correctly signed over the changed version, so only the version
		// check can refuse it.
		data := encodeSigned(priv, version, byte(identity.TypeInvitation), wireLabelInvite, []byte("body"), 4)
		checkOpenFails(t, fmt.Sprintf("version %d", version), data, identity.TypeInvitation, identity.ErrMalformed)
	}
}

func TestOpenRejectsWrongType(t *testing.T) {
	id := fixedIdentity(t, 8)
	priv := privateKey(id)
	body := attestationBody(make([]byte, 32), 1000, 2000)

	invitation := mustSign(t, id, identity.TypeInvitation, body)
	channelKey := mustSign(t, id, identity.TypeChannelKey, body)

	checkOpenFails(t, "invitation opened as channel key", invitation, identity.TypeChannelKey, identity.ErrWrongType)
	checkOpenFails(t, "channel key opened as invitation", channelKey, identity.TypeInvitation, identity.ErrWrongType)

	// Same body, type byte rewritten: the label in the signature still
	// names the original type.
	relabelled := append([]byte(nil), invitation...)
	relabelled[1] = byte(identity.TypeChannelKey)
	checkOpenFails(t, "invitation with its type byte rewritten", relabelled, identity.TypeChannelKey, identity.ErrInvalidSignature)
	relabelled = append([]byte(nil), channelKey...)
	relabelled[1] = byte(identity.TypeInvitation)
	checkOpenFails(t, "channel key with its type byte rewritten", relabelled, identity.TypeInvitation, identity.ErrInvalidSignature)

	// Signed with one type's label but carrying the other's type byte.
	mixed := encodeSigned(priv, wireVersion, byte(identity.TypeChannelKey), wireLabelInvite, body, uint16(len(body)))
	checkOpenFails(t, "channel key type signed under the invitation label", mixed, identity.TypeChannelKey, identity.ErrInvalidSignature)

	for _, typ := range []byte{0, 3, 0xff} {
		data := append([]byte(nil), invitation...)
		data[1] = typ
		checkOpenFails(t, fmt.Sprintf("type byte %d", typ), data, identity.TypeInvitation, identity.ErrWrongType)
	}
}

func TestOpenRejectsFlippedBits(t *testing.T) {
	id := fixedIdentity(t, 9)
	for _, tt := range allTypes {
		data := mustSign(t, id, tt.typ, []byte("a body of twenty bytes"))
		for offset := range len(data) {
			// The version and length fields fail the layout checks, the
			// type byte the type check; every other byte is signed.
			want := identity.ErrInvalidSignature
			switch {
			case offset == 0, offset == 34, offset == 35:
				want = identity.ErrMalformed
			case offset == 1:
				want = identity.ErrWrongType
			}
			for bit := range 8 {
				flipped := append([]byte(nil), data...)
				flipped[offset] ^= 1 << bit
				checkOpenFails(t, fmt.Sprintf("%v with bit %d of byte %d flipped", tt.typ, bit, offset), flipped, tt.typ, want)
			}
		}
	}
}

func TestOpenRejectsSwappedSigner(t *testing.T) {
	signer, other := fixedIdentity(t, 10), fixedIdentity(t, 11)
	for _, tt := range allTypes {
		data := mustSign(t, signer, tt.typ, []byte("body"))
		copy(data[2:34], other.PublicKey())
		checkOpenFails(t, fmt.Sprintf("%v with another identity's key", tt.typ), data, tt.typ, identity.ErrInvalidSignature)

		// Re-signing with the other key after the swap is a valid
		// structure, but of the other identity.
		swapped, _, err := identity.Open(mustSign(t, other, tt.typ, []byte("body")), tt.typ)
		if err != nil {
			t.Fatalf("Open of the other identity's structure: %v", err)
		}
		if identity.IDFromPublicKey(swapped) == signer.ID() {
			t.Errorf("%v: structure signed by another identity opened as %s", tt.typ, signer.ID())
		}
	}
}

func TestOpenRejectsLengthFieldMismatch(t *testing.T) {
	id := fixedIdentity(t, 12)
	for _, tt := range allTypes {
		body := make([]byte, 40)
		data := mustSign(t, id, tt.typ, body)
		for _, length := range []uint16{0, 39, 41, 40 + 64, 0xffff} {
			changed := append([]byte(nil), data...)
			binary.BigEndian.PutUint16(changed[34:36], length)
			checkOpenFails(t, fmt.Sprintf("%v with length field %d for a 40-byte body", tt.typ, length), changed, tt.typ, identity.ErrMalformed)
		}
	}
}

func TestOpenRejectsSignedLengthMismatch(t *testing.T) {
	// The length field is signed, so the structure is validly signed and
	// only the layout check can refuse it.
	priv := privateKey(fixedIdentity(t, 13))
	body := make([]byte, 40)
	for _, length := range []uint16{0, 39, 41} {
		data := encodeSigned(priv, wireVersion, byte(identity.TypeInvitation), wireLabelInvite, body, length)
		checkOpenFails(t, fmt.Sprintf("signed length field %d for a 40-byte body", length), data, identity.TypeInvitation, identity.ErrMalformed)
	}
}

func TestOpenRejectsBodyOverMaxBodySize(t *testing.T) {
	// A peer can sign any size with its own key; Open must hold the same
	// limit that Sign does.
	priv := privateKey(fixedIdentity(t, 14))
	for _, n := range []int{identity.MaxBodySize + 1, 0xffff} {
		for _, tt := range allTypes {
			data := encodeSigned(priv, wireVersion, byte(tt.typ), tt.label, make([]byte, n), uint16(n))
			checkOpenFails(t, fmt.Sprintf("%v with a validly signed %d-byte body", tt.typ, n), data, tt.typ, identity.ErrMalformed)
		}
	}
}

func TestOpenAcceptsIndependentlyBuiltStructure(t *testing.T) {
	id := fixedIdentity(t, 15)
	for _, tt := range allTypes {
		data := encodeSigned(privateKey(id), wireVersion, byte(tt.typ), tt.label, []byte("hello"), 5)
		signer, body, err := identity.Open(data, tt.typ)
		if err != nil {
			t.Fatalf("Open(%v) of a structure built from the documented layout: %v", tt.typ, err)
		}
		if !bytes.Equal(signer, id.PublicKey()) || string(body) != "hello" {
			t.Errorf("Open(%v) = %x, %q; want %x, %q", tt.typ, signer, body, id.PublicKey(), "hello")
		}
	}
}

func TestOpenErrorSentinelsAreDistinct(t *testing.T) {
	for i, a := range sentinels {
		for j, b := range sentinels {
			if i != j && errors.Is(a, b) {
				t.Errorf("%v wraps %v, want independent sentinels", a, b)
			}
		}
		if !strings.HasPrefix(a.Error(), "identity: ") {
			t.Errorf("sentinel %q lacks the package prefix", a)
		}
	}
}
