package verify

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"howett.net/plist"
)

// codeResources is CodeResources as howett.net/plist decodes it.
type codeResources struct {
	Files  map[string]any            `plist:"files"`
	Files2 map[string]map[string]any `plist:"files2"`
	Rules  map[string]any            `plist:"rules"`
	Rules2 map[string]any            `plist:"rules2"`
}

// infoPlist holds the Info.plist keys that the seal depends on.
type infoPlist struct {
	Identifier string `plist:"CFBundleIdentifier"`
	Executable string `plist:"CFBundleExecutable"`
}

// BundleReport is the result of Bundle.
type BundleReport struct {
	Main *Signature
	// Sealed lists the paths under Contents that CodeResources covers.
	Sealed []string
}

// Bundle checks the ad-hoc seal of the application bundle at app:
//
//   - Info.plist names bundleID and an executable under Contents/MacOS;
//   - the executable's signature passes MachO with identifier bundleID and
//     special slots that hash Info.plist and CodeResources;
//   - every file under Contents other than the executable, Info.plist and
//     CodeResources has a files2 entry whose hash2 matches, or, for nested
//     code, whose cdhash and requirement match the nested signature;
//   - every file that the version-1 seal lists matches its SHA-1;
//   - CodeResources lists no file that does not exist;
//   - rules and rules2 are present and rules2 omits Info.plist.
func Bundle(app, bundleID string) (*BundleReport, error) {
	contents := filepath.Join(app, "Contents")
	infoBytes, err := os.ReadFile(filepath.Join(contents, "Info.plist"))
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	var info infoPlist
	if _, err := plist.Unmarshal(infoBytes, &info); err != nil {
		return nil, fmt.Errorf("verify: Info.plist does not parse: %w", err)
	}
	if info.Identifier != bundleID || info.Executable == "" {
		return nil, fmt.Errorf("verify: Info.plist has bundle id %q and executable %q, want %q", info.Identifier, info.Executable, bundleID)
	}

	crPath := filepath.Join(contents, "_CodeSignature", "CodeResources")
	crBytes, err := os.ReadFile(crPath)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	var cr codeResources
	if _, err := plist.Unmarshal(crBytes, &cr); err != nil {
		return nil, fmt.Errorf("verify: CodeResources does not parse: %w", err)
	}
	if err := checkRules(cr); err != nil {
		return nil, err
	}

	mainRel := "MacOS/" + info.Executable
	main, err := MachO(filepath.Join(contents, filepath.FromSlash(mainRel)), Expected{Identifier: bundleID, InfoPlist: infoBytes, CodeResources: crBytes})
	if err != nil {
		return nil, err
	}

	sealed, err := checkFiles(contents, mainRel, cr)
	if err != nil {
		return nil, err
	}
	return &BundleReport{Main: main, Sealed: sealed}, nil
}

func checkRules(cr codeResources) error {
	if len(cr.Rules) == 0 || len(cr.Rules2) == 0 {
		return fmt.Errorf("verify: CodeResources lacks rules or rules2")
	}
	omit, ok := cr.Rules2[`^Info\.plist$`].(map[string]any)
	if !ok || omit["omit"] != true {
		return fmt.Errorf("verify: rules2 does not omit Info.plist, which slot -1 seals")
	}
	return nil
}

// checkFiles walks Contents and matches each file against the seal.
func checkFiles(contents, mainRel string, cr codeResources) ([]string, error) {
	seen := map[string]bool{}
	err := filepath.WalkDir(contents, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(contents, path)
		rel = filepath.ToSlash(rel)
		if rel == mainRel || rel == "Info.plist" || rel == "_CodeSignature/CodeResources" {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("verify: %s is not a regular file", rel)
		}
		entry, ok := cr.Files2[rel]
		if !ok {
			return fmt.Errorf("verify: %s is not sealed in CodeResources files2", rel)
		}
		seen[rel] = true
		content, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := checkEntry(path, rel, content, entry); err != nil {
			return err
		}
		return checkV1(rel, content, cr.Files)
	})
	if err != nil {
		return nil, err
	}
	for rel := range cr.Files2 {
		if !seen[rel] {
			return nil, fmt.Errorf("verify: CodeResources seals %s, which is not in the bundle", rel)
		}
	}
	for rel := range cr.Files {
		if !seen[rel] {
			return nil, fmt.Errorf("verify: CodeResources files lists %s, which is not in the bundle", rel)
		}
	}
	out := make([]string, 0, len(seen))
	for rel := range seen {
		out = append(out, rel)
	}
	sort.Strings(out)
	return out, nil
}

// checkEntry compares one files2 entry with the file: hash2 for data,
// cdhash and requirement for nested code.
func checkEntry(path, rel string, content []byte, entry map[string]any) error {
	if h, ok := entry["hash2"].([]byte); ok {
		sum := sha256.Sum256(content)
		if !bytes.Equal(h, sum[:]) {
			return fmt.Errorf("verify: %s does not match its sealed SHA-256", rel)
		}
		return nil
	}
	cdhash, ok := entry["cdhash"].([]byte)
	if !ok {
		return fmt.Errorf("verify: the files2 entry of %s has neither hash2 nor cdhash", rel)
	}
	sig, err := MachO(path, Expected{})
	if err != nil {
		return fmt.Errorf("verify: nested code %s: %w", rel, err)
	}
	if len(cdhash) != 20 || !bytes.Equal(cdhash, sig.CDHash[:20]) {
		return fmt.Errorf("verify: nested code %s has CDHash %x, the seal records %x", rel, sig.CDHash[:20], cdhash)
	}
	req, _ := entry["requirement"].(string)
	if want := `cdhash H"` + hex.EncodeToString(cdhash) + `"`; req != want {
		return fmt.Errorf("verify: nested code %s has requirement %q, want %q", rel, req, want)
	}
	return nil
}

// checkV1 checks the version-1 entry of rel, which must exist exactly for
// files under Resources/.
func checkV1(rel string, content []byte, files map[string]any) error {
	v, ok := files[rel]
	if !strings.HasPrefix(rel, "Resources/") {
		if ok {
			return fmt.Errorf("verify: files (version 1) lists %s, outside Resources", rel)
		}
		return nil
	}
	if !ok {
		return fmt.Errorf("verify: files (version 1) does not list %s", rel)
	}
	if d, isDict := v.(map[string]any); isDict {
		v = d["hash"]
	}
	h, _ := v.([]byte)
	sum := sha1.Sum(content)
	if !bytes.Equal(h, sum[:]) {
		return fmt.Errorf("verify: %s does not match its sealed SHA-1", rel)
	}
	return nil
}
