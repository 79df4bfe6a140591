package content

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A page that links out of the education folder, or is not a file, is
// refused by name; the other pages load all the same.
func TestPagesOutsideTheFolderOrNotFilesAreRefused(t *testing.T) {
	dir := writePages(t, map[string]string{"good.md": page("Good", "SNOMED:2")})
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "other.md"), []byte(page("Other", "SNOMED:3")), 0o644)
	if err := os.Symlink(filepath.Join(outside, "other.md"), filepath.Join(dir, "linked.md")); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(dir, "folder.md"), 0o755) // named like a page: refused by name
	os.WriteFile(filepath.Join(dir, "huge.md"), []byte(page("Huge", "SNOMED:4")+strings.Repeat("x", 1<<20)), 0o644)
	l, err := Load(dir, NewMarkdown())
	if l == nil || len(l.pages) != 1 || l.pages[0].Slug != "good" {
		t.Fatalf("pages %v, want only good", l)
	}
	for _, want := range []string{
		filepath.Join(dir, "linked.md") + ": cannot read: a symbolic link to outside its folder",
		filepath.Join(dir, "huge.md") + ": cannot read: too large: the limit is 1 MiB",
		filepath.Join(dir, "folder.md") + ": cannot read: not a regular file",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
}
