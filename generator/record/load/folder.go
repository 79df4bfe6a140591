package load

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/record/bulk"
)

// Folder is a records folder with its FHIR Bulk Data exports indexed: a
// subfolder holding NDJSON files is an export, and each of its patients
// is listed as the path bulk.Patient.Path (the export's folder joined with
// the patient's id), which is not a file: Read reads it from the export.
// An export with problems is listed as its folder's path too, which fails
// to read with them.
type Folder struct {
	dir string

	mu      sync.Mutex
	exports map[string]*bulk.Export // by the export's folder path
	listed  []string                // what Files last listed; nil before
}

// NewFolder returns the records folder dir; nothing is read until Files.
func NewFolder(dir string) *Folder { return &Folder{dir: dir} }

// Files lists the record files in the folder, as Files does, and each
// patient of each export in it; it indexes the exports afresh.
func (f *Folder) Files() ([]string, error) {
	files, err := Files(f.dir)
	if err != nil {
		return nil, err
	}
	entries, _ := os.ReadDir(f.dir)
	exports := map[string]*bulk.Export{}
	for _, e := range entries {
		if !e.IsDir() && bulk.IsFile(e.Name()) {
			// Listed, so that reading it says where it belongs.
			files = append(files, filepath.Join(f.dir, e.Name()))
		}
	}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || len(bulk.Files(filepath.Join(f.dir, e.Name()))) == 0 {
			continue
		}
		dir := filepath.Join(f.dir, e.Name())
		x, err := bulk.Open(dir)
		if err != nil {
			return nil, err
		}
		exports[dir] = x
		if x.Problems() != nil {
			files = append(files, dir)
		}
		for _, p := range x.Patients() {
			files = append(files, p.Path)
		}
	}
	sort.Strings(files)
	f.mu.Lock()
	f.exports, f.listed = exports, files
	f.mu.Unlock()
	return files, nil
}

// Find returns the path of patient id's record, as Files lists it. The
// folder is listed (and its exports indexed) the first time only, so that
// approving a thousand patients of an export reads it once.
func (f *Folder) Find(id string) (string, error) {
	f.mu.Lock()
	files := f.listed
	f.mu.Unlock()
	if files == nil {
		var err error
		if files, err = f.Files(); err != nil {
			return "", err
		}
	}
	return find(files, f.dir, id)
}

// IsBulk reports whether Bulk would take path as a patient (or the
// problems) of an export, without reading anything.
func (f *Folder) IsBulk(path string) bool {
	if bulk.IsFile(filepath.Base(path)) && filepath.Dir(path) == f.dir {
		return true
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.exports[path] != nil || f.exports[filepath.Dir(path)] != nil
}

// ExportOf returns, for path naming a patient of a bulk export, the
// export's folder and the id of the patient's Patient resource: where a
// person finds the record, since path is no file. ok is false for any
// other path.
func (f *Folder) ExportOf(path string) (folder, fhirID string, ok bool) {
	f.mu.Lock()
	x := f.exports[filepath.Dir(path)]
	f.mu.Unlock()
	if x == nil {
		return "", "", false
	}
	p := x.Patient(path)
	if p == nil {
		return "", "", false
	}
	return filepath.Dir(path), p.FHIRID(), true
}

// Bulk reports whether path is a patient (or the problems) of an export
// that Files listed, and if so reads it: the patient's record data (the
// Bundle the approval covers) and record.
func (f *Folder) Bulk(path string) (data []byte, rec *record.Record, ok bool, err error) {
	if bulk.IsFile(filepath.Base(path)) && filepath.Dir(path) == f.dir {
		return nil, nil, true, fmt.Errorf("%s: an NDJSON file of a bulk export: put the export's files in a folder of their own inside the records folder (such as %s)", path, filepath.Join(f.dir, "export"))
	}
	f.mu.Lock()
	exports := f.exports
	f.mu.Unlock()
	if x := exports[path]; x != nil {
		return nil, nil, true, x.Problems()
	}
	x := exports[filepath.Dir(path)]
	if x == nil {
		return nil, nil, false, nil
	}
	p := x.Patient(path)
	if p == nil {
		return nil, nil, true, fmt.Errorf("%s: no such patient in the export", path)
	}
	data, rec, err = x.Read(p)
	return data, rec, true, err
}

func find(files []string, dir, id string) (string, error) {
	var found []string
	for _, f := range files {
		if record.Stem(f) == id {
			found = append(found, f)
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("no record for patient %s in %s", id, dir)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("patient %s has more than one record file in %s: keep one", id, dir)
}
