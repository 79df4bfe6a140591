// Package pdfdoc lays out one patient's approved record as a PDF: the copy
// a phone's own PDF reader opens offline, once package pdfcrypt has locked
// it with the card's key. It shows the facts the HTML record document shows
// (package render groups them; this package only lays them out): the
// emergency summary alone on page 1, then every section, the letters and
// the education pages.
//
// A PDF cannot show the practice's signature, so every page says it is a
// copy for reading and printing and how to check the record is genuine. The
// document's unencrypted metadata holds no name and no clinical text: only
// its producer and dates. Text is set in the Go fonts (Latin, Greek and
// Cyrillic); a character they lack prints as "?", and that page says so,
// rather than printing an empty box nobody can read.
package pdfdoc

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"unicode"

	"github.com/satchel-records/satchel/internal/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"

	"github.com/satchel-records/satchel/generator/content"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/render"
)

// Maker lays out record PDFs. It parses the fonts once, in New, and is
// then safe for concurrent use.
type Maker struct {
	font *sfnt.Font // Go Regular, to check which characters have a glyph
	md   *content.Markdown
}

// New returns a Maker that renders letters' Markdown with md.
func New(md *content.Markdown) (*Maker, error) {
	f, err := sfnt.Parse(goregular.TTF)
	if err != nil {
		return nil, errors.New("cannot read the built-in PDF font")
	}
	if md == nil {
		return nil, errors.New("no Markdown renderer for the PDF's letters")
	}
	return &Maker{font: f, md: md}, nil
}

// Page geometry, in millimetres (A4).
const (
	pageW, pageH = 210.0, 297.0
	margin       = 16.0
	bodyTop      = 26.0
	bodyBottom   = 30.0 // from the bottom edge: the footer sits below
	ptMM         = 25.4 / 72
)

// Make lays out d's record, grouped as v (render.Renderer.View of d), as
// an unencrypted PDF, in the words of one language (Renderer.Plain of
// v.Lang: the language the HTML document opens in). Every page says it
// is a copy for reading and printing and how to check the record is
// genuine (label pdf_trust); a page where a character had no glyph and
// was printed as "?" says so (pdf_missing). The output depends only on d,
// v and words: its dates are d.Exported, so a fixed clock gives the same
// bytes. Errors never quote the record.
func (m *Maker) Make(d *render.Document, v *render.View, words render.Plain) ([]byte, error) {
	if d == nil || d.Record == nil || v == nil {
		return nil, errors.New("no record to lay out")
	}
	// The summary must be read at a glance, on one page: a long one is
	// set smaller until it fits, and continues overleaf only at the
	// smallest size.
	// Only the layout kept is written out (fonts subset, streams
	// compressed): that is most of a PDF's time.
	for i, scale := range summaryScales {
		w := m.layout(d, v, words, scale)
		if w.pdf.Err() {
			// fpdf's messages are about fonts and layout, but say
			// nothing of them in case one ever quotes text.
			return nil, errors.New("cannot lay out the PDF copy")
		}
		if w.summaryPages != 1 && i < len(summaryScales)-1 {
			continue
		}
		var buf bytes.Buffer
		if err := w.pdf.Output(&buf); err != nil {
			return nil, errors.New("cannot lay out the PDF copy")
		}
		return buf.Bytes(), nil
	}
	return nil, errors.New("no summary scale") // summaryScales is not empty
}

// summaryScales are the sizes the summary is tried at, largest first.
var summaryScales = []float64{1, 0.88, 0.76}

