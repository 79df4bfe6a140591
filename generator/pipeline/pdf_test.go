package pipeline

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/internal/testtool"
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

// Each card's PDF copy opens with that card's key (as its QR code reads,
// without dashes) in qpdf and poppler, and holds the patient's name and
// first active problem; another card's key opens nothing; pdfinfo reports
// AES-256; and the file's raw bytes hold no name, NHS number or birth date.
func TestPDFCopiesOpenWithTheirCardAloneAndNameNobody(t *testing.T) {
	t.Parallel()
	testtool.Need(t, "qpdf", "pdftotext", "pdfinfo", "zbarimg")
	cfg := samplePractice(t)
	now := clock()
	rep := buildAt(t, cfg, now)
	pl, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	type copyOf struct {
		id, pdf, key string
		out          *record.Record
	}
	var copies []copyOf
	for _, p := range rep.Patients {
		if p.Status != Built {
			continue
		}
		pr := pl.Prepare(filepath.Join(cfg.Root, p.File), now)
		for _, c := range p.Cards {
			qr, err := testtool.Zbar(t, filepath.Join(cfg.Root, c.PNG))
			if err != nil {
				t.Fatal(err)
			}
			copies = append(copies, copyOf{p.ID, filepath.Join(cfg.Root, c.PDF), strings.ReplaceAll(qr, "-", ""), pr.Out()})
		}
	}
	if len(copies) < 5 {
		t.Fatalf("only %d PDF copies", len(copies))
	}
	for i, c := range copies {
		if c.out == nil {
			t.Fatalf("%s: built, but its record does not prepare", c.id)
		}
		out := filepath.Join(t.TempDir(), "plain.pdf")
		if b, err := exec.Command("qpdf", "--password="+c.key, "--decrypt", c.pdf, out).CombinedOutput(); err != nil {
			t.Errorf("%s: qpdf does not open the copy with its card's key: %v %.200s", c.id, err, b)
		}
		text, err := exec.Command("pdftotext", "-upw", c.key, c.pdf, "-").Output()
		if err != nil {
			t.Errorf("%s: pdftotext does not open the copy with its card's key: %v", c.id, err)
		}
		if !strings.Contains(string(text), c.out.Patient.Name) {
			t.Errorf("%s: the opened copy does not hold the patient's name", c.id)
		}
		for _, pb := range c.out.Problems {
			if pb.Status == "active" {
				if !strings.Contains(string(text), pb.Title) {
					t.Errorf("%s: the opened copy does not hold the first active problem", c.id)
				}
				break
			}
		}
		info, err := exec.Command("pdfinfo", "-upw", c.key, c.pdf).Output()
		if err != nil || !strings.Contains(string(info), "algorithm:AES-256") {
			t.Errorf("%s: pdfinfo does not report AES-256: %v", c.id, err)
		}
		wrong := copies[(i+1)%len(copies)].key
		if exec.Command("qpdf", "--password="+wrong, "--decrypt", c.pdf, out).Run() == nil {
			t.Errorf("%s: another card's key opens the copy in qpdf", c.id)
		}
		if exec.Command("pdftotext", "-upw", wrong, c.pdf, "-").Run() == nil {
			t.Errorf("%s: another card's key opens the copy in pdftotext", c.id)
		}
		raw, err := os.ReadFile(c.pdf)
		if err != nil {
			t.Fatal(err)
		}
		pat := c.out.Patient
		needles := []string{pat.Name, strings.ToUpper(pat.Name), pat.Born.ISO(), pat.Born.String(), pat.Born.Time.Format("2 January 2006"), pat.Born.Time.Format("2 Jan 2006")}
		if nhs := strings.ReplaceAll(pat.NHSNumber, " ", ""); nhs != "" {
			needles = append(needles, nhs, nhs[:3]+" "+nhs[3:6]+" "+nhs[6:])
		}
		for _, n := range needles {
			if n != "" && bytes.Contains(raw, []byte(n)) {
				t.Errorf("%s: the raw PDF holds the patient's name, NHS number or birth date", c.id)
			}
		}
	}
}
