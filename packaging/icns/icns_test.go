package icns

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func TestEncodeDecodes(t *testing.T) {
	a, err := Encode()
	if err != nil {
		t.Fatal(err)
	}
	checkElements(t, a)
}

// Drawing twice gives the same pixels, at 4×4 and at 2×2 supersampling
// (the full Encode is too slow to run twice under -race).
func TestDrawIsDeterministic(t *testing.T) {
	for _, size := range []int{32, 128} {
		a, b := Draw(size), Draw(size)
		if !bytes.Equal(a.Pix, b.Pix) {
			t.Fatalf("two drawings at %d px differ", size)
		}
	}
}

// The committed icon must be a complete container with every size. It is
// not compared byte for byte with Encode: another Go version's PNG encoder
// may compress differently.
func TestCommittedIcon(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "resources", "Portals.icns"))
	if err != nil {
		t.Fatal(err)
	}
	checkElements(t, b)
}

func checkElements(t *testing.T, b []byte) {
	t.Helper()
	els, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(els) != len(Elements) {
		t.Fatalf("%d elements, want %d", len(els), len(Elements))
	}
	for i, el := range els {
		img, err := png.Decode(bytes.NewReader(el.Data))
		if err != nil {
			t.Fatalf("%s: %v", el.Type, err)
		}
		want := Elements[i]
		if el.Type != want.Type || img.Bounds().Dx() != want.Pixels || img.Bounds().Dy() != want.Pixels {
			t.Errorf("element %d is %s %dx%d, want %s %d px", i, el.Type, img.Bounds().Dx(), img.Bounds().Dy(), want.Type, want.Pixels)
		}
	}
}

func TestDecodeRejectsBadLengths(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("..", "..", "resources", "Portals.icns"))
	if err != nil {
		t.Fatal(err)
	}
	truncated := good[:len(good)-1]
	if _, err := Decode(truncated); err == nil {
		t.Error("accepted a truncated file")
	}
	bad := append([]byte(nil), good...)
	bad[12], bad[13], bad[14], bad[15] = 0xff, 0xff, 0xff, 0xff // first element's length
	if _, err := Decode(bad); err == nil {
		t.Error("accepted an element longer than the file")
	}
}
