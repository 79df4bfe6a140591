package render

import (
	"bytes"
	"errors"
	"html"
	"html/template"
	"io/fs"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/satchel-records/satchel/generator/content"
	"github.com/satchel-records/satchel/generator/layers"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/templates"
	"github.com/satchel-records/satchel/themes"
)

// testMarkdown is a Markdowner whose output the tests can predict, and
// which can be made to fail: it escapes the text, makes "# " paragraphs
// headings with ids prefixed as content.Markdown prefixes them, and the rest
// paragraphs. TestLettersRenderWithTheSitesMarkdown uses the real one.
type testMarkdown struct{ fail bool }

func (m testMarkdown) Render(src []byte, idPrefix string) (template.HTML, error) {
	if m.fail {
		return "", errors.New("markdown failed near: " + string(src))
	}
	var b strings.Builder
	for _, para := range strings.Split(strings.TrimSpace(string(src)), "\n\n") {
		if h, ok := strings.CutPrefix(para, "# "); ok {
			id := idPrefix + "_" + strings.ToLower(strings.ReplaceAll(h, " ", "-"))
			b.WriteString(`<h2 id="` + html.EscapeString(id) + `">` + html.EscapeString(h) + "</h2>\n")
			continue
		}
		b.WriteString("<p>" + html.EscapeString(para) + "</p>\n")
	}
	return template.HTML(b.String()), nil
}

func ptr(f float64) *float64 { return &f }

func date(y int, m time.Month, d int) record.Date { return record.NewDate(y, m, d) }

// fullRecord is a synthetic patient with something in every section.
func fullRecord() *record.Record {
	return &record.Record{
		ID: "p1",
		Patient: record.Patient{
			Name: "Alex Example", Born: date(1961, time.March, 14), NHSNumber: "9991234568", Sex: "female",
		},
		Problems: []record.Problem{
			{Title: "Asthma (resolved)", Status: "resolved", Onset: record.Date{Time: time.Date(1975, 1, 1, 0, 0, 0, 0, time.UTC), Precision: record.Year}},
			{Title: "High blood pressure", Status: "active", Onset: date(2019, time.March, 3), Code: record.Code{System: "SNOMED", Value: "38341003"}},
			{Title: "Type 2 diabetes", Status: "active", Code: record.Code{System: "http://snomed.info/sct", Value: "44054006"}},
		},
		Medications: []record.Medication{
			{Name: "Ramipril 5mg capsules", Dose: "One capsule once a day", Status: "current", Kind: "repeat", Start: date(2019, time.March, 3), Review: date(2025, time.September, 1)},
			{Name: "Metformin 500mg tablets", Dose: "One tablet twice a day with food", Status: "current", Kind: "repeat"},
			{Name: "Amoxicillin 500mg capsules", Dose: "Three times a day for 5 days", Status: "stopped", Kind: "acute", Start: date(2024, time.May, 1), End: date(2024, time.May, 6)},
		},
		Allergies: []record.Allergy{
			{Substance: "Penicillin", Reaction: "Anaphylaxis", Severity: "severe", Recorded: date(1990, time.June, 1)},
			{Substance: "Elastoplast", Reaction: "Itchy rash", Severity: "mild"},
		},
		Immunisations: []record.Immunisation{{Vaccine: "Influenza vaccine", Date: date(2024, time.October, 12)}},
		Results: []record.Result{
			{Title: "Systolic", Value: ptr(152), Unit: "mmHg", High: ptr(140), Low: ptr(90), Date: date(2025, time.February, 2), Panel: "Blood pressure"},
			{Title: "Diastolic", Value: ptr(88), Unit: "mmHg", High: ptr(90), Low: ptr(60), Date: date(2025, time.February, 2), Panel: "Blood pressure"},
			{Title: "Sodium", Value: ptr(131), Unit: "mmol/L", Low: ptr(133), High: ptr(146), Date: date(2025, time.January, 20)},
			{Title: "HbA1c", Value: ptr(48), Unit: "mmol/mol", Date: date(2025, time.January, 20)},
			{Title: "ECG", Text: "Sinus rhythm, rate 72.", Date: date(2024, time.December, 1)},
		},
		Procedures: []record.Procedure{{Title: "Appendicectomy", Date: record.Date{Time: time.Date(1988, 1, 1, 0, 0, 0, 0, time.UTC), Precision: record.Year}}},
		Letters: []record.Letter{
			{Title: "Cardiology clinic letter", From: "Dr Example, cardiology", Date: date(2025, time.March, 1), Body: "# Plan\n\nContinue ramipril."},
			{Title: "Diabetes review", Date: date(2025, time.April, 1), Body: "# Plan\n\nRecheck HbA1c in six months."},
		},
		Devices:    []record.Device{{Title: "Cardiac pacemaker", Date: date(2021, time.July, 9)}},
		Alerts:     []record.Alert{{Title: "Difficult airway", Date: date(2018, time.May, 5)}},
		CarePlans:  []record.CarePlan{{Title: "Diabetes care plan", Summary: "Annual foot check and eye screening.", Date: date(2025, time.January, 5)}},
		Encounters: []record.Encounter{{Title: "GP consultation", Date: date(2025, time.February, 2)}},
		Referrals:  []record.Referral{{Title: "Referral to diabetic eye screening", Status: "active", Date: date(2025, time.January, 5)}},
	}
}

