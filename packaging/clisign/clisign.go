// Package clisign signs the standalone darwin builds of the CLI, the ones
// that ship in tarballs, with github.com/anchore/quill: ad hoc by default,
// or with a Developer ID certificate from a P12 file, then notarized when
// App Store Connect API credentials are given. quill signs single Mach-O
// files on any platform; bundles are package seal's job.
//
// quill v0.5.1 returns nil from Sign when patching the signature's size
// into __LINKEDIT fails (signSingleBinary returns nil instead of the
// error), leaving a file with no usable signature. So Sign re-reads every
// file it signed with package verify and fails if the signature is not
// there and intact.
package clisign

import (
	"fmt"
	"os"

	"github.com/anchore/quill/quill"
	"github.com/anchore/quill/quill/notary"
	"github.com/anchore/quill/quill/pki/load"

	"github.com/portalsapp/portals/packaging/verify"
)

// Options configure signing. The zero value signs ad hoc and does not
// notarize.
type Options struct {
	// P12 is a PKCS#12 file holding the Developer ID Application
	// certificate, its private key and chain; empty signs ad hoc.
	P12 string
	// P12Password unlocks P12.
	P12Password string

	// NotaryIssuer, NotaryKeyID and NotaryKey are the App Store Connect
	// API key (issuer UUID, key id, and the .p8 private key's path or
	// content). Notarization runs when all three are set; it requires P12.
	NotaryIssuer, NotaryKeyID, NotaryKey string
}

// Notarize reports whether o has all three notarization credentials.
func (o Options) Notarize() bool {
	return o.NotaryIssuer != "" && o.NotaryKeyID != "" && o.NotaryKey != ""
}

// Sign signs the thin darwin Mach-O at path in place with identifier as
// its code-signing identifier, checks the result, and notarizes it when
// o.Notarize() is true. Notarization of a bare binary cannot be stapled: Gatekeeper
// looks the ticket up online on first run.
func Sign(path, identifier string, o Options) error {
	if o.Notarize() && o.P12 == "" {
		return fmt.Errorf("clisign: notarization needs a Developer ID signature; set the P12 file as well")
	}
	cfg, err := signingConfig(path, o)
	if err != nil {
		return err
	}
	cfg.WithIdentity(identifier)

	if err := quill.Sign(*cfg); err != nil {
		return fmt.Errorf("clisign: quill could not sign %s: %w", path, err)
	}
	sig, err := verify.MachO(path, verify.Expected{Identifier: identifier})
	if err != nil {
		return fmt.Errorf("clisign: quill reported success but the signature of %s does not verify: %w", path, err)
	}
	if o.P12 == "" && sig.Flags&0x2 == 0 {
		return fmt.Errorf("clisign: %s was to be signed ad hoc but its CodeDirectory flags are %#x", path, sig.Flags)
	}

	if !o.Notarize() {
		return nil
	}
	return notarize(path, o)
}

func signingConfig(path string, o Options) (*quill.SigningConfig, error) {
	if o.P12 == "" {
		cfg, err := quill.NewSigningConfigFromPEMs(path, "", "", "", false)
		if err != nil {
			return nil, fmt.Errorf("clisign: preparing an ad-hoc signature: %w", err)
		}
		return cfg, nil
	}
	if _, err := os.Stat(o.P12); err != nil {
		return nil, fmt.Errorf("clisign: the P12 file: %w", err)
	}
	contents, err := load.P12(o.P12, o.P12Password)
	if err != nil {
		return nil, fmt.Errorf("clisign: reading %s (wrong password?): %w", o.P12, err)
	}
	cfg, err := quill.NewSigningConfigFromP12(path, *contents, true)
	if err != nil {
		return nil, fmt.Errorf("clisign: the certificate in %s cannot sign (a full chain to Apple's root is required): %w", o.P12, err)
	}
	return cfg, nil
}

// notarize submits path to Apple's notary service and waits up to
// quill's default 15 minutes for an Accepted status.
func notarize(path string, o Options) error {
	key, err := load.BytesFromFileOrEnv(o.NotaryKey)
	if err != nil {
		return fmt.Errorf("clisign: reading the notary API key: %w", err)
	}
	cfg := quill.NewNotarizeConfig(o.NotaryIssuer, o.NotaryKeyID, string(key))
	status, err := quill.Notarize(path, *cfg)
	if err != nil {
		return fmt.Errorf("clisign: notarizing %s: %w", path, err)
	}
	if status != notary.AcceptedStatus {
		return fmt.Errorf("clisign: the notary service returned status %q for %s, not %q", status, path, notary.AcceptedStatus)
	}
	return nil
}