// layout lays out the whole document, the summary's type scaled by scale.
func (m *Maker) layout(d *render.Document, v *render.View, words render.Plain, scale float64) *writer {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCatalogSort(true)
	pdf.SetCompression(true)
	pdf.SetCreationDate(d.Exported.UTC())
	pdf.SetModificationDate(d.Exported.UTC())
	pdf.SetProducer("Satchel", false)
	pdf.AddUTF8FontFromBytes("go", "", goregular.TTF)
	pdf.AddUTF8FontFromBytes("go", "B", gobold.TTF)
	pdf.SetMargins(margin, bodyTop, margin)
	pdf.SetAutoPageBreak(true, bodyBottom)
	pdf.AliasNbPages("")
	w := &writer{pdf: pdf, font: m.font, md: m.md, p: words, missing: map[int]bool{}, width: pageW - 2*margin, scale: scale}
	// A summary-only card opens summary.html, not record.html.
	page := "record.html"
	if v.SummaryOnly {
		page = "summary.html"
	}
	w.header = w.identity(v)
	w.trust = words.Text("pdf_trust", page, w.orNone(d.Fingerprint))
	w.missingNote = words.Text("pdf_missing", page)
	pdf.SetHeaderFunc(w.drawHeader)
	pdf.SetFooterFunc(w.drawFooter)

	pdf.AddPage()
	w.summary(d, v)
	w.summaryPages, w.scale = pdf.PageNo(), 1
	if v.SummaryOnly {
		// A summary-only card's copy: the summary is all it holds.
		return w
	}
	pdf.AddPage()
	w.sections(d, v)
	w.pages(v)
	return w
}

// writer lays out one document.
type writer struct {
	pdf     *fpdf.Fpdf
	font    *sfnt.Font
	buf     sfnt.Buffer
	md      *content.Markdown
	p       render.Plain // the words, in the copy's language
	missing map[int]bool // pages where a character was printed as "?"
	header  string       // name, date of birth and NHS number
	trust   string
	// missingNote says a page printed some character as "?", naming the
	// page this copy's card opens.
	missingNote string
	width       float64
	// scale sizes the body's type and spacing (the summary's may be
	// smaller); summaryPages is how many pages the summary took.
	scale        float64
	summaryPages int
}

// identity is the line that heads every page.
func (w *writer) identity(v *render.View) string {
	s := w.orNone(v.Patient.Name) + "   ·   " + w.p.Text("born", w.p.Date(v.Patient.Born))
	if v.NHSNumber != "" {
		s += "   ·   " + w.p.Text("nhs_number") + " " + v.NHSNumber
	}
	return s
}

func (w *writer) drawHeader() {
	p := w.pdf
	p.SetTextColor(0, 0, 0)
	p.SetFont("go", "B", 9)
	p.SetXY(margin, 10)
	p.CellFormat(w.width-30, 5, w.clean(w.header), "", 0, "L", false, 0, "")
	p.SetFont("go", "", 9)
	p.SetXY(pageW-margin-30, 10)
	// fpdf fills in the number of pages, {nb}, at the end.
	p.CellFormat(30, 5, w.p.Text("page_of", strconv.Itoa(p.PageNo()), "{nb}"), "", 0, "R", false, 0, "")
	p.SetDrawColor(120, 120, 120)
	p.Line(margin, 17, pageW-margin, 17)
	p.SetXY(margin, bodyTop)
}

func (w *writer) drawFooter() {
	p := w.pdf
	p.SetTextColor(60, 60, 60)
	p.SetDrawColor(120, 120, 120)
	y := pageH - bodyBottom + 6
	p.Line(margin, y-1.5, pageW-margin, y-1.5)
	p.SetFont("go", "", 7.5)
	lh := 7.5 * ptMM * 1.3
	for _, l := range p.SplitText(w.clean(w.trust), w.width) {
		p.SetXY(margin, y)
		p.CellFormat(w.width, lh, l, "", 0, "L", false, 0, "")
		y += lh
	}
	if w.missing[p.PageNo()] {
		p.SetFont("go", "B", 7.5)
		p.SetXY(margin, y)
		p.CellFormat(w.width, lh, w.missingNote, "", 0, "L", false, 0, "")
	}
	p.SetTextColor(0, 0, 0)
}

// clean returns s with every character the fonts lack replaced by "?",
// and marks the current page as one that must say so.
func (w *writer) clean(s string) string {
	t, missing := w.replace(s)
	if missing {
		w.missing[w.pdf.PageNo()] = true
	}
	return t
}

