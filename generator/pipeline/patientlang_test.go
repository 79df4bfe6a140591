package pipeline

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A patient's record sets the language their document opens in and its
// theme; the site's stay the default for everyone else.
func TestPatientRecordSetsLanguageAndTheme(t *testing.T) {
	t.Parallel()
	rec := func(extra string) string {
		return "[patient]\nname = \"Test Patient\"\nborn = 1970-01-01\nnhs_number = \"9999999999\"\n" + extra + "\n[[allergies]]\nsubstance = \"Penicillin\"\n"
	}
	cfg := practiceWithPolicy(t, "", map[string]string{
		"p1": rec(""),
		"p2": rec("language = \"it\"\ntheme = \"large-print\""),
		"p3": rec("language = \"fr\""),
		"p4": rec("theme = \"no-such-theme\""),
	})
	cfg.Languages = []string{"fr"}
	p, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, time.December, 1, 0, 0, 0, 0, time.UTC)
	doc := func(id string) (string, error) {
		pr := p.Prepare(filepath.Join(cfg.RecordsDir, id+".toml"), now)
		if pr.Record == nil || pr.Decision.Out == nil {
			t.Fatalf("%s: %v", id, pr.Reason)
		}
		// Awaiting approval: judged as if approved, which is not what
		// this test is about.
		pr.Status = Built
		b, _, err := p.renderDocument(pr, docMeta{now: now, bundleID: "b"})
		return string(b), err
	}
	site, err := doc("p1")
	if err != nil {
		t.Fatal(err)
	}
	it, err := doc("p2")
	if err != nil {
		t.Fatal(err)
	}
	fr, err := doc("p3")
	if err != nil {
		t.Fatal(err)
	}
	checked := func(out, code string) bool {
		return strings.Contains(out, `id="satchel-lang-`+code+`" value="`+code+`" checked>`)
	}
	// The site's patient: English first, French to switch to, no Italian.
	if !checked(site, "en") || checked(site, "fr") || strings.Contains(site, `lang="it"`) {
		t.Error("a patient with no language of their own does not open in English with the site's languages")
	}
	// Italian is not one of the site's languages: it is added for p2.
	if !checked(it, "it") || !strings.Contains(it, `id="satchel-lang-fr"`) {
		t.Error("a patient whose record says it does not open in Italian")
	}
	if !checked(fr, "fr") {
		t.Error("a patient whose record says fr does not open in French")
	}
	// large-print's own rules are in p2's document only.
	const large = "Large-print theme"
	if strings.Contains(site, large) || !strings.Contains(it, large) {
		t.Errorf("large-print theme: in the site's document %v, in p2's %v", strings.Contains(site, large), strings.Contains(it, large))
	}
	if _, err := doc("p4"); err == nil || !strings.Contains(err.Error(), "p4.toml") || !strings.Contains(err.Error(), "patient.theme") || !strings.Contains(err.Error(), "no-such-theme") {
		t.Errorf("an unknown theme: err = %v", err)
	}
}
