package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/generator/site"
)

// A bug that panics while building one patient fails that patient with a
// message that prints nothing of the record, instead of ending the run.
func TestAPanicFailsOnePatientWithoutItsData(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "p1.toml")
	data := []byte("[patient]\nname = \"Quentin Marrowglen\"\nborn = 1970-01-01\n")
	os.WriteFile(path, data, 0o644)
	a := &policy.Approval{Approver: "Dr T", Role: "GP", Date: record.NewDate(2026, 11, 1)}
	if err := a.Write(policy.ApprovalPath(path), policy.Inputs{Record: data, Rules: policy.DefaultRules()}); err != nil {
		t.Fatal(err)
	}
	// No library, renderer or viewer: building panics on a nil pointer.
	pl := &Pipeline{cfg: &site.Config{Root: dir, RecordsDir: dir, PublicDir: filepath.Join(dir, "public"), PrivateDir: filepath.Join(dir, "private")},
		rules: policy.DefaultRules()}
	reg, err := registry.Load(pl.cfg.PrivateDir)
	if err != nil {
		t.Fatal(err)
	}
	b := &builder{Pipeline: pl, now: clock(), master: make([]byte, 32), reg: reg}
	p := b.patient(path)
	if p.Status != Failed || p.Err == nil {
		t.Fatalf("status %s, err %v; want failed", p.Status, p.Err)
	}
	if !strings.Contains(p.Err.Error(), "internal error") || strings.Contains(p.Err.Error(), "Marrowglen") {
		t.Errorf("error %q", p.Err)
	}
}
