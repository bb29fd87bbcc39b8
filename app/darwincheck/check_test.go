package darwincheck

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// moduleRoot is the repository root, relative to this package.
const moduleRoot = "../.."

// targets are the architectures Portals.app ships for.
var targets = []Target{{"darwin", "arm64"}, {"darwin", "amd64"}}

// appPackages must each be type-checked for every target; if a build tag
// or a rename drops one, the test fails instead of passing with less.
var appPackages = []string{
	"github.com/portalsapp/portals/app",
	"github.com/portalsapp/portals/app/cmd/portals-app",
	"github.com/portalsapp/portals/app/menu",
}

// TestAppTypeChecksForMacOS is the Linux stand-in for building the app:
// app/ and everything it imports must type-check for both Mac
// architectures.
func TestAppTypeChecksForMacOS(t *testing.T) {
	for _, target := range targets {
		t.Run(target.GOARCH, func(t *testing.T) {
			t.Parallel()
			res := check(t, target, "./app/...")
			reportAll(t, "dependency (the check cannot be trusted)", res.DependencyErrors)
			reportAll(t, "type error", res.Errors)
			for _, want := range appPackages {
				if !slices.Contains(res.Checked, want) {
					t.Errorf("%s was not type-checked for %s/%s; checked: %v", want, target.GOOS, target.GOARCH, res.Checked)
				}
			}
		})
	}
}

// TestBrokenFixtureFails proves that the check can fail: every line of
// testdata/broken marked "want" must be reported, and nothing else.
func TestBrokenFixtureFails(t *testing.T) {
	wantLines := markedLines(t, "testdata/broken/broken.go")
	if len(wantLines) == 0 {
		t.Fatal("the fixture marks no line with // want")
	}
	for _, target := range targets {
		t.Run(target.GOARCH, func(t *testing.T) {
			t.Parallel()
			res := check(t, target, "./app/darwincheck/testdata/broken")
			reportAll(t, "dependency", res.DependencyErrors)

			got := map[int]bool{}
			for _, e := range res.Errors {
				line, ok := errorLine(e, "broken.go")
				if !ok {
					t.Errorf("unexpected error outside the marked lines: %s", e)
					continue
				}
				got[line] = true
				if !wantLines[line] {
					t.Errorf("error on unmarked line %d: %s", line, e)
				}
			}
			for line := range wantLines {
				if !got[line] {
					t.Errorf("broken.go:%d is marked // want, but no error was reported; errors: %q", line, res.Errors)
				}
			}
		})
	}
}

func check(t *testing.T, target Target, pattern string) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	res, err := Check(ctx, moduleRoot, target, pattern)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s/%s: checked %d packages of this module in %v", target.GOOS, target.GOARCH, len(res.Checked), time.Since(start).Round(time.Millisecond))
	return res
}

func reportAll(t *testing.T, kind string, errs []string) {
	t.Helper()
	for _, e := range errs {
		t.Errorf("%s: %s", kind, e)
	}
}

// markedLines returns the numbers of the lines of path that contain
// "// want".
func markedLines(t *testing.T, path string) map[int]bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := map[int]bool{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.Contains(sc.Text(), "// want") {
			lines[n] = true
		}
	}
	return lines
}

// errorLine extracts the line number from a go/types error about file.
func errorLine(msg, file string) (int, bool) {
	i := strings.Index(msg, string(filepath.Separator)+file+":")
	if i < 0 {
		return 0, false
	}
	var line int
	_, err := fmt.Sscanf(msg[i+len(file)+2:], "%d", &line)
	return line, err == nil
}
