// Package atomicfile writes files so that readers see either the old content
// or the new, never half of it: data goes to a temporary file in the same
// folder, which is synced and then renamed over the target.
package atomicfile

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// Write writes data to path with permissions perm, atomically and durably.
// The temporary file is created with perm from the start, so a secret is
// never readable by others even for a moment, and is removed on any failure.
func Write(path string, data []byte, perm os.FileMode) error {
	return write(path, perm, true, bytesWriter(data))
}

// WriteFunc is Write for content produced by a writer function, so large
// files need not be held in memory.
func WriteFunc(path string, perm os.FileMode, fn func(w io.Writer) error) error {
	return write(path, perm, true, fn)
}

// WriteLater is Write without the flush to disk: still atomic (a reader
// never sees half a file), but durable only after SyncAll. A build writes
// thousands of files and flushes once, which makes it several times faster.
func WriteLater(path string, data []byte, perm os.FileMode) error {
	return write(path, perm, false, bytesWriter(data))
}

// WriteFuncLater is WriteFunc without the flush to disk; see WriteLater.
func WriteFuncLater(path string, perm os.FileMode, fn func(w io.Writer) error) error {
	return write(path, perm, false, fn)
}

// SyncAll flushes every file written so far to disk.
func SyncAll() { syscall.Sync() }

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
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
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
	if err = f.Chmod(perm); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 256<<10)
	if err = fn(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
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
