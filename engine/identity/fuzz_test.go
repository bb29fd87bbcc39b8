package identity_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portalsapp/portals/engine/identity"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the seed corpora under testdata/fuzz")

func FuzzParseID(f *testing.F) {
	f.Add(rfc8032ID)
	f.Fuzz(func(t *testing.T, s string) {
		id, err := identity.ParseID(s)
		if err != nil {
			if !errors.Is(err, identity.ErrInvalidID) {
				t.Fatalf("ParseID(%q) error %q does not wrap ErrInvalidID", s, err)
			}
			if !id.IsZero() {
				t.Fatalf("ParseID(%q) returned %x with its error", s, id[:])
			}
			return
		}

		if id.IsZero() {
			t.Fatalf("ParseID(%q) accepted the zero ID", s)
		}
		text := id.String()
		if got := lowerASCII(strings.TrimSpace(s)); got != text {
			t.Fatalf("ParseID(%q) = %s, but the input is not that text up to ASCII case and surrounding space", s, text)
		}
		again, err := identity.ParseID(text)
		if err != nil || again != id {
			t.Fatalf("ParseID(String()) = %x, %v; want %x", again[:], err, id[:])
		}
	})
}

func FuzzOpen(f *testing.F) {
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		opened := 0
		for _, tt := range allTypes {
			signer, body, err := identity.Open(data, tt.typ)
			if err != nil {
				if got := wrappedSentinels(err); len(got) != 1 {
					t.Fatalf("Open(%v) error %q wraps %v, want exactly one sentinel", tt.typ, err, got)
				}
				if signer != nil || body != nil {
					t.Fatalf("Open(%v) returned a signer or body with its error", tt.typ)
				}
				continue
			}

			opened++
			checkOpened(t, data, tt.typ, signer, body)
		}
		if opened > 1 {
			t.Fatalf("data opened as %d types, want at most one", opened)
		}
	})
}

// checkOpened checks what a successful Open returned against the
// documented layout of data.
func checkOpened(t *testing.T, data []byte, typ identity.Type, signer, body []byte) {
	t.Helper()
	if data[1] != byte(typ) {
		t.Fatalf("Open(%v) succeeded on type byte %d", typ, data[1])
	}
	if len(body) > identity.MaxBodySize {
		t.Fatalf("Open(%v) returned a %d-byte body, over MaxBodySize", typ, len(body))
	}
	if len(data) != wireMinSize+len(body) {
		t.Fatalf("Open(%v) returned a %d-byte body from %d bytes, want %d bytes in all", typ, len(body), len(data), wireMinSize+len(body))
	}
	if !bytes.Equal(signer, data[2:34]) {
		t.Fatalf("Open(%v) signer %x is not bytes 2 to 34 of the data", typ, signer)
	}
	if !bytes.Equal(body, data[wireHeaderSize:wireHeaderSize+len(body)]) {
		t.Fatalf("Open(%v) body is not the bytes after the header", typ)
	}
	if len(body) > 0 && &body[0] != &data[wireHeaderSize] {
		t.Fatalf("Open(%v) body does not alias the data as documented", typ)
	}
}

func FuzzParseAttestation(f *testing.F) {
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, input []byte) {
		data := append([]byte(nil), input...)
		a, err := identity.ParseAttestation(data)
		if err != nil {
			if got := wrappedSentinels(err); len(got) != 1 {
				t.Fatalf("ParseAttestation error %q wraps %v, want exactly one sentinel", err, got)
			}
			if a != nil {
				t.Fatalf("ParseAttestation returned %+v with its error", a)
			}
			return
		}

		if len(data) != wireMinSize+wireAttestBodySize {
			t.Fatalf("ParseAttestation accepted %d bytes, want exactly %d", len(data), wireMinSize+wireAttestBodySize)
		}
		if !a.NotAfter.After(a.NotBefore) {
			t.Fatalf("ParseAttestation accepted the window %v to %v", a.NotBefore, a.NotAfter)
		}
		if !bytes.Equal(a.ChannelKey[:], data[36:68]) || !bytes.Equal(a.Signer, data[2:34]) {
			t.Fatalf("ParseAttestation fields differ from the documented layout")
		}
		for _, now := range []time.Time{a.NotBefore, a.NotAfter} {
			if err := a.Check(a.ChannelKey[:], now); err != nil {
				t.Fatalf("Check at the window boundary %v: %v", now, err)
			}
		}
		id := a.ID()
		clear(data)
		if a.ID() != id {
			t.Fatalf("Attestation changed when its input was overwritten")
		}
	})
}

