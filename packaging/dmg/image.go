// Package dmg builds the Portals disk image on any platform. xorriso makes
// a hybrid ISO 9660 + Rock Ridge + HFS+ file system with Portals.app and an
// Applications symlink, and this package wraps it in UDIF (udif.go) so
// that macOS mounts it as a .dmg. On a Mac, package apple's hdiutil path
// makes the image instead.
package dmg

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// ApplicationsLink is the symlink at the volume's root that lets the user
// drag the app into /Applications.
const (
	ApplicationsLink   = "Applications"
	ApplicationsTarget = "/Applications"
)

// Xorriso is the xorriso executable; tests and callers may point it at
// another path.
var Xorriso = "xorriso"

// BuildFromApp writes a UDIF image at out whose volume, named volume,
// holds the bundle at app (under its own base name) and the Applications
// symlink. It needs xorriso (Debian package xorriso) on the PATH.
func BuildFromApp(ctx context.Context, app, volume, out string) error {
	if _, err := exec.LookPath(Xorriso); err != nil {
		return fmt.Errorf("dmg: %s not found; install the Debian package xorriso (scripts/install-deps.sh does): %w", Xorriso, err)
	}
	stage, err := os.MkdirTemp("", "portals-dmg-")
	if err != nil {
		return fmt.Errorf("dmg: %w", err)
	}
	defer os.RemoveAll(stage)

	root := filepath.Join(stage, "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		return fmt.Errorf("dmg: %w", err)
	}
	if err := os.Symlink(ApplicationsTarget, filepath.Join(root, ApplicationsLink)); err != nil {
		return fmt.Errorf("dmg: creating the Applications symlink: %w", err)
	}
	iso := filepath.Join(stage, "image.iso")
	if err := runXorriso(ctx, root, app, volume, iso); err != nil {
		return err
	}

	raw, err := os.ReadFile(iso)
	if err != nil {
		return fmt.Errorf("dmg: %w", err)
	}
	var img bytes.Buffer
	if err := Write(&img, raw, volume); err != nil {
		return err
	}
	if err := os.WriteFile(out, img.Bytes(), 0o644); err != nil {
		return fmt.Errorf("dmg: writing %s: %w", out, err)
	}
	return nil
}

// runXorriso makes the hybrid image. The directory root contributes the
// symlink, and the bundle is grafted in from where it is, so it is not
// copied. -r makes root the owner of every file and sets read permission
// for all while keeping executable bits. -hfsplus adds the HFS+ tree that
// macOS mounts, and -graft-points maps the bundle to /<name>.app.
func runXorriso(ctx context.Context, root, app, volume, iso string) error {
	args := []string{
		"-as", "mkisofs",
		"-V", volume,
		"-r", "-hfsplus",
		"-graft-points",
		"-o", iso,
		"/" + filepath.Base(app) + "=" + app,
		"/=" + root,
	}
	cmd := exec.CommandContext(ctx, Xorriso, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("dmg: xorriso failed (%w): %s", err, lastLines(stderr.String(), 5))
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := bytes.Split(bytes.TrimSpace([]byte(s)), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("; ")))
}
