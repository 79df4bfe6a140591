package site

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Init makes a practice folder whose site.toml loads, with empty records
// and education folders, and refuses a folder that has a site.toml.
func TestInitMakesAPracticeThatLoadsAndNeverReplacesOne(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "new-practice")
	path, err := Init(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatalf("the starter site.toml does not load: %v", err)
	}
	for _, d := range []string{cfg.RecordsDir, cfg.EducationDir} {
		entries, err := os.ReadDir(d)
		if err != nil || len(entries) != 0 {
			t.Errorf("%s: %d entries, %v; want an empty folder", d, len(entries), err)
		}
	}
	if cfg.CurrentDays != 90 || !cfg.PDF || cfg.Theme != "default" {
		t.Errorf("starter settings: %+v", cfg)
	}
	if err := os.WriteFile(path, []byte("# the practice's own\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Init(dir); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second init: %v", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "# the practice's own\n" {
		t.Errorf("second init changed site.toml: %q", data)
	}
}
