package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/satchel-records/satchel/generator/bundle"
	"github.com/satchel-records/satchel/generator/policy"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/record/load"
	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/internal/testtool"
)

// Every one of Satchel's own synthetic FHIR bundles (R4 and STU3) builds,
// and its decrypted record document holds as many problems, medicines,
// allergies, immunisations, results and findings as a count made from the
// source JSON, less what the rules withhold. This test always runs.
func TestOwnFHIRBundlesBuildWithAllTheirEntries(t *testing.T) {
	t.Parallel()
	files := testtool.OwnFHIR(t)
	// Names say the version: r4/labels.json is written as r4-labels.json.
	got := buildFHIR(t, files, func(f testtool.FHIRFile) string { return strings.ReplaceAll(f.Name, "/", "-") })
	if got.findings == 0 || got.named == 0 || got.withheld == 0 {
		t.Errorf("findings %d, released by name %d, withheld %d: our own data should exercise all three",
			got.findings, got.named, got.withheld)
	}
}

// Every public FHIR example imports unedited and builds likewise. They are
// a conformance suite outside the repository: see testtool.PublicFHIR.
func TestEveryFHIRFixtureBuildsWithAllItsEntries(t *testing.T) {
	t.Parallel()
	files := testtool.PublicFHIR(t)
	if len(files) < 6 {
		t.Fatalf("found %d public FHIR examples, want at least the 6 this suite was written for", len(files))
	}
	if got := buildFHIR(t, files, func(f testtool.FHIRFile) string { return filepath.Base(f.Name) }); got.findings == 0 {
		t.Error("no public example has a finding: the findings check proved nothing")
	}
}

// fhirBuild says what a build of FHIR files exercised.
type fhirBuild struct {
	findings int // findings in the records built
	named    int // labelled entries the approvals release by name
	withheld int // entries withheld all the same (third-party)
}

// buildFHIR writes files into a practice's records folder (each under
// fileName(f)), approves them, builds the practice and compares, patient
// by patient, the record document with an independent count of the
// source. An approval releases by name every entry that carries a
// security label, as a GP may after review; what is withheld all the same
// (third-party entries) is subtracted from the count.
func buildFHIR(t *testing.T, files []testtool.FHIRFile, fileName func(testtool.FHIRFile) string) fhirBuild {
	t.Helper()
	cfg, rep := buildPractice(t, files, fileName)
	if len(rep.Patients) != len(files) {
		t.Fatalf("%d patients in the report, %d files written", len(rep.Patients), len(files))
	}
	var out fhirBuild
	for _, p := range rep.Patients {
		t.Run(p.ID, func(t *testing.T) {
			if p.Status != Built {
				t.Fatalf("status %s: %s %v", p.Status, p.Reason, p.Err)
			}
			file := filepath.Join(cfg.Root, p.File)
			src, _ := os.ReadFile(file)
			want, err := testtool.CountFHIR(src)
			if err != nil {
				t.Fatal(err)
			}
			r, err := load.Record(file, src)
			if err != nil {
				t.Fatal(err)
			}
			appr, err := policy.ReadApproval(policy.ApprovalPath(file))
			if err != nil {
				t.Fatal(err)
			}
			// What the rules withhold, by section, is not in the document.
			withheld := 0
			for _, e := range policy.ForSite(cfg.Policy).Apply(r, appr, clock()).Entries {
				if !e.Exported {
					subtract(&want, r, e.Key)
					withheld++
				}
			}
			built := 0
			for _, n := range p.Withheld {
				built += n
			}
			if built != withheld {
				t.Errorf("the build withheld %d entries, the rules withhold %d", built, withheld)
			}
			files := openBundle(t, cfg, p.ID, filepath.Join(cfg.Root, p.Bundle))
			doc := string(bundle.Find(files, bundle.Document).Data)
			if got := documentCounts(doc); got != want {
				t.Errorf("document holds %+v, source has %+v (less what is withheld)", got, want)
			}
			out.findings += len(r.Findings)
			out.named += len(appr.Named)
			out.withheld += withheld
		})
	}
	return out
}

// labelled returns the keys of the entries of r that carry a security
// label.
func labelled(r *record.Record) []string {
	var keys []string
	for _, e := range r.Entries() {
		if m := record.Marked(e); len(m.Labels) > 0 {
			keys = append(keys, m.Key)
		}
	}
	return keys
}

