package render

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/record"
)

// rowTitles returns the results table's rows as "title|date", with panel
// headings as "# panel".
func rowTitles(t *testing.T, out string) []string {
	t.Helper()
	sec := sectionOf(t, out, "section-results")
	var rows []string
	re := regexp.MustCompile(`(?s)<tr class="panel"><th scope="colgroup" colspan="4">(.*?)</th></tr>|<th scope="row">(.*?)</th>.*?<td class="result-date" data-label="Date">(.*?)</td>`)
	for _, m := range re.FindAllStringSubmatch(unmark(sec), -1) {
		if m[1] != "" {
			rows = append(rows, "# "+m[1])
		} else {
			rows = append(rows, m[2]+"|"+m[3])
		}
	}
	return rows
}

func TestResultsAreNewestFirstGroupedByTest(t *testing.T) {
	t.Parallel()
	rec := fullRecord()
	bp := func(setting string, d record.Date, sys, dia float64) []record.Result {
		return []record.Result{
			{Code: record.Code{System: "LOINC", Value: "8480-6"}, Title: "Systolic (" + setting + ")", Value: ptr(sys), Unit: "mmHg", Date: d, Panel: "Blood pressure"},
			{Code: record.Code{System: "LOINC", Value: "8462-4"}, Title: "Diastolic (" + setting + ")", Value: ptr(dia), Unit: "mmHg", Date: d, Panel: "Blood pressure"},
		}
	}
	rec.Results = nil
	rec.Results = append(rec.Results, bp("clinic", date(2026, time.September, 22), 166, 98)...)
	rec.Results = append(rec.Results, bp("home", date(2026, time.September, 28), 152, 94)...)
	rec.Results = append(rec.Results,
		record.Result{Title: "HbA1c", Value: ptr(39), Unit: "mmol/mol", Date: date(2026, time.October, 8)},
		record.Result{Title: "ECG", Text: "Sinus rhythm"},
		record.Result{Title: "HbA1c", Value: ptr(44), Unit: "mmol/mol", Date: date(2025, time.October, 1)},
		record.Result{Title: "Body mass index", Value: ptr(28.9), Unit: "kg/m2", Date: date(2026, time.September, 22)},
	)
	rec.Results = append(rec.Results, bp("clinic", date(2026, time.November, 5), 142, 88)...)
	got := strings.Join(rowTitles(t, render(t, newRendererWith(t), testDocument(rec))), "\n")
	want := strings.Join([]string{
		"# Blood pressure",
		"Systolic (clinic)|5 Nov 2026", "Diastolic (clinic)|5 Nov 2026",
		"Systolic (home)|28 Sep 2026", "Diastolic (home)|28 Sep 2026",
		"Systolic (clinic)|22 Sep 2026", "Diastolic (clinic)|22 Sep 2026",
		"HbA1c|8 Oct 2026", "HbA1c|1 Oct 2025",
		"Body mass index|22 Sep 2026",
		"ECG|not recorded",
	}, "\n")
	if got != want {
		t.Errorf("results table rows:\n%s\nwant (newest first, grouped by test, one panel heading):\n%s", got, want)
	}
}

func TestImmunisationsAreNewestFirstGroupedByVaccine(t *testing.T) {
	t.Parallel()
	rec := fullRecord()
	rec.Immunisations = []record.Immunisation{
		{Vaccine: "Influenza vaccine", Date: date(2023, time.October, 2)},
		{Vaccine: "Tetanus booster", Date: date(2010, time.May, 1)},
		{Vaccine: "Influenza vaccine", Date: date(2025, time.October, 6)},
		{Vaccine: "Pneumococcal vaccine"},
		{Vaccine: "COVID-19 vaccine", Date: date(2024, time.April, 20)},
	}
	sec := unmark(sectionOf(t, render(t, newRendererWith(t), testDocument(rec)), "section-immunisations"))
	var got []string
	for _, m := range regexp.MustCompile(`(?s)<p class="entry-title">(.*?)</p>\s*<p class="entry-meta">(.*?)</p>`).FindAllStringSubmatch(sec, -1) {
		got = append(got, m[1]+"|"+m[2])
	}
	want := []string{
		"Influenza vaccine|Given 6 Oct 2025", "Influenza vaccine|Given 2 Oct 2023",
		"COVID-19 vaccine|Given 20 Apr 2024",
		"Tetanus booster|Given 1 May 2010",
		"Pneumococcal vaccine|Given: date not recorded",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("immunisations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestATargetRangeIsShownAsATarget(t *testing.T) {
	t.Parallel()
	rec := fullRecord()
	rec.Results = []record.Result{
		{Title: "INR", Value: ptr(3.6), Low: ptr(2), High: ptr(3), RangeType: record.RangeTarget, Date: date(2026, time.August, 31)},
		{Title: "Sodium", Value: ptr(140), Unit: "mmol/L", Low: ptr(133), High: ptr(146), Date: date(2026, time.August, 31)},
	}
	sec := unmark(sectionOf(t, render(t, newRendererWith(t), testDocument(rec)), "section-results"))
	for _, want := range []string{`<td class="result-range" data-label="Range">Target: 2 to 3</td>`, `<td class="result-range" data-label="Range">Normal: 133 to 146 mmol/L</td>`} {
		if !strings.Contains(sec, want) {
			t.Errorf("results table lacks %s", want)
		}
	}
	if strings.Contains(sec, "Normal range") {
		t.Error("the results table heads a target range as a normal range")
	}
}
