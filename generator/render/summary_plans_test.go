package render_test

import (
	"html"
	"strings"
	"testing"
)

// The emergency summary lists the care and action plans in force and the
// next of kin or emergency contacts, with their numbers in international
// form as tel: links: the asthma patient (rmc-0004, TOML) and the
// hypertension patient (rmc-0011, FHIR). A plan the release policy
// withholds (rmc-0011's PSY-labelled crisis plan) is nowhere in the
// document, a completed one only in the full list; every other patient's
// summary says no contact is recorded.
func TestSampleSummariesGiveCarePlansAndContacts(t *testing.T) {
	t.Parallel()
	r := sampleRenderer(t, "default")
	want := map[string][]string{
		"rmc-0004": {
			`class="summary-block summary-care-plans"`, `<strong>Asthma action plan</strong>`,
			`<strong>Simone Baptiste</strong> <span class="detail">(Mother, next of kin)</span><br><a class="phone" href="tel:+447700900318">+44 7700 900318</a>`,
			`<strong>Priya Raman</strong> <span class="detail">(Flatmate)</span><br><span class="detail"><span class="l" lang="en">Phone number not recorded`,
		},
		"rmc-0011": {
			`class="summary-block summary-care-plans"`, `<strong>Blood pressure self-monitoring plan</strong>`, "Dated",
			`<strong>Adaeze Okonjo</strong> <span class="detail">(Partner)</span><br><a class="phone" href="tel:+447700900461">+44 7700 900461</a>`,
		},
	}
	seen := 0
	for _, p := range samplePatients(t) {
		out := html.UnescapeString(unmark(renderSample(t, r, p)))
		start := strings.Index(out, `id="summary"`)
		box := out[start : start+strings.Index(out[start:], "</section>")]
		if !strings.Contains(box, "Next of kin and emergency contacts") {
			t.Errorf("%s: the summary has no contacts block", p.ID)
		}
		w, ok := want[p.ID]
		if !ok {
			if !strings.Contains(box, "No next of kin or emergency contact recorded") {
				t.Errorf("%s: the summary does not say that no contact is recorded", p.ID)
			}
			continue
		}
		seen++
		for _, s := range w {
			if !strings.Contains(box, s) {
				t.Errorf("%s: the summary lacks %s", p.ID, s)
			}
		}
		if strings.Contains(box, "No next of kin or emergency contact recorded") {
			t.Errorf("%s: the summary says no contact is recorded", p.ID)
		}
		if p.ID == "rmc-0011" {
			if strings.Contains(out, "Mental health crisis plan") {
				t.Error("rmc-0011: the withheld (PSY) care plan is in the document")
			}
			if strings.Contains(box, "Smoking cessation plan") || !strings.Contains(out, `Smoking cessation plan <span class="badge"><span class="l" lang="en">Not in force`) {
				t.Error("rmc-0011: the completed care plan should be in the full list only, marked not in force, and not in the summary")
			}
		}
	}
	if seen != len(want) {
		t.Fatalf("found %d of the %d sample patients", seen, len(want))
	}
}
