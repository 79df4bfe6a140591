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
