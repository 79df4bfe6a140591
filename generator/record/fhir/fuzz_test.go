package fhir

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/satchel-records/satchel/internal/fuzzcheck"
)

// FuzzRead feeds the FHIR reader mutations of Satchel's own synthetic
// Bundles. Whatever it reads, it must not panic, every error line must name
// the file, no error may repeat the input, there are never more than
// twenty errors and a count, and a Bundle that reads reads alike twice.
func FuzzRead(f *testing.F) {
	files, _ := filepath.Glob("../../../internal/testtool/testdata/fhir/*/*.json")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(bytes.ReplaceAll(data, []byte(`"Example`), []byte(`"`+fuzzcheck.Canary)))
	}
	f.Add([]byte(`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"p","name":[{"text":"` + fuzzcheck.Canary + `"}],"birthDate":"` + fuzzcheck.Canary + `","` + fuzzcheck.Canary + `":1}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		const path = "records/fuzz.json"
		r, err := Read(path, data)
		if err != nil {
			fuzzcheck.InputError(t, path, err)
			return
		}
		if r.ID != "fuzz" || r.Source != path {
			t.Fatalf("read as %q from %q", r.ID, r.Source)
		}
		again, err := Read(path, data)
		if err != nil || len(again.Problems) != len(r.Problems) || len(again.Medications) != len(r.Medications) || again.Patient.Name != r.Patient.Name {
			t.Fatalf("a second read differs: %v", err)
		}
	})
}
