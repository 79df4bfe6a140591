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

// A folder of NDJSON files is an export: its patients are listed by the
// path they go by, an export with problems by its folder too, and NDJSON
// straight in the records folder is listed so that reading it says where
// it belongs.
func TestFolderListsExports(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.toml", "[patient]\nname = \"A\"\n")
	write("ex.2026/Patient.ndjson", `{"resourceType":"Patient","id":"p.1"}`+"\n"+`{"resourceType":"Patient","id":"p2"}`+"\n")
	write("ex.2026/p1.approval.toml", "")
	write("bad/Patient.ndjson", `{"resourceType":"Patient","id":"q"}`+"\n{\n")
	write("notes/readme.txt", "")
	write("Patient.ndjson", "")
	f := NewFolder(dir)
	got, err := f.Files()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		filepath.Join(dir, "Patient.ndjson"), filepath.Join(dir, "a.toml"),
		filepath.Join(dir, "bad"), filepath.Join(dir, "bad", "bad-q"),
		filepath.Join(dir, "ex.2026", "ex-2026-p-1"), filepath.Join(dir, "ex.2026", "ex-2026-p2"),
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Files = %v, want %v", got, want)
	}
	if p, err := f.Find("ex-2026-p2"); err != nil || p != want[5] {
		t.Errorf("Find = %q, %v", p, err)
	}
	if _, rec, ok, err := f.Bulk(want[5]); !ok || err != nil || rec.ID != "ex-2026-p2" {
		t.Errorf("Bulk(patient) = %v, %v, %v", rec, ok, err)
	}
	if _, _, ok, err := f.Bulk(want[2]); !ok || err == nil {
		t.Errorf("Bulk(export with problems) = %v, %v", ok, err)
	}
	if _, _, ok, err := f.Bulk(want[0]); !ok || err == nil {
		t.Errorf("Bulk(lone NDJSON) = %v, %v", ok, err)
	}
	if _, _, ok, _ := f.Bulk(want[1]); ok {
		t.Error("a TOML record taken for a bulk patient")
	}
}
