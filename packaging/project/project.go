// Package project holds the release identity of Portals in one place: the
// bundle id, the GitHub owner and repository that releases are published
// from, and the names that the bundle, the DMG, the tarballs and the cask
// derive from them.
//
// Every other part of the release tooling reads these values from here; the
// Makefile reads them through `go run ./packaging/cmd/portals-release print`.
// Change them here and nowhere else.
package project

import "fmt"

// Release identity. The bundle id is also the code-signing identifier of the
// main executable and the prefix of the helper's identifier.
const (
	// BundleID is CFBundleIdentifier of Portals.app. macOS keys the app's
	// preferences, caches and privacy permissions by it, so it must never
	// change once a release has shipped.
	BundleID = "app.portals.Portals"

	// Owner and Repo name the GitHub repository whose releases carry the
	// DMGs and tarballs, and which the cask's url and livecheck point at.
	Owner = "portalsapp"
	Repo  = "portals"

	// TapRepo is the repository under Owner that serves as the Homebrew
	// tap: `brew tap portalsapp/tap` reads github.com/portalsapp/homebrew-tap.
	TapRepo = "homebrew-tap"

	// AppName is the bundle's display name, the DMG volume name and the
	// main executable's file name under Contents/MacOS.
	AppName = "Portals"

	// CLIName is the command-line tool's file name, both inside the bundle
	// (Contents/Helpers) and in the tarballs.
	CLIName = "portals"

	// URLScheme is the scheme registered in CFBundleURLTypes.
	URLScheme = "portals"

	// MinimumMacOS is LSMinimumSystemVersion. Go 1.26 binaries need macOS
	// 12 (Monterey), and MacOSSymbol is the same release in the cask's
	// depends_on stanza.
	MinimumMacOS = "12.0"
	MacOSSymbol  = "monterey"

	// Description is the cask's desc stanza: Homebrew wants it short,
	// without the app's name and without a trailing period.
	Description = "Share a local TCP service with a teammate over an encrypted channel"
)

// HelperID is the code-signing identifier of the command-line tool inside
// the bundle, derived from BundleID so that both sit in one namespace.
const HelperID = BundleID + ".cli"

// Homepage is the cask's homepage stanza.
func Homepage() string {
	return fmt.Sprintf("https://github.com/%s/%s", Owner, Repo)
}

// ReleaseURLPrefix returns the download URL of version's release assets,
// without a trailing slash.
func ReleaseURLPrefix(version string) string {
	return fmt.Sprintf("%s/releases/download/v%s", Homepage(), version)
}

// DMGName is the file name of the disk image for one architecture, where
// arch is "arm64" or "amd64" as in Go's GOARCH.
func DMGName(version, arch string) string {
	return fmt.Sprintf("%s-%s-%s.dmg", AppName, version, arch)
}

// TarballName is the file name of the CLI tarball for one platform.
func TarballName(version, goos, arch string) string {
	return fmt.Sprintf("%s-%s-%s-%s.tar.gz", CLIName, version, goos, arch)
}

// Values lists the identity by the names that `portals-release print`
// accepts, so the Makefile and scripts can read any of them.
func Values() map[string]string {
	return map[string]string{
		"bundle-id":     BundleID,
		"owner":         Owner,
		"repo":          Repo,
		"tap-repo":      TapRepo,
		"app-name":      AppName,
		"cli-name":      CLIName,
		"helper-id":     HelperID,
		"minimum-macos": MinimumMacOS,
		"homepage":      Homepage(),
	}
}
