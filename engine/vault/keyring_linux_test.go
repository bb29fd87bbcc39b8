package vault

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenKeyringWithoutSessionBus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	t.Setenv(EnvKind, "")

	for _, kind := range []string{KindAuto, KindKeyring} {
		_, err := Open(Options{StateDir: t.TempDir(), Kind: kind})
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("Open(kind %s) error = %v, want ErrUnavailable", kind, err)
			continue
		}
		assertContains(t, err.Error(),
			"DBUS_SESSION_BUS_ADDRESS", "gnome-keyring", "--vault file", "PORTALS_VAULT=file")
		if strings.Contains(err.Error(), "export DBUS_SESSION_BUS_ADDRESS") {
			t.Errorf("error names a bus socket that does not exist: %v", err)
		}
	}
}

func TestOpenKeyringNamesUnexportedBus(t *testing.T) {
	runtimeDir := t.TempDir()
	socket := filepath.Join(runtimeDir, "bus")
	// A regular file is enough in place of a socket, because Open only checks
	// that the path exists and never connects without DBUS_SESSION_BUS_ADDRESS.
	if err := os.WriteFile(socket, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", runtimeDir)

	_, err := Open(Options{StateDir: t.TempDir(), Kind: KindKeyring})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Open error = %v, want ErrUnavailable", err)
	}
	assertContains(t, err.Error(), "export DBUS_SESSION_BUS_ADDRESS=unix:path="+socket, "--vault file")
}

// childTestEnv marks a test binary started by a test to run one check in a
// fresh process, where godbus has no session bus connection cached yet.
const childTestEnv = "PORTALS_VAULT_TEST_CHILD"

func TestOpenKeyringUnreachableBus(t *testing.T) {
	if os.Getenv(childTestEnv) == "1" {
		checkOpenFailsOnUnreachableBus(t)
		return
	}

	// A socket path in a fresh temporary directory: nothing listens there.
	address := "unix:path=" + filepath.Join(t.TempDir(), "no-bus")
	child := exec.Command(os.Args[0], "-test.run=^TestOpenKeyringUnreachableBus$", "-test.v", "-test.count=1")
	child.Env = append(os.Environ(),
		childTestEnv+"=1",
		"DBUS_SESSION_BUS_ADDRESS="+address,
		EnvKind+"=",
	)

	output, err := child.CombinedOutput()
	if err != nil {
		t.Fatalf("child test process failed: %v\n%s", err, output)
	}
	if !strings.Contains(string(output), "--- PASS: TestOpenKeyringUnreachableBus") {
		t.Fatalf("child test process did not run the check:\n%s", output)
	}
}

func checkOpenFailsOnUnreachableBus(t *testing.T) {
	address := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	socket := strings.TrimPrefix(address, "unix:path=")

	for _, kind := range []string{KindAuto, KindKeyring} {
		_, err := Open(Options{StateDir: t.TempDir(), Kind: kind})
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("Open(kind %s) error = %v, want ErrUnavailable", kind, err)
			continue
		}
		assertContains(t, err.Error(), socket, "gnome-keyring", "--vault file", "PORTALS_VAULT=file")
	}
}
