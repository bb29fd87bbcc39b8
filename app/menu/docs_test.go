package menu

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// docsPath is the page that shows the golden files to readers.
const docsPath = "../../docs/app.md"

// TestDocsShowGoldenFiles checks that docs/app.md shows every golden file
// verbatim in a text block, so the mock-ups there are the menus the code
// builds. many-services.golden is left out: the page shows its top level
// (many-services-top.golden) instead.
func TestDocsShowGoldenFiles(t *testing.T) {
	docs, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatalf("reading %s: %v", docsPath, err)
	}
	paths, err := filepath.Glob("testdata/*.golden")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden files found (err %v)", err)
	}
	for _, path := range paths {
		if filepath.Base(path) == "many-services.golden" {
			continue
		}
		golden, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(docs), "```text\n"+string(golden)+"```\n") {
			t.Errorf("%s does not show %s verbatim; paste the file into its text block", docsPath, path)
		}
	}
}
