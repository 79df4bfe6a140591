package synth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/satchel-records/satchel/generator/record/load"
	"github.com/satchel-records/satchel/internal/testtool"
)

func TestNHSNumbersAreValidAndInTestRange(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for i := 0; i < 3000; i++ {
		n := NHSNumber(i)
		if !strings.HasPrefix(n, "999 ") || !testtool.ValidNHSNumber(n) {
			t.Fatalf("NHSNumber(%d) = %s is not a valid 999-range number", i, n)
		}
		seen[n] = true
	}
	if len(seen) < 2500 {
		t.Errorf("only %d distinct numbers in 3000", len(seen))
	}
	if testtool.ValidNHSNumber("999 000 0019") {
		t.Error("a wrong check digit passed")
	}
}

// The repository's sample practice must only hold synthetic NHS numbers.
func TestSampleNHSNumbersAreSynthetic(t *testing.T) {
	t.Parallel()
	files, err := load.Files(filepath.Join("..", "..", "sample-data", "records"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		data, _ := os.ReadFile(f)
		r, err := load.Record(f, data)
		if err != nil {
			t.Fatalf("sample record does not load: %v", err)
		}
		if r.Patient.NHSNumber == "" {
			continue
		}
		n++
		if !strings.HasPrefix(strings.ReplaceAll(r.Patient.NHSNumber, " ", ""), "999") || !testtool.ValidNHSNumber(r.Patient.NHSNumber) {
			t.Errorf("%s: NHS number is not a valid 999 test-range number", filepath.Base(f))
		}
	}
	if n == 0 {
		t.Error("no sample record has an NHS number")
	}
}

func TestWrittenPracticeLoads(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := Write(dir, Options{Patients: 20, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	files, err := load.Files(filepath.Join(dir, "records"))
	if err != nil || len(files) != 20 {
		t.Fatalf("%d files, %v", len(files), err)
	}
	for _, f := range files {
		data, _ := os.ReadFile(f)
		if _, err := load.Record(f, data); err != nil {
			t.Fatal(err)
		}
	}
}
