package bundle

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"howett.net/plist"
)

func TestCheckVersion(t *testing.T) {
	for _, ok := range []string{"1", "1.2", "1.2.3", "0.0.0", "10.20.30"} {
		if err := CheckVersion("version", ok); err != nil {
			t.Errorf("%q rejected: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "1.2.3.4", "01.2.3", "1.2.3-rc1", "v1.2.3", "1..2", "1.2.3</string>"} {
		if err := CheckVersion("version", bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// A template value that needs escaping must come out as text, not markup.
func TestRenderInfoPlistEscapes(t *testing.T) {
	dir := t.TempDir()
	tmpl := filepath.Join(dir, InfoPlistTemplate)
	body := `<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict><key>V</key><string>{{xml .Version}}</string><key>X</key><string>{{xml "a<b&c"}}</string></dict></plist>
`
	if err := os.WriteFile(tmpl, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := RenderInfoPlist(tmpl, "1.2.3", "45")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if _, err := plist.Unmarshal(out, &got); err != nil {
		t.Fatalf("rendered plist does not parse: %v\n%s", err, out)
	}
	if got["V"] != "1.2.3" || got["X"] != "a<b&c" {
		t.Fatalf("got %v", got)
	}
}

func TestRenderInfoPlistRejectsUnknownField(t *testing.T) {
	tmpl := filepath.Join(t.TempDir(), InfoPlistTemplate)
	if err := os.WriteFile(tmpl, []byte(`<plist>{{.Nope}}</plist>`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := RenderInfoPlist(tmpl, "1.0.0", "1"); err == nil || !strings.Contains(err.Error(), "Nope") {
		t.Fatalf("want an error naming the field, got %v", err)
	}
}