func testPages() []*content.Page {
	return []*content.Page{{
		Slug:       "high-blood-pressure",
		Title:      "Living with high blood pressure",
		Codes:      []record.Code{{System: "SNOMED", Value: "38341003"}},
		Reviewed:   date(2024, time.November, 1),
		NextReview: date(2027, time.November, 1),
		Source:     "Example Practice clinical team",
		Body:       template.HTML("<p>High blood pressure rarely has symptoms.</p>\n<h2 id=\"high-blood-pressure-what-to-do\">What to do</h2>\n<p>Take your medicine every day.</p>"),
	}}
}

func testDocument(rec *record.Record) *Document {
	return &Document{
		Practice: site.Practice{Name: "Example Practice", Address: "1 Example Street, Exampletown", Phone: "01632 960123", ODS: "Y12345"},
		Record:   rec,
		Pages:    testPages(),
		Approval: Approval{By: "Dr Sam Example", Role: "GP", Date: date(2025, time.May, 30)},
		Exported: time.Date(2025, time.June, 3, 14, 5, 0, 0, time.UTC),
		BundleID: "b-7f3a9c",
	}
}

func newRenderer(t testing.TB, theme string, practiceTemplates fs.FS) *Renderer {
	t.Helper()
	stack := layers.Of(templates.FS())
	if practiceTemplates != nil {
		stack = layers.Of(practiceTemplates, templates.FS())
	}
	r, err := New(theme, stack, layers.Of(themes.FS()), testMarkdown{})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

// glossaryMark is a term the glossary marked.
var glossaryMark = regexp.MustCompile(`<a class="glossary-term" [^>]*>([^<]*)</a>`)

// unmark removes the glossary's marks, for tests of what the text says.
func unmark(s string) string { return glossaryMark.ReplaceAllString(s, "$1") }

func render(t testing.TB, r *Renderer, d *Document) string {
	t.Helper()
	var b bytes.Buffer
	if err := r.Render(&b, d); err != nil {
		t.Fatalf("Render: %v", err)
	}
	return b.String()
}

func TestFullRecordShowsSummaryBeforeEverySection(t *testing.T) {
	t.Parallel()
	out := unmark(render(t, newRenderer(t, "default", nil), testDocument(fullRecord())))
	summary := strings.Index(out, `id="summary"`)
	if summary < 0 {
		t.Fatal("no emergency summary")
	}
	for _, want := range []string{
		`id="section-problems"`, `id="section-medications"`, `id="section-allergies"`,
		`id="section-immunisations"`, `id="section-results"`, `id="section-procedures"`,
		`id="section-letters"`, `id="section-devices"`, `id="section-care-plans"`,
		`id="section-encounters"`, `id="section-referrals"`, `id="section-understanding"`,
		`id="high-blood-pressure"`, `id="section-safety"`,
	} {
		at := strings.Index(out, want)
		if at < 0 {
			t.Errorf("missing %s", want)
			continue
		}
		if at < summary {
			t.Errorf("%s comes before the emergency summary", want)
		}
	}
	// The summary holds what a clinician needs first.
	end := strings.Index(out[summary:], "</section>")
	box := out[summary : summary+end]
	for _, want := range []string{"Difficult airway", "Penicillin", "Anaphylaxis", "Severe", "Ramipril 5mg capsules", "High blood pressure", "Type 2 diabetes", "Cardiac pacemaker"} {
		if !strings.Contains(box, want) {
			t.Errorf("emergency summary is missing an expected entry (%d)", len(want))
		}
	}
	for _, notWant := range []string{"Amoxicillin", "Asthma (resolved)"} {
		if strings.Contains(box, notWant) {
			t.Error("emergency summary shows a past entry")
		}
	}
	if strings.Contains(box, "No allergies in this record. This does not prove there are none: always ask the patient.") {
		t.Error("summary says no known allergies although some are recorded")
	}
	for _, want := range []string{
		"Alex Example", "14 Mar 1961", "999 123 4568", "Example Practice", "01632 960123",
		"b-7f3a9c",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("header or footer is missing an expected value (%d chars)", len(want))
		}
	}
	// How old the record is and who approved it are in the summary itself.
	for _, want := range []string{
		"<dt>Exported</dt><dd>3 Jun 2025</dd>",
		"<dt>Approved by</dt><dd>Dr Sam Example (GP) on 30 May 2025</dd>",
	} {
		if !strings.Contains(box, want) {
			t.Errorf("emergency summary is missing %q", want)
		}
	}
}

