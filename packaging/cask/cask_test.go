package cask

import (
	"path/filepath"
	"strings"
	"testing"
)

var templatePath = filepath.Join("..", "..", "homebrew", "portals.rb.tmpl")

func TestRenderRejectsBadInput(t *testing.T) {
	good := strings.Repeat("ab", 32)
	cases := []struct{ name, version, arm, intel string }{
		{"short hash", "1.0.0", "abc", good},
		{"uppercase hash", "1.0.0", good, strings.ToUpper(good)},
		{"version with a quote", `1.0.0"`, good, good},
		{"version with text", "1.0.0-beta", good, good},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Render(templatePath, c.version, c.arm, c.intel); err == nil {
				t.Fatal("Render accepted it")
			}
		})
	}
}

func TestRenderPlacesEachHash(t *testing.T) {
	arm, intel := strings.Repeat("a", 64), strings.Repeat("b", 64)
	out, err := Render(templatePath, "2.0.1", arm, intel)
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	if !strings.Contains(s, `arm:   "`+arm+`"`) || !strings.Contains(s, `intel: "`+intel+`"`) {
		t.Fatalf("hashes not in their arch slots:\n%s", s)
	}
	if !strings.Contains(s, `version "2.0.1"`) {
		t.Fatalf("version missing:\n%s", s)
	}
}
