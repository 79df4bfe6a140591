package pdfdoc_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/content"
	"github.com/satchel-records/satchel/generator/layers"
	"github.com/satchel-records/satchel/generator/pdfdoc"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/render"
	"github.com/satchel-records/satchel/generator/site"
	"github.com/satchel-records/satchel/templates"
	"github.com/satchel-records/satchel/themes"
)

// synthetic is a made-up patient with an entry of most kinds, enough
// results and letters to run to several pages.
func synthetic(name string) *render.Document {
	d := record.NewDate(2021, time.March, 4)
	v := 5.4
	rec := &record.Record{
		Patient: record.Patient{Name: name, Born: record.NewDate(1950, time.July, 14), NHSNumber: "9434765919"},
		AdvanceDecisions: []record.AdvanceDecision{
			{Kind: record.DecisionDNACPR, Title: "DNACPR form completed", Date: d, Status: "active"},
		},
		Alerts:      []record.Alert{{Title: "Difficult airway", Date: d}},
		Allergies:   []record.Allergy{{Substance: "Penicillin", Severity: "severe", Reaction: "Anaphylaxis"}},
		Medications: []record.Medication{{Name: "Warfarin 1mg tablets", Dose: "As directed by the clinic", Status: "current", Kind: "repeat"}, {Name: "Amoxicillin", Status: "stopped"}},
		Problems:    []record.Problem{{Title: "Atrial fibrillation", Onset: d, Status: "active"}, {Title: "Fractured wrist", Status: "resolved"}},
		Procedures:  []record.Procedure{{Title: "Appendicectomy", Date: d}},
		Letters: []record.Letter{{Title: "Cardiology clinic letter", Date: d, From: "Cardiology",
			Body: "# Summary\n\nSeen in the **arrhythmia** clinic.\n\n- Continue warfarin\n- Review in 6 months\n\n1. First\n2. Second\n"}},
	}
	for i := 0; i < 60; i++ {
		rec.Results = append(rec.Results, record.Result{Title: fmt.Sprintf("Potassium %d", i), Value: &v, Unit: "mmol/L", Date: d})
	}
	return &render.Document{
		Practice:     site.Practice{Name: "Example Practice", Phone: "01632 960000"},
		Record:       rec,
		Approval:     render.Approval{By: "Dr Example", Role: "GP", Date: d},
		Exported:     time.Date(2026, time.May, 1, 9, 0, 0, 0, time.UTC),
		CurrentUntil: time.Date(2026, time.July, 30, 0, 0, 0, 0, time.UTC),
		Fingerprint:  "ABCD 1234 EF56 7890",
		Pages: []*content.Page{{Slug: "af", Title: "Atrial fibrillation explained", Source: "Example source",
			Text: content.NewMarkdown().Blocks([]byte("## What it is\n\nAn irregular heartbeat.\n"))}},
	}
}