func TestActiveProblemsComeBeforePastOnes(t *testing.T) {
	t.Parallel()
	out := render(t, newRenderer(t, "default", nil), testDocument(fullRecord()))
	section := out[strings.Index(out, `id="section-problems"`):]
	active, past := strings.Index(section, "High blood pressure"), strings.Index(section, "Asthma (resolved)")
	if active < 0 || past < 0 || past < active {
		t.Error("past problem listed before an active one, or missing")
	}
	meds := out[strings.Index(out, `id="section-medications"`):]
	if c, p := strings.Index(meds, "Ramipril"), strings.Index(meds, "Amoxicillin"); c < 0 || p < 0 || p < c {
		t.Error("past medicine listed before a current one, or missing")
	}
	if !strings.Contains(meds, "Review by 1 Sep 2025") || !strings.Contains(meds, "Review by: date not recorded") {
		t.Error("repeat medicines do not show their review date, or its absence")
	}
}

func TestEachSectionAppearsOnlyWhenItHasEntries(t *testing.T) {
	t.Parallel()
	full := fullRecord()
	tests := []struct {
		id  string
		set func(r *record.Record)
	}{
		{"section-problems", func(r *record.Record) { r.Problems = full.Problems }},
		{"section-medications", func(r *record.Record) { r.Medications = full.Medications }},
		{"section-allergies", func(r *record.Record) { r.Allergies = full.Allergies }},
		{"section-immunisations", func(r *record.Record) { r.Immunisations = full.Immunisations }},
		{"section-results", func(r *record.Record) { r.Results = full.Results }},
		{"section-procedures", func(r *record.Record) { r.Procedures = full.Procedures }},
		{"section-letters", func(r *record.Record) { r.Letters = full.Letters }},
		{"section-devices", func(r *record.Record) { r.Devices = full.Devices }},
		{"section-care-plans", func(r *record.Record) { r.CarePlans = full.CarePlans }},
		{"section-encounters", func(r *record.Record) { r.Encounters = full.Encounters }},
		{"section-referrals", func(r *record.Record) { r.Referrals = full.Referrals }},
	}
	r := newRenderer(t, "default", nil)
	// Using your record safely is in every document, and the glossary in
	// every one that uses a term; the rest only when they have entries.
	sectionID := regexp.MustCompile(`<section [^>]*id="section-(?:[a-fh-rt-z]|s[^a])[a-z-]*"`)
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			rec := &record.Record{Patient: full.Patient}
			tt.set(rec)
			d := testDocument(rec)
			d.Pages = nil
			out := render(t, r, d)
			got := sectionID.FindAllString(out, -1)
			if len(got) != 1 || !strings.HasSuffix(got[0], `id="`+tt.id+`"`) {
				t.Errorf("sections shown = %v, want only %s", got, tt.id)
			}
			if !strings.Contains(out, `href="#`+tt.id+`"`) {
				t.Error("table of contents does not link to the section")
			}
		})
	}
}

