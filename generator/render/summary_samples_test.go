package render_test

import (
	"strings"
	"testing"
)

// TestSampleSummariesGiveAgeAndTheLatestKeyResults checks the emergency
// summary of the warfarin patient (rmc-0008) shows the newest INR, and the
// metformin patient's (rmc-0003) the newest eGFR, each with its date, and
// both their ages on the record's date.
func TestSampleSummariesGiveAgeAndTheLatestKeyResults(t *testing.T) {
	t.Parallel()
	r := sampleRenderer(t, "default")
	want := map[string][]string{
		"rmc-0008": {`<strong>INR</strong> <span class="value">2.6</span>`, `<span class="when"><span class="l" lang="en">16 Nov 2026</span>`, "81 years"},
		"rmc-0003": {`<strong>eGFR (CKD-EPI)</strong> <span class="value">47</span> <span class="unit">mL/min/1.73m2</span>`, `<span class="when"><span class="l" lang="en">10 Nov 2026</span>`},
		"rmc-0002": {`Procedures in the last two years`, `<span class="when"><span class="l" lang="en">18 Sep 2025</span>`},
	}
	seen := 0
	for _, p := range samplePatients(t) {
		w, ok := want[p.ID]
		if !ok {
			continue
		}
		seen++
		out := unmark(renderSample(t, r, p))
		start := strings.Index(out, `id="summary"`)
		box := out[start : start+strings.Index(out[start:], "</section>")]
		for _, s := range w {
			if !strings.Contains(box, s) && !strings.Contains(out[:start], s) {
				t.Errorf("%s: the summary lacks %s", p.ID, s)
			}
		}
		if strings.Count(box, `class="summary-block summary-results"`) != 1 {
			t.Errorf("%s: no key results block", p.ID)
		}
	}
	if seen != len(want) {
		t.Fatalf("found %d of the %d sample patients", seen, len(want))
	}
}
