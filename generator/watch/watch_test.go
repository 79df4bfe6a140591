package watch

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/site"
)

func testSite(root string) *site.Config {
	return &site.Config{
		File:         filepath.Join(root, "site.toml"),
		Root:         root,
		RecordsDir:   filepath.Join(root, "records"),
		EducationDir: filepath.Join(root, "education"),
		PublicDir:    filepath.Join(root, "public"),
		PrivateDir:   filepath.Join(root, "private"),
		TemplatesDir: filepath.Join(root, "layouts"),
	}
}

func TestPlanSaysWhatToRebuild(t *testing.T) {
	t.Parallel()
	c := testSite("/practice")
	tests := []struct {
		name  string
		paths []string
		all   bool
		ids   []string
	}{
		{"a record", []string{"/practice/records/p1.toml"}, false, []string{"p1"}},
		{"its approval", []string{"/practice/records/p1.approval.toml"}, false, []string{"p1"}},
		{"a FHIR record", []string{"/practice/records/p2.json"}, false, []string{"p2"}},
		{"two records, one twice", []string{"/practice/records/p2.json", "/practice/records/p1.toml", "/practice/records/p1.approval.toml"}, false, []string{"p1", "p2"}},
		{"a bulk export's NDJSON file", []string{"/practice/records/export/Condition.ndjson.gz"}, true, nil},
		{"a bulk export's manifest", []string{"/practice/records/export/manifest.json"}, true, nil},
		{"a bulk export patient's approval", []string{"/practice/records/export/export-p1.approval.toml"}, false, []string{"export-p1"}},
		{"a letter", []string{"/practice/records/p1-letter.md"}, true, nil},
		{"a patient's key file", []string{"/practice/records/p1-key.asc"}, true, nil},
		{"site.toml", []string{"/practice/site.toml"}, true, nil},
		{"an education page", []string{"/practice/education/asthma.md", "/practice/records/p1.toml"}, true, nil},
		{"a template", []string{"/practice/layouts/record.html"}, true, nil},
		{"our own output", []string{"/practice/public/bundles/x/record.html", "/practice/private/manifest.json"}, false, nil},
		{"editor files", []string{"/practice/records/.p1.toml.swp", "/practice/records/p1.toml~", "/practice/records/.#p1"}, false, nil},
		{"elsewhere", []string{"/practice/notes.txt", "/elsewhere/records/p1.toml"}, false, nil},
		{"the card registry", []string{"/practice/private/cards.json", "/practice/private/manifest.json"}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Plan(c, tt.paths)
			cards := tt.name == "the card registry"
			if got.All != tt.all || !slices.Equal(got.Patients, tt.ids) || got.Cards != cards || got.Empty() != (!tt.all && tt.ids == nil && !cards) {
				t.Errorf("Plan = %+v, want all=%v ids=%v cards=%v", got, tt.all, tt.ids, cards)
			}
		})
	}
}

// Writes in quick succession arrive as one batch, with real fsnotify.
func TestBatchesCollectQuickChangesIntoOne(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out := make(chan []string, 4)
	errs := make(chan error, 4)
	done := make(chan error, 1)
	go func() {
		done <- Batches(ctx, func() []string { return []string{dir} }, 200*time.Millisecond, out, errs)
	}()
	time.Sleep(100 * time.Millisecond) // let the watcher start
	for _, n := range []string{"a.toml", "b.toml", "a.toml"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case batch := <-out:
		slices.Sort(batch)
		if !slices.Equal(batch, []string{filepath.Join(dir, "a.toml"), filepath.Join(dir, "b.toml")}) {
			t.Errorf("batch %v", batch)
		}
	case <-ctx.Done():
		t.Fatal("no batch arrived")
	}
	select {
	case batch := <-out:
		t.Errorf("a second batch arrived: %v", batch)
	case <-time.After(400 * time.Millisecond):
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// A folder made while watching (a bulk export copied into the records
// folder) is watched from then on: its creation is in one batch, and a
// file written into it later in the next.
func TestBatchesWatchAFolderMadeWhileWatching(t *testing.T) {
	dir := t.TempDir()
	folders := func() []string {
		dirs := []string{dir}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if e.IsDir() {
				dirs = append(dirs, filepath.Join(dir, e.Name()))
			}
		}
		return dirs
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out := make(chan []string, 4)
	errs := make(chan error, 4)
	done := make(chan error, 1)
	go func() { done <- Batches(ctx, folders, 100*time.Millisecond, out, errs) }()
	time.Sleep(100 * time.Millisecond) // let the watcher start
	export := filepath.Join(dir, "export")
	if err := os.Mkdir(export, 0o755); err != nil {
		t.Fatal(err)
	}
	next := func() []string {
		t.Helper()
		select {
		case batch := <-out:
			return batch
		case err := <-errs:
			t.Fatal(err)
		case <-ctx.Done():
			t.Fatal("no batch arrived")
		}
		return nil
	}
	if got := next(); !slices.Equal(got, []string{export}) {
		t.Fatalf("first batch %v, want the new folder", got)
	}
	file := filepath.Join(export, "Patient.ndjson")
	if err := os.WriteFile(file, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := next(); !slices.Contains(got, file) {
		t.Errorf("second batch %v, want %s", got, file)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// A bulk export's folder inside the records folder is watched too.
func TestFoldersWatchExports(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	c := testSite(root)
	for _, d := range []string{"records/export", "records/.hidden"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	got := Folders(c)
	if !slices.Contains(got, filepath.Join(root, "records", "export")) || slices.Contains(got, filepath.Join(root, "records", ".hidden")) {
		t.Errorf("Folders = %v: want records/export, not records/.hidden", got)
	}
}
