package pipeline

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The pipeline runs once per test binary, in dmg-test mode: the darwin
// CLI builds stand in for the GUI executables, everything is signed ad hoc
// by package seal and imaged by package dmg. The tests then check the
// output with tools that share no code with the writers: go-macho and
// howett.net/plist (through package verify), dmg2img, xorriso, 7-Zip,
// ruby and sha256sum.

const testVersion = "1.2.3"

var (
	fixtureOnce sync.Once
	fixture     *Result
	fixtureErr  error
	fixtureDir  string
)

// pipelineOutput returns the result of the shared pipeline run.
func pipelineOutput(t *testing.T) *Result {
	t.Helper()
	fixtureOnce.Do(func() {
		root, err := filepath.Abs(filepath.Join("..", ".."))
		if err != nil {
			fixtureErr = err
			return
		}
		fixtureDir, err = os.MkdirTemp("", "portals-pipeline-test-")
		if err != nil {
			fixtureErr = err
			return
		}
		start := time.Now()
		fixture, fixtureErr = Run(context.Background(), Config{
			RepoRoot:   root,
			OutDir:     filepath.Join(fixtureDir, "dist"),
			Version:    testVersion,
			GUIPackage: "./cmd/portals",
			CLIPackage: "./cmd/portals",
		})
		t.Logf("pipeline ran in %v", time.Since(start).Round(time.Millisecond))
	})
	if fixtureErr != nil {
		t.Fatalf("the pipeline failed: %v", fixtureErr)
	}
	return fixture
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixtureDir != "" {
		os.RemoveAll(fixtureDir)
	}
	os.Exit(code)
}

// requireTool fails the test when an external tool is missing: these
// tools are the independent readers, so a missing one must not pass
// silently. scripts/install-deps.sh installs them.
func requireTool(t *testing.T, name, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is missing: install the Debian package %s (make deps does)", name, debianPackage)
	}
	return p
}

// runTool runs a command and returns its standard output, failing the
// test with the output when it exits non-zero.
func runTool(t *testing.T, dir, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.Bytes()
}

func sha256Hex(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// copyTree copies a directory tree (regular files and directories only)
// so tamper tests do not touch the shared output.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}