func TestEmptyRecordSaysNoKnownAllergiesAndShowsNoSections(t *testing.T) {
	t.Parallel()
	d := testDocument(&record.Record{Patient: record.Patient{Name: "Alex Example"}})
	d.Pages = nil
	out := render(t, newRenderer(t, "default", nil), d)
	for _, want := range []string{"No allergies in this record. This does not prove there are none: always ask the patient.", "No current medicines recorded", "No active problems recorded", `id="summary"`} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q", want)
		}
	}
	for _, notWant := range []string{`id="section-p`, `id="section-m`, `id="section-r`, "Devices and implants", "Alerts"} {
		if strings.Contains(out, notWant) {
			t.Errorf("empty record shows %q", notWant)
		}
	}
	if !strings.Contains(out, `id="section-safety"`) || !strings.Contains(out, `href="#section-safety"`) {
		t.Error("an empty record lacks Using your record safely, or the link to it")
	}
	// Unrecorded identity fields say so rather than showing blanks.
	if !strings.Contains(out, "<dd>not recorded</dd>") {
		t.Error("a missing date of birth is not shown as not recorded")
	}
}

func TestResultsOutsideTheirRangeAreFlaggedInWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		res       record.Result
		flag      string
		wantRange string
	}{
		{"above high", record.Result{Value: ptr(152), Low: ptr(90), High: ptr(140), Unit: "mmHg"}, "High", "90 to 140 mmHg"},
		{"below low", record.Result{Value: ptr(131), Low: ptr(133), High: ptr(146)}, "Low", "133 to 146"},
		{"inside", record.Result{Value: ptr(140), Low: ptr(90), High: ptr(140)}, "", "90 to 140"},
		{"no range", record.Result{Value: ptr(48)}, "", ""},
		{"only a lower limit", record.Result{Value: ptr(2.5), Low: ptr(3)}, "Low", "at least 3"},
		{"only an upper limit", record.Result{Value: ptr(5.25), High: ptr(5.2)}, "High", "up to 5.2"},
		{"text only", record.Result{Text: "Normal", Low: ptr(1), High: ptr(2)}, "", "1 to 2"},
	}
	r := newRenderer(t, "default", nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := result(tt.res)
			if got.Flag != tt.flag || got.Range != tt.wantRange {
				t.Errorf("flag %q range %q, want %q %q", got.Flag, got.Range, tt.flag, tt.wantRange)
			}
			res := tt.res
			res.Title = "Test"
			res.Unit = "units"
			d := testDocument(&record.Record{Patient: record.Patient{Name: "A"}, Results: []record.Result{res}})
			out := render(t, r, d)
			for _, f := range []string{"High", "Low"} {
				shown := strings.Contains(out, `<strong class="flag flag-`+f+`">`+f+`</strong>`)
				if shown != (f == tt.flag) {
					t.Errorf("%s shown = %v, want %v", f, shown, f == tt.flag)
				}
			}
			if tt.flag != "" && !strings.Contains(out, `out-of-range`) {
				t.Error("out-of-range row is not styled")
			}
		})
	}
}

func TestRecordTextIsEscaped(t *testing.T) {
	t.Parallel()
	const evil = `<script>alert(1)</script><img src=x onerror=alert(2)>`
	rec := fullRecord()
	rec.Patient.Name = evil
	rec.Patient.NHSNumber = evil
	rec.Patient.Sex = evil
	rec.Problems[1].Title = evil
	rec.Medications[0].Name = evil
	rec.Medications[0].Dose = evil
	rec.Medications[0].Kind = evil
	rec.Allergies[0].Reaction = evil
	rec.Allergies[0].Severity = evil
	rec.Results[0].Text = evil
	rec.Results[0].Unit = evil
	rec.Results[0].Panel = evil
	rec.Letters[0].Title = evil
	rec.Letters[0].From = evil
	rec.Letters[0].Body = evil
	rec.Alerts[0].Title = evil
	rec.CarePlans[0].Summary = evil
	rec.Referrals[0].Status = evil
	d := testDocument(rec)
	d.Practice.Name = evil
	d.Approval.By = evil
	d.BundleID = evil
	d.Pages[0].Title = evil
	d.Pages[0].Slug = `x" onmouseover="alert(3)`
	d.Pages[0].Source = evil
	out := render(t, newRenderer(t, "default", nil), d)
	for _, bad := range []string{"<script", "<img", `" onmouseover="`} {
		if strings.Contains(strings.ToLower(out), bad) {
			t.Errorf("record text reached the document unescaped (%s)", bad)
		}
	}
	if !strings.Contains(out, "&lt;script&gt;") {
		t.Error("escaped record text is missing")
	}
}

