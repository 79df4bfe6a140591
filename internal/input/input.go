// Package input reads Satchel's input files (records, letters, approval
// sidecars, patient keys, education pages, site.toml) so that no one file
// can stall or exhaust a build: only regular files are read, never a FIFO,
// device, socket or folder; a file (or a symbolic link) must resolve inside
// the folder it was found in; and no more than a fixed number of bytes per
// kind of file is ever read.
//
// A hostile file in the records folder then costs one patient's record at
// most, never the build.
package input

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Size limits, one per kind of input. Each is far above what a real file
// needs and far below what could hurt a practice's machine.
const (
	// MaxRecord bounds a record file: a FHIR export of a long record with
	// every observation runs to a few MiB; 64 MiB leaves room for the
	// largest GP Connect exports.
	MaxRecord = 64 << 20
	// MaxRecordTOML bounds a record in Satchel's TOML format, which is
	// written by hand or by a practice's script: a long one is 10 KB.
	// Decoding TOML allocates up to 500 bytes for each byte of a hostile
	// file (see strict.MaxDepth), so the limit is lower than for FHIR.
	MaxRecordTOML = 1 << 20
	// MaxLetter bounds a letter's Markdown file beside a record.
	MaxLetter = 8 << 20
	// MaxApproval bounds an approval sidecar: a dozen short lines.
	MaxApproval = 64 << 10
	// MaxKey bounds a patient's OpenPGP public key file (a few KiB).
	MaxKey = 1 << 20
	// MaxPage bounds an education page's Markdown.
	MaxPage = 1 << 20
	// MaxSite bounds site.toml.
	MaxSite = 1 << 20
	// MaxBulkFile bounds one NDJSON file of a FHIR Bulk Data export, after
	// decompression: one resource type of a whole practice, which for
	// Observation can run to gigabytes. Files are read line by line, never
	// whole, so the limit only stops a runaway (a gzip bomb).
	MaxBulkFile = 64 << 30
	// MaxBulkLine bounds one line (one resource) of an NDJSON file: a
	// DocumentReference or Binary with its document inline is the largest.
	MaxBulkLine = 16 << 20
)

// Error is a file that cannot be read. Its message names the file and the
// reason, never anything in the file.
type Error struct {
	File   string // the path as the caller gave it
	Reason string // e.g. "not a regular file"
	err    error  // the underlying error, for errors.Is(err, fs.ErrNotExist)
}

func (e *Error) Error() string { return e.File + ": " + e.Reason }

// Unwrap returns the underlying error, if any.
func (e *Error) Unwrap() error { return e.err }

// Read returns the content of the file at path, which must be a regular
// file of at most max bytes resolving inside dir (the folder it was found
// in; the file's own folder when dir is empty). A symbolic link is followed
// only when it leads inside dir. Read never blocks on a FIFO and never reads
// more than max+1 bytes.
func Read(path, dir string, max int64) ([]byte, error) {
	f, err := Open(path, dir, max)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, &Error{File: path, Reason: reason(err), err: err}
	}
	if int64(len(data)) > max {
		return nil, &Error{File: path, Reason: tooLarge(max), err: nil}
	}
	return data, nil
}

// Open opens the file at path for reading, with the checks of Read: a
// regular file of at most max bytes (when it was opened) resolving inside
// dir. The caller reads it in pieces, bounding each itself.
func Open(path, dir string, max int64) (*os.File, error) {
	if dir == "" {
		dir = filepath.Dir(path)
	}
	bad := func(reason string, err error) (*os.File, error) {
		return nil, &Error{File: path, Reason: reason, err: err}
	}
	fi, err := os.Stat(path)
	if err != nil {
		return bad(reason(err), err)
	}
	if !fi.Mode().IsRegular() {
		return bad(notRegular(fi.Mode()), nil)
	}
	if ok, err := inside(path, dir); err != nil {
		return bad(reason(err), err)
	} else if !ok {
		return bad("a symbolic link to outside its folder: copy the file in instead", nil)
	}
	f, err := open(path)
	if err != nil {
		return bad(reason(err), err)
	}
	// The file may have been swapped since Stat: check what was opened.
	if fi, err = f.Stat(); err != nil {
		f.Close()
		return bad(reason(err), err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return bad(notRegular(fi.Mode()), nil)
	}
	if fi.Size() > max {
		f.Close()
		return bad(tooLarge(max), nil)
	}
	return f, nil
}

// TooLarge is the reason given for a file or a part of one over max bytes.
func TooLarge(max int64) string { return tooLarge(max) }

// inside reports whether path, with every symbolic link resolved, lies
// inside dir, likewise resolved.
func inside(path, dir string) (bool, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return false, err
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return false, err
	}
	if real, err = filepath.Abs(real); err != nil {
		return false, err
	}
	if root, err = filepath.Abs(root); err != nil {
		return false, err
	}
	rel, err := filepath.Rel(root, real)
	return err == nil && filepath.IsLocal(rel), nil
}

func notRegular(m fs.FileMode) string {
	kind := "a special file"
	switch {
	case m.IsDir():
		kind = "a folder"
	case m&fs.ModeNamedPipe != 0:
		kind = "a FIFO"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		kind = "a device"
	case m&fs.ModeSocket != 0:
		kind = "a socket"
	}
	return "not a regular file (" + kind + ")"
}

func tooLarge(max int64) string {
	return fmt.Sprintf("too large: the limit is %s", size(max))
}

// size writes n bytes in KiB or MiB.
func size(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	if n >= 1<<10 && n%(1<<10) == 0 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// reason describes an I/O error without its path (Error names the file).
func reason(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return "cannot read"
}

// Reason returns why Read failed, without the path, for callers that name
// the file their own way; any other error is described the same way.
func Reason(err error) string {
	var ie *Error
	if errors.As(err, &ie) {
		return ie.Reason
	}
	return reason(err)
}

// Reopen opens again a file that Open opened, when it is still the same
// file (os.SameFile) with the same size and modification time as was,
// which Open's file returned from Stat: the checks Open made then still
// hold, and are not made again.
func Reopen(path string, was fs.FileInfo) (*os.File, error) {
	f, err := open(path)
	if err != nil {
		return nil, &Error{File: path, Reason: reason(err), err: err}
	}
	fi, err := f.Stat()
	if err != nil || !os.SameFile(was, fi) || fi.Size() != was.Size() || !fi.ModTime().Equal(was.ModTime()) {
		f.Close()
		return nil, &Error{File: path, Reason: "changed while it was being read: run again"}
	}
	return f, nil
}
