// Package bundle packs and unpacks the files sealed inside a patient's
// bundle: the record document, its FHIR form and the practice's public key.
// It is a plain zip with fixed names and times, so the same input always
// gives the same bytes.
package bundle

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"sync"
	"time"

	"github.com/klauspost/compress/flate"
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
	// to the viewer around it. klauspost/compress's deflate makes the same
	// format as compress/flate's at about twice the speed (BestSpeed, on
	// the sample documents, a similar size). Writers come from a pool: a
	// fresh one costs more than compressing a record's files.
	zw.RegisterCompressor(zip.Deflate, pooledDeflate)
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

// deflaters holds BestSpeed flate writers between files and bundles; Reset
// makes a pooled writer's output identical to a new one's.
var deflaters = sync.Pool{New: func() any {
	w, err := flate.NewWriter(nil, flate.BestSpeed)
	if err != nil {
		panic(err) // only for a bad level, and BestSpeed is a good one
	}
	return w
}}

// pooledDeflate is a zip compressor that returns its flate writer to
// deflaters when the zip writer closes it.
func pooledDeflate(w io.Writer) (io.WriteCloser, error) {
	fw := deflaters.Get().(*flate.Writer)
	fw.Reset(w)
	return &pooledWriter{fw}, nil
}

type pooledWriter struct{ fw *flate.Writer }

func (p *pooledWriter) Write(b []byte) (int, error) {
	if p.fw == nil {
		return 0, errors.New("write to a closed bundle file")
	}
	return p.fw.Write(b)
}

func (p *pooledWriter) Close() error {
	if p.fw == nil {
		return nil
	}
	err := p.fw.Close()
	if err == nil {
		deflaters.Put(p.fw)
	}
	p.fw = nil
	return err
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
