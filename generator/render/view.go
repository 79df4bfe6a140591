package render

import (
	"fmt"
	"html/template"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/satchel-records/satchel/generator/chart"
	"github.com/satchel-records/satchel/generator/content"
	"github.com/satchel-records/satchel/generator/glossary"
	"github.com/satchel-records/satchel/generator/i18n"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/site"
)

// View is the data the record templates execute with. A practice's own
// templates see exactly this, so its fields are the templates' contract.
// Everything is already grouped and ordered: templates only lay it out.
type View struct {
	Practice  site.Practice
	Patient   record.Patient
	NHSNumber string // grouped 3-3-4 when it is ten digits; as recorded otherwise
	// Age is the patient's age in words ("81 years", "80 or 81 years"
	// when only the year of birth is known) on the record's own date, or
	// at death; empty when it cannot be known.
	Age string
	// RunningHead names the patient and their birth date at the top of
	// every printed page.
	RunningHead string
	Approval    Approval
	Exported    time.Time
	// CurrentUntil is when the record stops being current; zero when the
	// build set no such date.
	CurrentUntil time.Time
	// Fingerprint is the practice's signing key fingerprint, as printed on
	// the key card; empty when the build did not sign.
	Fingerprint string
	BundleID    string
	CSS         template.CSS // the theme, checked for external references
	// SummaryOnly is set for the emergency summary alone (a summary-only
	// key card's document): then only what the summary shows is filled
	// in, and Contents, the other sections' lists and Pages are empty.
	SummaryOnly bool

	// Lang is the language the document opens in (the patient's own, when
	// set and shown, else English); Languages are those the reader can
	// switch to, and LangCSS the rules that show one at a time. PageOf is
	// the printed pages' "Page n of m", as a CSS content value.
	Lang      string
	Languages []LanguageChoice
	LangCSS   template.CSS
	PageOf    template.CSS
	// AgeText is Age in every language of the document.
	AgeText template.HTML

	// Contents lists the sections present, in document order.
	Contents []Link

	// AdvanceDecisions (DNACPR and the like) open the emergency summary.
	AdvanceDecisions []record.AdvanceDecision
	// The emergency summary shows Alerts, Allergies, CurrentMedications,
	// ActiveProblems and Devices; the sections show the rest as well.
	Alerts             []record.Alert
	Allergies          []record.Allergy
	ActiveProblems     []Problem
	PastProblems       []Problem
	CurrentMedications []Medication // high-risk ones first
	// HighRiskCount is how many of CurrentMedications are high-risk: the
	// summary lists them on their own, before the active problems.
	HighRiskCount   int
	PastMedications []Medication
	// Immunisations and Results are grouped by vaccine or test (results by
	// panel, else code, else title), the group with the newest entry first
	// and newest first within a group.
	Immunisations []record.Immunisation
	Results       []Result
	// Charts are trend charts, one per quantity measured on three dates or
	// more, with a series per setting (home, clinic).
	Charts     []Chart
	Procedures []record.Procedure
	Letters    []Letter
	Devices    []record.Device
	// KeyResults are the newest INR, eGFR, HbA1c and potassium results,
	// those the record holds, for the emergency summary.
	KeyResults []Result
	// RecentProcedures are the procedures of the two years up to the
	// record's date, newest first, for the emergency summary.
	RecentProcedures []record.Procedure
	CarePlans        []record.CarePlan
	// ActiveCarePlans are the care and action plans in force, for the
	// emergency summary.
	ActiveCarePlans []record.CarePlan
	// Contacts are the next of kin and emergency contacts, for the
	// emergency summary.
	Contacts   []Contact
	Encounters []record.Encounter
	Referrals  []record.Referral
	// Findings are coded observations without a value ("never smoked").
	Findings []record.Finding
	Pages    []*content.Page
	// Glossary explains the terms the document uses, alphabetically. It is
	// filled once the summary, sections and pages are rendered (the
	// templates "include"d by record.html), since only then is it known
	// which terms they use.
	Glossary []GlossaryEntry

	// fragments holds the marked output of the templates Render renders
	// ahead of the document, by template name, for include.
	fragments map[string]template.HTML
	marker    *glossary.Marker
}

// Contact is someone to contact about the patient, with their phone
// number in international form.
type Contact struct {
	Relationship string
	Name         string
	Phone        *site.Dial // nil when not recorded
}

