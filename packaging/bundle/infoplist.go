package bundle

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"regexp"
	"text/template"

	"github.com/portalsapp/portals/packaging/project"
)

// InfoPlistTemplate is the template's file name inside the resources
// directory.
const InfoPlistTemplate = "Info.plist.tmpl"

// IconFile is the icon's file name inside the resources directory and
// inside Contents/Resources.
const IconFile = project.AppName + ".icns"

// versionPattern is what CFBundleShortVersionString and CFBundleVersion
// accept: one to three dot-separated non-negative integers. macOS compares
// versions numerically by component and ignores anything it cannot parse,
// which would break update checks silently.
var versionPattern = regexp.MustCompile(`^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*)){0,2}$`)

// infoValues are the fields that Info.plist.tmpl refers to.
type infoValues struct {
	Name, Executable, IconFile, BundleID, URLScheme string
	Version, Build, MinimumSystemVersion, Copyright string
}

// CheckVersion reports whether v can be a bundle version (see
// versionPattern), naming the value and the expected form when not.
func CheckVersion(what, v string) error {
	if !versionPattern.MatchString(v) {
		return fmt.Errorf("bundle: %s %q is not of the form MAJOR.MINOR.PATCH with plain integers (for example 1.4.0)", what, v)
	}
	return nil
}

// RenderInfoPlist fills the template at templatePath with the project's
// identity, version (CFBundleShortVersionString) and build
// (CFBundleVersion), and checks that the result is well-formed XML.
// Values are XML-escaped, so no value can change the plist's structure.
func RenderInfoPlist(templatePath, version, build string) ([]byte, error) {
	if err := CheckVersion("version", version); err != nil {
		return nil, err
	}
	if err := CheckVersion("build", build); err != nil {
		return nil, err
	}
	text, err := os.ReadFile(templatePath)
	if err != nil {
		return nil, fmt.Errorf("bundle: reading the Info.plist template: %w", err)
	}
	tmpl, err := template.New(InfoPlistTemplate).Option("missingkey=error").Funcs(template.FuncMap{"xml": escapeXML}).Parse(string(text))
	if err != nil {
		return nil, fmt.Errorf("bundle: parsing %s: %w", templatePath, err)
	}

	values := infoValues{
		Name:                 project.AppName,
		Executable:           project.AppName,
		IconFile:             IconFile,
		BundleID:             project.BundleID,
		URLScheme:            project.URLScheme,
		Version:              version,
		Build:                build,
		MinimumSystemVersion: project.MinimumMacOS,
		Copyright:            "Copyright the Portals authors",
	}
	var out bytes.Buffer
	if err := tmpl.Execute(&out, values); err != nil {
		return nil, fmt.Errorf("bundle: rendering %s: %w", templatePath, err)
	}
	if err := checkWellFormed(out.Bytes()); err != nil {
		return nil, fmt.Errorf("bundle: the rendered Info.plist from %s is not well-formed XML: %w", templatePath, err)
	}
	return out.Bytes(), nil
}

func escapeXML(s string) (string, error) {
	var b bytes.Buffer
	if err := xml.EscapeText(&b, []byte(s)); err != nil {
		return "", err
	}
	return b.String(), nil
}

func checkWellFormed(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