// subtract takes the entry with key out of the count of its section.
func subtract(c *testtool.FHIRCounts, r *record.Record, key string) {
	has := func(n int, keyOf func(int) string) bool {
		for i := 0; i < n; i++ {
			if keyOf(i) == key {
				return true
			}
		}
		return false
	}
	switch {
	case has(len(r.Problems), func(i int) string { return r.Problems[i].Key }):
		c.Problems--
	case has(len(r.Medications), func(i int) string { return r.Medications[i].Key }):
		c.Medications--
	case has(len(r.Allergies), func(i int) string { return r.Allergies[i].Key }):
		c.Allergies--
	case has(len(r.Immunisations), func(i int) string { return r.Immunisations[i].Key }):
		c.Immunisations--
	case has(len(r.Results), func(i int) string { return r.Results[i].Key }):
		c.Results--
	case has(len(r.Findings), func(i int) string { return r.Findings[i].Key }):
		c.Findings--
	case has(len(r.AdvanceDecisions), func(i int) string { return r.AdvanceDecisions[i].Key }):
		c.AdvanceDecisions--
	}
}

// documentCounts counts the entries the record document shows, per section.
func documentCounts(doc string) testtool.FHIRCounts {
	return testtool.FHIRCounts{
		Problems:      entriesIn(doc, "section-problems"),
		Medications:   countIn(doc, "section-medications", `<li class="entry`),
		Allergies:     countIn(doc, "section-allergies", `<li class="entry`),
		Immunisations: countIn(doc, "section-immunisations", `<li class="entry`),
		Results:       countIn(doc, "section-results", `data-label="Range"`),
		Findings:      countIn(doc, "section-findings", `<li class="entry`),
		// Advance decisions are in the emergency summary.
		AdvanceDecisions: strings.Count(regexp.MustCompile(`(?s)<div class="summary-block summary-decisions">.*?</div>`).FindString(doc), "<li>"),
	}
}

// entriesIn counts the entries shown in the document's <section id="id">,
// where one item may stand for several (a problem recorded many times is
// shown once, data-entries saying how many entries it merges).
func entriesIn(doc, id string) int {
	m := regexp.MustCompile(`(?s)<section[^>]*\bid="` + id + `".*?</section>`).FindString(doc)
	n := 0
	for _, c := range regexp.MustCompile(`<li class="entry" data-entries="(\d+)"`).FindAllStringSubmatch(m, -1) {
		k, _ := strconv.Atoi(c[1])
		n += k
	}
	return n
}

// countIn counts marker inside the document's <section id="id">.
func countIn(doc, id, marker string) int {
	m := regexp.MustCompile(`(?s)<section[^>]*\bid="` + id + `".*?</section>`).FindString(doc)
	return strings.Count(m, marker)
}

func quoteTOML(s string) string { return `"` + strings.ReplaceAll(s, `\`, `\\`) + `"` }

// buildPractice writes files into a practice's records folder (each under
// fileName(f)), approves them (releasing labelled entries by name) and
// builds the practice.
func buildPractice(t *testing.T, files []testtool.FHIRFile, fileName func(testtool.FHIRFile) string) (*site.Config, *Report) {
	t.Helper()
	edu, err := filepath.Abs(filepath.Join("..", "..", "education"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	recs := filepath.Join(dir, "records")
	os.Mkdir(recs, 0o755)
	for _, f := range files {
		path := filepath.Join(recs, fileName(f))
		if err := os.WriteFile(path, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := load.Record(path, f.Data)
		if err != nil {
			t.Fatalf("%s does not import: %v", f.Name, err)
		}
		// Some patients are children: the approval records a competence
		// assessment so the counts can be checked.
		a := &policy.Approval{Approver: "Dr Test", Role: "GP", Date: record.NewDate(2026, 11, 20),
			Competence: &policy.Competence{AssessedBy: "Dr Test", Date: record.NewDate(2026, 11, 20)},
			Named:      labelled(r)}
		if err := a.Write(policy.ApprovalPath(path), policy.Inputs{Record: f.Data, Letters: r.Letters, Rules: policy.DefaultRules()}); err != nil {
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
	return cfg, rep
}
