package vault

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolveKind(t *testing.T) {
	cases := []struct {
		requested string
		env       string
		want      string
	}{
		{requested: "", env: "", want: KindAuto},
		{requested: KindAuto, env: "", want: KindAuto},
		{requested: "", env: KindFile, want: KindFile},
		{requested: KindAuto, env: KindFile, want: KindFile},
		{requested: KindAuto, env: KindKeyring, want: KindKeyring},
		{requested: KindAuto, env: KindAuto, want: KindAuto},
		{requested: KindFile, env: KindKeyring, want: KindFile},
		{requested: KindKeyring, env: KindFile, want: KindKeyring},
		{requested: KindFile, env: "bogus", want: KindFile},
	}
	for _, c := range cases {
		t.Setenv(EnvKind, c.env)

		got, err := ResolveKind(c.requested)
		if err != nil {
			t.Errorf("ResolveKind(%q) with %s=%q: %v", c.requested, EnvKind, c.env, err)
			continue
		}
		if got != c.want {
			t.Errorf("ResolveKind(%q) with %s=%q = %q, want %q", c.requested, EnvKind, c.env, got, c.want)
		}
	}
}

func TestResolveKindUnknownRequest(t *testing.T) {
	t.Setenv(EnvKind, "")

	_, err := ResolveKind("keychain")
	if !errors.Is(err, ErrInvalidKind) {
		t.Fatalf("ResolveKind(%q) error = %v, want ErrInvalidKind", "keychain", err)
	}
	assertContains(t, err.Error(), `"keychain"`, "auto", "file", "keyring")
}

func TestResolveKindUnknownEnv(t *testing.T) {
	t.Setenv(EnvKind, "File")

	_, err := ResolveKind(KindAuto)
	if !errors.Is(err, ErrInvalidKind) {
		t.Fatalf("ResolveKind with %s=File error = %v, want ErrInvalidKind", EnvKind, err)
	}
	assertContains(t, err.Error(), `"File"`, EnvKind, "auto", "file", "keyring")
}

func TestOpenRejectsBadKind(t *testing.T) {
	_, err := Open(Options{StateDir: t.TempDir(), Kind: "disk"})
	if !errors.Is(err, ErrInvalidKind) {
		t.Fatalf("Open with kind disk error = %v, want ErrInvalidKind", err)
	}
}

func TestOpenEnvSelectsFile(t *testing.T) {
	t.Setenv(EnvKind, KindFile)

	v, err := Open(Options{StateDir: t.TempDir(), Kind: KindAuto})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if v.Kind() != KindFile {
		t.Errorf("Kind() = %q, want %q", v.Kind(), KindFile)
	}
}

func TestOpenRejectsBadStateDir(t *testing.T) {
	existingFile := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(existingFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		stateDir string
		mention  string
	}{
		{stateDir: "", mention: "absolute path"},
		{stateDir: "relative/state", mention: `"relative/state"`},
		{stateDir: filepath.Join(t.TempDir(), "missing"), mention: "missing"},
		{stateDir: existingFile, mention: "not a directory"},
	}
	for _, c := range cases {
		_, err := Open(Options{StateDir: c.stateDir, Kind: KindFile})
		if !errors.Is(err, ErrInvalidStateDir) {
			t.Errorf("Open(%q) error = %v, want ErrInvalidStateDir", c.stateDir, err)
			continue
		}
		assertContains(t, err.Error(), c.mention)
	}
}

func TestCheckNameRules(t *testing.T) {
	valid := []string{
		"identity.ed25519",
		"a",
		"0-9_x.y",
		strings.Repeat("n", MaxNameLength),
	}
	for _, name := range valid {
		if err := checkName(name); err != nil {
			t.Errorf("checkName(%q) = %v, want nil", name, err)
		}
	}

	invalid := []string{
		"",
		"Identity",
		"has space",
		"slash/name",
		"ümlaut",
		"tab\t",
		strings.Repeat("n", MaxNameLength+1),
	}
	for _, name := range invalid {
		if err := checkName(name); !errors.Is(err, ErrInvalidName) {
			t.Errorf("checkName(%q) = %v, want ErrInvalidName", name, err)
		}
	}
}

func TestCheckNameCutsLongName(t *testing.T) {
	long := strings.Repeat("X", 10_000)

	err := checkName(long)
	if !errors.Is(err, ErrInvalidName) {
		t.Fatalf("checkName(long) = %v, want ErrInvalidName", err)
	}
	if len(err.Error()) > 300 {
		t.Errorf("error message is %d bytes, want it cut: %s", len(err.Error()), err)
	}
	assertContains(t, err.Error(), "10000 bytes")
}

func TestKeyringAccountStable(t *testing.T) {
	first := KeyringAccount("/home/alice/.local/state/portals")
	again := KeyringAccount("/home/alice/.local/state/portals/")
	other := KeyringAccount("/home/bob/.local/state/portals")

	if first != again {
		t.Errorf("KeyringAccount differs for the same cleaned path: %q and %q", first, again)
	}
	if first == other {
		t.Errorf("KeyringAccount is %q for two different directories", first)
	}

	// Pinned on purpose: a changed derivation would orphan stored items.
	sum := sha256.Sum256([]byte("/home/alice/.local/state/portals"))
	want := "state-" + hex.EncodeToString(sum[:])[:32]
	if first != want {
		t.Errorf("KeyringAccount = %q, want %q", first, want)
	}
}
