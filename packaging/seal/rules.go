package seal

import (
	"fmt"
	"regexp"
)

// rule is one entry of a CodeResources rules dictionary: files whose path
// (relative to Contents) matches pattern are sealed, omitted, or sealed as
// nested code. When several rules match, the highest weight wins.
type rule struct {
	pattern  string
	weight   float64 // 0 means the key is written as <true/> (weight 1)
	omit     bool
	optional bool
	nested   bool
}

// rulesV1 and rulesV2 are the default rules that codesign writes for an
// application bundle: "rules" is read by macOS 10.8 and older and covers
// Resources only, "rules2" is what current macOS evaluates.
var (
	rulesV1 = []rule{
		{pattern: `^Resources/`},
		{pattern: `^Resources/.*\.lproj/`, weight: 1000, optional: true},
		{pattern: `^Resources/.*\.lproj/locversion.plist$`, weight: 1100, omit: true},
		{pattern: `^Resources/Base\.lproj/`, weight: 1010},
		{pattern: `^version.plist$`},
	}
	rulesV2 = []rule{
		{pattern: `.*\.dSYM($|/)`, weight: 11},
		{pattern: `^(.*/)?\.DS_Store$`, weight: 2000, omit: true},
		{pattern: `^(Frameworks|SharedFrameworks|PlugIns|Plug-ins|XPCServices|Helpers|MacOS|Library/(Automator|Spotlight|LoginItems))/`, weight: 10, nested: true},
		{pattern: `^.*`},
		{pattern: `^Info\.plist$`, weight: 20, omit: true},
		{pattern: `^PkgInfo$`, weight: 20, omit: true},
		{pattern: `^Resources/`, weight: 20},
		{pattern: `^Resources/.*\.lproj/`, weight: 1000, optional: true},
		{pattern: `^Resources/.*\.lproj/locversion.plist$`, weight: 1100, omit: true},
		{pattern: `^Resources/Base\.lproj/`, weight: 1010},
		{pattern: `^[^/]+$`, weight: 10, nested: true},
		{pattern: `^embedded\.provisionprofile$`, weight: 20},
		{pattern: `^version\.plist$`, weight: 20},
	}
)

// effectiveWeight is the weight used to pick between matching rules; a
// rule without an explicit weight counts as 1.
func (r rule) effectiveWeight() float64 {
	if r.weight == 0 {
		return 1
	}
	return r.weight
}

// match returns the highest-weight rule in rules that matches rel, and
// false when none does (the file is then outside this seal).
func match(rules []rule, rel string) (rule, bool, error) {
	var best rule
	found := false
	for _, r := range rules {
		re, err := regexp.Compile(r.pattern)
		if err != nil {
			return rule{}, false, fmt.Errorf("seal: internal error: rule %q: %w", r.pattern, err)
		}
		if re.MatchString(rel) && (!found || r.effectiveWeight() > best.effectiveWeight()) {
			best, found = r, true
		}
	}
	return best, found, nil
}
