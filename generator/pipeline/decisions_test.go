package pipeline

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/satchel-records/satchel/generator/bundle"
	"github.com/satchel-records/satchel/internal/testtool"
)

// A DNACPR decision, whether an R4 Consent or a coded observation, opens
// the emergency summary of the decrypted document in plain words with its
// date; an immunisation recorded as not done is shown as not given, with
// its reason.
func TestDecisionsAndImmunisationsNotGivenAreShown(t *testing.T) {
	t.Parallel()
	var files []testtool.FHIRFile
	for _, f := range testtool.OwnFHIR(t) {
		if f.Name == "r4/decisions.json" {
			files = append(files, f)
		}
	}
	if len(files) != 1 {
		t.Fatal("r4/decisions.json is missing from our own FHIR data")
	}
	cfg, rep := buildPractice(t, files, func(testtool.FHIRFile) string { return "decisions.json" })
	p := rep.Patients[0]
	if p.Status != Built {
		t.Fatalf("status %s: %s %v", p.Status, p.Reason, p.Err)
	}
	doc := string(bundle.Find(openBundle(t, cfg, p.ID, filepath.Join(cfg.Root, p.Bundle)), bundle.Document).Data)
	// Words only: the glossary marks terms (CPR, DNACPR) with links.
	summary := words(regexp.MustCompile(`(?s)<section class="summary".*?</section>`).FindString(doc))
	for _, want := range []string{
		"Do not attempt CPR (DNACPR) decision recorded on 14 Sep 2026", // the Consent
		"Do not attempt CPR (DNACPR) decision recorded on 15 Sep 2026", // the coded observation
		"Recorded as: Not for attempted cardiopulmonary resuscitation",
		"Advance decision to refuse treatment recorded on 1 Feb 2025",
	} {
		if !strings.Contains(summary, want) {
			t.Errorf("the emergency summary does not say %q", want)
		}
	}
	if strings.Index(summary, "DNACPR") > strings.Index(summary, "Allergies") {
		t.Error("the DNACPR decision does not come before the allergies")
	}
	imms := words(regexp.MustCompile(`(?s)<section[^>]*id="section-immunisations".*?</section>`).FindString(doc))
	if !regexp.MustCompile(`(?s)Pneumococcal polysaccharide vaccine not given\s+Reason: patient objection`).MatchString(imms) {
		t.Error("the immunisation not given is not shown as not given with its reason")
	}
	if strings.Count(imms, "not given") != 1 {
		t.Error("the immunisation given is shown as not given")
	}
	if strings.Contains(doc, "Privacy policy acknowledgment") {
		t.Error("a research consent is shown as an advance decision")
	}
}

// words returns the text of HTML, without its tags.
func words(html string) string {
	return regexp.MustCompile(`<[^>]*>`).ReplaceAllString(html, "")
}