// externalRefs returns anything in a document that would load something
// from elsewhere or run code: remote URLs, attributes that point anywhere but
// into the document or at a data: URI, CSS url()s that are not data: URIs,
// and the elements that fetch or script.
func externalRefs(doc string) []string {
	// An inline chart's SVG namespace names the SVG vocabulary; nothing
	// is fetched from it.
	doc = strings.ReplaceAll(doc, `xmlns="http://www.w3.org/2000/svg"`, "")
	var bad []string
	bad = append(bad, regexp.MustCompile(`(?i)https?://|@import|<(?:script|link|iframe|object|embed|base|frame)\b`).FindAllString(doc, -1)...)
	attr := regexp.MustCompile(`(?i)\b(?:src|href|action|formaction|srcset|poster|background|xlink:href)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))`)
	for _, m := range attr.FindAllStringSubmatch(doc, -1) {
		v := strings.TrimSpace(m[1] + m[2] + m[3])
		// tel: and mailto: links fetch nothing: they hand a number or an
		// address to the phone or the mail program.
		lv := strings.ToLower(html.UnescapeString(v))
		if !strings.HasPrefix(v, "#") && !strings.HasPrefix(lv, "data:") && !regexp.MustCompile(`^(tel:\+[0-9]+|mailto:[^:/?#]+@[^:/?#]+)$`).MatchString(lv) {
			bad = append(bad, m[0])
		}
	}
	for _, m := range regexp.MustCompile(`(?i)url\(\s*["']?([^"')\s]*)`).FindAllStringSubmatch(doc, -1) {
		if !strings.HasPrefix(strings.ToLower(m[1]), "data:") {
			bad = append(bad, m[0])
		}
	}
	return bad
}

func TestDocumentReferencesNothingOutsideItself(t *testing.T) {
	t.Parallel()
	for _, theme := range []string{"default", "large-print"} {
		t.Run(theme, func(t *testing.T) {
			// With a chart, glossary marks, flags and translations too.
			rec := highRiskRecord()
			rec.Results = append(rec.Results, seriesRecord().Results...)
			r, err := New(theme, layers.Of(templates.FS()), layers.Of(themes.FS()), testMarkdown{}, Languages("fr", "de"))
			if err != nil {
				t.Fatal(err)
			}
			out := render(t, r, testDocument(rec))
			if !strings.Contains(out, "<svg") || !strings.Contains(out, `class="glossary-term"`) {
				t.Fatal("the document lacks a chart or glossary marks to check")
			}
			if bad := externalRefs(out); len(bad) > 0 {
				t.Errorf("external reference or script in the document: %q", bad)
			}
			if !strings.Contains(out, `http-equiv="Content-Security-Policy" content="default-src 'none';`) {
				t.Error("document lacks its own content security policy")
			}
		})
	}
	// The check itself catches what it is meant to, and only that.
	for _, bad := range []string{`<img src="https://x">`, `<a href="x.html">`, `<img src=x>`, `url(x.png)`, `url("dangerous.png")`, `<script>`, `@import "a.css"`, `<link rel=stylesheet>`, `<a href='//example.org/'>`} {
		if len(externalRefs(bad)) == 0 {
			t.Errorf("reference check misses %s", bad)
		}
	}
	for _, good := range []string{`<a href="#summary">`, `url(data:image/png;base64,AA)`, `<img src="data:image/png;base64,AA">`, `<td data-label="Result">`} {
		if len(externalRefs(good)) > 0 {
			t.Errorf("reference check flags %s", good)
		}
	}
}

func TestInDocumentLinksAllHaveATarget(t *testing.T) {
	t.Parallel()
	rec := fullRecord()
	rec.Results = append(rec.Results, seriesRecord().Results...)
	out := render(t, newRenderer(t, "default", nil), testDocument(rec))
	ids := map[string]int{}
	for _, m := range regexp.MustCompile(`\bid="([^"]+)"`).FindAllStringSubmatch(out, -1) {
		ids[m[1]]++
	}
	for id, n := range ids {
		if n > 1 {
			t.Errorf("id %q used %d times", id, n)
		}
	}
	links := regexp.MustCompile(`href="#([^"]*)"`).FindAllStringSubmatch(out, -1)
	if len(links) < 10 {
		t.Fatalf("only %d in-document links", len(links))
	}
	for _, m := range links {
		if ids[m[1]] == 0 {
			t.Errorf("link to #%s has no target", m[1])
		}
	}
}

