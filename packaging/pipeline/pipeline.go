// Package pipeline runs the release: build the darwin executables, assemble
// and sign Portals.app per architecture, make the DMGs, sign and pack the
// CLI tarballs, render the cask and write SHA256SUMS. `make release` and
// `make dmg-test` call it through packaging/cmd/portals-release.
//
// Two signing paths exist. With AppleTools (on a Mac) codesign, hdiutil
// and notarytool do the work. Without them (any platform) package seal
// signs and seals ad hoc and package dmg makes the image with xorriso. The
// tests exercise that second path on Linux.
package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/portalsapp/portals/packaging/apple"
	"github.com/portalsapp/portals/packaging/bundle"
	"github.com/portalsapp/portals/packaging/cask"
	"github.com/portalsapp/portals/packaging/clisign"
	"github.com/portalsapp/portals/packaging/dmg"
	"github.com/portalsapp/portals/packaging/project"
	"github.com/portalsapp/portals/packaging/seal"
)

// Arches are the macOS architectures, as GOARCH values. The cask maps
// arm64 to Homebrew's "arm" and amd64 to "intel".
var Arches = []string{"arm64", "amd64"}

// Config describes one run.
type Config struct {
	// RepoRoot is the module root: go build runs there, and resources/
	// and homebrew/ are read from there.
	RepoRoot string
	// OutDir receives every artifact. It is emptied first, but only when
	// it is empty already or an earlier run created it (see outMarker).
	OutDir string
	// Version is x.y.z; Build is CFBundleVersion and defaults to Version.
	Version, Build string

	// GUIPackage is the Go package of the app's main executable and
	// CLIPackage that of the command-line tool. Until app/ has a main
	// package, the CLI replaces the GUI (both "./cmd/portals").
	GUIPackage, CLIPackage string

	// Tarballs adds the CLI tarballs for darwin and linux.
	Tarballs bool
	// CaskPath, when set, also receives the rendered cask (the release
	// writes homebrew/Casks/portals.rb); OutDir always gets a copy.
	CaskPath string

	// AppleTools signs with codesign and makes images with hdiutil; only
	// on macOS. Apple configures them.
	AppleTools bool
	Apple      apple.Config
	// CLISign configures quill for the standalone darwin CLI binaries.
	CLISign clisign.Options

	// Logf receives one line per step; nil discards them.
	Logf func(format string, args ...any)

	// built maps "goos/goarch package" to the binary built in this run.
	built map[string]string
}

// Result lists what Run wrote, by architecture where that applies.
type Result struct {
	Apps, DMGs map[string]string
	Tarballs   []string
	Cask, Sums string
}

// Run executes the pipeline. It stops at the first failure and leaves
// what it wrote so far in OutDir for inspection.
func Run(ctx context.Context, c Config) (*Result, error) {
	if err := c.normalize(); err != nil {
		return nil, err
	}
	if err := resetOutDir(c.OutDir); err != nil {
		return nil, err
	}
	res := &Result{Apps: map[string]string{}, DMGs: map[string]string{}}

	for _, arch := range Arches {
		app, image, err := c.macArtifacts(ctx, arch)
		if err != nil {
			return nil, err
		}
		res.Apps[arch], res.DMGs[arch] = app, image
	}
	if c.Tarballs {
		tarballs, err := c.tarballs(ctx)
		if err != nil {
			return nil, err
		}
		res.Tarballs = tarballs
	}

	var err error
	if res.Cask, err = c.renderCask(res.DMGs); err != nil {
		return nil, err
	}
	artifacts := append([]string{res.DMGs["arm64"], res.DMGs["amd64"]}, res.Tarballs...)
	if res.Sums, err = writeSums(c.OutDir, artifacts); err != nil {
		return nil, err
	}
	c.Logf("wrote %s", res.Sums)
	return res, nil
}

