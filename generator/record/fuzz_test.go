package record

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/satchel-records/satchel/internal/fuzzcheck"
)

// FuzzDecodeTOML feeds the TOML record reader mutations of the sample
// practice's synthetic records, with a canary planted in keys and values.
// It must not panic, every error line names the file, none repeats the
// canary, there are at most twenty and a count, and a record that reads
// reads alike twice.
func FuzzDecodeTOML(f *testing.F) {
	files, _ := filepath.Glob("../../sample-data/records/*.toml")
	for _, p := range files {
		if strings.HasSuffix(p, ".approval.toml") {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("[patient]\nname = \"Zq9 Canary\"\n\"Zq9 Canary\" = true\nborn = 1970-01-01\n[[problems]]\ntitle = \"Zq9 Canary\"\nstatus = \"Zq9 Canary\"\n[[letters]]\ntitle = \"x\"\nfile = \"Zq9 Canary.md\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const path = "fuzz-records/p.toml" // no such folder: letters never read
		r, err := DecodeTOML(path, data)
		if err != nil {
			fuzzcheck.InputError(t, path, err)
			return
		}
		if r.ID != "p" || r.Patient.Name == "" {
			t.Fatalf("read record %q with no patient name", r.ID)
		}
		again, err := DecodeTOML(path, bytes.Clone(data))
		if err != nil || again.Patient != r.Patient || len(again.Problems) != len(r.Problems) {
			t.Fatalf("a second read differs: %v", err)
		}
	})
}
