package seal

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// CodeResources is the resource seal at Contents/_CodeSignature/
// CodeResources. It has four dictionaries, as codesign writes them:
//
//   - files: version-1 seal, path → SHA-1 of each file that rulesV1 seals;
//   - files2: version-2 seal, path → {hash2: SHA-256} for ordinary files,
//     or {cdhash, requirement} for nested code (rules with nested set);
//   - rules, rules2: the rules that selected them.
//
// Paths are relative to Contents. Files that a rule omits (Info.plist,
// which slot -1 seals instead) and the main executable (sealed by its own
// CodeDirectory) are left out, as is _CodeSignature itself.

// codeSignatureDir is the resource seal's directory, relative to Contents.
const codeSignatureDir = "_CodeSignature"

// CodeResourcesPath is the seal's path relative to the bundle root.
var CodeResourcesPath = filepath.Join("Contents", codeSignatureDir, "CodeResources")

// buildCodeResources walks contents (the bundle's Contents directory) and
// returns the encoded seal. mainRel is the main executable's path relative
// to contents. Nested code must already be signed: its CodeDirectory hash
// is what the seal records.
func buildCodeResources(contents, mainRel string) ([]byte, error) {
	files, files2 := plistDict{}, plistDict{}
	err := filepath.WalkDir(contents, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(contents, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == codeSignatureDir {
				return filepath.SkipDir
			}
			return nil
		}
		if rel == mainRel {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("seal: %s is not a regular file; the sealer handles only regular files", path)
		}
		return sealFile(path, rel, files, files2)
	})
	if err != nil {
		return nil, err
	}
	return encodePlist(plistDict{
		"files":  files,
		"files2": files2,
		"rules":  encodeRules(rulesV1),
		"rules2": encodeRules(rulesV2),
	}), nil
}

// sealFile adds rel to the v1 and v2 dictionaries as their rules select.
func sealFile(path, rel string, files, files2 plistDict) error {
	content, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("seal: %w", err)
	}

	if r, ok, err := match(rulesV1, rel); err != nil {
		return err
	} else if ok && !r.omit {
		sum := sha1.Sum(content)
		files[rel] = entryV1(sum[:], r.optional)
	}

	r, ok, err := match(rulesV2, rel)
	if err != nil || !ok || r.omit {
		return err
	}
	if r.nested {
		cdhash, err := ReadCDHash(path)
		if err != nil {
			return fmt.Errorf("seal: %s is nested code and must be signed before the bundle is sealed: %w", rel, err)
		}
		files2[rel] = nestedEntry(cdhash[:cdhashTruncated])
		return nil
	}
	sum := sha256.Sum256(content)
	entry := plistDict{"hash2": plistData(sum[:])}
	if r.optional {
		entry["optional"] = true
	}
	files2[rel] = entry
	return nil
}

// entryV1 is a version-1 file entry: the bare SHA-1, or a dictionary when
// the file is optional.
func entryV1(sum []byte, optional bool) any {
	if optional {
		return plistDict{"hash": plistData(sum), "optional": true}
	}
	return plistData(sum)
}

// nestedEntry records nested ad-hoc-signed code: its truncated
// CodeDirectory hash and the designated requirement that an ad-hoc
// signature implies, which is that same hash.
func nestedEntry(cdhash []byte) plistDict {
	return plistDict{
		"cdhash":      plistData(cdhash),
		"requirement": plistString(fmt.Sprintf(`cdhash H"%s"`, strings.ToLower(hex.EncodeToString(cdhash)))),
	}
}

// encodeRules writes rules as codesign does: <true/> for a plain rule,
// otherwise a dictionary of its attributes.
func encodeRules(rules []rule) plistDict {
	out := plistDict{}
	for _, r := range rules {
		if r.weight == 0 && !r.omit && !r.optional && !r.nested {
			out[r.pattern] = true
			continue
		}
		d := plistDict{"weight": plistReal(r.effectiveWeight())}
		if r.omit {
			d["omit"] = true
		}
		if r.optional {
			d["optional"] = true
		}
		if r.nested {
			d["nested"] = true
		}
		out[r.pattern] = d
	}
	return out
}