// replace returns s with tabs and other controls as spaces and every
// character Go Regular has no glyph for as "?"; missing says whether any
// character was replaced.
func (w *writer) replace(s string) (string, bool) {
	ascii := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\n' || c >= 0x7f {
			ascii = false
			break
		}
	}
	if ascii {
		return s, false
	}
	var b strings.Builder
	missing := false
	for _, r := range s {
		switch {
		case r == '\n':
		case unicode.IsControl(r) || r == '\u00ad':
			r = ' '
		case r >= 0x20 && r < 0x7f:
		default:
			if gi, err := w.font.GlyphIndex(&w.buf, r); err != nil || gi == 0 {
				r, missing = '?', true
			}
		}
		b.WriteRune(r)
	}
	return b.String(), missing
}

// gap leaves h millimetres of space, scaled like the type.
func (w *writer) gap(h float64) { w.pdf.Ln(h * w.scale) }

// room starts a new page unless h millimetres fit above the footer.
func (w *writer) room(h float64) {
	if w.pdf.GetY()+h > pageH-bodyBottom {
		w.pdf.AddPage()
	}
}

// text writes s wrapped to the body's width, indented by indent. A page
// that any of its lines reaches says so if a character was replaced.
func (w *writer) text(s, style string, size, indent float64, color [3]int) {
	p := w.pdf
	size *= w.scale
	p.SetFont("go", style, size)
	p.SetTextColor(color[0], color[1], color[2])
	lh := size * ptMM * 1.35
	t, missing := w.replace(s)
	for _, para := range strings.Split(t, "\n") {
		lines := p.SplitText(para, w.width-indent)
		if len(lines) == 0 {
			lines = []string{""}
		}
		for _, l := range lines {
			w.room(lh)
			if missing {
				w.missing[p.PageNo()] = true
			}
			p.SetX(margin + indent)
			p.CellFormat(w.width-indent, lh, l, "", 1, "L", false, 0, "")
		}
	}
	p.SetTextColor(0, 0, 0)
}

// riskMark flags a high-risk medicine: the HTML's warning sign is not in
// the Go fonts, this triangle is.
const riskMark = "▲ "

var (
	black = [3]int{0, 0, 0}
	grey  = [3]int{80, 80, 80}
	blue  = [3]int{20, 50, 110}
	red   = [3]int{150, 20, 20}
)

// title heads the document's parts (18pt); heading a section (13pt);
// subheading a group within one (11pt). Each keeps room for what follows.
func (w *writer) title(s string) {
	w.room(30)
	w.text(s, "B", 16, 0, blue)
	w.gap(1)
}

func (w *writer) heading(s string) {
	w.room(20)
	w.gap(2.5)
	w.text(s, "B", 12, 0, blue)
	y := w.pdf.GetY()
	w.pdf.SetDrawColor(20, 50, 110)
	w.pdf.Line(margin, y, pageW-margin, y)
	w.gap(1.5)
}

func (w *writer) subheading(s string) {
	w.room(16)
	w.gap(1.5)
	w.text(s, "B", 10.5, 0, black)
}

// entry writes one entry: its title in bold, then each non-empty detail,
// a high-risk flag in red.
func (w *writer) entry(title string, details ...string) {
	w.room(9)
	w.text(title, "B", 10, 3, black)
	for _, d := range details {
		switch {
		case d == "":
		case strings.HasPrefix(d, riskMark):
			w.text(d, "B", 9, 3, red)
		default:
			w.text(d, "", 9, 3, grey)
		}
	}
	w.gap(0.8)
}

// none says a list is empty, in words, never as a blank.
func (w *writer) none(s string) {
	w.text(s, "", 10, 3, grey)
	w.gap(1)
}

