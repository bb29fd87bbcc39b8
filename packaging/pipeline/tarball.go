package pipeline

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/portalsapp/portals/packaging/clisign"
	"github.com/portalsapp/portals/packaging/project"
)

// tarballTargets are the platforms that get a CLI tarball.
var tarballTargets = []struct{ goos, goarch string }{
	{"darwin", "arm64"}, {"darwin", "amd64"},
	{"linux", "amd64"}, {"linux", "arm64"},
}

// tarballs builds the CLI for each target, signs the darwin ones with
// quill, and packs each into <name>-<version>-<os>-<arch>.tar.gz holding
// the single file "portals".
func (c *Config) tarballs(ctx context.Context) ([]string, error) {
	var out []string
	for _, t := range tarballTargets {
		built, err := c.goBuild(ctx, t.goos, t.goarch, c.CLIPackage, filepath.Join(c.OutDir, "build", t.goos+"-"+t.goarch, "cli"))
		if err != nil {
			return nil, err
		}
		// Sign a copy: the build output may also be the bundle's source.
		bin := filepath.Join(c.OutDir, "build", t.goos+"-"+t.goarch, "tarball", project.CLIName)
		if err := copyExecutable(built, bin); err != nil {
			return nil, err
		}
		if t.goos == "darwin" {
			c.Logf("signing the darwin/%s CLI with quill", t.goarch)
			if err := clisign.Sign(bin, project.HelperID, c.CLISign); err != nil {
				return nil, err
			}
		}
		name := filepath.Join(c.OutDir, project.TarballName(c.Version, t.goos, t.goarch))
		if err := writeTarball(name, bin); err != nil {
			return nil, err
		}
		out = append(out, name)
	}
	return out, nil
}

// tarballTime is the modification time of every tarball entry, fixed so
// that the same binary always gives the same tarball.
var tarballTime = time.Unix(0, 0).UTC()

// writeTarball writes a gzip-compressed tar holding bin as
// project.CLIName, mode 0755, owned by root.
func writeTarball(path, bin string) (err error) {
	content, err := os.ReadFile(bin)
	if err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("pipeline: closing %s: %w", path, cerr)
		}
	}()

	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	hdr := &tar.Header{
		Name: project.CLIName, Mode: 0o755, Size: int64(len(content)),
		ModTime: tarballTime, Typeflag: tar.TypeReg, Format: tar.FormatPAX,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("pipeline: writing %s: %w", path, err)
	}
	if _, err := tw.Write(content); err != nil {
		return fmt.Errorf("pipeline: writing %s: %w", path, err)
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("pipeline: writing %s: %w", path, err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("pipeline: writing %s: %w", path, err)
	}
	return nil
}

func copyExecutable(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	return nil
}
