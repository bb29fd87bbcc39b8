// Package cask renders the Homebrew cask homebrew/Casks/portals.rb from
// homebrew/portals.rb.tmpl. The template contains the stanza layout. Every
// value comes from package project or from the caller (version and the
// DMGs' SHA-256), so the release identity is set in one place only.
package cask

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"text/template"

	"github.com/portalsapp/portals/packaging/bundle"
	"github.com/portalsapp/portals/packaging/project"
)

// Token is the cask's name: `brew install --cask portals`.
const Token = "portals"

// KeychainService is the Keychain service name under which the engine
// stores its secrets (engine/vault.KeyringService). The cask names it in
// a comment because zap cannot remove Keychain items.
const KeychainService = "Portals"

// ZapPaths are the files and directories that Portals writes, removed by
// `brew uninstall --zap`, in the alphabetical order that Homebrew's style
// check wants.
var ZapPaths = []string{
	"~/Library/Application Support/" + project.AppName, // state directory
	"~/Library/Caches/" + project.BundleID,
	"~/Library/Logs/" + project.AppName,
	"~/Library/Preferences/" + project.BundleID + ".plist",
}

var sha256Pattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// values are the fields that the template refers to.
type values struct {
	Token, Version, SHA256ARM, SHA256Intel        string
	URL, Name, Desc, Homepage, MacOS, App, Binary string
	BundleID, KeychainService                     string
	Zap                                           []string
}

// Render fills the template at templatePath. sha256ARM and sha256Intel
// are the lowercase hex SHA-256 of the arm64 and amd64 DMGs.
func Render(templatePath, version, sha256ARM, sha256Intel string) ([]byte, error) {
	for arch, sum := range map[string]string{"arm64": sha256ARM, "amd64": sha256Intel} {
		if !sha256Pattern.MatchString(sum) {
			return nil, fmt.Errorf("cask: the %s SHA-256 %q is not 64 lowercase hex digits", arch, sum)
		}
	}
	if err := bundle.CheckVersion("version", version); err != nil {
		return nil, fmt.Errorf("cask: %w", err)
	}
	text, err := os.ReadFile(templatePath)
	if err != nil {
		return nil, fmt.Errorf("cask: reading the template: %w", err)
	}
	tmpl, err := template.New("cask").Option("missingkey=error").Parse(string(text))
	if err != nil {
		return nil, fmt.Errorf("cask: parsing %s: %w", templatePath, err)
	}

	// #{version} and #{arch} stay literal: Homebrew interpolates them, so
	// one url serves every version and architecture.
	v := values{
		Token:           Token,
		Version:         version,
		SHA256ARM:       sha256ARM,
		SHA256Intel:     sha256Intel,
		URL:             project.ReleaseURLPrefix("#{version}") + "/" + project.DMGName("#{version}", "#{arch}"),
		Name:            project.AppName,
		Desc:            project.Description,
		Homepage:        project.Homepage(),
		MacOS:           project.MacOSSymbol,
		App:             bundle.Name,
		Binary:          bundle.Name + "/" + filepath.ToSlash(bundle.HelperPath),
		BundleID:        project.BundleID,
		KeychainService: KeychainService,
		Zap:             ZapPaths,
	}
	var out bytes.Buffer
	if err := tmpl.Execute(&out, v); err != nil {
		return nil, fmt.Errorf("cask: rendering %s: %w", templatePath, err)
	}
	return out.Bytes(), nil
}
