package render

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/record"
)

// A coded problem a GP Connect export lists once per linked consultation
// is shown once, in the summary and in the problem list, from its earliest
// date, with the other dates it was recorded. Problems of another code or
// status, and uncoded ones, are not merged.
func TestDuplicatedProblemsAreShownOnceWithTheirLinkedDates(t *testing.T) {
	t.Parallel()
	asthma := record.Code{System: record.SNOMED, Value: "195967001"}
	rec := &record.Record{Patient: record.Patient{Name: "Test Patient", Born: date(1970, time.January, 2)}}
	for _, d := range []record.Date{date(2021, time.March, 4), date(2019, time.May, 6), date(2023, time.July, 8), date(2021, time.March, 4)} {
		rec.Problems = append(rec.Problems, record.Problem{Code: asthma, Title: "Asthma", Status: "active", Onset: d})
	}
	rec.Problems = append(rec.Problems,
		record.Problem{Code: asthma, Title: "Asthma", Status: "resolved", Onset: date(2001, time.January, 1)},
		record.Problem{Title: "Back pain", Status: "active", Onset: date(2020, time.January, 1)},
		record.Problem{Title: "Back pain", Status: "active", Onset: date(2022, time.January, 1)},
	)
	out := unmark(render(t, newRenderer(t, "default", nil), testDocument(rec)))
	section := regexp.MustCompile(`(?s)<section[^>]*id="section-problems".*?</section>`).FindString(out)
	if n := strings.Count(section, "<p class=\"entry-title\">Asthma</p>"); n != 1 {
		t.Errorf("active asthma listed %d times, want once", n)
	}
	if !strings.Contains(section, "Since 6 May 2019") || !strings.Contains(section, "Also recorded 4 Mar 2021, 8 Jul 2023") {
		t.Error("the merged problem does not show its earliest date and the linked ones")
	}
	if !strings.Contains(section, `data-entries="4"`) {
		t.Error("the merged problem does not say it stands for 4 entries")
	}
	if strings.Count(section, "Back pain") != 2 || !strings.Contains(section, "Asthma <span class=\"badge\">Resolved</span>") {
		t.Error("uncoded problems, or the same code with another status, were merged")
	}
	summary := regexp.MustCompile(`(?s)<section class="summary".*?</section>`).FindString(out)
	if n := strings.Count(summary, "<strong>Asthma</strong>"); n != 1 {
		t.Errorf("the summary lists active asthma %d times, want once", n)
	}
}

// A document whose text is not in the export (a PDF, a scan, a link to
// the practice's system) is listed with a note saying where it is, not as
// an empty letter.
func TestDocumentWithoutTextSaysItIsHeldAtThePractice(t *testing.T) {
	t.Parallel()
	rec := &record.Record{Patient: record.Patient{Name: "Test Patient", Born: date(1970, time.January, 2)},
		Letters: []record.Letter{{Title: "Scanned letter", Date: date(2023, time.March, 8)}, {Title: "Clinic letter", Body: "Seen in clinic."}}}
	out := unmark(render(t, newRenderer(t, "default", nil), testDocument(rec)))
	if n := strings.Count(out, "Document held at the practice: its text is not in this record."); n != 1 {
		t.Errorf("the note on a document without text appears %d times, want once (the letter with text has none)", n)
	}
}
