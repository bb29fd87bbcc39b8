package menu

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ with the current output")

// checkGolden compares got with testdata/NAME.golden, or rewrites the
// file when the test runs with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the golden file: %v (run `go test ./app/menu -update` to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the output; if the change is intended, run `go test ./app/menu -update` and review the diff\n--- got\n%s", path, got)
	}
	if strings.Contains(got, "portals://invite/") && !strings.Contains(name, "dialog") {
		t.Errorf("%s shows an invitation link; menus must never show one", path)
	}
}
