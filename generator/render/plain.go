package render

import (
	"strings"
	"time"

	"github.com/satchel-records/satchel/generator/i18n"
	"github.com/satchel-records/satchel/generator/record"
)

// Plain is the document's own words in one language, as plain text: for
// what lays out the record without HTML, one language at a time (the PDF
// copy, package pdfdoc). It says what the HTML document says, with the
// same labels: a missing date is "not recorded", never a blank.
type Plain struct{ l *i18n.Language }

// Plain returns the words of language code: the language the document
// opens in (View.Lang), or English when the renderer does not show code.
func (r *Renderer) Plain(code string) Plain {
	l := r.labels.language(code)
	if l == nil {
		l = r.labels.langs[0]
	}
	return Plain{l}
}

// Code is the language's code, such as "fr".
func (p Plain) Code() string { return p.l.Code }

// Text returns label key with its placeholders filled in by args.
func (p Plain) Text(key string, args ...string) string { return p.l.Text(key, args...) }

// Date returns a record date in words, or "not recorded".
func (p Plain) Date(d record.Date) string {
	if d.IsZero() {
		return p.l.Text("not_recorded")
	}
	return dateIn(p.l, d)
}

// Day returns the day of t (in UTC) in words.
func (p Plain) Day(t time.Time) string {
	t = t.UTC()
	return p.Date(record.NewDate(t.Year(), t.Month(), t.Day()))
}

// When labels a date: "Started 3 Mar 2019", or "Started: date not
// recorded".
func (p Plain) When(key string, d record.Date) string {
	if d.IsZero() {
		return p.l.Text(key) + ": " + p.l.Text("date_not_recorded")
	}
	return p.l.Text(key) + " " + dateIn(p.l, d)
}

// Word returns a coded word (a medicine's kind, a status) translated when
// Satchel knows it, or as recorded, capitalised.
func (p Plain) Word(s string) string {
	if w, ok := p.l.Label(wordKey(s)); ok {
		return w
	}
	return sentence(s)
}

// Severity returns an allergy's severity, translated when it is a coded
// value.
func (p Plain) Severity(s string) string {
	if key, ok := severityKey(s); ok {
		return p.l.Text(key)
	}
	return sentence(s)
}

// Decision returns an advance decision's kind in words.
func (p Plain) Decision(kind string) string {
	if s, ok := p.l.Label("decision_" + kind); ok {
		return s
	}
	return p.l.Text(decisionOther)
}

// Flag returns a result's flag ("High", "Low") in words, "" for none.
func (p Plain) Flag(f string) string {
	if f == "" {
		return ""
	}
	return p.l.Text("flag_" + strings.ToLower(f))
}

// Range returns a result's reference range in words, led by its kind
// ("Normal: 3.5 to 5.3 mmol/L"), or "Range: not given".
func (p Plain) Range(r Result) string {
	s := rangeIn(p.l, r)
	if s == "" {
		return p.l.Text("range") + ": " + p.l.Text("range_none")
	}
	kind := p.l.Text("range_normal")
	if r.RangeKind == "Target" {
		kind = p.l.Text("range_target")
	}
	return kind + ": " + s
}

// Risk returns a high-risk medicine's flag in words: "High risk –
// anticoagulant". A practice's own group keeps its words as written.
func (p Plain) Risk(r Risk) string {
	if s, ok := p.l.Label("risk_" + strings.ReplaceAll(r.Group, "-", "_")); ok {
		return p.l.Text("high_risk") + " – " + s
	}
	return r.Words
}

// RiskNote returns why a high-risk medicine matters, "" when it has no
// note. A practice's own group keeps its note as written.
func (p Plain) RiskNote(r Risk) string {
	if r.Note == "" {
		return ""
	}
	if s, ok := p.l.Label("risk_note_" + strings.ReplaceAll(r.Group, "-", "_")); ok {
		return s
	}
	return r.Note
}
