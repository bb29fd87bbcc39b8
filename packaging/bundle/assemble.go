// Package bundle assembles Portals.app for one architecture from a main
// executable, an optional command-line helper and the resources directory.
// It lays out files only; package seal signs the result.
//
// Layout (paths inside Portals.app):
//
//	Contents/Info.plist              rendered from resources/Info.plist.tmpl
//	Contents/MacOS/Portals           the main executable
//	Contents/Helpers/portals         the CLI, for the cask's binary stanza
//	Contents/Resources/Portals.icns  the icon
//
// The CLI sits in Contents/Helpers because Contents/MacOS/portals would
// collide with Contents/MacOS/Portals on the case-insensitive file system
// that most Macs use, and because code must not live in Contents/Resources.
//
// There is no Contents/PkgInfo: macOS has not needed it since 10.x
// bundles carry CFBundlePackageType, and codesign leaves it out of the
// seal, so it would be the one file that nothing protects.
package bundle

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/portalsapp/portals/packaging/project"
)

// Paths inside the bundle, relative to Portals.app.
var (
	InfoPlistPath = filepath.Join("Contents", "Info.plist")
	MainPath      = filepath.Join("Contents", "MacOS", project.AppName)
	HelperPath    = filepath.Join("Contents", "Helpers", project.CLIName)
	IconPath      = filepath.Join("Contents", "Resources", IconFile)
)

// Name is the bundle's directory name.
const Name = project.AppName + ".app"

// Options describe the content of one bundle.
type Options struct {
	// OutDir is the directory that receives Portals.app. An existing
	// Portals.app there is removed first.
	OutDir string
	// Executable is the main executable, copied to Contents/MacOS.
	Executable string
	// Helper is the CLI copied to Contents/Helpers; empty leaves it out.
	Helper string
	// ResourcesDir holds Info.plist.tmpl and Portals.icns.
	ResourcesDir string
	// Version and Build become CFBundleShortVersionString and
	// CFBundleVersion; see CheckVersion for their form.
	Version, Build string
}

// Assemble creates OutDir/Portals.app and returns its path. Files are
// written with fixed modes (0755 for executables, 0644 otherwise) so the
// bundle does not depend on the caller's umask.
func Assemble(o Options) (string, error) {
	plist, err := RenderInfoPlist(filepath.Join(o.ResourcesDir, InfoPlistTemplate), o.Version, o.Build)
	if err != nil {
		return "", err
	}

	app := filepath.Join(o.OutDir, Name)
	if err := os.RemoveAll(app); err != nil {
		return "", fmt.Errorf("bundle: removing the old %s: %w", app, err)
	}

	steps := []struct {
		rel  string
		from string
		data []byte
		mode os.FileMode
	}{
		{InfoPlistPath, "", plist, 0o644},
		{MainPath, o.Executable, nil, 0o755},
		{HelperPath, o.Helper, nil, 0o755},
		{IconPath, filepath.Join(o.ResourcesDir, IconFile), nil, 0o644},
	}
	for _, s := range steps {
		if s.data == nil && s.from == "" {
			continue
		}
		dst := filepath.Join(app, s.rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return "", fmt.Errorf("bundle: creating %s: %w", filepath.Dir(dst), err)
		}
		if s.data != nil {
			err = os.WriteFile(dst, s.data, s.mode)
		} else {
			err = copyFile(s.from, dst, s.mode)
		}
		if err != nil {
			return "", fmt.Errorf("bundle: writing %s: %w", s.rel, err)
		}
	}
	return app, nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copying %s: %w", src, err)
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, mode)
}
