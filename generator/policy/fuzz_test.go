package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/satchel-records/satchel/internal/fuzzcheck"
)

// FuzzReadApproval reads mutations of the sample practice's approval
// sidecars, written to a file as ReadApproval reads them, with a canary
// planted in keys and values. It must not panic, every error line names
// the file, none repeats the canary, and an approval that reads has an
// approver, a role and a well-formed digest.
func FuzzReadApproval(f *testing.F) {
	files, _ := filepath.Glob("../../sample-data/records/*.approval.toml")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("approver = \"Zq9 Canary\"\nrole = \"GP\"\ndate = 2026-11-01\nsha256 = \"Zq9 Canary\"\n\"Zq9 Canary\" = 1\n[competence]\nassessed_by = \"Zq9 Canary\"\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "p.approval.toml")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		a, err := ReadApproval(path)
		if err != nil {
			fuzzcheck.InputError(t, path, err)
			return
		}
		if a == nil || strings.TrimSpace(a.Approver) == "" || strings.TrimSpace(a.Role) == "" || !hexDigest.MatchString(a.SHA256) {
			t.Fatalf("an approval read without approver, role or digest")
		}
	})
}
