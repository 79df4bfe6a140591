package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestWriteReplacesWithPermissions(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	st, _ := os.Stat(p)
	if string(b) != "new" || st.Mode().Perm() != 0o600 {
		t.Errorf("got %q mode %v", b, st.Mode().Perm())
	}
}

func TestFailedWriteLeavesOldFileAndNoTemp(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	half := func(w io.Writer) error {
		w.Write([]byte("half"))
		return boom
	}
	var s Syncer
	for name, writeFunc := range map[string]func(string, os.FileMode, func(io.Writer) error) error{
		"Syncer.WriteFuncLater": s.WriteFuncLater,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "f")
			os.WriteFile(p, []byte("old"), 0o644)
			if err := writeFunc(p, 0o644, half); !errors.Is(err, boom) {
				t.Fatalf("got %v", err)
			}
			b, _ := os.ReadFile(p)
			if string(b) != "old" {
				t.Errorf("old content replaced by %q", b)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("%d files in the folder, want 1: a temp file was left", len(entries))
			}
		})
	}
	if err := s.Sync(); err != nil {
		t.Errorf("Sync after failed writes: %v", err)
	}
}

// A Syncer used from many goroutines, as a build's workers use it, writes
// every file whole with its permissions, and Sync forgets what it flushed.
func TestSyncerWritesFromManyGoroutinesAndSyncs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var s Syncer
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Go(func() {
			p := filepath.Join(dir, fmt.Sprint(i))
			if i%2 == 0 {
				errs <- s.WriteLater(p, []byte(fmt.Sprint("file ", i)), 0o600)
				return
			}
			errs <- s.WriteFuncLater(p, 0o644, func(w io.Writer) error {
				_, err := fmt.Fprint(w, "file ", i)
				return err
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	wantPending := 20
	if flushesAll {
		wantPending = 0 // sync(2) needs no list
	}
	if len(s.paths) != wantPending {
		t.Errorf("Syncer remembers %d files, want %d", len(s.paths), wantPending)
	}
	// A file removed before Sync (a failed patient's bundle) is no error.
	if err := os.Remove(filepath.Join(dir, "3")); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if len(s.paths) != 0 {
		t.Errorf("Syncer still remembers %d files after Sync", len(s.paths))
	}
	for i := range 20 {
		if i == 3 {
			continue
		}
		p := filepath.Join(dir, fmt.Sprint(i))
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := os.Stat(p)
		want := os.FileMode(0o600)
		if i%2 == 1 {
			want = 0o644
		}
		if string(b) != fmt.Sprint("file ", i) || st.Mode().Perm() != want {
			t.Errorf("file %d: %q mode %v, want mode %v", i, b, st.Mode().Perm(), want)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 19 {
		t.Errorf("%d files in the folder, want 19: a temp file was left", len(entries))
	}
}

// Start flushes in the background what was written before it; what is
// written after is Sync's to flush, and Sync waits for Start's flush.
func TestSyncerStartFlushesEarlyAndSyncFinishes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var s Syncer
	s.Start()
	if s.started != nil {
		t.Fatal("Start with nothing written started a flush")
	}
	for i := range 3 {
		if err := s.WriteLater(filepath.Join(dir, fmt.Sprint(i)), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s.Start()
	first := s.started
	if first == nil || len(s.paths) != 0 {
		t.Fatalf("after Start: flush started %v, %d files still for Sync; want started, 0", first != nil, len(s.paths))
	}
	s.Start()
	if s.started != first {
		t.Error("a second Start began another flush")
	}
	if err := s.WriteLater(filepath.Join(dir, "after"), []byte("y"), 0o600); err != nil {
		t.Fatal(err)
	}
	wantPending := 1
	if flushesAll {
		wantPending = 0
	}
	if len(s.paths) != wantPending || !s.wrote {
		t.Errorf("a file written after Start: %d files for Sync, want %d", len(s.paths), wantPending)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if s.started != nil || s.wrote || len(s.paths) != 0 {
		t.Error("Sync left work for the next Sync")
	}
	select {
	case <-first:
		t.Error("Sync did not take the result of Start's flush")
	default:
	}
}

// syncEach is how a Syncer flushes where there is no sync(2) that waits
// (Windows, macOS, the BSDs): it is tested here on every system.
func TestSyncEachFlushesFilesAndFoldersAndSkipsRemovedOnes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	kept := filepath.Join(dir, "kept")
	if err := os.WriteFile(kept, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	gone := filepath.Join(dir, "gone", "record.pgp")
	if err := syncEach([]string{kept, gone}); err != nil {
		t.Errorf("syncEach of a file and a removed one: %v", err)
	}
	// A path that cannot be opened for writing is reported, not skipped.
	if err := syncEach([]string{kept, dir}); err == nil {
		t.Error("syncEach of a folder opened for writing did not fail")
	}
}

// While a public file is being written, the temporary file beside it is
// one IsTemp recognises and is readable by no one else: a process killed
// at that moment leaves nothing others can read, and nothing RemoveTemps
// cannot find.
func TestTempFileIsPrivateAndRecognisedUntilComplete(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var seen []string
	peek := func(w io.Writer) error {
		w.Write([]byte("half"))
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			info, _ := e.Info()
			if !IsTemp(e.Name()) {
				t.Errorf("IsTemp(%q) = false for a file being written", e.Name())
			}
			if info.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %v while being written, want 0600", e.Name(), info.Mode().Perm())
			}
			seen = append(seen, e.Name())
		}
		return nil
	}
	var s Syncer
	if err := s.WriteFuncLater(filepath.Join(dir, "record.html"), 0o644, peek); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 {
		t.Fatalf("saw %d files while writing, want the one temp file", len(seen))
	}
	st, err := os.Stat(filepath.Join(dir, "record.html"))
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("the finished file: %v, mode %v, want 0644", err, st.Mode().Perm())
	}
}

func TestIsTemp(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		".record.html.tmp-123456789": true,
		".cards.json.tmp-1":          true,
		".x.tmp-42":                  true,
		"record.html":                false,
		"record.html.tmp-123":        false, // no leading dot: not ours
		".record.html.tmp-":          false,
		".record.html.tmp-12a":       false,
		".tmp-123":                   false,
		".record.html":               false,
		"sheet-2026-11-20.html":      false,
	} {
		if got := IsTemp(name); got != want {
			t.Errorf("IsTemp(%q) = %v, want %v", name, got, want)
		}
	}
}

// RemoveTemps removes what a killed write left, and nothing else: not the
// finished files, not a folder, not a look-alike without the digits.
func TestRemoveTempsRemovesOnlyLeftoversOfKilledWrites(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keep := []string{"record.html", "record.pgp", ".record.html.tmp-", "notes.tmp-1"}
	left := []string{".record.html.tmp-2712", ".record.pgp.tmp-99", ".record-7k3mq9xr2a.pgp.tmp-1"}
	for _, n := range append(append([]string{}, keep...), left...) {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, ".sub.tmp-5"), 0o755); err != nil {
		t.Fatal(err)
	}
	n, err := RemoveTemps(dir)
	if err != nil || n != len(left) {
		t.Fatalf("RemoveTemps = %d, %v; want %d, nil", n, err, len(left))
	}
	for _, name := range left {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s is still there", name)
		}
	}
	for _, name := range append(keep, ".sub.tmp-5") {
		if _, err := os.Lstat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s was removed", name)
		}
	}
	if n, err := RemoveTemps(filepath.Join(dir, "missing")); n != 0 || err != nil {
		t.Errorf("missing folder: %d, %v", n, err)
	}
}
