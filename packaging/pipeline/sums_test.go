package pipeline

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestResetOutDirKeepsForeignDirectories(t *testing.T) {
	dir := t.TempDir()
	keep := filepath.Join(dir, "go.mod")
	if err := os.WriteFile(keep, []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := resetOutDir(dir); err == nil {
		t.Fatal("resetOutDir emptied a directory it did not create")
	}
	if _, err := os.Stat(keep); err != nil {
		t.Fatalf("the foreign file is gone: %v", err)
	}

	out := filepath.Join(dir, "dist")
	if err := resetOutDir(out); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "old.dmg"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := resetOutDir(out); err != nil {
		t.Fatalf("a marked directory was not reset: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "old.dmg")); !os.IsNotExist(err) {
		t.Fatalf("the old artifact survived: %v", err)
	}
}

func TestWriteTarballRoundTrip(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.WriteFile(bin, []byte("\xcf\xfa\xed\xfe binary"), 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "x.tar.gz")
	if err := writeTarball(path, bin); err != nil {
		t.Fatal(err)
	}

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	hdr, err := tr.Next()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(tr)
	if hdr.Name != "portals" || hdr.Mode != 0o755 || string(body) != "\xcf\xfa\xed\xfe binary" {
		t.Fatalf("entry %q mode %o body %q", hdr.Name, hdr.Mode, body)
	}

	if _, err := tr.Next(); err != io.EOF {
		t.Fatalf("more than one entry: %v", err)
	}
}