// summary writes page 1: who, how old the record is and who approved it,
// then what a clinician must see in an emergency, advance decisions first.
func (w *writer) summary(d *render.Document, v *render.View) {
	t := w.p.Text
	w.title(t("summary"))
	w.text(w.orNone(v.Patient.Name), "B", 13, 0, black)
	w.text(t("date_of_birth")+": "+w.p.Date(v.Patient.Born)+"   ·   "+t("nhs_number")+": "+w.orNone(v.NHSNumber), "", 10, 0, black)
	gp := v.Practice.Name
	// +44 ...: the copy is read abroad too.
	if n := v.Practice.PhoneDial(); n != nil {
		gp += ", " + n.Text
	}
	w.text(t("gp_practice")+": "+w.orNone(gp), "", 10, 0, black)
	w.gap(1)
	dates := t("exported") + ": " + w.p.Day(v.Exported)
	if !v.CurrentUntil.IsZero() {
		dates += "   ·   " + t("current_until") + ": " + w.p.Day(v.CurrentUntil)
	}
	w.text(dates, "", 9, 0, grey)
	w.text(t("approved_by")+": "+w.approval(v.Approval), "", 9, 0, grey)
	if v.SummaryOnly {
		w.text(t("summary_only_note"), "B", 9, 0, black)
	}

	w.heading(t("advance_decisions"))
	if len(v.AdvanceDecisions) == 0 {
		w.none(t("none_recorded"))
	}
	for _, a := range v.AdvanceDecisions {
		s := t("decision_recorded_undated", w.p.Decision(a.Kind))
		if !a.Date.IsZero() {
			s = t("decision_recorded", w.p.Decision(a.Kind), w.p.Date(a.Date))
		}
		if a.Status != "active" {
			s += " (" + t("not_in_force") + ")"
		}
		w.entry(s, w.labelled("recorded_as", a.Title))
	}
	w.heading(t("alerts"))
	if len(v.Alerts) == 0 {
		w.none(t("none_recorded"))
	}
	for _, a := range v.Alerts {
		w.entry(w.orNone(a.Title), w.dated("recorded", a.Date))
	}
	w.heading(t("allergies"))
	if len(v.Allergies) == 0 {
		w.none(t("allergies_none"))
	}
	for _, a := range v.Allergies {
		w.entry(w.orNone(a.Substance)+badge(w.p.Severity(a.Severity)), w.colon("reaction", a.Reaction))
	}
	w.heading(t("current_medicines"))
	if len(v.CurrentMedications) == 0 {
		w.none(t("medicines_none"))
	}
	for _, m := range v.CurrentMedications {
		details := make([]string, 0, len(m.Risks)+1)
		for _, r := range m.Risks {
			details = append(details, riskMark+w.p.Risk(r))
		}
		w.entry(w.orNone(m.Name), append(details, m.Dose)...)
	}
	w.heading(t("active_problems"))
	if len(v.ActiveProblems) == 0 {
		w.none(t("problems_none"))
	}
	for _, p := range v.ActiveProblems {
		w.entry(w.orNone(p.Title), w.dated("since", p.Onset))
	}
	if len(v.Devices) > 0 {
		w.heading(t("devices"))
		for _, dv := range v.Devices {
			w.entry(w.orNone(dv.Title), w.dated("fitted", dv.Date))
		}
	}
	if len(v.ActiveCarePlans) > 0 {
		w.heading(t("care_plans_current"))
		for _, c := range v.ActiveCarePlans {
			w.entry(w.orNone(c.Title), c.Summary, w.p.When("dated", c.Date))
		}
	}
	w.heading(t("contacts"))
	if len(v.Contacts) == 0 {
		w.none(t("none_recorded"))
	}
	for _, c := range v.Contacts {
		name := c.Name
		if name == "" {
			name = t("name_not_recorded")
		}
		if c.Relationship != "" {
			name += " (" + c.Relationship + ")"
		}
		tel := t("phone_not_recorded")
		if c.Phone != nil {
			tel = c.Phone.Text
		}
		w.entry(name, tel)
	}
}

