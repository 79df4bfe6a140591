package render

import (
	"strings"
	"testing"
)

// A summary-only document (a summary-only key card's) shows who it is
// about, the emergency summary and its provenance, and nothing the full
// record's other sections, letters or pages hold.
func TestSummaryOnlyDocumentHoldsTheSummaryAndNothingElse(t *testing.T) {
	t.Parallel()
	r := newRenderer(t, "default", nil)
	full := unmark(render(t, r, testDocument(fullRecord())))
	d := testDocument(fullRecord())
	d.SummaryOnly = true
	out := unmark(render(t, r, d))

	// In the summary: identity, provenance, allergies, current medicines,
	// active problems, alerts, devices, the key result; and the note.
	for _, want := range []string{"Alex Example", "999 123 4568", "Dr Sam Example", "Penicillin", "Ramipril 5mg capsules",
		"High blood pressure", "Difficult airway", "Cardiac pacemaker", "HbA1c", `class="summary-only-note"`, "This is the emergency summary only"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary-only document lacks %q", want)
		}
	}
	// Only in the full record: past problems and medicines, other results,
	// immunisations, old procedures, letters, visits, referrals, pages,
	// the contents and the safety section.
	for _, only := range []string{"Asthma (resolved)", "Amoxicillin", "Sodium", "Sinus rhythm", "Influenza vaccine", "Appendicectomy",
		"Cardiology clinic letter", "Continue ramipril", "GP consultation", "diabetic eye screening",
		"Living with high blood pressure", `id="section-safety"`, "In this record"} {
		if !strings.Contains(full, only) {
			t.Fatalf("the full record lacks %q: the test's record is wrong", only)
		}
		if strings.Contains(out, only) {
			t.Errorf("summary-only document holds %q, which only the full record may", only)
		}
	}
	if strings.Contains(full, "This is the emergency summary only") {
		t.Error("the full record says it is the emergency summary only")
	}
	if ext := externalRefs(out); len(ext) > 0 {
		t.Errorf("summary-only document references outside itself: %v", ext)
	}
}
