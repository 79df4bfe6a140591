package content

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/satchel-records/satchel/internal/fuzzcheck"
)

// FuzzParsePage parses mutations of the sample practice's education pages,
// with a canary planted in the front matter's keys and values. It must not
// panic, every error line names the file, none repeats the canary, and a
// page that parses has a title and codes.
func FuzzParsePage(f *testing.F) {
	files, _ := filepath.Glob("../../education/*.md")
	for _, p := range files[:min(len(files), 8)] {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("+++\ntitle = \"Zq9 Canary\"\ncodes = [\"SNOMED:38341003\", \"Zq9 Canary\"]\n\"Zq9 Canary\" = 1\nreviewed = 2026-01-01\nnext_review = 2025-01-01\n+++\n# Zq9 Canary\n"))
	md := NewMarkdown()
	f.Fuzz(func(t *testing.T, data []byte) {
		const path = "education/page.md"
		p, err := parsePage(path, "page", data, md)
		if err != nil {
			fuzzcheck.InputError(t, path, err)
			return
		}
		if strings.TrimSpace(p.Title) == "" || len(p.Codes) == 0 {
			t.Fatalf("a page parsed with no title or no codes")
		}
	})
}