// Medication is a medicine, with what makes it high-risk.
type Medication struct {
	Code   record.Code
	Name   string
	Dose   string
	Start  record.Date
	End    record.Date
	Status string
	Kind   string
	Review record.Date
	// Risks are why it is high-risk; empty when it is not.
	Risks []Risk
}

// Risk is one reason a medicine is high-risk.
type Risk struct {
	Group string        // the risk group's id, such as "anticoagulant"
	Flag  template.HTML // "High risk – anticoagulant" with a marker and translations
	Kind  template.HTML // "anticoagulant", with translations: the kind alone
	Words string        // "High risk – anticoagulant" in English words alone
	Note  string        // why it matters, in a sentence; may be empty
	// NoteText is Note in every language of the document.
	NoteText template.HTML
}

// Chart is one results trend chart.
type Chart struct {
	ID    string
	Title string
	// SVG and Alt (the chart in words, also its caption) are in every
	// language of the document, as its labels are.
	SVG template.HTML
	Alt template.HTML
}

// GlossaryEntry is one explained term of the document's glossary.
type GlossaryEntry struct {
	ID          string // "glossary-" + slug: the marks link here
	Term        string
	Explanation string
}

// Link is an in-document link.
type Link struct {
	ID    string // the target's id, without '#'
	Title string
	// Key is the title's label key (i18n), shown in every language;
	// empty for a title of the practice's own.
	Key string
}

// The view's own entry types copy the record's fields rather than embed the
// record types: templates look fields up by name, and a promoted field costs
// a search through the embedded structs on every lookup.

// Problem is a problem with the education pages that explain it.
type Problem struct {
	Code    record.Code
	Title   string
	Onset   record.Date
	Status  string
	Active  bool            // listed with the active problems
	Reading []*content.Page // pages that explain it, to link to
	// Linked are the dates of the other entries for the same coded
	// problem (GP Connect problem linkage lists one problem many times),
	// merged into this one; Entries counts the entries it stands for.
	Linked  []record.Date
	Entries int
}

// Result is one row of the results table.
type Result struct {
	Code     record.Code
	Title    string
	Measured string // the value in words ("5.4"), empty for a text result
	Text     string // a result in words
	Unit     string
	Range    string // the reference range in words with its unit, empty when unknown
	// RangeKind is "Target" where the source calls the range a target
	// (an INR on warfarin), "Normal" otherwise; empty when there is no
	// range.
	RangeKind string
	Flag      string // "High", "Low" or empty
	Date      record.Date
	When      string // Date in words, or "not recorded"
	Panel     string
	// PanelStart is the panel's name on the first result of a panel (so
	// the table can head the group), empty otherwise.
	PanelStart string
	// RangeText is Range in every language of the document.
	RangeText template.HTML

	low, high *float64 // the range's bounds, for RangeText
}

// Letter is a letter with its Markdown body rendered.
type Letter struct {
	Title string
	Date  record.Date
	From  string
	ID    string        // "letter-1", ...; also the id prefix of its headings
	HTML  template.HTML // the rendered body
}

// Section ids. Prefixed, so an education page whose slug is "allergies"
// cannot collide with the allergies section.
const (
	idSummary       = "summary"
	idProblems      = "section-problems"
	idMedications   = "section-medications"
	idAllergies     = "section-allergies"
	idImmunisations = "section-immunisations"
	idResults       = "section-results"
	idProcedures    = "section-procedures"
	idLetters       = "section-letters"
	idDevices       = "section-devices"
	idCarePlans     = "section-care-plans"
	idEncounters    = "section-encounters"
	idReferrals     = "section-referrals"
	idFindings      = "section-findings"
	idPages         = "section-understanding"
	idSafety        = "section-safety"
	idGlossary      = "section-glossary"
)

// View returns d grouped and ordered exactly as the record templates see
// it, for another layout of the same facts (the PDF copy, package pdfdoc).
// Letters are not rendered (their HTML is empty) and the glossary is
// empty: both are made by Render.
func (r *Renderer) View(d *Document) *View {
	return r.view(d)
}

