package render

import (
	"html"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/record"
)

// A contact's number is printed in international form as a tel: link: a
// UK number as +44, another country's as written; one that cannot be
// dialled is printed as recorded with no link. What is missing says so.
// Only plans in force are in the summary, with their date or "Date not
// recorded".
func TestSummaryContactsAndPlans(t *testing.T) {
	t.Parallel()
	rec := fullRecord()
	rec.Contacts = []record.Contact{
		{Relationship: "Son", Name: "Tom Example", Phone: "+33 6 12 34 56 78"},
		{Name: "Ann Example", Phone: "ask at reception"},
		{Relationship: "Niece", Phone: "(01632) 960 555"},
	}
	rec.CarePlans = []record.CarePlan{
		{Title: "Falls plan", Status: "active"},
		{Title: "Draft plan", Status: "draft", Date: date(2025, time.April, 1)},
		{Title: "On-hold plan", Status: "on-hold"},
	}
	out := html.UnescapeString(unmark(render(t, newRenderer(t, "default", nil), testDocument(rec))))
	box := summaryOf(t, out)
	for _, want := range []string{
		`<strong>Tom Example</strong> <span class="detail">(Son)</span><br><a class="phone" href="tel:+33612345678">+33 6 12 34 56 78</a>`,
		`<strong>Ann Example</strong> <span class="detail">(Contact)</span><br><span class="phone">ask at reception</span>`,
		`<strong>Name not recorded</strong> <span class="detail">(Niece)</span><br><a class="phone" href="tel:+441632960555">+44 1632 960555</a>`,
		`<strong>Falls plan</strong><br><span class="when">Date not recorded</span>`,
	} {
		if !strings.Contains(box, want) {
			t.Errorf("the summary lacks %s", want)
		}
	}
	for _, notWant := range []string{"Draft plan", "On-hold plan", "No next of kin or emergency contact recorded"} {
		if strings.Contains(box, notWant) {
			t.Errorf("the summary has %q", notWant)
		}
	}
	if !strings.Contains(out, `Draft plan <span class="badge">Not in force</span>`) {
		t.Error("the full list does not mark the draft plan not in force")
	}
}
