// Package bundle packs and unpacks the files sealed inside a patient's
// bundle: the record document, its FHIR form and the practice's public key.
// It is a plain zip with fixed names and times, so the same input always
// gives the same bytes.
package bundle

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"time"
)

// Names of the files a bundle may hold.
const (
	Document    = "document.html"    // the record document people read
	FHIR        = "record.json"      // the same record as a FHIR R4 document Bundle
	PracticeKey = "practice-key.asc" // the key that signed the bundle
	Info        = "bundle.json"      // the signed metadata (provenance.Info)
)

// Names are the only file names a bundle may write out: satchel open
// writes these and nothing else.
var Names = []string{Document, FHIR, PracticeKey, Info}

// ErrUnknownFile means a bundle holds a file that is not one of Names, or
// one of them twice: it was not made by Satchel, and none of its files may
// be written. errors.Is(ErrUnknownFile, ErrNotBundle) holds.
var ErrUnknownFile error = &unknownFile{}

type unknownFile struct{}

func (*unknownFile) Error() string {
	return "the record holds a file Satchel never writes: it was not made by Satchel"
}
func (*unknownFile) Unwrap() error { return ErrNotBundle }

// CheckNames returns ErrUnknownFile, wrapped with the offending name
// quoted (control characters escaped), unless every file has one of Names
// and no name comes twice. Call it before writing any file of a bundle.
func CheckNames(files []File) error {
	seen := make(map[string]bool, len(files))
	for _, f := range files {
		if seen[f.Name] || !slices.Contains(Names, f.Name) {
			name := f.Name
			if len(name) > 64 {
				name = name[:64] + "..."
			}
			return fmt.Errorf("%w (%q)", ErrUnknownFile, name)
		}
		seen[f.Name] = true
	}
	return nil
}

// File is one file in a bundle.
type File struct {
	Name string
	Data []byte
}

// maxSize bounds what Unpack accepts per file: a record is far smaller, and
// a hostile zip must not exhaust a phone's memory.
const maxSize = 64 << 20

// Pack zips files, in the order given, with a fixed modification time so
// the output is byte-stable.
func Pack(files []File, modified time.Time) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	// The fastest deflate: the zip is a few percent larger, and packing
	// stops being a quarter of a build's CPU time. The bundle is small next
	// to the viewer around it.
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
	for _, f := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: modified.UTC()})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(f.Data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ErrNotBundle means the decrypted data is not a Satchel bundle.
var ErrNotBundle = errors.New("the file does not hold a Satchel record")

// Unpack reads the files of a bundle. It refuses names with folders, so
// writing them out can never escape the destination folder, and requires a
// record document.
func Unpack(data []byte) ([]File, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, ErrNotBundle
	}
	var files []File
	hasDoc := false
	for _, zf := range zr.File {
		if zf.Name != path.Base(zf.Name) || zf.Name == "." || zf.Name == ".." || zf.FileInfo().IsDir() {
			return nil, fmt.Errorf("%w: unexpected file name", ErrNotBundle)
		}
		if zf.UncompressedSize64 > maxSize {
			return nil, fmt.Errorf("%w: file too large", ErrNotBundle)
		}
		rc, err := zf.Open()
		if err != nil {
			return nil, ErrNotBundle
		}
		b, err := io.ReadAll(io.LimitReader(rc, maxSize+1))
		rc.Close()
		if err != nil || len(b) > maxSize {
			return nil, ErrNotBundle
		}
		if zf.Name == Document {
			hasDoc = true
		}
		files = append(files, File{Name: zf.Name, Data: b})
	}
	if !hasDoc {
		return nil, fmt.Errorf("%w: no record document", ErrNotBundle)
	}
	return files, nil
}

// Find returns the file called name, or nil.
func Find(files []File, name string) *File {
	for i := range files {
		if files[i].Name == name {
			return &files[i]
		}
	}
	return nil
}