// view groups d for the templates. Letters are left for Render to fill in,
// since rendering Markdown can fail, and the glossary for Render to fill in
// once the document's text is rendered.
func (r *Renderer) view(d *Document) *View {
	rec := d.Record
	v := &View{
		Practice:     d.Practice,
		Patient:      rec.Patient,
		NHSNumber:    formatNHS(rec.Patient.NHSNumber),
		Approval:     d.Approval,
		Exported:     d.Exported,
		CurrentUntil: d.CurrentUntil,
		Fingerprint:  d.Fingerprint,
		BundleID:     d.BundleID,
		CSS:          r.css,
		Alerts:       rec.Alerts,

		AdvanceDecisions: rec.AdvanceDecisions,
		Allergies:        rec.Allergies,
		Immunisations:    rec.Immunisations,
		Procedures:       rec.Procedures,
		Devices:          rec.Devices,
		CarePlans:        rec.CarePlans,
		Encounters:       rec.Encounters,
		Referrals:        rec.Referrals,
		Findings:         rec.Findings,
		Pages:            d.Pages,
	}
	on := asOf(d)
	if died := rec.Patient.Died; !died.IsZero() {
		on = died.Time
	}
	if !rec.Patient.HasDied() || !rec.Patient.Died.IsZero() {
		v.Age = age(rec.Patient.Born, on)
	}
	v.Lang = r.labels.chosen(d.Language)
	v.Languages = r.labels.choices(v.Lang)
	v.LangCSS = r.labels.css(v.Lang)
	v.PageOf = r.labels.pageOf(v.Lang)
	v.AgeText = r.labels.age(rec.Patient.Born, on, v.Age != "")
	v.RunningHead = r.labels.runningHead(v.Lang, rec.Patient)
	v.KeyResults = keyResults(rec.Results)
	for i := range v.KeyResults {
		v.KeyResults[i].RangeText = r.labels.rangeText(v.KeyResults[i])
	}
	v.RecentProcedures = recentProcedures(rec.Procedures, asOf(d))
	for i := range rec.CarePlans {
		if rec.CarePlans[i].Active() {
			v.ActiveCarePlans = append(v.ActiveCarePlans, rec.CarePlans[i])
		}
	}
	for _, c := range rec.Contacts {
		v.Contacts = append(v.Contacts, Contact{Relationship: c.Relationship, Name: c.Name, Phone: site.NewDial(c.Phone)})
	}
	if slices.Contains(d.Pages, nil) {
		v.Pages = slices.DeleteFunc(slices.Clone(d.Pages), func(p *content.Page) bool { return p == nil })
	}
	for _, p := range rec.Problems {
		item := Problem{Code: p.Code, Title: p.Title, Onset: p.Onset, Status: p.Status, Active: activeProblem(p.Status), Reading: reading(p, v.Pages), Entries: 1}
		if item.Active {
			v.ActiveProblems = mergeProblem(v.ActiveProblems, item, p.Onset)
		} else {
			v.PastProblems = mergeProblem(v.PastProblems, item, p.Onset)
		}
	}
	for _, m := range rec.Medications {
		item := Medication{Code: m.Code, Name: m.Name, Dose: m.Dose, Start: m.Start, End: m.End, Status: m.Status, Kind: m.Kind, Review: m.Review}
		if currentMedication(m.Status) {
			item.Risks = r.risks(m)
			if len(item.Risks) > 0 {
				v.HighRiskCount++
			}
			v.CurrentMedications = append(v.CurrentMedications, item)
		} else {
			v.PastMedications = append(v.PastMedications, item)
		}
	}
	// High-risk medicines first: they are what a clinician must not miss
	// in a one-minute read. The rest keep the record's order.
	slices.SortStableFunc(v.CurrentMedications, func(a, b Medication) int {
		return min(len(b.Risks), 1) - min(len(a.Risks), 1)
	})
	if len(rec.Immunisations) > 0 {
		v.Immunisations = newestFirst(rec.Immunisations, immunisationGroup, func(im *record.Immunisation) record.Date { return im.Date }, nil)
	}
	if len(rec.Results) > 0 {
		ordered := newestFirst(rec.Results, resultGroup, func(r *record.Result) record.Date { return r.Date }, record.CompareTaken)
		v.Results = make([]Result, len(ordered))
		for i, res := range ordered {
			v.Results[i] = result(res)
			v.Results[i].RangeText = r.labels.rangeText(v.Results[i])
			if res.Panel != "" && (i == 0 || resultGroup(&ordered[i-1]) != resultGroup(&res)) {
				v.Results[i].PanelStart = res.Panel
			}
		}
		for i, c := range chart.FromResults(rec.Results) {
			id := "chart-" + strconv.Itoa(i+1)
			v.Charts = append(v.Charts, Chart{ID: id, Title: c.Title, SVG: r.labels.chartSVG(c, id), Alt: r.labels.each(func(l *i18n.Language) template.HTML {
				return template.HTML(template.HTMLEscapeString(chart.Alt(c, l)))
			})})
		}
	}
	if len(rec.Letters) > 0 {
		v.Letters = make([]Letter, len(rec.Letters))
		for i, l := range rec.Letters {
			v.Letters[i] = Letter{Title: l.Title, Date: l.Date, From: l.From, ID: "letter-" + strconv.Itoa(i+1)}
		}
	}
	v.Contents = make([]Link, 0, 14)
	add := func(present bool, id, title, key string) {
		if present {
			v.Contents = append(v.Contents, Link{ID: id, Title: title, Key: key})
		}
	}
	add(len(rec.Problems) > 0, idProblems, "Problems", "problems")
	add(len(rec.Medications) > 0, idMedications, "Medicines", "medicines")
	add(len(rec.Allergies) > 0, idAllergies, "Allergies", "allergies")
	add(len(rec.Immunisations) > 0, idImmunisations, "Immunisations", "immunisations")
	add(len(rec.Results) > 0, idResults, "Test results", "results")
	add(len(rec.Procedures) > 0, idProcedures, "Procedures", "procedures")
	add(len(rec.Letters) > 0, idLetters, "Letters", "letters")
	add(len(rec.Devices) > 0, idDevices, "Devices", "devices")
	add(len(rec.CarePlans) > 0, idCarePlans, "Care plans", "care_plans")
	add(len(rec.Encounters) > 0, idEncounters, "Appointments and visits", "encounters")
	add(len(rec.Referrals) > 0, idReferrals, "Referrals", "referrals")
	add(len(rec.Findings) > 0, idFindings, "Other findings", "findings")
	add(len(v.Pages) > 0, idPages, "Understanding your conditions", "understanding")
	add(true, idSafety, "Using your record safely", "safety")
	if d.SummaryOnly {
		summaryOnly(v)
	}
	return v
}