func makePDF(t *testing.T, d *render.Document) []byte {
	t.Helper()
	r, err := render.New("default", layers.Of(templates.FS()), layers.Of(themes.FS()), content.NewMarkdown())
	if err != nil {
		t.Fatal(err)
	}
	m, err := pdfdoc.New(content.NewMarkdown())
	if err != nil {
		t.Fatal(err)
	}
	v := r.View(d)
	out, err := m.Make(d, v, r.Plain(v.Lang))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// missingNote is what a page says when it printed a character as "?".
const missingNote = "Some characters in this record cannot be shown in this copy; record.html shows them."

// poppler runs a poppler tool on pdf and returns its output; the test is
// skipped where poppler is not installed.
func poppler(t *testing.T, pdf []byte, tool string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Skipf("%s not installed", tool)
	}
	f := filepath.Join(t.TempDir(), "record.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, append(args, f, "-")...).Output()
	if tool == "pdfinfo" {
		out, err = exec.Command(tool, append(args, f)...).Output()
	}
	if err != nil {
		t.Fatalf("%s failed: %v", tool, err) // never the output: it holds the record
	}
	return string(out)
}

// pages returns the text of each page, by pdftotext's form feeds.
func pages(t *testing.T, pdf []byte) []string {
	t.Helper()
	return strings.Split(strings.TrimSuffix(poppler(t, pdf, "pdftotext", "-layout"), "\f"), "\f")
}

func TestPageOneIsTheEmergencySummaryAlone(t *testing.T) {
	t.Parallel()
	p := pages(t, makePDF(t, synthetic("Jane Example")))
	if len(p) < 3 {
		t.Fatalf("got %d pages, want the summary and the sections after it", len(p))
	}
	first := p[0]
	for _, want := range []string{"Emergency summary", "Do not attempt CPR (DNACPR) decision recorded on 4 Mar 2021",
		"Penicillin", "Anaphylaxis", "Warfarin 1mg tablets", "High risk", "Atrial fibrillation", "Difficult airway", "Approved by: Dr Example (GP) on 4 Mar 2021",
		"GP practice: Example Practice, +44 1632 960000"} {
		if !strings.Contains(first, want) {
			t.Errorf("page 1 lacks %q", want)
		}
	}
	for _, later := range []string{"Appendicectomy", "Potassium", "Cardiology clinic letter", "Fractured wrist"} {
		if strings.Contains(first, later) {
			t.Errorf("page 1 holds %q, from the full record", later)
		}
	}
	all := strings.Join(p, "")
	for _, want := range []string{"Appendicectomy", "Potassium 59", "Seen in the arrhythmia clinic.", "• Continue warfarin", "2. Second",
		"Atrial fibrillation explained", "An irregular heartbeat."} {
		if !strings.Contains(all, want) {
			t.Errorf("the PDF lacks %q", want)
		}
	}
}

func TestEmptyListsSayNotRecorded(t *testing.T) {
	t.Parallel()
	d := synthetic("Jane Example")
	d.Record = &record.Record{Patient: record.Patient{Name: "Jane Example"}}
	first := pages(t, makePDF(t, d))[0]
	for _, want := range []string{"Date of birth: not recorded", "No allergies in this record", "No current medicines recorded",
		"No active problems recorded", "NHS number: not recorded"} {
		if !strings.Contains(first, want) {
			t.Errorf("page 1 lacks %q", want)
		}
	}
}

func TestEveryPageNamesThePatientAndItsNumber(t *testing.T) {
	t.Parallel()
	p := pages(t, makePDF(t, synthetic("Jane Example")))
	for i, text := range p {
		for _, want := range []string{"Jane Example", "Born 14 Jul 1950", fmt.Sprintf("Page %d of %d", i+1, len(p)),
			"A copy for reading and printing", "open record.html or run satchel open", "Practice key ABCD 1234 EF56 7890"} {
			if !strings.Contains(strings.Join(strings.Fields(text), " "), want) {
				t.Errorf("page %d lacks %q", i+1, want)
			}
		}
		if strings.Contains(text, missingNote[:30]) {
			t.Errorf("page %d says characters are missing; none are", i+1)
		}
	}
}

func TestMetadataNamesNobody(t *testing.T) {
	t.Parallel()
	pdf := makePDF(t, synthetic("Jane Example"))
	info := poppler(t, pdf, "pdfinfo")
	for _, secret := range []string{"Jane", "Example", "1950", "943", "Title", "Author", "Subject", "Keywords"} {
		if strings.Contains(info, secret) {
			t.Errorf("pdfinfo shows %q", secret)
		}
	}
	if !strings.Contains(info, "Producer:") {
		t.Error("pdfinfo shows no producer")
	}
}

func TestMissingGlyphsPrintAsQuestionMarksAndSaySo(t *testing.T) {
	t.Parallel()
	p := pages(t, makePDF(t, synthetic("王小明 Example")))
	for i, text := range p {
		flat := strings.Join(strings.Fields(text), " ")
		if !strings.Contains(flat, "??? Example") {
			t.Errorf("page %d does not show the name's missing characters as ?", i+1)
		}
		if !strings.Contains(flat, missingNote) {
			t.Errorf("page %d lacks the note on missing characters", i+1)
		}
	}
	// Greek and Cyrillic are in the Go fonts: no note.
	for i, text := range pages(t, makePDF(t, synthetic("Ελένη Иванова"))) {
		if !strings.Contains(text, "Ελένη Иванова") || strings.Contains(text, missingNote[:30]) {
			t.Errorf("page %d: Greek and Cyrillic name not shown as written", i+1)
		}
	}
}

func TestSameRecordSameBytes(t *testing.T) {
	t.Parallel()
	a, b := makePDF(t, synthetic("Jane Example")), makePDF(t, synthetic("Jane Example"))
	if !bytes.Equal(a, b) {
		t.Error("two PDFs of the same record at the same time differ")
	}
	if !bytes.HasPrefix(a, []byte("%PDF-")) {
		t.Error("not a PDF")
	}
}

// One Maker laying out documents at once gives each the bytes it gives
// alone: the fonts parsed once (see internal/fpdf) are shared by no
// document's state.
func TestConcurrentDocumentsSameBytes(t *testing.T) {
	t.Parallel()
	r, err := render.New("default", layers.Of(templates.FS()), layers.Of(themes.FS()), content.NewMarkdown())
	if err != nil {
		t.Fatal(err)
	}
	m, err := pdfdoc.New(content.NewMarkdown())
	if err != nil {
		t.Fatal(err)
	}
	// Different text uses different glyphs, so each font subset differs.
	names := []string{"Jane Example", "Zoë Ñandú", "Ωμέγα Δέλτα", "Дмитрий Иванов"}
	alone := make([][]byte, len(names))
	for i, n := range names {
		d := synthetic(n)
		if alone[i], err = m.Make(d, r.View(d), r.Plain("en")); err != nil {
			t.Fatal(err)
		}
	}
	together := make([][]byte, 4*len(names))
	errs := make([]error, len(together))
	var wg sync.WaitGroup
	for i := range together {
		wg.Go(func() {
			d := synthetic(names[i%len(names)])
			together[i], errs[i] = m.Make(d, r.View(d), r.Plain("en"))
		})
	}
	wg.Wait()
	for i := range together {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !bytes.Equal(together[i], alone[i%len(names)]) {
			t.Errorf("document %d laid out alongside others differs from the same laid out alone", i)
		}
	}
}

// A long summary is set smaller so that it still fits on page 1.
func TestALongSummaryStillFitsOnPageOne(t *testing.T) {
	t.Parallel()
	d := synthetic("Jane Example")
	rec := d.Record
	for i := 0; i < 6; i++ {
		rec.Medications = append(rec.Medications, record.Medication{Name: fmt.Sprintf("Medicine %d 10mg tablets", i), Dose: "One tablet twice a day, with food", Status: "current"})
		rec.Problems = append(rec.Problems, record.Problem{Title: fmt.Sprintf("Problem %d", i), Status: "active", Onset: record.NewDate(2001+i, time.May, 1)})
		rec.Alerts = append(rec.Alerts, record.Alert{Title: fmt.Sprintf("Alert %d: a long alert about what a clinician must know first", i)})
	}
	p := pages(t, makePDF(t, d))
	for _, want := range []string{"Medicine 5 10mg tablets", "Problem 5", "Alert 5"} {
		if !strings.Contains(p[0], want) {
			t.Errorf("page 1 lacks %q", want)
		}
	}
	if !strings.Contains(p[1], "The full record") {
		t.Error("page 2 does not start the full record")
	}
}

// A summary-only card's copy holds the emergency summary and nothing of
// the sections, letters or pages after it.
func TestSummaryOnlyCopyHoldsTheSummaryAlone(t *testing.T) {
	t.Parallel()
	d := synthetic("Jane Example")
	d.SummaryOnly = true
	p := pages(t, makePDF(t, d))
	if len(p) != 1 {
		t.Errorf("summary-only copy has %d pages, want the summary's one", len(p))
	}
	all := strings.Join(p, "")
	for _, want := range []string{"Emergency summary", "Penicillin", "Warfarin 1mg tablets", "Atrial fibrillation", "Difficult airway", "This is the emergency summary only.", "open summary.html"} {
		if !strings.Contains(all, want) {
			t.Errorf("summary-only copy lacks %q", want)
		}
	}
	for _, only := range []string{"Appendicectomy", "Potassium", "Cardiology clinic letter", "arrhythmia", "Fractured wrist", "Atrial fibrillation explained", "Amoxicillin", "record.html"} {
		if strings.Contains(all, only) {
			t.Errorf("summary-only copy holds %q, from the full record", only)
		}
	}
}

// Page 1 gives the care and action plans in force and the contacts, their
// numbers in international form; a plan no longer in force is in the full
// record only, marked so; with no contact, page 1 says none is recorded.
func TestSummaryGivesCarePlansAndContacts(t *testing.T) {
	t.Parallel()
	d := synthetic("Jane Example")
	d.Record.CarePlans = []record.CarePlan{
		{Title: "Asthma action plan", Summary: "Two puffs when wheezy.", Date: record.NewDate(2026, time.April, 2)},
		{Title: "Old rehabilitation plan", Status: "completed"},
	}
	d.Record.Contacts = []record.Contact{
		{Relationship: "Husband", Name: "John Example", Phone: "07700 900123"},
		{Relationship: "Neighbour"},
	}
	p := pages(t, makePDF(t, d))
	first, all := p[0], strings.Join(p, "")
	for _, want := range []string{"Current care and action plans", "Asthma action plan", "Two puffs when wheezy.", "Dated 2 Apr 2026",
		"Next of kin and emergency contacts", "John Example (Husband)", "+44 7700 900123", "Name not recorded (Neighbour)", "Phone number not recorded"} {
		if !strings.Contains(first, want) {
			t.Errorf("page 1 lacks %q", want)
		}
	}
	if strings.Contains(first, "Old rehabilitation plan") || !strings.Contains(all, "Old rehabilitation plan (not in force)") {
		t.Error("the completed plan should be in the full record only, marked not in force")
	}
	d.Record.Contacts = nil
	// The synthetic record has alerts and advance decisions: "None
	// recorded" can only be the contacts'.
	if first := pages(t, makePDF(t, d))[0]; !strings.Contains(first, "None recorded") {
		t.Error("with no contact, page 1 does not say none is recorded")
	}
}

// The copy is in the language the HTML document opens in: the patient's
// own, when the practice's site shows it. Headings, dates, the words
// around the record's own text and every page's note on trust are then
// in that language, and no English heading is left; the record's own
// text stays as recorded. A language the site does not show gives
// English.
func TestCopyIsInThePatientsLanguage(t *testing.T) {
	t.Parallel()
	r, err := render.New("default", layers.Of(templates.FS()), layers.Of(themes.FS()), content.NewMarkdown(), render.Languages("fr"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := pdfdoc.New(content.NewMarkdown())
	if err != nil {
		t.Fatal(err)
	}
	copyIn := func(lang string) []string {
		d := synthetic("Jane Example")
		d.Language = lang
		v := r.View(d)
		out, err := m.Make(d, v, r.Plain(v.Lang))
		if err != nil {
			t.Fatal(err)
		}
		return pages(t, out)
	}
	fr := copyIn("fr")
	flat := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	first := flat(fr[0])
	for _, want := range []string{"Résumé d'urgence", "Date de naissance: 14 juil. 1950", "Approuvé par: Dr Example (GP) le 4 mars 2021",
		"Problèmes de santé actifs", "Traitements en cours", "Depuis 4 mars 2021", "Penicillin", "Anaphylaxis", "Difficult airway",
		fmt.Sprintf("Page 1 sur %d", len(fr)), "Une copie pour lire et imprimer", "ouvrez record.html ou lancez satchel open", "Clé du cabinet ABCD 1234 EF56 7890"} {
		if !strings.Contains(first, want) {
			t.Errorf("the French copy's first page lacks %q", want)
		}
	}
	all := flat(strings.Join(fr, " "))
	for _, english := range []string{"Emergency summary", "Date of birth", "Approved by", "Active problems", "Current medicines", "The full record",
		"Test results", "Understanding your conditions", "Page 1 of", "A copy for reading", "Since ", "Started", "not recorded", " Mar 2021", "High risk"} {
		if strings.Contains(all, english) {
			t.Errorf("the French copy says %q", english)
		}
	}
	if en := flat(copyIn("de")[0]); !strings.Contains(en, "Emergency summary") || !strings.Contains(en, "Date of birth: 14 Jul 1950") {
		t.Error("a language the site does not show did not give English")
	}
}
