// Package apple drives Apple's own tools on a Mac: codesign for Developer
// ID signatures with the hardened runtime, xcrun notarytool and stapler
// for notarization, and hdiutil for the disk image. Nothing here works on
// Linux; the pipeline uses packages seal and dmg there instead.
//
// Credentials are never passed on a command line that other users could
// read with ps: notarytool reads them from a Keychain profile made once
// with `xcrun notarytool store-credentials` (see docs/release.md).
package apple

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// Config is the signing and notarization setup on a Mac.
type Config struct {
	// Identity is the codesign identity, such as
	// "Developer ID Application: Example Inc (TEAMID1234)". Empty signs ad
	// hoc, without the hardened runtime or a timestamp.
	Identity string
	// Entitlements is the entitlements file for Developer ID signatures.
	Entitlements string
	// NotaryProfile is the Keychain profile that `xcrun notarytool
	// store-credentials` created. Empty skips notarization.
	NotaryProfile string
}

// Adhoc reports whether c signs without an identity.
func (c Config) Adhoc() bool { return c.Identity == "" }

// run executes a tool and returns its error with the last lines of its
// output, which is where Apple's tools explain a failure.
func run(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("apple: %s %s failed (%w): %s", name, strings.Join(args, " "), err, tail(out.String()))
	}
	return nil
}

func tail(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 8 {
		lines = lines[len(lines)-8:]
	}
	return strings.Join(lines, "; ")
}

// Codesign signs path (a Mach-O file or a bundle) with c's identity and
// identifier. With an identity it adds the hardened runtime
// (--options runtime), a secure timestamp and the entitlements, which
// notarization requires; without one it signs ad hoc.
func Codesign(ctx context.Context, c Config, path, identifier string) error {
	args := []string{"--force", "--identifier", identifier}
	if c.Adhoc() {
		args = append(args, "--sign", "-")
	} else {
		args = append(args, "--sign", c.Identity, "--options", "runtime", "--timestamp")
		if c.Entitlements != "" {
			args = append(args, "--entitlements", c.Entitlements)
		}
	}
	if err := run(ctx, "codesign", append(args, path)...); err != nil {
		return err
	}
	return run(ctx, "codesign", "--verify", "--strict", "--verbose=2", path)
}

// Notarize submits path (a .dmg, .zip or .pkg) to Apple's notary service
// with the Keychain profile and waits for the verdict. notarytool exits
// non-zero unless the submission is Accepted.
func Notarize(ctx context.Context, c Config, path string) error {
	if c.NotaryProfile == "" {
		return fmt.Errorf("apple: no notary Keychain profile configured")
	}
	return run(ctx, "xcrun", "notarytool", "submit", path, "--keychain-profile", c.NotaryProfile, "--wait")
}

// Staple attaches the notarization ticket to path so that Gatekeeper
// accepts it offline.
func Staple(ctx context.Context, path string) error {
	if err := run(ctx, "xcrun", "stapler", "staple", path); err != nil {
		return err
	}
	return run(ctx, "xcrun", "stapler", "validate", path)
}

// Hdiutil makes a compressed (UDZO) read-only image at out whose volume
// named volume holds the contents of srcFolder.
func Hdiutil(ctx context.Context, srcFolder, volume, out string) error {
	return run(ctx, "hdiutil", "create", "-volname", volume, "-srcfolder", srcFolder, "-format", "UDZO", "-ov", out)
}