// summaryOnly empties what the emergency summary does not show, so that a
// summary-only document cannot carry more than the summary, whatever a
// practice's templates do.
func summaryOnly(v *View) {
	v.SummaryOnly = true
	v.Contents, v.Pages = nil, nil
	v.PastProblems, v.PastMedications = nil, nil
	v.Immunisations, v.Results, v.Charts = nil, nil, nil
	v.Procedures, v.Letters = nil, nil
	v.Encounters, v.Referrals, v.Findings = nil, nil, nil
	v.ActiveProblems = slices.Clone(v.ActiveProblems)
	for i := range v.ActiveProblems {
		v.ActiveProblems[i].Reading = nil // the pages are not in it
	}
}

// risks returns why m is high-risk, if it is.
func (r *Renderer) risks(m record.Medication) []Risk {
	if r.risk == nil {
		return nil
	}
	groups := r.risk.Match(m.Name, m.Code)
	if len(groups) == 0 {
		return nil
	}
	out := make([]Risk, len(groups))
	for i, g := range groups {
		out[i] = Risk{Group: g.ID, Flag: r.labels.flags[g.ID], Kind: r.labels.kinds[g.ID], Words: r.labels.words[g.ID], Note: g.Note, NoteText: r.labels.notes[g.ID]}
	}
	return out
}

// activeProblem reports whether a problem belongs with the active ones. An
// unset status counts as active (the TOML reader's default), as do FHIR's
// recurrence and relapse.
func activeProblem(status string) bool {
	switch strings.ToLower(status) {
	case "", "active", "recurrence", "relapse":
		return true
	}
	return false
}

// currentMedication reports whether a medicine is still being taken. An
// unset status counts as current: showing a stopped medicine as current is
// safer than hiding one that is still taken.
func currentMedication(status string) bool {
	switch strings.ToLower(status) {
	case "", "current", "active":
		return true
	}
	return false
}

// reading returns the pages that explain p, in the order of pages: those
// sharing one of its codes, and those the content matcher named in p.Pages.
func reading(p record.Problem, pages []*content.Page) []*content.Page {
	var out []*content.Page
	for _, pg := range pages {
		if pageMatches(p, pg) {
			out = append(out, pg)
		}
	}
	return out
}

func pageMatches(p record.Problem, pg *content.Page) bool {
	for _, slug := range p.Pages {
		if slug == pg.Slug {
			return true
		}
	}
	if p.Code.IsZero() {
		return false
	}
	for _, c := range pg.Codes {
		if p.Code.Same(c) {
			return true
		}
	}
	return false
}

