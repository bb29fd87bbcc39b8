// Package seal signs Mach-O files and seals application bundles ad hoc, on
// any platform, the way `codesign --sign -` does on a Mac: the resource
// seal Contents/_CodeSignature/CodeResources, then an embedded signature in
// the main executable whose CodeDirectory (SHA-256, 4096-byte pages,
// identifier = bundle id) binds Info.plist (slot -1), the requirements
// (slot -2) and CodeResources (slot -3).
//
// Only ad-hoc signatures are made: there is no certificate and no CMS
// signature, so the seal detects changes but proves no origin. A Developer
// ID signature needs Apple's codesign (package apple). No entitlements are
// embedded: without the hardened runtime they grant nothing.
//
// The helper in Contents/Helpers must be signed first (SignFile) because
// the resource seal records its CodeDirectory hash.
package seal

import (
	"fmt"
	"os"
	"path/filepath"
)

// SealBundle writes the resource seal of the bundle at app and signs its
// main executable, at mainRel relative to app's Contents directory, with
// identifier. It returns the main executable's CodeDirectory hash.
//
// Changing any sealed file afterwards (Info.plist, a resource, a nested
// helper, CodeResources itself or the executable) breaks the signature.
func SealBundle(app, mainRel, identifier string) ([32]byte, error) {
	contents := filepath.Join(app, "Contents")
	infoPlist, err := os.ReadFile(filepath.Join(contents, "Info.plist"))
	if err != nil {
		return [32]byte{}, fmt.Errorf("seal: the bundle %s needs Contents/Info.plist: %w", app, err)
	}

	seal, err := buildCodeResources(contents, filepath.ToSlash(mainRel))
	if err != nil {
		return [32]byte{}, err
	}
	sealPath := filepath.Join(app, CodeResourcesPath)
	if err := os.MkdirAll(filepath.Dir(sealPath), 0o755); err != nil {
		return [32]byte{}, fmt.Errorf("seal: %w", err)
	}
	if err := os.WriteFile(sealPath, seal, 0o644); err != nil {
		return [32]byte{}, fmt.Errorf("seal: writing the resource seal: %w", err)
	}

	return SignFile(filepath.Join(contents, mainRel), identifier, Seals{InfoPlist: infoPlist, CodeResources: seal})
}
