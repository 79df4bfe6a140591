package cardkey

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCreateMasterWritesPrivateFileAndLoadMasterReadsIt(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "secrets")
	key, err := CreateMaster(masterIn(dir), bytes.NewReader(bytes.Repeat([]byte{0xA5}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(key, bytes.Repeat([]byte{0xA5}, 32)) {
		t.Fatal("CreateMaster did not return the key it drew")
	}
	path := filepath.Join(dir, "master.key")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("master.key has mode %04o, want 0600", fi.Mode().Perm())
	}
	text, _ := os.ReadFile(path)
	if string(text) != hex.EncodeToString(key)+"\n" {
		t.Fatal("master.key is not the key in hex and a newline")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("%d files in the secrets folder, want only master.key", len(entries))
	}
	loaded, err := LoadMaster(masterIn(dir))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(loaded, key) {
		t.Fatal("LoadMaster read another key")
	}
}

func TestCreateMasterNeverReplacesAnExistingKey(t *testing.T) {
	dir := t.TempDir()
	first, err := CreateMaster(masterIn(dir), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CreateMaster(masterIn(dir), nil); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second CreateMaster: got %v, want an already-exists error", err)
	}
	again, err := LoadMaster(masterIn(dir))
	if err != nil || !bytes.Equal(again, first) {
		t.Fatalf("the first key did not survive: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("%d files left behind, want only master.key", len(entries))
	}
}

func TestCreateMasterDrawsDifferentKeys(t *testing.T) {
	a, err := CreateMaster(masterIn(t.TempDir()), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := CreateMaster(masterIn(t.TempDir()), nil)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) {
		t.Fatal("two practices got the same master secret")
	}
}

func TestLoadMasterRefusesKeyOthersCanRead(t *testing.T) {
	for _, mode := range []fs.FileMode{0o644, 0o640, 0o604, 0o660} {
		dir := t.TempDir()
		if _, err := CreateMaster(masterIn(dir), nil); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "master.key")
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := LoadMaster(masterIn(dir))
		if err == nil {
			t.Fatalf("mode %04o: LoadMaster accepted it", mode)
		}
		if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("mode %04o: error does not name the file and the fix: %v", mode, err)
		}
	}
}

func TestLoadMasterRefusesWhatIsNotAKey(t *testing.T) {
	for name, content := range map[string]string{
		"empty":     "",
		"short":     strings.Repeat("ab", 31),
		"long":      strings.Repeat("ab", 33),
		"not hex":   strings.Repeat("zz", 32),
		"two lines": strings.Repeat("ab", 32) + "\n" + strings.Repeat("cd", 32),
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "master.key"), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadMaster(masterIn(dir))
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if content != "" && strings.Contains(err.Error(), content[:8]) {
			t.Errorf("%s: error repeats the file's content", name)
		}
	}
}

func TestLoadMasterSaysWhenThereIsNoKey(t *testing.T) {
	_, err := LoadMaster(masterIn(t.TempDir()))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("got %v, want fs.ErrNotExist", err)
	}
}

// masterIn returns where a practice keeps its master secret in dir.
func masterIn(dir string) string { return filepath.Join(dir, "master.key") }
