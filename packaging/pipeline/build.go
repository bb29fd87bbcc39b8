package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// goBuild compiles pkg for goos/goarch into out and returns out. Builds
// are static (CGO_ENABLED=0), stripped (-s -w) and path-independent
// (-trimpath), with main.version set to the release version.
//
// A package already built for the same platform in this run is not built
// again: its first output path is returned instead.
func (c *Config) goBuild(ctx context.Context, goos, goarch, pkg, out string) (string, error) {
	key := goos + "/" + goarch + " " + pkg
	if prev, ok := c.built[key]; ok {
		return prev, nil
	}
	c.Logf("building %s for %s/%s", pkg, goos, goarch)
	ldflags := fmt.Sprintf("-s -w -X main.version=%s", c.Version)
	cmd := exec.CommandContext(ctx, goCommand(), "build", "-trimpath", "-ldflags", ldflags, "-o", out, pkg)
	cmd.Dir = c.RepoRoot
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("pipeline: go build %s for %s/%s failed (%w):\n%s", pkg, goos, goarch, err, stderr.String())
	}
	c.built[key] = out
	return out, nil
}

// goCommand returns the go tool of the toolchain that built this program
// when it exists, so tests and `go run` use the same Go. Otherwise it
// returns "go" from PATH.
func goCommand() string {
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return "go"
}
