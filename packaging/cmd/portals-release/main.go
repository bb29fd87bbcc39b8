// Command portals-release builds the Portals release artifacts; see
// docs/release.md. It is what `make release` and `make dmg-test` run.
//
//	portals-release build -version X.Y.Z -out DIR [-tarballs] [-cask PATH] [-apple]
//	portals-release verify DIR
//	portals-release print NAME
//
// Secrets come from the environment, never from flags, so they stay out of
// shell history and process listings:
//
//	PORTALS_CODESIGN_IDENTITY  codesign identity (with -apple)
//	PORTALS_NOTARY_PROFILE     notarytool Keychain profile (with -apple)
//	PORTALS_P12, PORTALS_P12_PASSWORD                      quill certificate
//	PORTALS_NOTARY_ISSUER, PORTALS_NOTARY_KEY_ID, PORTALS_NOTARY_KEY  quill notarization
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"sort"
	"strings"

	"github.com/portalsapp/portals/packaging/apple"
	"github.com/portalsapp/portals/packaging/clisign"
	"github.com/portalsapp/portals/packaging/pipeline"
	"github.com/portalsapp/portals/packaging/project"
)

const usage = `usage:
  portals-release build -version X.Y.Z -out DIR [-build N] [-tarballs] [-cask PATH] [-apple]
  portals-release verify DIR
  portals-release print NAME   (NAME: %s)
`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "portals-release:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf(usage, names())
	}
	switch args[0] {
	case "build":
		return build(args[1:], stdout, stderr)
	case "verify":
		if len(args) != 2 {
			return fmt.Errorf(usage, names())
		}
		return verifyDir(args[1], stdout)
	case "print":
		v, ok := project.Values()[strings.Join(args[1:], "")]
		if !ok || len(args) != 2 {
			return fmt.Errorf("print takes one of: %s", names())
		}
		fmt.Fprintln(stdout, v)
		return nil
	default:
		return fmt.Errorf("unknown command %q\n"+usage, args[0], names())
	}
}

func names() string {
	var out []string
	for k := range project.Values() {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

func build(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := pipeline.Config{RepoRoot: ".", GUIPackage: "./cmd/portals", CLIPackage: "./cmd/portals"}
	fs.StringVar(&c.Version, "version", "", "release version, MAJOR.MINOR.PATCH")
	fs.StringVar(&c.Build, "build", "", "CFBundleVersion (default: the version)")
	fs.StringVar(&c.OutDir, "out", "", "output directory (emptied first)")
	fs.StringVar(&c.RepoRoot, "root", ".", "repository root")
	fs.StringVar(&c.GUIPackage, "gui", c.GUIPackage, "Go package of the app's main executable (the CLI stands in until app/ has one)")
	fs.BoolVar(&c.Tarballs, "tarballs", false, "also build the CLI tarballs for darwin and linux")
	fs.StringVar(&c.CaskPath, "cask", "", "also write the rendered cask here (homebrew/Casks/portals.rb)")
	fs.BoolVar(&c.AppleTools, "apple", false, "sign with codesign and make images with hdiutil (macOS only)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.Version == "" || c.OutDir == "" {
		return fmt.Errorf("build needs -version and -out")
	}
	if c.AppleTools && runtime.GOOS != "darwin" {
		return fmt.Errorf("-apple needs macOS (codesign, hdiutil); on %s leave it out to sign ad hoc with the built-in sealer", runtime.GOOS)
	}

	c.Apple = apple.Config{
		Identity:      os.Getenv("PORTALS_CODESIGN_IDENTITY"),
		NotaryProfile: os.Getenv("PORTALS_NOTARY_PROFILE"),
	}
	c.CLISign = clisign.Options{
		P12:          os.Getenv("PORTALS_P12"),
		P12Password:  os.Getenv("PORTALS_P12_PASSWORD"),
		NotaryIssuer: os.Getenv("PORTALS_NOTARY_ISSUER"),
		NotaryKeyID:  os.Getenv("PORTALS_NOTARY_KEY_ID"),
		NotaryKey:    os.Getenv("PORTALS_NOTARY_KEY"),
	}
	c.Logf = func(format string, a ...any) { fmt.Fprintf(stdout, format+"\n", a...) }

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := pipeline.Run(ctx, c)
	if err != nil {
		return err
	}
	if !c.AppleTools {
		fmt.Fprintln(stdout, "signed ad hoc: Gatekeeper will ask users to approve the app in System Settings > Privacy & Security (see docs/release.md)")
	}
	fmt.Fprintf(stdout, "cask: %s\nchecksums: %s\n", res.Cask, res.Sums)
	return nil
}