func TestProblemLinksToPagesWithItsCode(t *testing.T) {
	t.Parallel()
	page := testPages()[0]
	link := `<a href="#high-blood-pressure">Read: Living with high blood pressure</a>`
	tests := []struct {
		name  string
		code  record.Code
		pages []string // set by the content matcher
		want  bool
	}{
		{"same system and value", record.Code{System: "SNOMED", Value: "38341003"}, nil, true},
		{"SCT is SNOMED", record.Code{System: "SCT", Value: "38341003"}, nil, true},
		{"FHIR SNOMED URI", record.Code{System: "http://snomed.info/sct", Value: "38341003"}, nil, true},
		{"other value", record.Code{System: "SNOMED", Value: "44054006"}, nil, false},
		{"same value, other system", record.Code{System: "ICD10", Value: "38341003"}, nil, false},
		{"no code", record.Code{}, nil, false},
		{"named by the content matcher", record.Code{}, []string{"high-blood-pressure"}, true},
	}
	r := newRenderer(t, "default", nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &record.Record{Patient: record.Patient{Name: "A"}, Problems: []record.Problem{{Title: "Hypertension", Status: "active", Code: tt.code, Pages: tt.pages}}}
			d := testDocument(rec)
			d.Pages = []*content.Page{page}
			out := render(t, r, d)
			if got := strings.Contains(out, link); got != tt.want {
				t.Errorf("link shown = %v, want %v", got, tt.want)
			}
			if !strings.Contains(out, `<article class="page" id="high-blood-pressure">`) {
				t.Error("the page itself is missing")
			}
		})
	}
}

func TestPagesShowTheirSourceAndReviewDates(t *testing.T) {
	t.Parallel()
	out := render(t, newRenderer(t, "default", nil), testDocument(fullRecord()))
	for _, want := range []string{"Understanding your conditions", "Source: Example Practice clinical team", "Reviewed 1 Nov 2024 · Next review 1 Nov 2027", `<h2 id="high-blood-pressure-what-to-do">`} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q", want)
		}
	}
}

func TestLettersGetTheirOwnHeadingIDs(t *testing.T) {
	t.Parallel()
	out := render(t, newRenderer(t, "default", nil), testDocument(fullRecord()))
	for _, want := range []string{`<article class="letter" id="letter-1">`, `<h2 id="letter-1_plan">`, `<h2 id="letter-2_plan">`, "Recheck HbA1c in six months."} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q", want)
		}
	}
}

func TestLettersRenderWithTheSitesMarkdown(t *testing.T) {
	t.Parallel()
	r, err := New("default", layers.Of(templates.FS()), layers.Of(themes.FS()), content.NewMarkdown())
	if err != nil {
		t.Fatal(err)
	}
	rec := fullRecord()
	rec.Letters[0].Body = "# Plan\n\nContinue **ramipril**.\n\n<script>alert(1)</script>\n"
	rec.Letters[1].Body = "# Plan\n\nRecheck in six months."
	out := render(t, r, testDocument(rec))
	for _, want := range []string{`<h1 id="letter-1_plan">Plan</h1>`, `<h1 id="letter-2_plan">Plan</h1>`, "<strong>ramipril</strong>"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q", want)
		}
	}
	if strings.Contains(out, "<script") {
		t.Error("raw HTML in a letter reached the document")
	}
}

func TestMarkdownFailureNamesTheLetterNotItsText(t *testing.T) {
	t.Parallel()
	r, err := New("default", layers.Of(templates.FS()), layers.Of(themes.FS()), testMarkdown{fail: true})
	if err != nil {
		t.Fatal(err)
	}
	rec := fullRecord()
	rec.Letters[1].Key, rec.Letters[1].File = "letters[1]", "letter-2.md"
	rec.Letters = rec.Letters[1:]
	var b bytes.Buffer
	err = r.Render(&b, testDocument(rec))
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(err.Error(), "HbA1c") || !strings.Contains(err.Error(), "letters[1]") {
		t.Error("error quotes the letter or does not name it")
	}
	if b.Len() != 0 {
		t.Error("a failed render wrote part of a document")
	}
}

