// Package darwincheck type-checks Go packages for macOS on any host, from
// source and without a C toolchain, so that Linux CI catches a broken
// darwinkit call in the app even though no Mac builds it there.
//
// It runs `go list` to find the files of each package for the target
// platform with cgo enabled, then runs go/types over them with FakeImportC: the
// cgo pseudo-package "C" is accepted without running cgo. What this
// cannot see: whether C declarations exist, whether Objective-C selectors
// exist at run time, and anything the linker checks. A real build on a
// Mac (.github/workflows/macos.yml) covers those.
package darwincheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
)

// listedPackage is the part of `go list -json` output that the checker
// uses.
type listedPackage struct {
	ImportPath string
	Dir        string
	Name       string
	Standard   bool
	GoFiles    []string
	CgoFiles   []string
	ImportMap  map[string]string // import path in source → resolved path, for vendored packages
	DepOnly    bool
	Module     *struct {
		Path      string
		Main      bool
		GoVersion string
	}
	Error *struct{ Err string }
}

// Target is a platform to check for.
type Target struct{ GOOS, GOARCH string }

// listPackages runs `go list -deps -json` in dir for target with cgo on,
// and returns the packages in dependency order (dependencies first).
func listPackages(ctx context.Context, dir string, target Target, patterns []string) ([]*listedPackage, error) {
	args := append([]string{"list", "-e", "-deps", "-json=ImportPath,Dir,Name,Standard,GoFiles,CgoFiles,ImportMap,DepOnly,Module,Error"}, patterns...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS="+target.GOOS, "GOARCH="+target.GOARCH, "CGO_ENABLED=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("darwincheck: running go list for %s/%s: %w: %s", target.GOOS, target.GOARCH, err, stderr.Bytes())
	}
	return decodePackages(out)
}

func decodePackages(out []byte) ([]*listedPackage, error) {
	var pkgs []*listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		p := new(listedPackage)
		err := dec.Decode(p)
		if errors.Is(err, io.EOF) {
			return pkgs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("darwincheck: decoding go list output: %w", err)
		}
		pkgs = append(pkgs, p)
	}
}
