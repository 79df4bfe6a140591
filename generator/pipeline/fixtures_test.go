package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/satchel-records/satchel/generator/cardkey"

	"github.com/satchel-records/satchel/generator/bundle"
	"github.com/satchel-records/satchel/generator/load"
	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/registry"
	"github.com/satchel-records/satchel/generator/seal"
	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/internal/testtool"
)

const fixtureDir = "../../../shared/fixtures/fhir"

// Every public FHIR example imports unedited, builds, and its decrypted
// record document holds as many problems, medicines, allergies,
// immunisations and results as a count made from the source JSON.
func TestEveryFHIRFixtureBuildsWithAllItsEntries(t *testing.T) {
	fixtures, _ := filepath.Glob(filepath.Join(fixtureDir, "*", "*.json"))
	if len(fixtures) < 6 {
		t.Fatalf("found %d FHIR fixtures in %s, want the 6 shared ones", len(fixtures), fixtureDir)
	}
	edu, err := filepath.Abs(filepath.Join("..", "..", "sample-data", "education"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	recs := filepath.Join(dir, "records")
	os.Mkdir(recs, 0o755)
	for _, f := range fixtures {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(recs, filepath.Base(f))
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := load.Record(path, data)
		if err != nil {
			t.Fatalf("%s does not import: %v", filepath.Base(f), err)
		}
		// Some example patients are children: the approval records a
		// competence assessment so the counts can be checked.
		a := &policy.Approval{Approver: "Dr Test", Role: "GP", Date: record.NewDate(2026, 11, 20),
			Competence: &policy.Competence{AssessedBy: "Dr Test", Date: record.NewDate(2026, 11, 20)}}
		if err := a.Write(policy.ApprovalPath(path), data, r); err != nil {
			t.Fatal(err)
		}
	}
	siteToml := "records = \"records\"\neducation = " + quoteTOML(edu) + "\n\n[practice]\nname = \"Fixture Practice\"\naddress = \"1 Test Street\"\nphone = \"01632 960000\"\nods_code = \"Y99999\"\n"
	os.WriteFile(filepath.Join(dir, "site.toml"), []byte(siteToml), 0o644)
	cfg, err := site.Load(filepath.Join(dir, "site.toml"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), cfg, Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	master, err := cardkey.LoadMaster(cfg.PrivateDir)
	if err != nil {
		t.Fatal(err)
	}
	reg, _ := registry.Load(cfg.PrivateDir)
	findings := 0
	for _, p := range rep.Patients {
		t.Run(p.ID, func(t *testing.T) {
			if p.Status != policy.Built {
				t.Fatalf("status %s: %s %v", p.Status, p.Reason, p.Err)
			}
			src, _ := os.ReadFile(filepath.Join(cfg.Root, p.File))
			want, err := testtool.CountFHIR(src)
			if err != nil {
				t.Fatal(err)
			}
			msg, err := os.ReadFile(filepath.Join(cfg.Root, p.Bundle))
			if err != nil {
				t.Fatal(err)
			}
			o, err := seal.Open(msg, cardkey.Derive(master, p.ID, reg.Live(p.ID)[0].Serial).Passphrase(), nil)
			if err != nil {
				t.Fatal(err)
			}
			files, err := bundle.Unpack(o.Plaintext)
			if err != nil {
				t.Fatal(err)
			}
			doc := string(bundle.Find(files, bundle.Document).Data)
			withheld := 0
			for _, n := range p.Withheld {
				withheld += n
			}
			if withheld > 0 {
				t.Fatalf("%d entries withheld: the counts below would not compare like with like", withheld)
			}
			if got := documentCounts(doc); got != want {
				t.Errorf("document holds %+v, source has %+v", got, want)
			}
			// Coded findings without a value ("never smoked") are shown too.
			r, err := load.Record(filepath.Join(cfg.Root, p.File), src)
			if err != nil {
				t.Fatal(err)
			}
			if got := countIn(doc, "section-findings", `<li class="entry`); got != len(r.Findings) {
				t.Errorf("document shows %d findings, the record has %d", got, len(r.Findings))
			}
			findings += len(r.Findings)
		})
	}
	if findings == 0 {
		t.Error("no fixture has a finding: the findings check proved nothing")
	}
}

// documentCounts counts the entries the record document shows, per section.
func documentCounts(doc string) testtool.FHIRCounts {
	return testtool.FHIRCounts{
		Problems:      countIn(doc, "section-problems", `<li class="entry`),
		Medications:   countIn(doc, "section-medications", `<li class="entry`),
		Allergies:     countIn(doc, "section-allergies", `<li class="entry`),
		Immunisations: countIn(doc, "section-immunisations", `<li class="entry`),
		Results:       countIn(doc, "section-results", `data-label="Normal range"`),
		Findings:      countIn(doc, "section-findings", `<li class="entry`),
	}
}

// countIn counts marker inside the document's <section id="id">.
func countIn(doc, id, marker string) int {
	m := regexp.MustCompile(`(?s)<section[^>]*\bid="` + id + `".*?</section>`).FindString(doc)
	return strings.Count(m, marker)
}

func quoteTOML(s string) string { return `"` + strings.ReplaceAll(s, `\`, `\\`) + `"` }
