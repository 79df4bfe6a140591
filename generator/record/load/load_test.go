package load

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// A folder named like a record is listed, so that reading it fails and
// names it; sidecars, hidden files and other names are not.
func TestFilesListsEverythingNamedLikeARecord(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, name := range []string{"a.toml", "b.json", "a.approval.toml", ".hidden.toml", "letter.md"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "c.toml"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "a.toml"), filepath.Join(dir, "b.json"), filepath.Join(dir, "c.toml")}
	if !slices.Equal(got, want) {
		t.Errorf("Files = %v, want %v", got, want)
	}
}
