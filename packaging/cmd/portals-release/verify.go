package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/portalsapp/portals/packaging/bundle"
	"github.com/portalsapp/portals/packaging/pipeline"
	"github.com/portalsapp/portals/packaging/project"
	"github.com/portalsapp/portals/packaging/verify"
)

// verifyDir checks the ad-hoc seal of each darwin-<arch>/Portals.app and
// the UDIF structure of each DMG in dir, with package verify's parsers.
func verifyDir(dir string, stdout io.Writer) error {
	for _, arch := range pipeline.Arches {
		app := filepath.Join(dir, "darwin-"+arch, bundle.Name)
		rep, err := verify.Bundle(app, project.BundleID)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: sealed, %d pages, cdhash %x, %d sealed files\n", app, rep.Main.Pages, rep.Main.CDHash[:20], len(rep.Sealed))

		image := filepath.Join(dir, "*-"+arch+".dmg")
		matches, _ := filepath.Glob(image)
		if len(matches) != 1 {
			return fmt.Errorf("verify: want one DMG matching %s, found %d", image, len(matches))
		}
		b, err := os.ReadFile(matches[0])
		if err != nil {
			return err
		}
		d, err := verify.DMG(b)
		if err != nil {
			return fmt.Errorf("%s: %w", matches[0], err)
		}
		fmt.Fprintf(stdout, "%s: %d sectors in %d chunks, checksums consistent\n", matches[0], d.SectorCount, d.Chunks)
	}
	return nil
}
