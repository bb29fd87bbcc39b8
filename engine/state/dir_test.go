package state

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestResolveDirPrecedence(t *testing.T) {
	base := t.TempDir()
	home := filepath.Join(base, "home")
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv(EnvHome, "")

	want := filepath.Join(home, ".config", "portals")
	if runtime.GOOS == "darwin" {
		want = filepath.Join(home, "Library", "Application Support", "Portals")
	}
	assertResolves(t, "", want)

	if runtime.GOOS != "darwin" {
		xdg := filepath.Join(base, "xdg")
		t.Setenv("XDG_CONFIG_HOME", xdg)
		assertResolves(t, "", filepath.Join(xdg, "portals"))

		t.Setenv("XDG_CONFIG_HOME", "relative/xdg")
		assertResolves(t, "", want)
	}

	env := filepath.Join(base, "env")
	t.Setenv(EnvHome, env)
	assertResolves(t, "", env)

	flag := filepath.Join(base, "flag", "nested")
	assertResolves(t, flag, flag)
}

func TestResolveDirMakesRelativeAbsolute(t *testing.T) {
	t.Chdir(t.TempDir())
	cwd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}

	assertResolves(t, "relative", filepath.Join(cwd, "relative"))
}

func TestResolveDirRefusesWritableByOthers(t *testing.T) {
	for _, perm := range []os.FileMode{0o770, 0o702, 0o777} {
		dir := filepath.Join(t.TempDir(), "state")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, perm); err != nil {
			t.Fatal(err)
		}

		_, err := ResolveDir(dir)
		if err == nil {
			t.Fatalf("ResolveDir accepted a directory with mode %04o", perm)
		}
		assertContains(t, err.Error(), "state: ", dir, "chmod 700 "+dir)
	}
}

func TestResolveDirAcceptsReadableByOthers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}

	if _, err := ResolveDir(dir); err != nil {
		t.Fatalf("ResolveDir: %v", err)
	}
}

func TestResolveDirRefusesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	_, err := ResolveDir(path)
	if err == nil {
		t.Fatal("ResolveDir accepted a regular file")
	}
	assertContains(t, err.Error(), path, "not a directory")
}

// assertResolves checks that ResolveDir(flag) returns want and created it
// with mode 0700.
func assertResolves(t *testing.T, flag, want string) {
	t.Helper()

	got, err := ResolveDir(flag)
	if err != nil {
		t.Fatalf("ResolveDir(%q): %v", flag, err)
	}
	if got != want {
		t.Fatalf("ResolveDir(%q) = %q, want %q", flag, got, want)
	}

	info, err := os.Stat(got)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != dirPerm {
		t.Errorf("%s has mode %04o, want %04o", got, perm, dirPerm)
	}
}
