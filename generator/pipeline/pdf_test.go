package pipeline

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/registry"
)

// pdfsIn lists the PDF copies in a bundle folder.
func pdfsIn(t *testing.T, dir string) []string {
	t.Helper()
	found, err := filepath.Glob(filepath.Join(dir, "*.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// Every live card gets its own PDF copy, named like its gpg file and
// listed beside it in the manifest; a revoked card's copy is gone after
// the next build, and turning the option off removes them all.
func TestEveryLiveCardHasItsOwnPDFAndARevokedCardsGoes(t *testing.T) {
	t.Parallel()
	cfg := samplePractice(t)
	if !cfg.PDF {
		t.Fatal("the sample practice does not write PDF copies")
	}
	at := clock()
	rep := buildAt(t, cfg, at)
	built := 0
	for _, p := range rep.Patients {
		if p.Status != Built {
			continue
		}
		built++
		dir := filepath.Join(cfg.Root, filepath.Dir(p.Bundle))
		if got := pdfsIn(t, dir); len(got) != len(p.Cards) {
			t.Errorf("%s: %d PDF copies for %d live cards", p.ID, len(got), len(p.Cards))
		}
		for _, c := range p.Cards {
			if !strings.HasPrefix(filepath.Base(c.PDF), "record-") || filepath.Ext(c.PDF) != ".pdf" {
				t.Errorf("%s card %d: PDF copy %q is not named record-<tag>.pdf", p.ID, c.Serial, c.PDF)
			}
			if c.GPG != p.Bundle && strings.TrimSuffix(c.GPG, ".pgp") != strings.TrimSuffix(c.PDF, ".pdf") {
				t.Errorf("%s card %d: PDF copy %q is not named like its gpg file %q", p.ID, c.Serial, c.PDF, c.GPG)
			}
			data, err := os.ReadFile(filepath.Join(cfg.Root, c.PDF))
			if err != nil || !bytes.HasPrefix(data, []byte("%PDF-")) {
				t.Errorf("%s card %d: no PDF at %s", p.ID, c.Serial, c.PDF)
			}
		}
	}
	if built == 0 {
		t.Fatal("no sample patient built")
	}

	// A second card for one patient, then that card revoked.
	id := "rmc-0001"
	reg, err := registry.Load(cfg.PrivateDir)
	if err != nil {
		t.Fatal(err)
	}
	reg.Add(id, "Carer", at)
	if err := reg.Save(); err != nil {
		t.Fatal(err)
	}
	p := patientOf(t, buildAt(t, cfg, at.Add(time.Minute)), id)
	if len(p.Cards) != 2 {
		t.Fatalf("%d cards, want 2", len(p.Cards))
	}
	revoked := filepath.Join(cfg.Root, p.Cards[1].PDF)
	if _, err := os.Stat(revoked); err != nil {
		t.Fatalf("the second card's PDF copy was not written: %v", err)
	}
	var m Manifest
	data, err := os.ReadFile(cfg.ManifestFile())
	if err != nil || json.Unmarshal(data, &m) != nil {
		t.Fatal("cannot read the manifest")
	}
	for _, e := range m.Patients {
		if e.ID == id && (len(e.Cards) != 2 || e.Cards[1].PDF != p.Cards[1].PDF || e.Cards[0].PDF == "") {
			t.Errorf("the manifest lists cards %+v, want each with its PDF copy", e.Cards)
		}
	}
	reg, err = registry.Load(cfg.PrivateDir)
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Revoke(id, p.Cards[1].Serial, at.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := reg.Save(); err != nil {
		t.Fatal(err)
	}
	p = patientOf(t, buildAt(t, cfg, at.Add(3*time.Minute)), id)
	if _, err := os.Stat(revoked); err == nil {
		t.Error("the revoked card's PDF copy is still published")
	}
	dir := filepath.Join(cfg.Root, filepath.Dir(p.Bundle))
	if got := pdfsIn(t, dir); len(got) != 1 || filepath.Join(cfg.Root, p.Cards[0].PDF) != got[0] {
		t.Errorf("after revoking: PDF copies %v, want only the live card's %s", got, p.Cards[0].PDF)
	}

	// pdf = false: no copies, and none left from before.
	cfg.PDF = false
	p = patientOf(t, buildAt(t, cfg, at.Add(4*time.Minute)), id)
	if got := pdfsIn(t, dir); len(got) != 0 || p.Cards[0].PDF != "" {
		t.Errorf("with pdf = false: PDF copies %v, card lists %q", got, p.Cards[0].PDF)
	}
}
