// Package atomicfile writes files so that readers see either the old content
// or the new, never half of it: data goes to a temporary file in the same
// folder, which is synced and then renamed over the target.
//
// Many files can be written without a flush each and made durable together
// by a Syncer. On Linux one sync(2) then flushes them all; elsewhere the
// Syncer remembers each file and flushes it on its own.
package atomicfile

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// Write writes data to path with permissions perm, atomically and durably.
// The temporary file is created 0600 and given perm only once complete, just
// before the rename, so a secret is never readable by others even for a
// moment and a file left half-written by a killed process is readable by
// no one else. It is removed on any failure; one left by a killed process
// is found by IsTemp and removed by RemoveTemps.
func Write(path string, data []byte, perm os.FileMode) error {
	return write(path, perm, true, bytesWriter(data))
}

// WriteFunc is Write for content produced by a writer function, so a
// large file need not be held in memory. Nothing of it is at path unless
// fn returns nil: its temp file (0600) is removed.
func WriteFunc(path string, perm os.FileMode, fn func(w io.Writer) error) error {
	return write(path, perm, true, fn)
}

// A Syncer writes files without flushing each to disk and then makes them
// all durable at once with Sync: a build writes thousands of files and
// flushes once, which makes it several times faster. The zero value is
// ready to use, and its methods may be called from several goroutines.
type Syncer struct {
	mu sync.Mutex
	// paths are the files written since the last Sync, where the system
	// cannot flush everything at once and each must be flushed on its own.
	paths []string
	// wrote is true once a file has been written since the last Sync:
	// a Sync with nothing to flush (a build that skipped everyone) does
	// not flush the whole system.
	wrote bool
	// started, once Start has run, gives the result of its flush.
	started chan error
}

// WriteLater is Write without the flush to disk: still atomic (a reader
// never sees half a file), but durable only after s.Sync.
func (s *Syncer) WriteLater(path string, data []byte, perm os.FileMode) error {
	return s.WriteFuncLater(path, perm, bytesWriter(data))
}

// WriteFuncLater is WriteLater for content produced by a writer function,
// so large files need not be held in memory.
func (s *Syncer) WriteFuncLater(path string, perm os.FileMode, fn func(w io.Writer) error) error {
	// Windows opens a file without write permission read-only, and a
	// read-only file cannot be flushed later: flush it now.
	now := !flushesAll && perm&0o200 == 0
	if err := write(path, perm, now, fn); err != nil {
		return err
	}
	s.mu.Lock()
	s.wrote = true
	if !flushesAll && !now {
		s.paths = append(s.paths, path)
	}
	s.mu.Unlock()
	return nil
}

// Start begins flushing the files written by s so far in the background,
// so that the disk works while the caller goes on (a build writes its
// print sheet meanwhile) and Sync, which waits for it, has less left to
// do. Sync is still what makes them durable. A second Start before Sync
// does nothing.
func (s *Syncer) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.wrote || s.started != nil {
		return
	}
	paths := s.paths
	s.paths = nil
	done := make(chan error, 1)
	s.started = done
	go func() {
		if flushesAll {
			flushAll()
			done <- nil
			return
		}
		done <- syncEach(paths)
	}()
}

// Sync makes every file written by s so far durable, the renames that put
// them in place included. A file removed since needs nothing and is not an
// error.
func (s *Syncer) Sync() error {
	s.mu.Lock()
	paths, wrote, started := s.paths, s.wrote, s.started
	s.paths, s.wrote, s.started = nil, false, nil
	s.mu.Unlock()
	var early error
	if started != nil {
		early = <-started
	}
	if !wrote {
		return early
	}
	if flushesAll {
		flushAll()
		return early
	}
	return errors.Join(early, syncEach(paths))
}

// syncEach flushes each file in paths and then each folder holding one, so
// the renames are durable too. Files and folders that no longer exist are
// skipped; every other failure is returned.
func syncEach(paths []string) error {
	var errs []error
	dirs := map[string]bool{}
	for _, p := range paths {
		if err := syncPath(p, os.O_WRONLY); err != nil {
			errs = append(errs, err)
		}
		dirs[filepath.Dir(p)] = true
	}
	// Windows has no way for a program to flush a folder; NTFS logs the
	// rename in its journal instead.
	if runtime.GOOS != "windows" {
		for d := range dirs {
			if err := syncPath(d, os.O_RDONLY); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// syncPath opens path with flag and flushes it to disk; a path that no
// longer exists is not an error.
func syncPath(path string, flag int) error {
	f, err := os.OpenFile(path, flag, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func bytesWriter(data []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}
}

func write(path string, perm os.FileMode, sync bool, fn func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+tempInfix+"*") // 0600

	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := writers.Get().(*bufio.Writer)
	bw.Reset(f)
	err = fn(bw)
	if err == nil {
		err = bw.Flush()
	}
	bw.Reset(nil)
	writers.Put(bw)
	if err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if sync {
		if err = f.Sync(); err != nil {
			return err
		}
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// writers are the buffers files are written through, kept between
// files: a build writes thousands, and a fresh 256 KiB buffer for each
// (cleared by the runtime) cost more than most of them take to write.
var writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 256<<10) }}

// tempInfix sits between the target's name and the random digits in a
// temporary file's name: ".record.html.tmp-123456789".
const tempInfix = ".tmp-"

// IsTemp reports whether name (a file name, not a path) is one of the
// temporary files Write and the Syncer create: a dot, the target's name,
// ".tmp-" and the digits os.CreateTemp adds. Only a process killed while
// writing leaves one behind.
func IsTemp(name string) bool {
	i := strings.LastIndex(name, tempInfix)
	if i < 2 || name[0] != '.' {
		return false
	}
	digits := name[i+len(tempInfix):]
	if digits == "" {
		return false
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// RemoveTemps removes the temporary files (see IsTemp) that a killed
// process left in dir, not looking into its sub-folders, and returns how
// many it removed. A missing dir holds none. The caller must know that no
// other process is writing into dir at the time: it would remove that
// process's file mid-write.
func RemoveTemps(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, e := range entries {
		if !e.Type().IsRegular() || !IsTemp(e.Name()) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