func TestRenderIsByteStable(t *testing.T) {
	t.Parallel()
	r := newRenderer(t, "default", nil)
	first := render(t, r, testDocument(fullRecord()))
	// Concurrent renders from one Renderer give the same bytes too.
	outs := make([]string, 4)
	var wg sync.WaitGroup
	for i := range outs {
		wg.Go(func() { outs[i] = render(t, r, testDocument(fullRecord())) })
	}
	wg.Wait()
	for _, out := range outs {
		if out != first {
			t.Fatal("two renders of the same document differ")
		}
	}
	// And a second Renderer built from the same layers agrees.
	if render(t, newRenderer(t, "default", nil), testDocument(fullRecord())) != first {
		t.Fatal("renders from two Renderers differ")
	}
}

func TestPracticeTemplatesOverrideOneFileOrBlock(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		practice fstest.MapFS
		want     []string
		notWant  []string
	}{
		{
			name:     "one partial file",
			practice: fstest.MapFS{"record-footer.html": {Data: []byte(`<footer>Our own footer {{.BundleID}}</footer>`)}},
			want:     []string{"<footer>Our own footer b-7f3a9c</footer>", `id="summary"`, `id="section-problems"`},
			notWant:  []string{`class="colophon"`},
		},
		{
			name:     "one block, defined in a file of the practice's own",
			practice: fstest.MapFS{"record-local.html": {Data: []byte(`{{define "record-problem"}}<li class="ours">{{.Title}}</li>{{end}}`)}},
			want:     []string{`<li class="ours">High blood pressure</li>`, `id="summary"`, `class="colophon"`},
		},
		{
			name:     "the whole document",
			practice: fstest.MapFS{"record.html": {Data: []byte(`<!doctype html><title>{{.Patient.Name}}</title>{{template "record-summary.html" .}}`)}},
			want:     []string{"<title>Alex Example</title>", `id="summary"`},
			notWant:  []string{`id="section-problems"`, `class="colophon"`},
		},
		{
			name:     "files that are not record templates are ignored",
			practice: fstest.MapFS{"keycard.html": {Data: []byte(`{{define "record-problem"}}not-a-record-template{{end}}`)}},
			want:     []string{`id="section-problems"`},
			notWant:  []string{"not-a-record-template"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := render(t, newRenderer(t, "default", tt.practice), testDocument(fullRecord()))
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("missing %q", w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("still has %q", w)
				}
			}
		})
	}
}

func TestBrokenTemplatesFailInNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		layers []fs.FS
	}{
		{"syntax error", []fs.FS{fstest.MapFS{"record-footer.html": {Data: []byte(`{{if}}`)}}, templates.FS()}},
		{"unknown field", []fs.FS{fstest.MapFS{"record-footer.html": {Data: []byte(`{{.NoSuchField}}`)}}, templates.FS()}},
		{"field used only inside a list", []fs.FS{fstest.MapFS{"record-local.html": {Data: []byte(`{{define "record-problem"}}{{.Nope}}{{end}}`)}}, templates.FS()}},
		{"missing partial", []fs.FS{fstest.MapFS{"record.html": {Data: []byte(`{{template "record-nope.html" .}}`)}}}},
		{"no templates at all", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New("default", layers.Of(tt.layers...), layers.Of(themes.FS()), testMarkdown{}); err == nil {
				t.Error("New accepted broken templates")
			}
		})
	}
}