// result words a result's value, range and flag.
func result(res record.Result) Result {
	// Results are the longest lists in most records; the words are made
	// here, once, rather than by template calls on every row.
	out := Result{Code: res.Code, Title: res.Title, Text: res.Text, Unit: res.Unit, Date: res.Date, When: dateText(res.Date), Panel: res.Panel, low: res.Low, high: res.High}
	if res.Value != nil {
		out.Measured = number(*res.Value)
		switch {
		case res.High != nil && *res.Value > *res.High:
			out.Flag = "High"
		case res.Low != nil && *res.Value < *res.Low:
			out.Flag = "Low"
		}
	}
	switch {
	case res.Low != nil && res.High != nil:
		out.Range = number(*res.Low) + " to " + number(*res.High)
	case res.Low != nil:
		out.Range = "at least " + number(*res.Low)
	case res.High != nil:
		out.Range = "up to " + number(*res.High)
	}
	if out.Range != "" && res.Unit != "" {
		out.Range += " " + res.Unit
	}
	if out.Range != "" {
		out.RangeKind = "Normal"
		if res.RangeType == record.RangeTarget {
			out.RangeKind = "Target"
		}
	}
	return out
}

func number(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// formatNHS groups a ten-digit NHS number as 3-3-4 ("943 476 5919"), the way
// it is printed on NHS letters and cards.
func formatNHS(s string) string {
	var digits [10]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if n == len(digits) {
				return s
			}
			digits[n] = c
			n++
		case c == ' ' || c == '-':
		default:
			return s
		}
	}
	if n != len(digits) {
		return s
	}
	return string(digits[:3]) + " " + string(digits[3:6]) + " " + string(digits[6:])
}

