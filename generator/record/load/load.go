// Package load finds the record files in a practice's records folder and reads
// each in whichever format it holds: Satchel's TOML, a FHIR Bundle, or a
// patient of a FHIR Bulk Data export (a subfolder of NDJSON files, read by
// package bulk).
package load

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/record/fhir"
)

// Files lists the record files in dir, sorted by name: Satchel TOML records
// and FHIR JSON, but not approval sidecars, letters or hidden files.
// Anything named like a record is listed, a folder or a FIFO too: reading
// it then fails, naming it, rather than the record being silently missed.
func Files(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read the records folder", dir)
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".approval.toml") {
			continue
		}
		if strings.HasSuffix(name, ".toml") || strings.HasSuffix(name, ".json") {
			files = append(files, filepath.Join(dir, name))
		}
	}
	return files, nil
}

// Find returns the record file of patient id in dir, or the path a
// patient of a bulk export goes by (see Folder).
func Find(dir, id string) (string, error) {
	return NewFolder(dir).Find(id)
}

// Record decodes data, the content of the record file at path: Satchel's
// TOML format for .toml, a FHIR R4 or STU3 Bundle for .json.
func Record(path string, data []byte) (*record.Record, error) {
	switch {
	case strings.HasSuffix(path, ".toml"):
		return record.DecodeTOML(path, data)
	case strings.HasSuffix(path, ".json"):
		return fhir.Read(path, data)
	}
	return nil, fmt.Errorf("%s: unsupported record format", path)
}