func TestThemes(t *testing.T) {
	t.Parallel()
	builtin := themes.FS()
	tests := []struct {
		name    string
		theme   string
		layers  []fs.FS
		wantErr string
		want    []string
	}{
		{name: "default", theme: "default", layers: []fs.FS{builtin}, want: []string{"--accent:", "@media print {"}},
		{name: "large print lies over default", theme: "large-print", layers: []fs.FS{builtin}, want: []string{"--accent:", "font-size: 137.5%"}},
		{name: "unknown theme", theme: "no-such-theme", layers: []fs.FS{builtin}, wantErr: `unknown theme "no-such-theme"`},
		{name: "path is not a theme name", theme: "../default", layers: []fs.FS{builtin}, wantErr: "not a theme name"},
		{name: "no theme layers", theme: "default", wantErr: "unknown theme"},
		{name: "practice overrides default", theme: "default", layers: []fs.FS{fstest.MapFS{"default/theme.css": {Data: []byte("body { color: #123456 }")}}, builtin}, want: []string{"#123456", "@media print {"}},
		{name: "practice theme of its own", theme: "ours", layers: []fs.FS{fstest.MapFS{"ours/theme.css": {Data: []byte(".x { color: #654321 }")}}, builtin}, want: []string{"--accent:", "#654321"}},
		{name: "data URI allowed", theme: "ours", layers: []fs.FS{fstest.MapFS{"ours/theme.css": {Data: []byte(".x { background: url( 'data:image/png;base64,AAAA' ) }")}}, builtin}, want: []string{"data:image/png"}},
		{name: "remote URL rejected", theme: "ours", layers: []fs.FS{fstest.MapFS{"ours/theme.css": {Data: []byte("\n.x {\n background: url(https://example.org/a.png) }")}}, builtin}, wantErr: "ours/theme.css:3: url() must be a data: URI"},
		{name: "relative URL rejected", theme: "ours", layers: []fs.FS{fstest.MapFS{"ours/theme.css": {Data: []byte(`.x { background: URL("a.png") }`)}}, builtin}, wantErr: "ours/theme.css:1: url()"},
		{name: "import rejected", theme: "default", layers: []fs.FS{fstest.MapFS{"default/print.css": {Data: []byte(`@import "x.css";`)}}, builtin}, wantErr: "default/print.css:1: @import"},
		{name: "closing style tag rejected", theme: "ours", layers: []fs.FS{fstest.MapFS{"ours/theme.css": {Data: []byte(`.x{} </STYLE><p>`)}}, builtin}, wantErr: "</style"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := New(tt.theme, layers.Of(templates.FS()), layers.Of(tt.layers...), testMarkdown{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(r.css), w) {
					t.Errorf("theme CSS lacks %q", w)
				}
			}
		})
	}
}

func TestNHSNumberIsGroupedThreeThreeFour(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"9991234568", "999 123 4568"},
		{"999 123 4568", "999 123 4568"},
		{"999-123-4568", "999 123 4568"},
		{"99912345", "99912345"},
		{"99912345689", "99912345689"},
		{"999123456X", "999123456X"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := formatNHS(tt.in); got != tt.want {
			t.Errorf("formatNHS(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRenderRejectsADocumentWithoutARecord(t *testing.T) {
	t.Parallel()
	r := newRenderer(t, "default", nil)
	var b bytes.Buffer
	if err := r.Render(&b, &Document{}); err == nil || b.Len() != 0 {
		t.Error("rendered a document without a record")
	}
}

// typicalRecord is a record of the size a GP export usually has.
func typicalRecord() *record.Record {
	full := fullRecord()
	rec := &record.Record{Patient: full.Patient}
	for i := 0; i < 3; i++ {
		rec.Problems = append(rec.Problems, full.Problems...)
		rec.Medications = append(rec.Medications, full.Medications...)
		rec.Immunisations = append(rec.Immunisations, full.Immunisations...)
		rec.Procedures = append(rec.Procedures, full.Procedures...)
		rec.Encounters = append(rec.Encounters, full.Encounters...)
	}
	for i := 0; i < 6; i++ {
		rec.Results = append(rec.Results, full.Results...)
	}
	rec.Allergies, rec.Letters, rec.Devices, rec.Alerts = full.Allergies, full.Letters, full.Devices, full.Alerts
	rec.CarePlans, rec.Referrals = full.CarePlans, full.Referrals
	return rec
}

func BenchmarkRender(b *testing.B) {
	r := newRenderer(b, "default", nil)
	d := testDocument(typicalRecord())
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := r.Render(&buf, d); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}

func TestMissingApprovalIsShownAsMissing(t *testing.T) {
	t.Parallel()
	d := testDocument(fullRecord())
	d.Approval = Approval{}
	d.Pages = append(d.Pages, nil) // a gap in the caller's list is skipped, not a crash
	out := render(t, newRenderer(t, "default", nil), d)
	if !strings.Contains(out, "<dt>Approved by</dt><dd>Approval not recorded</dd>") {
		t.Error("a record without an approval does not say so")
	}
	d.Approval = Approval{By: "Dr Sam Example"}
	out = render(t, newRenderer(t, "default", nil), d)
	if !strings.Contains(out, "<dd>Dr Sam Example, approval date not recorded</dd>") {
		t.Error("an approval without a date does not say so")
	}
}
