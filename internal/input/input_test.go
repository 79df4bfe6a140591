package input

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestReadsARegularFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.toml")
	os.WriteFile(p, []byte("x = 1\n"), 0o600)
	data, err := Read(p, "", MaxRecord)
	if err != nil || string(data) != "x = 1\n" {
		t.Fatalf("Read = %q, %v", data, err)
	}
}

func TestRefusesWhatIsNotAFileOfItsFolder(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret.toml"), []byte("x = 1\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "ok.toml"), []byte("x = 1\n"), 0o600)
	os.Mkdir(filepath.Join(dir, "folder.toml"), 0o700)
	os.Symlink(filepath.Join(outside, "secret.toml"), filepath.Join(dir, "out.toml"))
	os.Symlink("../"+filepath.Base(outside)+"/secret.toml", filepath.Join(dir, "rel.toml"))
	os.Symlink("ok.toml", filepath.Join(dir, "in.toml"))
	os.WriteFile(filepath.Join(dir, "big.toml"), make([]byte, 2000), 0o600)
	cases := map[string]string{
		"folder.toml": "not a regular file",
		"out.toml":    "outside its folder",
		"rel.toml":    "outside its folder",
		"big.toml":    "too large: the limit is 1000 bytes",
		"none.toml":   "no such file",
	}
	if runtime.GOOS != "windows" {
		if err := mkfifo(filepath.Join(dir, "fifo.toml")); err != nil {
			t.Fatal(err)
		}
		cases["fifo.toml"] = "not a regular file (a FIFO)"
		os.Symlink("/dev/zero", filepath.Join(dir, "zero.toml"))
		cases["zero.toml"] = "not a regular file (a device)"
	}
	for name, want := range cases {
		p := filepath.Join(dir, name)
		_, err := Read(p, dir, 1000)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), p+": ") {
			t.Errorf("%s: err = %v, want the file and %q", name, err, want)
		}
	}
	if _, err := Read(filepath.Join(dir, "none.toml"), dir, 1000); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file: err = %v, want fs.ErrNotExist", err)
	}
	if data, err := Read(filepath.Join(dir, "in.toml"), dir, 1000); err != nil || string(data) != "x = 1\n" {
		t.Errorf("a link inside the folder: %q, %v", data, err)
	}
}

func TestNeverReadsPastTheLimit(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no /dev/zero")
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Read("/dev/zero", "/dev", 1<<20)
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("read /dev/zero")
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
		t.Errorf("reading /dev/zero allocated %d bytes", grew)
	}
}
