package pipeline

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/portalsapp/portals/packaging/project"
)

// stanzaOrder is the order of Homebrew's Cask Cookbook ("Stanza order"),
// which `brew style` enforces, limited to stanzas a cask like ours uses.
var stanzaOrder = []string{
	"arch", "version", "sha256", "language", "url", "name", "desc", "homepage",
	"livecheck", "auto_updates", "conflicts_with", "depends_on", "container",
	"app", "pkg", "installer", "binary", "uninstall", "zap", "caveats",
}

func TestCaskParsesAndMatchesDMGs(t *testing.T) {
	res := pipelineOutput(t)
	requireTool(t, "ruby", "ruby")
	runTool(t, "", "ruby", "-c", res.Cask)

	text, err := os.ReadFile(res.Cask)
	if err != nil {
		t.Fatal(err)
	}
	cask := string(text)
	m := regexp.MustCompile(`sha256 arm:\s+"([0-9a-f]{64})",\s+intel:\s+"([0-9a-f]{64})"`).FindStringSubmatch(cask)
	if m == nil {
		t.Fatalf("no per-architecture sha256 stanza in:\n%s", cask)
	}
	if got, want := m[1], sha256Hex(t, res.DMGs["arm64"]); got != want {
		t.Errorf("arm sha256 %s, the arm64 DMG hashes to %s", got, want)
	}
	if got, want := m[2], sha256Hex(t, res.DMGs["amd64"]); got != want {
		t.Errorf("intel sha256 %s, the amd64 DMG hashes to %s", got, want)
	}

	for _, want := range []string{
		`arch arm: "arm64", intel: "amd64"`,
		`version "` + testVersion + `"`,
		`depends_on macos: :monterey`,
		`app "Portals.app"`,
		`uninstall quit: "` + project.BundleID + `"`,
		`"~/Library/Application Support/Portals"`,
		`"~/Library/Logs/Portals"`,
		`"~/Library/Preferences/` + project.BundleID + `.plist"`,
		`"~/Library/Caches/` + project.BundleID + `"`,
	} {
		if !strings.Contains(cask, want) {
			t.Errorf("cask lacks %s", want)
		}
	}

	// The url must resolve, for each architecture, to the DMG's name.
	u := regexp.MustCompile(`(?m)^\s*url "([^"]+)"`).FindStringSubmatch(cask)
	if u == nil || !strings.Contains(u[1], "#{version}") || !strings.Contains(u[1], "#{arch}") {
		t.Fatalf("url stanza %v must use #{version} and #{arch}", u)
	}
	for arch, image := range res.DMGs {
		resolved := strings.NewReplacer("#{version}", testVersion, "#{arch}", arch).Replace(u[1])
		if !strings.HasSuffix(resolved, "/"+filepath.Base(image)) || !strings.HasPrefix(resolved, "https://github.com/"+project.Owner+"/"+project.Repo+"/releases/download/v"+testVersion+"/") {
			t.Errorf("url for %s resolves to %s, the DMG is %s", arch, resolved, filepath.Base(image))
		}
	}

	// binary must name a file that the bundle has.
	b := regexp.MustCompile(`(?m)^\s*binary "#\{appdir\}/Portals\.app/([^"]+)"`).FindStringSubmatch(cask)
	if b == nil {
		t.Fatal("no binary stanza inside Portals.app")
	}
	for arch, app := range res.Apps {
		if info, err := os.Stat(filepath.Join(app, filepath.FromSlash(b[1]))); err != nil || info.Mode()&0o111 == 0 {
			t.Errorf("%s: binary target %s is not an executable in the bundle: %v", arch, b[1], err)
		}
	}
}

func TestCaskStanzaOrder(t *testing.T) {
	res := pipelineOutput(t)
	text, err := os.ReadFile(res.Cask)
	if err != nil {
		t.Fatal(err)
	}
	rank := map[string]int{}
	for i, s := range stanzaOrder {
		rank[s] = i
	}
	// Top-level stanzas are indented by exactly two spaces; "end" closes
	// a block such as livecheck and is no stanza.
	re := regexp.MustCompile(`^  ([a-z0-9_]+)\b`)

	last, lastName := -1, ""
	var seen []string
	for _, line := range strings.Split(string(text), "\n") {
		m := re.FindStringSubmatch(line)
		if m == nil || m[1] == "end" {
			continue
		}
		r, ok := rank[m[1]]
		if !ok {
			t.Errorf("unknown stanza %q", m[1])
			continue
		}
		if r < last {
			t.Errorf("stanza %q comes after %q; Homebrew's order puts it before", m[1], lastName)
		}
		last, lastName = r, m[1]
		seen = append(seen, m[1])
	}

	for _, required := range []string{"arch", "version", "sha256", "url", "name", "desc", "homepage", "livecheck", "depends_on", "app", "binary", "uninstall", "zap"} {
		found := false
		for _, s := range seen {
			found = found || s == required
		}
		if !found {
			t.Errorf("the cask has no %s stanza", required)
		}
	}
}

func TestChecksumsFile(t *testing.T) {
	res := pipelineOutput(t)
	requireTool(t, "sha256sum", "coreutils")
	out := string(runTool(t, filepath.Dir(res.Sums), "sha256sum", "--check", "--strict", filepath.Base(res.Sums)))
	for _, image := range res.DMGs {
		if !strings.Contains(out, filepath.Base(image)+": OK") {
			t.Errorf("SHA256SUMS does not cover %s:\n%s", filepath.Base(image), out)
		}
	}
}