// funcs returns the helpers the record templates may call:
//
//	date, day, stamp   a record date (in every language when not recorded);
//	                   a time's day; a time to the minute
//	dates              record dates, comma-separated
//	sentence           a coded word as a label ("repeat" -> "Repeat")
//	word               a coded word translated when Satchel knows it
//	                   (i18n key word_<value>), else as sentence shows it
//	decision           an advance decision's kind in words
//	flag, rangekind    a result's "High"/"Low" flag, its range's kind
//	when               a labelled date, or says it is not recorded
//	label              a fixed label in every language (i18n keys)
//	t                  a label with {0}, {1}... filled in
//	plain              a label in one language, as text (for attributes)
//	bold, dial, mailto, fingerprint
//	                   markup to pass to t: <strong>, a tel: link, a
//	                   mailto: link, a key fingerprint
//	severity           an allergy's severity, translated when coded
//	include            a template's output with glossary terms marked
func (r *Renderer) funcs() template.FuncMap {
	ls := r.labels
	return template.FuncMap{
		"date":     ls.date,
		"dates":    ls.dates,
		"day":      ls.day,
		"stamp":    func(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 MST") },
		"sentence": sentence,
		"word":     ls.word,
		"decision": ls.decision,
		"flag":     func(f string) template.HTML { return ls.html["flag_"+strings.ToLower(f)] },
		"rangekind": func(k string) template.HTML {
			if k == "Target" {
				return ls.html["range_target"]
			}
			return ls.html["range_normal"]
		},
		"when":   ls.when,
		"label":  ls.label,
		"t":      ls.text,
		"plain":  ls.plain,
		"bold":   bold,
		"dial":   dialHTML,
		"mailto": mailto,
		"fingerprint": func(f string) template.HTML {
			return template.HTML(`<span class="fingerprint">` + template.HTMLEscapeString(f) + `</span>`)
		},
		"severity": ls.severity,
		"include":  r.include,
	}
}

// bold returns h (text or markup) in <strong>.
func bold(h any) template.HTML {
	var s string
	switch h := h.(type) {
	case template.HTML:
		s = string(h)
	default:
		s = template.HTMLEscapeString(fmt.Sprint(h))
	}
	return template.HTML("<strong>" + s + "</strong>")
}

// dialHTML returns a phone number as a tel: link, or as text when it has
// no link, like the "dial" template.
func dialHTML(d *site.Dial) template.HTML {
	if d == nil {
		return ""
	}
	text := template.HTMLEscapeString(d.Text)
	if d.URI == "" {
		return template.HTML(`<span class="phone">` + text + `</span>`)
	}
	return template.HTML(`<a class="phone" href="` + template.HTMLEscapeString(string(d.URI)) + `">` + text + `</a>`)
}

// mailto returns an email address as a mailto: link.
func mailto(addr string) template.HTML {
	a := template.HTMLEscapeString(addr)
	return template.HTML(`<a href="mailto:` + template.HTMLEscapeString(url.PathEscape(addr)) + `">` + a + `</a>`)
}

// dateText formats a record date; a zero date reads "not recorded".
func dateText(d record.Date) string {
	if d.IsZero() {
		return "not recorded"
	}
	return d.String()
}

// sentence capitalises the first letter, for coded words such as "repeat"
// or "severe" shown as labels.
func sentence(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// exampleDocument is a synthetic record with one entry of every kind, which
// New renders once to find template errors before any patient is built.
func exampleDocument() *Document {
	d := record.NewDate(2020, time.January, 2)
	one := 1.0
	return &Document{
		Practice: site.Practice{Name: "Example Practice", Phone: "01632 960000"},
		Record: &record.Record{
			Patient:       record.Patient{Name: "Example Patient", Born: d, NHSNumber: "9999999999"},
			Problems:      []record.Problem{{Title: "Example", Status: "active", Code: record.Code{System: "SNOMED", Value: "1"}}, {Title: "Example", Status: "resolved"}},
			Medications:   []record.Medication{{Name: "Example", Status: "current", Kind: "repeat", Review: d}, {Name: "Warfarin", Status: "current"}, {Name: "Example", Status: "stopped", End: d}},
			Allergies:     []record.Allergy{{Substance: "Example", Severity: "mild", Reaction: "Example"}, {Substance: "Example", Severity: "other"}},
			Immunisations: []record.Immunisation{{Vaccine: "Example", Date: d}, {Vaccine: "Example", NotGiven: true, Reason: "Example"}},
			Results: []record.Result{
				{Title: "Example", Value: &one, Low: &one, High: &one, Panel: "Example", Date: d},
				{Title: "Example", Value: &one, Date: record.NewDate(2020, time.February, 2)},
				{Title: "Example", Value: &one, Date: record.NewDate(2020, time.March, 2)},
				{Title: "Example", Text: "Example"},
			},
			Procedures: []record.Procedure{{Title: "Example", Date: d}},
			Letters:    []record.Letter{{Title: "Example", Date: d}},
			Devices:    []record.Device{{Title: "Example", Date: d}},
			Alerts:     []record.Alert{{Title: "Example", Date: d}},
			CarePlans:  []record.CarePlan{{Title: "Example", Summary: "Example", Date: d}},
			Encounters: []record.Encounter{{Title: "Example", Date: d}},
			Referrals:  []record.Referral{{Title: "Example", Status: "active", Date: d}},
			Findings:   []record.Finding{{Title: "Example", Date: d}},
			AdvanceDecisions: []record.AdvanceDecision{
				{Kind: record.DecisionDNACPR, Title: "Example", Date: d, Status: "active"},
				{Kind: record.DecisionADRT, Status: "inactive"},
			},
		},
		Pages:        []*content.Page{{Slug: "example", Title: "Example", Codes: []record.Code{{System: "SNOMED", Value: "1"}}, Reviewed: d, NextReview: d, Source: "Example"}},
		Approval:     Approval{By: "Example", Role: "GP", Date: d},
		Exported:     time.Date(2020, time.January, 2, 0, 0, 0, 0, time.UTC),
		CurrentUntil: time.Date(2020, time.April, 1, 0, 0, 0, 0, time.UTC),
		Fingerprint:  "0000 0000 0000 0000 0000  0000 0000 0000 0000 0000",
		BundleID:     "example",
	}
}

// mergeProblem adds p (dated when) to list, or, when list already holds
// the same coded problem with the same status, links p's date to that one
// instead: a problem recorded at several consultations is shown once,
// with every date it was recorded. Uncoded problems are never merged.
func mergeProblem(list []Problem, p Problem, when record.Date) []Problem {
	if !p.Code.IsZero() {
		for i := range list {
			q := &list[i]
			if !q.Code.Same(p.Code) || q.Status != p.Status {
				continue
			}
			q.Entries++
			if q.Onset.IsZero() || !when.IsZero() && when.Before(q.Onset) {
				// The earliest date is the problem's onset; the others are linked.
				if !q.Onset.IsZero() {
					q.Linked = append(q.Linked, q.Onset)
				}
				q.Onset = when
			} else if !when.IsZero() && !slices.ContainsFunc(q.Linked, func(d record.Date) bool { return d == when }) && when != q.Onset {
				q.Linked = append(q.Linked, when)
			}
			slices.SortFunc(q.Linked, func(a, b record.Date) int {
				switch {
				case a.Before(b):
					return -1
				case b.Before(a):
					return 1
				}
				return 0
			})
			return list
		}
	}
	return append(list, p)
}