// sections writes the full record, in the HTML document's order.
func (w *writer) sections(d *render.Document, v *render.View) {
	t := w.p.Text
	w.title(t("pdf_full_record"))
	if len(v.ActiveProblems)+len(v.PastProblems) > 0 {
		w.heading(t("problems"))
		for _, g := range []struct {
			name string
			list []render.Problem
		}{{t("active"), v.ActiveProblems}, {t("past"), v.PastProblems}} {
			if len(g.list) > 0 {
				w.subheading(g.name)
			}
			for _, p := range g.list {
				w.problem(p)
			}
		}
	}
	if len(v.CurrentMedications)+len(v.PastMedications) > 0 {
		w.heading(t("medicines"))
		if len(v.CurrentMedications) > 0 {
			w.subheading(t("current"))
		}
		for _, m := range v.CurrentMedications {
			var details []string
			for _, r := range m.Risks {
				details = append(details, riskMark+w.p.Risk(r)+prefixed(". ", w.p.RiskNote(r)))
			}
			meta := w.p.When("started", m.Start)
			if m.Kind == "repeat" || !m.Review.IsZero() {
				meta += " · " + w.p.When("review_by", m.Review)
			}
			w.entry(w.orNone(m.Name)+badge(w.word(m.Kind)), append(details, m.Dose, meta)...)
		}
		if len(v.PastMedications) > 0 {
			w.subheading(t("past"))
		}
		for _, m := range v.PastMedications {
			w.entry(w.orNone(m.Name)+badge(w.word(m.Kind)), m.Dose, w.p.When("started", m.Start)+" · "+w.p.When("stopped", m.End))
		}
	}
	if len(v.Allergies) > 0 {
		w.heading(t("allergies"))
		for _, a := range v.Allergies {
			w.entry(w.orNone(a.Substance)+badge(w.p.Severity(a.Severity)), w.colon("reaction", a.Reaction), w.p.When("recorded", a.Recorded))
		}
	}
	if len(v.Immunisations) > 0 {
		w.heading(t("immunisations"))
		for _, im := range v.Immunisations {
			if im.NotGiven {
				w.entry(w.orNone(im.Vaccine)+badge(t("not_given")), w.labelled("reason", im.Reason), w.p.When("recorded", im.Date))
			} else {
				w.entry(w.orNone(im.Vaccine), w.p.When("given", im.Date))
			}
		}
	}
	if len(v.Results) > 0 {
		w.heading(t("results"))
		for _, r := range v.Results {
			if r.PanelStart != "" {
				w.subheading(r.PanelStart)
			}
			w.result(r)
		}
	}
	list := func(heading string, n int, item func(i int) (string, []string)) {
		if n == 0 {
			return
		}
		w.heading(heading)
		for i := 0; i < n; i++ {
			t, details := item(i)
			w.entry(t, details...)
		}
	}
	list(t("procedures"), len(v.Procedures), func(i int) (string, []string) {
		p := v.Procedures[i]
		return w.orNone(p.Title), []string{w.p.When("date", p.Date)}
	})
	if len(v.Letters) > 0 {
		w.heading(t("letters"))
		for i, l := range v.Letters {
			w.letter(l, d.Record.Letters[i])
		}
	}
	list(t("devices"), len(v.Devices), func(i int) (string, []string) {
		x := v.Devices[i]
		return w.orNone(x.Title), []string{w.p.When("fitted", x.Date)}
	})
	list(t("care_plans"), len(v.CarePlans), func(i int) (string, []string) {
		x := v.CarePlans[i]
		title := w.orNone(x.Title)
		if !x.Active() {
			title += " (" + t("not_in_force") + ")"
		}
		return title, []string{x.Summary, w.p.When("dated", x.Date)}
	})
	list(t("encounters"), len(v.Encounters), func(i int) (string, []string) {
		x := v.Encounters[i]
		return w.orNone(x.Title), []string{w.p.When("date", x.Date)}
	})
	list(t("referrals"), len(v.Referrals), func(i int) (string, []string) {
		x := v.Referrals[i]
		return w.orNone(x.Title) + badge(w.word(x.Status)), []string{w.p.When("requested", x.Date)}
	})
	list(t("findings"), len(v.Findings), func(i int) (string, []string) {
		x := v.Findings[i]
		return w.orNone(x.Title), []string{w.p.When("recorded", x.Date)}
	})
}

func (w *writer) problem(p render.Problem) {
	meta := w.p.When("onset", p.Onset)
	if p.Active && !p.Onset.IsZero() {
		meta = w.p.When("since", p.Onset)
	}
	title := w.orNone(p.Title)
	if !p.Active {
		title += badge(w.word(p.Status))
	}
	var linked []string
	for _, d := range p.Linked {
		linked = append(linked, w.p.Date(d))
	}
	var reading []string
	for _, pg := range p.Reading {
		reading = append(reading, pg.Title)
	}
	w.entry(title, meta, w.labelled("also_recorded", strings.Join(linked, ", ")),
		w.labelled("read", strings.Join(reading, "; ")))
}

