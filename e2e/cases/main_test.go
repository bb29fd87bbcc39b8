// Package cases_test turns the portal behaviour cases C1 to C12 into
// tests. Each test's doc comment states its case. Every case
// runs on a direct route and through a relay. Cases about the data path
// use engines in this process. Cases about processes (memory, restarts,
// descriptors, network namespaces) run the portals binary, which TestMain
// builds once.
package cases_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// portalsBin is the portals binary the process tests run.
var portalsBin string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "portals-cases-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)

	// The binary is built without -race: the process tests measure its
	// memory, which the race detector multiplies.
	portalsBin = filepath.Join(dir, "portals")
	build := exec.Command("go", "build", "-o", portalsBin, "github.com/portalsapp/portals/cmd/portals")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building portals for the case tests failed:", err)
		return 1
	}
	return m.Run()
}
