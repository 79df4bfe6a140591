package fhir

import (
	"encoding/json"
	"testing"

	"github.com/satchel-records/satchel/internal/testtool"
)

// BenchmarkRead reads every public FHIR example; compare its MB/s with
// BenchmarkJSONMap, plain encoding/json decoding of the same files into
// map[string]any.
func BenchmarkRead(b *testing.B) {
	files := testtool.PublicFHIR(b)
	b.SetBytes(totalSize(files))
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range files {
			if _, err := Read(f.Path, f.Data); err != nil {
				b.Fatalf("%s: %v", f.Name, err)
			}
		}
	}
}

// BenchmarkJSONMap is the baseline: decoding the fixtures into
// map[string]any, as a generic FHIR reader would.
func BenchmarkJSONMap(b *testing.B) {
	files := testtool.PublicFHIR(b)
	b.SetBytes(totalSize(files))
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range files {
			var m map[string]any
			if err := json.Unmarshal(f.Data, &m); err != nil {
				b.Fatalf("%s: %v", f.Name, err)
			}
		}
	}
}

func totalSize(files []testtool.FHIRFile) int64 {
	var n int64
	for _, f := range files {
		n += int64(len(f.Data))
	}
	return n
}
