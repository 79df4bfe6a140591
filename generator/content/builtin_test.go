package content

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/satchel-records/satchel/education"
	"github.com/satchel-records/satchel/generator/record"
)

// The built-in library serves with no folder of the practice's own; a page
// of the practice's replaces the built-in page of the same name and no
// other, and a new one joins them.
func TestPracticePagesOverrideTheBuiltInLibraryPageByPage(t *testing.T) {
	t.Parallel()
	builtin, err := LoadWith(education.FS(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	asthma := record.Code{System: "SNOMED", Value: "195967001"}
	pages := builtin.Match([]record.Code{asthma})
	if len(pages) != 1 || pages[0].Slug != "asthma" || !strings.HasPrefix(pages[0].File, BuiltInPrefix) {
		t.Fatalf("built-in asthma page: %+v", pages)
	}
	n := len(builtin.pages)
	if n < 7 {
		t.Fatalf("the built-in library has %d pages", n)
	}

	dir := t.TempDir()
	own := "+++\ntitle = \"Our asthma clinic\"\ncodes = [\"SNOMED:195967001\"]\n+++\nCome to the Tuesday clinic.\n"
	extra := "+++\ntitle = \"Gout\"\ncodes = [\"SNOMED:90560007\"]\n+++\nAbout gout.\n"
	for name, body := range map[string]string{"asthma.md": own, "gout.md": extra} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l, err := LoadWith(education.FS(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	pages = l.Match([]record.Code{asthma})
	if len(pages) != 1 || pages[0].Title != "Our asthma clinic" || pages[0].File != filepath.Join(dir, "asthma.md") {
		t.Fatalf("overridden asthma page: %+v", pages)
	}
	if len(l.pages) != n+1 {
		t.Errorf("%d pages with one replaced and one added, want %d", len(l.pages), n+1)
	}
	if got := l.Match([]record.Code{{System: "SNOMED", Value: "38341003"}}); len(got) != 1 || !strings.HasPrefix(got[0].File, BuiltInPrefix) {
		t.Errorf("a page the practice did not replace: %+v", got)
	}
}
