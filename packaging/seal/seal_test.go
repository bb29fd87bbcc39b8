package seal

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/portalsapp/portals/packaging/verify"
)

// The tests sign real Go-built darwin executables: arm64 ones come with a
// linker signature to replace, amd64 ones with none, so both paths of
// stripSignature run.

var (
	buildOnce sync.Once
	built     map[string]string
	buildErr  error
)

// darwinBinaries builds a small Go program for darwin/arm64 and
// darwin/amd64 once per test binary and returns their paths by GOARCH.
func darwinBinaries(t *testing.T) map[string]string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "seal-test-")
		if err != nil {
			buildErr = err
			return
		}
		src := filepath.Join(dir, "main.go")
		if err := os.WriteFile(src, []byte("package main\n\nfunc main() { println(\"stand-in\") }\n"), 0o644); err != nil {
			buildErr = err
			return
		}
		built = map[string]string{}
		for _, arch := range []string{"arm64", "amd64"} {
			out := filepath.Join(dir, "hello-"+arch)
			cmd := exec.Command(goTool(), "build", "-o", out, src)
			cmd.Env = append(os.Environ(), "GOOS=darwin", "GOARCH="+arch, "CGO_ENABLED=0", "GOFLAGS=")
			cmd.Dir = dir
			if b, err := cmd.CombinedOutput(); err != nil {
				buildErr = err
				built = nil
				_ = b
				return
			}
			built[arch] = out
		}
	})
	if buildErr != nil {
		t.Fatalf("building the darwin test binaries: %v", buildErr)
	}
	return built
}

func goTool() string {
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

func copyTo(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestSignFileVerifiesWithGoMacho(t *testing.T) {
	for arch, bin := range darwinBinaries(t) {
		t.Run(arch, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "hello")
			copyTo(t, bin, path)
			cdhash, err := SignFile(path, "app.portals.test", Seals{})
			if err != nil {
				t.Fatal(err)
			}
			sig, err := verify.MachO(path, verify.Expected{Identifier: "app.portals.test"})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(sig.CDHash, cdhash[:]) {
				t.Fatalf("go-macho CDHash %x, SignFile returned %x", sig.CDHash, cdhash)
			}

			// Signing again replaces the signature and must give the same bytes.
			first, _ := os.ReadFile(path)
			if _, err := SignFile(path, "app.portals.test", Seals{}); err != nil {
				t.Fatal(err)
			}
			second, _ := os.ReadFile(path)
			if !bytes.Equal(first, second) {
				t.Fatal("re-signing a signed file changed it")
			}
		})
	}
}

func TestSignFileDetectsTamperedPage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hello")
	copyTo(t, darwinBinaries(t)["arm64"], path)
	if _, err := SignFile(path, "app.portals.test", Seals{}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	b[len(b)/3] ^= 0x01
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := verify.MachO(path, verify.Expected{}); err == nil {
		t.Fatal("verify accepted a binary with a flipped code byte")
	}
}

func TestSignFileRejectsNonMachO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(path, []byte("#!/bin/sh\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := SignFile(path, "x", Seals{}); err == nil {
		t.Fatal("SignFile signed a shell script")
	}
}

func TestVerifierAcceptsGoLinkerSignature(t *testing.T) {
	// The Go linker's own ad-hoc signature, written by code that is not
	// ours, must pass the same verifier: this shows that the verifier
	// checks the format and not this package's habits.
	bin := darwinBinaries(t)["arm64"]
	if _, err := verify.MachO(bin, verify.Expected{AllowLinkerSigned: true}); err != nil {
		t.Fatalf("verify rejected the Go linker's signature: %v", err)
	}
	// Without the allowance a linker signature is an unsigned release.
	if _, err := verify.MachO(bin, verify.Expected{}); err == nil {
		t.Fatal("verify accepted a linker signature where a real one is required")
	}
}

// sealedBundle builds a minimal bundle with a helper and an icon-like
// resource, seals it and returns its path.
func sealedBundle(t *testing.T) string {
	t.Helper()
	bins := darwinBinaries(t)
	app := filepath.Join(t.TempDir(), "Test.app")
	copyTo(t, bins["arm64"], filepath.Join(app, "Contents", "MacOS", "Test"))
	copyTo(t, bins["arm64"], filepath.Join(app, "Contents", "Helpers", "test"))
	write := func(rel, content string) {
		p := filepath.Join(app, "Contents", rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Info.plist", `<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict><key>CFBundleIdentifier</key><string>app.portals.test</string><key>CFBundleExecutable</key><string>Test</string></dict></plist>
`)
	write("Resources/icon.icns", "not really an icon")
	write("Resources/en.lproj/Localizable.strings", `"a" = "b";`)

	if _, err := SignFile(filepath.Join(app, "Contents", "Helpers", "test"), "app.portals.test.cli", Seals{}); err != nil {
		t.Fatal(err)
	}
	if _, err := SealBundle(app, "MacOS/Test", "app.portals.test"); err != nil {
		t.Fatal(err)
	}
	return app
}

func TestSealBundleVerifies(t *testing.T) {
	app := sealedBundle(t)
	report, err := verify.Bundle(app, "app.portals.test")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Helpers/test", "Resources/en.lproj/Localizable.strings", "Resources/icon.icns"}
	if len(report.Sealed) != len(want) {
		t.Fatalf("sealed %v, want %v", report.Sealed, want)
	}
	for i := range want {
		if report.Sealed[i] != want[i] {
			t.Fatalf("sealed %v, want %v", report.Sealed, want)
		}
	}
}

func TestSealBundleTampering(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(t *testing.T, app string)
	}{
		{"Info.plist byte", replaceOnce("Contents/Info.plist", "</plist>\n", "</plist> ")},
		{"resource byte", flipByte("Contents/Resources/icon.icns", 0)},
		{"localized resource byte", flipByte("Contents/Resources/en.lproj/Localizable.strings", 1)},
		{"CodeResources byte", replaceOnce("Contents/_CodeSignature/CodeResources", "<real>1000</real>", "<real>1001</real>")},
		{"helper code byte", flipByte("Contents/Helpers/test", 5000)},
		{"main executable code byte", flipByte("Contents/MacOS/Test", 5000)},
		{"added resource", func(t *testing.T, app string) {
			if err := os.WriteFile(filepath.Join(app, "Contents", "Resources", "extra.txt"), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"removed resource", func(t *testing.T, app string) {
			if err := os.Remove(filepath.Join(app, "Contents", "Resources", "icon.icns")); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			app := sealedBundle(t)
			c.mutate(t, app)
			if _, err := verify.Bundle(app, "app.portals.test"); err == nil {
				t.Fatal("verify accepted the tampered bundle")
			} else {
				t.Logf("rejected as expected: %v", err)
			}
		})
	}
}

func flipByte(rel string, at int) func(t *testing.T, app string) {
	return func(t *testing.T, app string) {
		t.Helper()
		p := filepath.Join(app, filepath.FromSlash(rel))
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		b[at] ^= 0x20
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// replaceOnce changes the first occurrence of old, which must have the
// same length as new, so the file stays well-formed and only the seal can
// notice.
func replaceOnce(rel, old, new string) func(t *testing.T, app string) {
	return func(t *testing.T, app string) {
		t.Helper()
		p := filepath.Join(app, filepath.FromSlash(rel))
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if len(old) != len(new) || !bytes.Contains(b, []byte(old)) {
			t.Fatalf("%s has no %q to replace with a same-length string", rel, old)
		}
		if err := os.WriteFile(p, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
