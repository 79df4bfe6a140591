package render

import (
	"html"
	"html/template"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/satchel-records/satchel/generator/chart"
	"github.com/satchel-records/satchel/generator/i18n"
	"github.com/satchel-records/satchel/generator/layers"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/risk"
	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/templates"
	"github.com/satchel-records/satchel/themes"
)

// summaryOf returns the emergency summary's markup.
func summaryOf(t *testing.T, out string) string {
	t.Helper()
	start := strings.Index(out, `id="summary"`)
	if start < 0 {
		t.Fatal("no emergency summary")
	}
	end := strings.Index(out[start:], "</section>")
	return out[start : start+end]
}

// sectionOf returns the markup of the section with id.
func sectionOf(t *testing.T, out, id string) string {
	t.Helper()
	start := strings.Index(out, `id="`+id+`"`)
	if start < 0 {
		t.Fatalf("no section %s", id)
	}
	end := strings.Index(out[start:], "</section>")
	return out[start : start+end]
}

func newRendererWith(t testing.TB, opts ...Option) *Renderer {
	t.Helper()
	r, err := New("default", layers.Of(templates.FS()), layers.Of(themes.FS()), testMarkdown{}, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

func highRiskRecord() *record.Record {
	rec := fullRecord()
	rec.Medications = append(rec.Medications,
		record.Medication{Name: "Warfarin 3mg tablets", Dose: "As directed by the anticoagulant clinic", Status: "current", Kind: "repeat"},
		record.Medication{Name: "Prednisolone acetate 1% eye drops", Status: "current", Kind: "acute"},
		record.Medication{Name: "Clopidogrel 75mg tablets", Status: "stopped", Kind: "repeat"},
	)
	return rec
}

func TestHighRiskMedicinesAreFlaggedInWordsAndListedFirst(t *testing.T) {
	t.Parallel()
	out := unmark(render(t, newRendererWith(t), testDocument(highRiskRecord())))
	box := summaryOf(t, out)
	flag := `<span class="risk-flag" data-noglossary><span class="risk-mark" aria-hidden="true">⚠</span> High risk – anticoagulant</span>`
	if !strings.Contains(box, `<li class="high-risk"><strong>Warfarin 3mg tablets</strong><br>`+flag) {
		t.Error("the summary does not flag warfarin in words with a marker")
	}
	if w, r := strings.Index(box, "Warfarin"), strings.Index(box, "Ramipril"); w < 0 || r < 0 || w > r {
		t.Error("a high-risk medicine is not listed before the others")
	}
	if strings.Count(box, `class="risk-flag"`) != 1 {
		t.Errorf("summary has %d flags, want 1 (eye drops and past medicines are not flagged)", strings.Count(box, `class="risk-flag"`))
	}
	meds := sectionOf(t, out, "section-medications")
	if !strings.Contains(meds, flag+` <span class="risk-note">Thins the blood`) {
		t.Error("the medicines section does not flag warfarin with why it matters")
	}
	if strings.Count(meds, `class="risk-flag"`) != 1 {
		t.Error("a past or low-risk medicine is flagged in the medicines section")
	}
}

func TestPracticeAddsItsOwnHighRiskMedicines(t *testing.T) {
	t.Parallel()
	r := newRendererWith(t, HighRisk([]site.HighRiskMedicine{
		{Name: "Ramipril", Group: "ACE inhibitor: stop before some operations"},
		{Code: "SNOMED:44054006", Name: "", Group: "anticoagulant"},
	}))
	rec := fullRecord()
	rec.Medications[1].Code = record.Code{System: "http://snomed.info/sct", Value: "44054006"}
	box := summaryOf(t, unmark(render(t, r, testDocument(rec))))
	for _, want := range []string{"High risk – ACE inhibitor: stop before some operations", "<strong>Metformin 500mg tablets</strong><br><span class=\"risk-flag\" data-noglossary><span class=\"risk-mark\" aria-hidden=\"true\">⚠</span> High risk – anticoagulant"} {
		if !strings.Contains(box, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	if _, err := New("default", layers.Of(templates.FS()), layers.Of(themes.FS()), testMarkdown{}, HighRisk([]site.HighRiskMedicine{{Code: "bad code"}})); err == nil || !strings.Contains(err.Error(), "high_risk[0].code") {
		t.Errorf("a malformed site.toml code: err = %v", err)
	}
}

func TestEveryRiskGroupHasLabelsInEveryLanguage(t *testing.T) {
	t.Parallel()
	list, err := risk.Default()
	if err != nil {
		t.Fatal(err)
	}
	en, err := i18n.Load(i18n.English)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range list.Groups() {
		key := "risk_" + strings.ReplaceAll(g.ID, "-", "_")
		// Every language has every English key (package i18n's tests), so
		// an English label here means one in every language.
		if got, ok := en.Label(key); !ok || got != g.Label {
			t.Errorf("risk group %s: English label %q, want %q from the risk list", g.ID, got, g.Label)
		}
	}
}

func TestChosenLanguagesAreEachRenderedOnce(t *testing.T) {
	t.Parallel()
	out := render(t, newRendererWith(t, Languages("fr", "es", "de")), testDocument(highRiskRecord()))
	box := summaryOf(t, out)
	for _, want := range []string{
		`<span class="l" lang="en">Allergies</span><span class="l" lang="fr" data-noglossary>Allergies</span><span class="l" lang="es" data-noglossary>Alergias</span><span class="l" lang="de" data-noglossary>Allergien</span>`,
		`<span class="l" lang="fr" data-noglossary>Résumé d&#39;urgence</span>`,
		`<span class="l" lang="es" data-noglossary>Medicamentos de alto riesgo</span>`,
		`<span class="l" lang="es" data-noglossary>Medicación actual</span>`,
		`<span class="l" lang="de" data-noglossary>Aktuelle Diagnosen</span>`,
		`<span class="l" lang="fr" data-noglossary>Haut risque – anticoagulant</span>`,
		`<span class="l" lang="de" data-noglossary>Hohes Risiko – Gerinnungshemmer (Antikoagulans)</span>`,
		`<span class="l" lang="es" data-noglossary>Grave</span>`,
		`<span class="l" lang="fr" data-noglossary>Exporté le</span>`,
	} {
		if !strings.Contains(box, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	for _, id := range []string{"section-problems", "section-medications", "section-results", "section-safety"} {
		sec := sectionOf(t, out, id)
		if !strings.Contains(sec[:strings.Index(sec, "</h2>")], `<span class="l" lang="de" data-noglossary>`) {
			t.Errorf("%s heading is not translated", id)
		}
	}
	// Clinical text stays as recorded, once.
	if strings.Count(out, "Anaphylaxis") != 2 || strings.Contains(out, `lang="fr">Penicillin`) {
		t.Error("clinical text was translated or repeated")
	}
	// English only, when no language is chosen.
	if strings.Contains(render(t, newRendererWith(t), testDocument(fullRecord())), `class="l"`) {
		t.Error("translations shown though no language was chosen")
	}
	_, err := New("default", layers.Of(templates.FS()), layers.Of(themes.FS()), testMarkdown{}, Languages("fr", "xx"))
	if err == nil || !strings.Contains(err.Error(), `"xx"`) {
		t.Errorf("an unknown language: err = %v", err)
	}
}

func TestUnknownLabelInAPracticeTemplateFailsInNew(t *testing.T) {
	t.Parallel()
	for _, tmpl := range []string{
		`<footer>{{label "no_such_label"}}</footer>`,
		// In a branch the example document never takes.
		`<footer>{{if .Patient.Name}}ok{{else}}{{with .BundleID}}{{label "no_such_label"}}{{end}}{{end}}</footer>`,
	} {
		stack := layers.Of(fstest.MapFS{"record-footer.html": {Data: []byte(tmpl)}}, templates.FS())
		if _, err := New("default", stack, layers.Of(themes.FS()), testMarkdown{}); err == nil || !strings.Contains(err.Error(), "no_such_label") {
			t.Errorf("err = %v", err)
		}
	}
}

func TestCurrentUntilIsShownBesideTheExportDate(t *testing.T) {
	t.Parallel()
	d := testDocument(fullRecord())
	d.CurrentUntil = time.Date(2025, time.September, 1, 0, 0, 0, 0, time.UTC)
	box := summaryOf(t, render(t, newRendererWith(t), d))
	if !strings.Contains(box, "<dt>Exported</dt><dd>3 Jun 2025</dd></div>\n<div><dt>Current until</dt><dd>1 Sep 2025</dd>") {
		t.Error("the summary does not show current until beside the export date")
	}
	d.CurrentUntil = time.Time{}
	if strings.Contains(render(t, newRendererWith(t), d), "Current until") {
		t.Error("current until shown without a date")
	}
}

func TestEveryDocumentSaysHowToUseTheRecordSafely(t *testing.T) {
	t.Parallel()
	d := testDocument(&record.Record{Patient: record.Patient{Name: "A"}})
	d.CurrentUntil = time.Date(2025, time.September, 1, 0, 0, 0, 0, time.UTC)
	d.Fingerprint = "1234 5678 9ABC DEF0 1234  5678 9ABC DEF0 1234 5678"
	// Unescaped: html/template writes "+" as "&#43;".
	sec := html.UnescapeString(sectionOf(t, render(t, newRendererWith(t), d), "section-safety"))
	for _, want := range []string{
		"Using your record safely",
		"If you lose your key card", `Call Example Practice on <a class="phone" href="tel:+441632960123">+44 1632 960123</a>`, "cancel the card",
		"Nobody can make you show it", "employer", "insurer", "official", "family",
		"A doctor, nurse or paramedic who is treating you", "Someone who cares for you",
		"How to tell it is genuine", "digital signature", "1234 5678 9ABC DEF0 1234  5678 9ABC DEF0 1234 5678",
		"How old it is", "exported on 3 Jun 2025 and is current until 1 Sep 2025",
		// A carer's own card, pressure, the unencrypted download, travelling.
		"A card for someone who cares for you", "give a carer or a family member their own card", "ask the practice to cancel their card", "open only your emergency summary",
		"If someone pressures you", "you do not have to", "talk to you privately",
		"Downloading a copy", "That saved copy is not encrypted",
		"Travelling", "999 in the UK, 112 in Europe and many other countries", "Global Health Insurance Card (GHIC)", "travel insurance",
		"show the doctor or nurse the emergency summary", "Keep your key card apart from your phone",
		`From abroad, call the practice on <a class="phone" href="tel:+441632960123">+44 1632 960123</a>.`,
	} {
		if !strings.Contains(sec, want) {
			t.Errorf("Using your record safely lacks %q", want)
		}
	}
}

// seriesRecord has systolic blood pressure measured four times.
func seriesRecord() *record.Record {
	rec := fullRecord()
	rec.Results = nil
	for i, v := range []float64{158, 149, 161, 144} {
		rec.Results = append(rec.Results, record.Result{
			Code: record.Code{System: "LOINC", Value: "8480-6"}, Title: "Systolic blood pressure", Value: ptr(v), Unit: "mmHg", High: ptr(135),
			Date: date(2025, time.March, 1+i),
		})
	}
	rec.Results = append(rec.Results, record.Result{Title: "Sodium", Value: ptr(140), Unit: "mmol/L", Date: date(2025, time.March, 1)})
	return rec
}

func TestResultsMeasuredThreeTimesGetAChartWithItsTextAlternative(t *testing.T) {
	t.Parallel()
	rec := seriesRecord()
	charts := chart.FromResults(rec.Results)
	if len(charts) != 1 {
		t.Fatalf("chart package made %d charts, want 1", len(charts))
	}
	out := render(t, newRendererWith(t), testDocument(rec))
	sec := sectionOf(t, out, "section-results")
	fig := regexp.MustCompile(`(?s)<figure class="chart" id="chart-1">\s*<h3 class="chart-title">Systolic blood pressure</h3>\s*<div class="chart-image">(.*?)</div>\s*<figcaption>(.*?)</figcaption>\s*</figure>`).FindStringSubmatch(sec)
	if fig == nil {
		t.Fatal("no chart figure in the results section")
	}
	if !strings.HasPrefix(fig[1], "<svg") {
		t.Error("the chart is not inline SVG")
	}
	alt := chart.Alt(charts[0], english(t))
	if alt == "" || unmark(fig[2]) != template.HTMLEscapeString(alt) {
		t.Error("the caption is not the chart's text alternative")
	}
	if !strings.Contains(fig[1], ">"+template.HTMLEscapeString(alt)+"</desc>") {
		t.Error("the chart's SVG does not carry its text alternative as its description")
	}
	if strings.Index(sec, "<figure") > strings.Index(sec, "<table") {
		t.Error("the chart comes after the results table")
	}
	// Fewer than three readings: no chart.
	rec.Results = rec.Results[2:]
	if strings.Contains(render(t, newRendererWith(t), testDocument(rec)), "<figure") {
		t.Error("a chart was drawn from two readings")
	}
}

func TestGlossaryListsExactlyTheTermsTheDocumentMarks(t *testing.T) {
	t.Parallel()
	out := render(t, newRendererWith(t, Languages("fr")), testDocument(fullRecord()))
	marks := regexp.MustCompile(`<a class="glossary-term" href="#(glossary-[a-z0-9-]+)"`).FindAllStringSubmatch(out, -1)
	if len(marks) == 0 {
		t.Fatal("no glossary term marked in a record full of jargon (HbA1c, ECG...)")
	}
	marked := map[string]int{}
	for _, m := range marks {
		marked[m[1]]++
	}
	for id, n := range marked {
		if n != 1 {
			t.Errorf("%s marked %d times, want only its first use", id, n)
		}
	}
	sec := sectionOf(t, out, "section-glossary")
	entries := regexp.MustCompile(`<div class="glossary-entry" id="(glossary-[a-z0-9-]+)"><dt>[^<]+</dt><dd>([^<]*)</dd></div>`).FindAllStringSubmatch(sec, -1)
	listed := map[string]bool{}
	for _, e := range entries {
		listed[e[1]] = true
		if strings.TrimSpace(e[2]) == "" {
			t.Errorf("%s has no explanation", e[1])
		}
		if marked[e[1]] == 0 {
			t.Errorf("%s is in the glossary but not used", e[1])
		}
	}
	for id := range marked {
		if !listed[id] {
			t.Errorf("%s is marked but not in the glossary", id)
		}
	}
	if !strings.Contains(out, `href="#section-glossary"`) {
		t.Error("the contents do not link to the glossary")
	}
	// Headings and translations stay unmarked.
	for _, m := range regexp.MustCompile(`(?s)<h[123][^>]*>.*?</h[123]>|<span class="tr".*?</span></span>`).FindAllString(out, -1) {
		if strings.Contains(m, "glossary-term") {
			t.Error("a heading or a translation was marked")
			break
		}
	}
}
