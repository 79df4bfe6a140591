package bulk

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/satchel-records/satchel/internal/fuzzcheck"
)

// FuzzExport reads an export whose Condition file is the fuzzer's, beside
// a good Patient. Whatever it holds, nothing may panic, every error line
// must name a file of the export, none may repeat the input, and there
// are never more than twenty errors and a count.
func FuzzExport(f *testing.F) {
	f.Add([]byte(condition("1", "p1") + "\n" + condition("2", "p1") + "\n"))
	f.Add([]byte(`{"resourceType":"` + fuzzcheck.Canary + `","subject":{"reference":"Patient/p1"}}` + "\n"))
	f.Add([]byte(`{"resourceType":"Condition","subject":{"reference":"Patient/p1"},"onsetDateTime":"` + fuzzcheck.Canary + `","code":{"text":"` + fuzzcheck.Canary + `"}}` + "\n"))
	f.Add([]byte(`{"resourceType":"Condition","subject":"` + fuzzcheck.Canary + `"}` + "\n{\n"))
	f.Add([]byte(`{"resourceType":"Condition","subject":{"reference":"Patient/` + fuzzcheck.Canary + `"}}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := filepath.Join(t.TempDir(), "exp")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		pat := strings.Replace(pat1, "Secretname", fuzzcheck.Canary, 1)
		if err := os.WriteFile(filepath.Join(dir, "Patient.ndjson"), []byte(pat+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "Condition.ndjson"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		x, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		fuzzcheck.InputError(t, dir, x.Problems())
		for _, p := range x.Patients() {
			_, rec, err := x.Read(p)
			fuzzcheck.InputError(t, dir, err)
			if err == nil && rec.ID != p.ID {
				t.Fatalf("read as %q", rec.ID)
			}
		}
	})
}
