package pipeline

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/portalsapp/portals/packaging/project"
	"github.com/portalsapp/portals/packaging/verify"
)

// TestDMGStructure checks each DMG three ways: package verify's UDIF
// reader (trailer, checksums, sector count), dmg2img (which must produce
// the same raw image), and 7-Zip's DMG reader (whose view of the trailer
// must match).
func TestDMGStructure(t *testing.T) {
	res := pipelineOutput(t)
	requireTool(t, "dmg2img", "dmg2img")
	requireTool(t, "7zz", "7zip")
	for arch, image := range res.DMGs {
		t.Run(arch, func(t *testing.T) {
			if filepath.Base(image) != project.DMGName(testVersion, arch) {
				t.Errorf("DMG named %s", filepath.Base(image))
			}
			b, err := os.ReadFile(image)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := verify.DMG(b)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Chunks < 2 {
				t.Errorf("%d chunks: the image should span several 1 MiB chunks", rep.Chunks)
			}

			raw := filepath.Join(t.TempDir(), "image.raw")
			runTool(t, "", "dmg2img", "-i", image, "-o", raw)
			fromDmg2img, err := os.ReadFile(raw)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(fromDmg2img, rep.Raw) {
				t.Fatalf("dmg2img gives %d bytes, the verifier %d, and they differ", len(fromDmg2img), len(rep.Raw))
			}

			listing := string(runTool(t, "", "7zz", "l", "-slt", image))
			for _, want := range []string{
				fmt.Sprintf("unpack-size: %d", rep.SectorCount*512),
				fmt.Sprintf("master-checksum: CRC: %08X", rep.MasterCRC),
				fmt.Sprintf("pack-checksum: CRC: %08X", rep.DataForkCRC),
			} {
				if !strings.Contains(listing, want) {
					t.Errorf("7-Zip does not report %q:\n%s", want, listing)
				}
			}
		})
	}
}

// TestDMGContents lists the ISO 9660 + Rock Ridge tree with xorriso and
// the HFS+ tree with 7-Zip, from the raw image that dmg2img produced, and
// checks that the bundle inside still verifies.
func TestDMGContents(t *testing.T) {
	res := pipelineOutput(t)
	requireTool(t, "dmg2img", "dmg2img")
	requireTool(t, "xorriso", "xorriso")
	requireTool(t, "7zz", "7zip")
	for arch, image := range res.DMGs {
		t.Run(arch, func(t *testing.T) {
			dir := t.TempDir()
			raw := filepath.Join(dir, "image.raw")
			runTool(t, "", "dmg2img", "-i", image, "-o", raw)

			// ISO 9660 + Rock Ridge, through xorriso.
			list := string(runTool(t, "", "xorriso", "-indev", raw, "-find", "/", "-exec", "lsdl"))
			for _, want := range []string{
				`'/Portals.app/Contents/Info.plist'`,
				`'/Portals.app/Contents/MacOS/Portals'`,
				`'/Portals.app/Contents/Helpers/portals'`,
				`'/Portals.app/Contents/Resources/Portals.icns'`,
				`'/Portals.app/Contents/_CodeSignature/CodeResources'`,
			} {
				if !strings.Contains(list, want) {
					t.Errorf("xorriso does not list %s:\n%s", want, list)
				}
			}
			if !regexp.MustCompile(`(?m)^l\S*\s.*'/Applications' -> '/Applications'$`).MatchString(list) {
				t.Errorf("no Applications symlink to /Applications in:\n%s", list)
			}
			if !regexp.MustCompile(`(?m)^-r-xr-xr-x\s.*'/Portals.app/Contents/MacOS/Portals'$`).MatchString(list) {
				t.Errorf("the main executable is not executable in the image:\n%s", list)
			}

			// The bundle extracted from the image must still pass the seal.
			out := filepath.Join(dir, "extracted")
			runTool(t, "", "xorriso", "-osirrox", "on", "-indev", raw, "-extract", "/Portals.app", filepath.Join(out, "Portals.app"))
			if _, err := verify.Bundle(filepath.Join(out, "Portals.app"), project.BundleID); err != nil {
				t.Fatalf("the bundle in the image does not verify: %v", err)
			}

			checkHFSPlus(t, raw, dir)
		})
	}
}

// checkHFSPlus finds the Apple_HFS partition through the image's Apple
// partition map and lists it with 7-Zip's HFS+ reader.
func checkHFSPlus(t *testing.T, rawPath, dir string) {
	t.Helper()
	raw, err := os.ReadFile(rawPath)
	if err != nil {
		t.Fatal(err)
	}
	start, count := -1, 0
	for i := 1; (i+1)*512 <= len(raw) && i < 64; i++ {
		e := raw[i*512:]
		if string(e[:2]) != "PM" {
			break
		}
		if string(bytes.TrimRight(e[48:80], "\x00")) == "Apple_HFS" {
			start, count = int(binary.BigEndian.Uint32(e[8:])), int(binary.BigEndian.Uint32(e[12:]))
		}
	}
	if start < 0 || (start+count)*512 > len(raw) {
		t.Fatal("the image has no Apple_HFS partition in its partition map")
	}

	part := filepath.Join(dir, "hfsplus.img")
	if err := os.WriteFile(part, raw[start*512:(start+count)*512], 0o644); err != nil {
		t.Fatal(err)
	}

	list := string(runTool(t, "", "7zz", "l", "-slt", "-thfs", part))
	for _, want := range []string{
		"Path = Portals/Portals.app/Contents/MacOS/Portals",
		"Path = Portals/Portals.app/Contents/_CodeSignature/CodeResources",
		"Path = Portals/Applications",
	} {
		if !strings.Contains(list, want) {
			t.Errorf("7-Zip's HFS+ listing lacks %q", want)
		}
	}
	target := runTool(t, "", "7zz", "e", "-so", "-thfs", part, "Portals/Applications")
	if string(target) != "/Applications" {
		t.Errorf("HFS+ Applications link points to %q", target)
	}
}

func TestDMGTampering(t *testing.T) {
	res := pipelineOutput(t)
	orig, err := os.ReadFile(res.DMGs["arm64"])
	if err != nil {
		t.Fatal(err)
	}
	kolyAt := len(orig) - 512
	cases := []struct {
		name   string
		mutate func(b []byte)
	}{
		{"data fork byte", func(b []byte) { b[1000] ^= 0x01 }},
		{"sector count", func(b []byte) {
			binary.BigEndian.PutUint64(b[kolyAt+492:], binary.BigEndian.Uint64(b[kolyAt+492:])+1)
		}},
		{"master checksum", func(b []byte) { b[kolyAt+360] ^= 0x01 }},
		{"koly magic", func(b []byte) { b[kolyAt] = 'x' }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := append([]byte(nil), orig...)
			c.mutate(b)
			if _, err := verify.DMG(b); err == nil {
				t.Fatal("the verifier accepted the tampered image")
			} else {
				t.Logf("rejected: %v", err)
			}
		})
	}
}
