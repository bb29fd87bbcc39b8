package clisign

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/portalsapp/portals/packaging/verify"
)

func buildDarwin(t *testing.T, arch string) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() { println(\"cli\") }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "cli")
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", out, src)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=darwin", "GOARCH="+arch, "CGO_ENABLED=0", "GOFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build for darwin/%s: %v\n%s", arch, err, b)
	}
	return out
}

func TestSignAdhocWithQuill(t *testing.T) {
	for _, arch := range []string{"arm64", "amd64"} {
		t.Run(arch, func(t *testing.T) {
			path := buildDarwin(t, arch)
			if err := Sign(path, "app.portals.cli-test", Options{}); err != nil {
				t.Fatal(err)
			}
			// Independently of Sign's own check: go-macho must see an ad-hoc,
			// non-linker signature with our identifier and intact pages.
			sig, err := verify.MachO(path, verify.Expected{Identifier: "app.portals.cli-test"})
			if err != nil {
				t.Fatal(err)
			}
			if sig.Flags&0x20000 != 0 || sig.Flags&0x2 == 0 {
				t.Fatalf("flags %#x: want ad hoc and not linker-signed", sig.Flags)
			}
		})
	}
}

func TestSignRejectsNotarizationWithoutCertificate(t *testing.T) {
	err := Sign(filepath.Join(t.TempDir(), "none"), "x", Options{NotaryIssuer: "i", NotaryKeyID: "k", NotaryKey: "p"})
	if err == nil {
		t.Fatal("Sign accepted notarization of an ad-hoc signature")
	}
}

func TestSignRejectsMissingP12(t *testing.T) {
	path := buildDarwin(t, "arm64")
	if err := Sign(path, "x", Options{P12: filepath.Join(t.TempDir(), "missing.p12")}); err == nil {
		t.Fatal("Sign accepted a missing P12 file")
	}
}
