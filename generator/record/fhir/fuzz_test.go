package fhir

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzCanary is planted in the seeds' names, keys and values. It has a
// digit and a space, so it is no resource type name either: no error may
// ever repeat it.
const fuzzCanary = "Zq9 Canary"

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
		f.Add(bytes.ReplaceAll(data, []byte(`"Example`), []byte(`"`+fuzzCanary)))
	}
	f.Add([]byte(`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"p","name":[{"text":"` + fuzzCanary + `"}],"birthDate":"` + fuzzCanary + `","` + fuzzCanary + `":1}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		const path = "records/fuzz.json"
		r, err := Read(path, data)
		if err != nil {
			checkErr(t, path, err)
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

// checkErr holds what every input error must be: each line names the file,
// none repeats the canary, at most twenty and a count.
func checkErr(t *testing.T, path string, err error) {
	t.Helper()
	msg := err.Error()
	if strings.Contains(msg, "Zq9") || strings.Contains(msg, "Canary") {
		t.Fatalf("the error repeats the input: %q", msg)
	}
	lines := strings.Split(msg, "\n")
	if len(lines) > 21 {
		t.Fatalf("%d error lines", len(lines))
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, path+":") {
			t.Fatalf("an error line does not start with the file: %q", l)
		}
	}
}
