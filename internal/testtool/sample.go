package testtool

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// SamplePractice copies the repository's sample practice (site.toml and
// the sample-data folder, as `make run` builds them) into a new temporary
// folder and returns it: a test may build, approve and change it freely.
func SamplePractice(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	if err := CopySamplePractice(dir); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// CopySamplePractice copies the sample practice into dir, which exists.
func CopySamplePractice(dir string) error {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return errors.New("cannot find the repository")
	}
	root := filepath.Join(filepath.Dir(file), "..", "..")
	if err := copyFile(filepath.Join(root, "site.toml"), filepath.Join(dir, "site.toml")); err != nil {
		return err
	}
	return filepath.WalkDir(filepath.Join(root, "sample-data"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		return copyFile(p, filepath.Join(dir, rel))
	})
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, 0o644)
}

// CopyTree copies the folders and regular files under src to dst, each
// with its permission bits (a practice's private files stay 0600).
func CopyTree(tb testing.TB, src, dst string) {
	tb.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, info.Mode().Perm())
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, data, info.Mode().Perm())
	})
	if err != nil {
		tb.Fatal(err)
	}
}
