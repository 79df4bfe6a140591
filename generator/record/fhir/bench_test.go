package fhir

import (
	"encoding/json"
	"testing"
)

// BenchmarkRead reads every fixture; compare its MB/s with BenchmarkJSONMap,
// plain encoding/json decoding of the same files into map[string]any.
func BenchmarkRead(b *testing.B) {
	files := loadFixtures(b)
	b.SetBytes(totalSize(files))
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range files {
			if _, err := Read(f.path, f.data); err != nil {
				b.Fatalf("%s: %v", f.name, err)
			}
		}
	}
}

// BenchmarkJSONMap is the baseline: decoding the fixtures into
// map[string]any, as a generic FHIR reader would.
func BenchmarkJSONMap(b *testing.B) {
	files := loadFixtures(b)
	b.SetBytes(totalSize(files))
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range files {
			var m map[string]any
			if err := json.Unmarshal(f.data, &m); err != nil {
				b.Fatalf("%s: %v", f.name, err)
			}
		}
	}
}

func totalSize(files []fixture) int64 {
	var n int64
	for _, f := range files {
		n += int64(len(f.data))
	}
	return n
}
