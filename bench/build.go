package main

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"strings"
)

// build identifies what a run measured: the source tree's commit, the
// files that differed from it, and the binary's hash.
type build struct {
	Revision      string   `json:"revision"`
	ModifiedFiles []string `json:"modified_files,omitempty"` // under engine/ and cmd/ only
	BinarySHA256  string   `json:"binary_sha256"`
}

// describeBuild runs git without taking its optional locks, so it never
// rewrites the index of a tree that others are working in.
func describeBuild(exe string) build {
	var b build
	if out, err := exec.Command("git", "--no-optional-locks", "rev-parse", "HEAD").Output(); err == nil {
		b.Revision = strings.TrimSpace(string(out))
	}
	if out, err := exec.Command("git", "--no-optional-locks", "status", "--porcelain", "--", "engine", "cmd").Output(); err == nil {
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if line != "" {
				b.ModifiedFiles = append(b.ModifiedFiles, strings.TrimSpace(line))
			}
		}
	}
	if f, err := os.Open(exe); err == nil {
		h := sha256.New()
		io.Copy(h, f)
		f.Close()
		b.BinarySHA256 = hex.EncodeToString(h.Sum(nil))
	}
	return b
}
