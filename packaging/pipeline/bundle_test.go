package pipeline

import (
	"bytes"
	"encoding/binary"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"

	macho "github.com/blacktop/go-macho"
	mtypes "github.com/blacktop/go-macho/types"
	"howett.net/plist"

	"github.com/portalsapp/portals/packaging/project"
	"github.com/portalsapp/portals/packaging/verify"
)

type infoPlist struct {
	Identifier   string `plist:"CFBundleIdentifier"`
	Executable   string `plist:"CFBundleExecutable"`
	ShortVersion string `plist:"CFBundleShortVersionString"`
	Version      string `plist:"CFBundleVersion"`
	PackageType  string `plist:"CFBundlePackageType"`
	IconFile     string `plist:"CFBundleIconFile"`
	MinimumOS    string `plist:"LSMinimumSystemVersion"`
	UIElement    bool   `plist:"LSUIElement"`
	URLTypes     []struct {
		Name    string   `plist:"CFBundleURLName"`
		Schemes []string `plist:"CFBundleURLSchemes"`
	} `plist:"CFBundleURLTypes"`
}

func TestBundleInfoPlist(t *testing.T) {
	res := pipelineOutput(t)
	for arch, app := range res.Apps {
		t.Run(arch, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(app, "Contents", "Info.plist"))
			if err != nil {
				t.Fatal(err)
			}
			var info infoPlist
			if _, err := plist.Unmarshal(b, &info); err != nil {
				t.Fatalf("Info.plist does not parse: %v", err)
			}
			switch {
			case info.Identifier != project.BundleID:
				t.Errorf("CFBundleIdentifier %q", info.Identifier)
			case info.ShortVersion != testVersion || info.Version != testVersion:
				t.Errorf("versions %q / %q, want %q", info.ShortVersion, info.Version, testVersion)
			case info.PackageType != "APPL":
				t.Errorf("CFBundlePackageType %q", info.PackageType)
			case !info.UIElement:
				t.Error("LSUIElement is not true: the menubar app would show a Dock icon")
			case info.MinimumOS != "12.0":
				t.Errorf("LSMinimumSystemVersion %q, want 12.0", info.MinimumOS)
			case len(info.URLTypes) != 1 || len(info.URLTypes[0].Schemes) != 1 || info.URLTypes[0].Schemes[0] != "portals":
				t.Errorf("CFBundleURLTypes %+v, want the portals scheme", info.URLTypes)
			}
			if _, err := os.Stat(filepath.Join(app, "Contents", "MacOS", info.Executable)); err != nil {
				t.Errorf("CFBundleExecutable: %v", err)
			}
			checkIcon(t, filepath.Join(app, "Contents", "Resources", info.IconFile))
		})
	}
}

// checkIcon reads the icns container with its own loop (not package
// icns) and decodes every element as PNG.
func checkIcon(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("icon: %v", err)
	}
	if len(b) < 8 || string(b[:4]) != "icns" || int(binary.BigEndian.Uint32(b[4:])) != len(b) {
		t.Fatalf("icon %s has no valid icns header", path)
	}
	sizes := map[int]bool{}
	for off := 8; off < len(b); {
		n := int(binary.BigEndian.Uint32(b[off+4:]))
		img, err := png.Decode(bytes.NewReader(b[off+8 : off+n]))
		if err != nil {
			t.Fatalf("icon element %q is not a PNG: %v", b[off:off+4], err)
		}
		sizes[img.Bounds().Dx()] = true
		off += n
	}
	for _, want := range []int{16, 32, 64, 128, 256, 512, 1024} {
		if !sizes[want] {
			t.Errorf("icon has no %d px image", want)
		}
	}
}

func TestBundleSignatures(t *testing.T) {
	res := pipelineOutput(t)
	wantCPU := map[string]mtypes.CPU{"arm64": mtypes.CPUArm64, "amd64": mtypes.CPUAmd64}
	for arch, app := range res.Apps {
		t.Run(arch, func(t *testing.T) {
			report, err := verify.Bundle(app, project.BundleID)
			if err != nil {
				t.Fatal(err)
			}
			if report.Main.Identifier != project.BundleID {
				t.Errorf("main CodeDirectory identifier %q", report.Main.Identifier)
			}
			if report.Main.Flags&0x20000 != 0 {
				t.Error("the main executable still has the Go linker's signature")
			}

			// CodeResources must cover every file under Contents except the
			// three that have their own seal.
			var want []string
			contents := filepath.Join(app, "Contents")
			_ = filepath.WalkDir(contents, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					rel, _ := filepath.Rel(contents, p)
					rel = filepath.ToSlash(rel)
					if rel != "MacOS/Portals" && rel != "Info.plist" && rel != "_CodeSignature/CodeResources" {
						want = append(want, rel)
					}
				}
				return err
			})
			sort.Strings(want)
			if len(want) < 2 || len(report.Sealed) != len(want) {
				t.Fatalf("sealed %v, bundle has %v", report.Sealed, want)
			}
			for i := range want {
				if report.Sealed[i] != want[i] {
					t.Fatalf("sealed %v, bundle has %v", report.Sealed, want)
				}
			}

			helper, err := verify.MachO(filepath.Join(contents, "Helpers", project.CLIName), verify.Expected{Identifier: project.HelperID})
			if err != nil {
				t.Fatalf("helper: %v", err)
			}
			if helper.Flags&0x2 == 0 {
				t.Errorf("helper flags %#x: not ad hoc", helper.Flags)
			}

			f, err := macho.Open(filepath.Join(contents, "MacOS", "Portals"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.CPU != wantCPU[arch] {
				t.Errorf("main executable is for %v, want %v", f.CPU, wantCPU[arch])
			}
		})
	}
}

func TestBundleTampering(t *testing.T) {
	res := pipelineOutput(t)
	cases := []struct {
		name      string
		rel       string
		old, new_ string // same length, so the file stays well-formed
		flipAt    int    // used when old is empty
	}{
		{name: "Info.plist version", rel: "Contents/Info.plist", old: "<string>" + testVersion + "</string>", new_: "<string>1.2.4</string>"},
		{name: "Info.plist one byte", rel: "Contents/Info.plist", old: "authors", new_: "Authors"},
		{name: "icon byte", rel: "Contents/Resources/Portals.icns", flipAt: 100},
		{name: "helper byte", rel: "Contents/Helpers/portals", flipAt: 8192},
		{name: "main executable byte", rel: "Contents/MacOS/Portals", flipAt: 8192},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			app := filepath.Join(t.TempDir(), "Portals.app")
			copyTree(t, res.Apps["arm64"], app)
			if _, err := verify.Bundle(app, project.BundleID); err != nil {
				t.Fatalf("the untouched copy does not verify: %v", err)
			}
			p := filepath.Join(app, filepath.FromSlash(c.rel))
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if c.old != "" {
				if !bytes.Contains(b, []byte(c.old)) || len(c.old) != len(c.new_) {
					t.Fatalf("%s has no %q", c.rel, c.old)
				}
				b = bytes.Replace(b, []byte(c.old), []byte(c.new_), 1)
			} else {
				b[c.flipAt] ^= 0x01
			}
			if err := os.WriteFile(p, b, 0o755); err != nil {
				t.Fatal(err)
			}
			if _, err := verify.Bundle(app, project.BundleID); err == nil {
				t.Fatal("the verifier accepted the tampered bundle")
			} else {
				t.Logf("rejected: %v", err)
			}
		})
	}
}