func (c *Config) normalize() error {
	if c.Build == "" {
		c.Build = c.Version
	}
	if err := bundle.CheckVersion("version", c.Version); err != nil {
		return err
	}
	if c.GUIPackage == "" || c.CLIPackage == "" || c.RepoRoot == "" || c.OutDir == "" {
		return fmt.Errorf("pipeline: RepoRoot, OutDir, GUIPackage and CLIPackage must all be set")
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	c.built = map[string]string{}
	return nil
}

// macArtifacts builds, bundles, signs and images one architecture.
func (c *Config) macArtifacts(ctx context.Context, arch string) (app, image string, err error) {
	dir := filepath.Join(c.OutDir, "darwin-"+arch)
	gui, err := c.goBuild(ctx, "darwin", arch, c.GUIPackage, filepath.Join(c.OutDir, "build", "darwin-"+arch, "gui"))
	if err != nil {
		return "", "", err
	}
	cli, err := c.goBuild(ctx, "darwin", arch, c.CLIPackage, filepath.Join(c.OutDir, "build", "darwin-"+arch, "cli"))
	if err != nil {
		return "", "", err
	}

	c.Logf("assembling %s for %s", bundle.Name, arch)
	app, err = bundle.Assemble(bundle.Options{
		OutDir: dir, Executable: gui, Helper: cli,
		ResourcesDir: filepath.Join(c.RepoRoot, "resources"),
		Version:      c.Version, Build: c.Build,
	})
	if err != nil {
		return "", "", err
	}
	if err := c.signApp(ctx, app); err != nil {
		return "", "", err
	}

	image = filepath.Join(c.OutDir, project.DMGName(c.Version, arch))
	c.Logf("making %s", filepath.Base(image))
	if err := c.makeDMG(ctx, app, image); err != nil {
		return "", "", err
	}
	return app, image, nil
}

// signApp signs the helper first, because the bundle's seal records its
// CodeDirectory hash, then the bundle.
func (c *Config) signApp(ctx context.Context, app string) error {
	helper := filepath.Join(app, bundle.HelperPath)
	if c.AppleTools {
		entitlements := filepath.Join(c.RepoRoot, "resources", "Portals.entitlements")
		cfg := c.Apple
		cfg.Entitlements = entitlements
		if err := apple.Codesign(ctx, cfg, helper, project.HelperID); err != nil {
			return err
		}
		return apple.Codesign(ctx, cfg, app, project.BundleID)
	}
	if _, err := seal.SignFile(helper, project.HelperID, seal.Seals{}); err != nil {
		return err
	}
	mainRel, err := filepath.Rel("Contents", bundle.MainPath)
	if err != nil {
		return fmt.Errorf("pipeline: internal error: %w", err)
	}
	_, err = seal.SealBundle(app, mainRel, project.BundleID)
	return err
}

func (c *Config) makeDMG(ctx context.Context, app, image string) error {
	if !c.AppleTools {
		return dmg.BuildFromApp(ctx, app, project.AppName, image)
	}

	// hdiutil copies a folder, so stage the app next to the symlink.
	stage := filepath.Join(filepath.Dir(app), "dmg-stage")
	if err := os.MkdirAll(stage, 0o755); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	if err := os.Rename(app, filepath.Join(stage, bundle.Name)); err != nil {
		return fmt.Errorf("pipeline: staging the app: %w", err)
	}
	defer os.Rename(filepath.Join(stage, bundle.Name), app)
	if err := os.Symlink(dmg.ApplicationsTarget, filepath.Join(stage, dmg.ApplicationsLink)); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	if err := apple.Hdiutil(ctx, stage, project.AppName, image); err != nil {
		return err
	}

	if c.Apple.Adhoc() {
		return nil
	}
	if err := apple.Codesign(ctx, c.Apple, image, project.BundleID); err != nil {
		return err
	}
	if c.Apple.NotaryProfile == "" {
		c.Logf("no notary profile: %s is signed but not notarized", filepath.Base(image))
		return nil
	}
	if err := apple.Notarize(ctx, c.Apple, image); err != nil {
		return err
	}
	return apple.Staple(ctx, image)
}

func (c *Config) renderCask(dmgs map[string]string) (string, error) {
	sums := map[string]string{}
	for arch, path := range dmgs {
		s, err := fileSHA256(path)
		if err != nil {
			return "", err
		}
		sums[arch] = s
	}
	text, err := cask.Render(filepath.Join(c.RepoRoot, "homebrew", "portals.rb.tmpl"), c.Version, sums["arm64"], sums["amd64"])
	if err != nil {
		return "", err
	}
	out := filepath.Join(c.OutDir, cask.Token+".rb")
	for _, p := range []string{out, c.CaskPath} {
		if p == "" {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", fmt.Errorf("pipeline: %w", err)
		}
		if err := os.WriteFile(p, text, 0o644); err != nil {
			return "", fmt.Errorf("pipeline: writing the cask: %w", err)
		}
	}
	return out, nil
}

// outMarker is the file that marks a directory as this pipeline's output,
// so that a mistaken -out (such as the repository itself) is never wiped.
const outMarker = ".portals-release"

// resetOutDir empties dir when it is missing, empty or marked as an
// earlier output, and marks it again.
func resetOutDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("pipeline: reading the output directory: %w", err)
	}
	if len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(dir, outMarker)); err != nil {
			return fmt.Errorf("pipeline: refusing to empty %s: it is not empty and has no %s file from an earlier run; pick a new output directory", dir, outMarker)
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("pipeline: emptying %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, outMarker), []byte("output of packaging/cmd/portals-release; emptied on every run\n"), 0o644)
}
