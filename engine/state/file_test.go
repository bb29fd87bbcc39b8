package state

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestLoadMissingIsDefault(t *testing.T) {
	s, err := Load(t.TempDir())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !reflect.DeepEqual(s, Default()) {
		t.Errorf("Load = %+v, want %+v", s, Default())
	}
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	want := fullState()
	if err := Save(dir, want); err != nil {
		t.Fatalf("Save: %v", err)
	}

	got, err := Load(dir)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load = %+v, want %+v", got, want)
	}
}

func TestSaveIsAtomicAndPrivate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	if err := os.WriteFile(path, []byte("old content"), 0o644); err != nil {
		t.Fatal(err)
	}

	for range 3 {
		if err := Save(dir, fullState()); err != nil {
			t.Fatalf("Save: %v", err)
		}
	}

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != FileName {
		t.Errorf("directory holds %v, want only %s", entries, FileName)
	}

	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("%s has mode %04o, want 0600", path, perm)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Marshal(fullState())
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != string(want) {
		t.Errorf("file holds\n%s\nwant\n%s", data, want)
	}
}

func TestSaveRefusesInvalidState(t *testing.T) {
	dir := t.TempDir()
	s := fullState()
	s.Listen = []string{"no port"}

	err := Save(dir, s)
	assertFieldError(t, err, "listen[0]")

	if _, err := os.Stat(filepath.Join(dir, FileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Save of an invalid state wrote a file (stat error %v)", err)
	}
}

func TestSaveIntoMissingDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone")

	err := Save(dir, Default())
	if err == nil {
		t.Fatal("Save into a missing directory succeeded")
	}
	assertContains(t, err.Error(), "state: ", dir)
}

func TestLoadNamesFileAndField(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	content := `{"version": 1, "peers": [{"id": "` + testID(1).String() + `", "routes": [{"direct": "x"}]}]}`
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}

	_, err := Load(dir)
	assertFieldError(t, err, path, "peers[0].routes[0].direct", `"x"`)
}

func TestLoadRefusesLargeFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	if err := os.WriteFile(path, make([]byte, maxFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}

	_, err := Load(dir)
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("Load error = %v, want ErrInvalid", err)
	}
	assertContains(t, err.Error(), path, "larger than")
}

func TestLoadRefusesDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, FileName), 0o700); err != nil {
		t.Fatal(err)
	}

	_, err := Load(dir)
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("Load error = %v, want ErrInvalid", err)
	}
	assertContains(t, err.Error(), "not a regular file")
}
