package dmg

import (
	"bytes"
	"math/rand"
	"testing"

	"github.com/portalsapp/portals/packaging/verify"
)

// TestWriteRoundTrip wraps a synthetic image with data chunks, an all-zero
// chunk and a short last chunk, and reads it back with package verify.
func TestWriteRoundTrip(t *testing.T) {
	raw := make([]byte, (2*chunkSectors+chunkSectors+5)*SectorSize)
	rng := rand.New(rand.NewSource(1))
	rng.Read(raw[:chunkSectors*SectorSize])                  // chunk 0: data
	copy(raw[2*chunkSectors*SectorSize:], []byte("portals")) // chunk 1 stays zero
	raw[len(raw)-1] = 1                                      // chunk 3: 5 sectors

	var img bytes.Buffer
	if err := Write(&img, raw, "test"); err != nil {
		t.Fatal(err)
	}
	rep, err := verify.DMG(img.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rep.Raw, raw) {
		t.Fatal("the image does not read back to its input")
	}
	if rep.Chunks != 4 || rep.SectorCount != uint64(len(raw)/SectorSize) {
		t.Fatalf("%d chunks, %d sectors", rep.Chunks, rep.SectorCount)
	}
	// The zero chunk stores nothing, so the image is smaller than the
	// random chunk plus the others compressed.
	if img.Len() >= len(raw) {
		t.Errorf("image of %d bytes for %d raw bytes", img.Len(), len(raw))
	}
}

func TestWriteRejectsPartialSectors(t *testing.T) {
	for _, n := range []int{0, 1, SectorSize + 1} {
		if err := Write(&bytes.Buffer{}, make([]byte, n), "x"); err == nil {
			t.Errorf("accepted %d bytes", n)
		}
	}
}