// fuzzSeeds returns the committed seed corpora: fuzz target, file name,
// value. Signatures are deterministic, so the files are reproducible.
func fuzzSeeds(t testing.TB) map[string]map[string]any {
	id := mustFromSeed(t, mustHex(t, rfc8032Seed))
	priv := privateKey(id)
	key := channelKey(9)
	nb, na := testNotBefore.Unix(), testNotAfter.Unix()
	body := attestationBody(key, nb, na)

	signed := func(typ identity.Type, b []byte) []byte { return mustSign(t, id, typ, b) }
	plus := func(data []byte, extra ...byte) []byte { return append(append([]byte(nil), data...), extra...) }
	minimum := signed(identity.TypeChannelKey, nil)
	maxChannel := signed(identity.TypeChannelKey, bytes.Repeat([]byte{0xcc}, identity.MaxBodySize))
	attestation := mustAttest(t, id, key, testNotBefore, testNotAfter)
	overMax := encodeSigned(priv, wireVersion, byte(identity.TypeInvitation), wireLabelInvite,
		make([]byte, identity.MaxBodySize+1), identity.MaxBodySize+1)
	badLength := plus(attestation)
	badLength[35]++

	return map[string]map[string]any{
		"FuzzParseID": {
			"empty":          "",
			"valid":          rfc8032ID,
			"valid-upper":    "  " + strings.ToUpper(rfc8032ID) + "\n",
			"one-char-short": rfc8032ID[:len(rfc8032ID)-1],
			"one-char-long":  rfc8032ID + "a",
			"prefix-only":    "pid1",
			"all-zero":       "pid1" + strings.Repeat("a", 52),
			"unused-bits":    rfc8032ID[:len(rfc8032ID)-1] + "r",
			"line-breaks":    rfc8032ID[:20] + "\n\n" + rfc8032ID[20:54],
			"kelvin-sign":    strings.Replace(rfc8032ID, "k", "\u212a", 1),
			"short-form":     "pid1:" + rfc8032ID[4:8] + "-" + rfc8032ID[8:12],
		},
		"FuzzOpen": {
			"empty":                      []byte{},
			"minimum-minus-1":            minimum[:wireMinSize-1],
			"minimum-channel-key":        minimum,
			"minimum-invitation":         signed(identity.TypeInvitation, nil),
			"attestation":                attestation,
			"invitation":                 signed(identity.TypeInvitation, []byte("portals invitation seed")),
			"max-body-channel-key":       maxChannel,
			"max-body-invitation":        signed(identity.TypeInvitation, bytes.Repeat([]byte{0x33}, identity.MaxBodySize)),
			"max-signed-size-plus-1":     plus(maxChannel, 0),
			"signed-body-over-max":       overMax,
			"wrong-version":              plus([]byte{2}, attestation[1:]...),
			"length-field-one-too-large": badLength,
		},
		"FuzzParseAttestation": {
			"empty":                  []byte{},
			"minimum-minus-1":        minimum[:wireMinSize-1],
			"empty-body":             minimum,
			"body-47":                signed(identity.TypeChannelKey, body[:47]),
			"valid":                  attestation,
			"body-49":                signed(identity.TypeChannelKey, plus(body, 0)),
			"inverted-window":        signed(identity.TypeChannelKey, attestationBody(key, na, nb)),
			"empty-window":           signed(identity.TypeChannelKey, attestationBody(key, nb, nb)),
			"one-second-window":      signed(identity.TypeChannelKey, attestationBody(key, nb, nb+1)),
			"max-body":               maxChannel,
			"max-signed-size-plus-1": plus(maxChannel, 0),
			"invitation-type":        signed(identity.TypeInvitation, body),
			"trailing-byte":          plus(attestation, 0),
		},
	}
}

// corpusFile encodes one value in the format of go test fuzz v1.
func corpusFile(v any) []byte {
	switch v := v.(type) {
	case string:
		return fmt.Appendf(nil, "go test fuzz v1\nstring(%q)\n", v)
	case []byte:
		return fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", v)
	}
	panic(fmt.Sprintf("unsupported seed type %T", v))
}

func TestFuzzCorpusIsCurrent(t *testing.T) {
	for target, seeds := range fuzzSeeds(t) {
		dir := filepath.Join("testdata", "fuzz", target)
		if *updateCorpus {
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}

		for name, value := range seeds {
			path := filepath.Join(dir, name)
			want := corpusFile(value)
			if *updateCorpus {
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("seed %s: %v; run go test -run TestFuzzCorpusIsCurrent -update-corpus", path, err)
				continue
			}
			if !bytes.Equal(got, want) {
				t.Errorf("seed %s is out of date; run go test -run TestFuzzCorpusIsCurrent -update-corpus", path)
			}
		}

		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if _, ok := seeds[e.Name()]; !ok {
				t.Errorf("%s holds %s, which no seed produces: fix what it found and add it to fuzzSeeds, or delete it", dir, e.Name())
			}
		}
	}
}

func TestFuzzSeedsCoverBoundaries(t *testing.T) {
	lengths := func(target string) []int {
		var ls []int
		for _, v := range fuzzSeeds(t)[target] {
			ls = append(ls, len(v.([]byte)))
		}
		return ls
	}
	for _, target := range []string{"FuzzOpen", "FuzzParseAttestation"} {
		ls := lengths(target)
		for _, want := range []int{0, wireMinSize - 1, wireMinSize, identity.MaxSignedSize, identity.MaxSignedSize + 1} {
			if !slices.Contains(ls, want) {
				t.Errorf("%s seeds have no %d-byte input; lengths are %v", target, want, ls)
			}
		}
	}
	if !slices.Contains(lengths("FuzzParseAttestation"), wireMinSize+wireAttestBodySize) {
		t.Errorf("FuzzParseAttestation seeds have no valid-length attestation")
	}
}