func (w *writer) result(r render.Result) {
	var value []string
	if r.Measured != "" {
		value = append(value, strings.TrimSpace(r.Measured+" "+r.Unit))
	}
	if r.Flag != "" {
		value = append(value, w.p.Flag(r.Flag))
	}
	if r.Text != "" {
		value = append(value, r.Text)
	}
	w.entry(w.orNone(r.Title), w.p.Text("result")+": "+w.orNone(strings.Join(value, " · "))+" · "+w.p.Range(r)+" · "+w.p.Date(r.Date))
}

// letter writes a letter's heading and its text as plain paragraphs.
func (w *writer) letter(l render.Letter, src record.Letter) {
	w.subheading(w.orNone(l.Title))
	w.text(w.labelled("from", l.From)+sepIf(l.From != "")+w.p.When("dated", l.Date), "", 9.5, 0, grey)
	w.gap(1)
	if strings.TrimSpace(src.Body) == "" {
		w.none(w.p.Text("letter_held"))
		return
	}
	w.blocks(w.md.Blocks([]byte(src.Body)))
	w.gap(2)
}

// pages writes the education pages.
func (w *writer) pages(v *render.View) {
	if len(v.Pages) == 0 {
		return
	}
	w.pdf.AddPage()
	w.title(w.p.Text("understanding"))
	for _, pg := range v.Pages {
		w.heading(w.orNone(pg.Title))
		var meta []string
		if !pg.Reviewed.IsZero() {
			meta = append(meta, w.dated("reviewed", pg.Reviewed))
		}
		if !pg.NextReview.IsZero() {
			meta = append(meta, w.dated("next_review", pg.NextReview))
		}
		if pg.Source != "" {
			meta = append(meta, w.p.Text("source", pg.Source))
		}
		if len(meta) > 0 {
			w.text(strings.Join(meta, " · "), "", 9, 0, grey)
			w.gap(1)
		}
		w.blocks(pg.Text)
	}
}

// blocks writes Markdown's plain-text blocks.
func (w *writer) blocks(bs []content.Block) {
	for _, b := range bs {
		indent := 5 * float64(b.Level)
		switch b.Kind {
		case content.Heading:
			w.room(14)
			w.gap(1.5)
			w.text(b.Text, "B", max(10.5, 14-float64(b.Level)), 0, black)
		case content.Item:
			w.text(b.Marker+" "+b.Text, "", 10.5, indent, black)
		case content.Code:
			w.text(b.Text, "", 9.5, indent+3, grey)
			w.gap(1)
		default:
			w.text(b.Text, "", 10.5, indent, black)
			w.gap(1.5)
		}
	}
}

// approval says who approved the record, in what role and when.
func (w *writer) approval(a render.Approval) string {
	if a.By == "" {
		return w.p.Text("approval_none")
	}
	s := a.By
	if a.Role != "" {
		s += " (" + a.Role + ")"
	}
	if a.Date.IsZero() {
		return s + ", " + w.p.Text("approval_date_none")
	}
	return s + " " + w.p.Text("on_date", w.p.Date(a.Date))
}

// dated is label key and the date d ("Since 3 Mar 2019"), "" when d is
// zero: the line is left out rather than left blank.
func (w *writer) dated(key string, d record.Date) string {
	if d.IsZero() {
		return ""
	}
	return w.p.Text(key) + " " + w.p.Date(d)
}

// labelled is label key with s in its place ("Recorded as: {0}"), "" when
// s is empty.
func (w *writer) labelled(key, s string) string {
	if s == "" {
		return ""
	}
	return w.p.Text(key, s)
}

// colon is label key, a colon and s ("Reaction: rash"), "" when s is
// empty.
func (w *writer) colon(key, s string) string {
	if s == "" {
		return ""
	}
	return w.p.Text(key) + ": " + s
}

// word is a coded word in the copy's language, "" for none.
func (w *writer) word(s string) string {
	if s == "" {
		return ""
	}
	return w.p.Word(s)
}

// orNone is s, or "not recorded" when s is blank: never a blank.
func (w *writer) orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return w.p.Text("not_recorded")
	}
	return s
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

func sepIf(b bool) string {
	if b {
		return " · "
	}
	return ""
}

func badge(s string) string {
	if s == "" {
		return ""
	}
	return "  [" + s + "]"
}
