package render

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/satchel-records/satchel/generator/i18n"
	"github.com/satchel-records/satchel/generator/record"
)

// LanguageChoice is one language the reader can choose in the document.
type LanguageChoice struct {
	Code   string // "fr"
	Name   string // the language's name in itself: "Français"
	Chosen bool   // shown when the document opens
}

// Has reports whether the renderer shows the language code: English, or
// one of site.toml's languages. A patient's own language must be one of
// them (the build checks).
func (r *Renderer) Has(code string) bool { return r.labels.language(code) != nil }

// Languages returns the codes of the languages the renderer shows,
// English first.
func (r *Renderer) Languages() []string {
	out := make([]string, len(r.labels.langs))
	for i, l := range r.labels.langs {
		out[i] = l.Code
	}
	return out
}

// chosen returns the language a document opens in: the patient's own when
// the document has it, else English.
func (ls labels) chosen(code string) string {
	if code != "" && ls.language(code) != nil {
		return code
	}
	return i18n.English
}

// choices returns the language switch's choices, code chosen.
func (ls labels) choices(code string) []LanguageChoice {
	out := make([]LanguageChoice, len(ls.langs))
	for i, l := range ls.langs {
		out[i] = LanguageChoice{Code: l.Code, Name: l.Name, Chosen: l.Code == code}
	}
	return out
}

// css returns the rules that show one language's labels: the chosen one
// as the document opens, and whichever the reader picks after (radio
// buttons and :has(), no script). A browser without :has() shows the
// chosen language only, and the switch does nothing.
func (ls labels) css(code string) template.CSS {
	if len(ls.langs) < 2 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, ".l:not([lang=%q]) { display: none; }\n", code)
	// The results table's cells name their column on a phone (the
	// theme's content: var(--cell-label, attr(data-label))).
	cells := func(prefix string, l *i18n.Language) {
		for _, c := range [...]struct{ class, key string }{{"result-value", "result"}, {"result-range", "range"}, {"result-date", "date"}} {
			s, _ := l.Label(c.key)
			fmt.Fprintf(&b, "%s.results td.%s { --cell-label: %s; }\n", prefix, c.class, cssString(s))
		}
	}
	cells("", ls.language(code))
	for _, l := range ls.langs {
		fmt.Fprintf(&b, "body:has(#satchel-lang-%s:checked) .l[lang=%q] { display: inline; }\n", l.Code, l.Code)
		fmt.Fprintf(&b, "body:has(#satchel-lang-%s:checked) .l:not([lang=%q]) { display: none; }\n", l.Code, l.Code)
		cells("body:has(#satchel-lang-"+l.Code+":checked) ", l)
	}
	return template.CSS(b.String())
}

// pageOf returns the CSS content value of the printed pages' "Page n of
// m" in the language code.
func (ls labels) pageOf(code string) template.CSS {
	s, _ := ls.plain(code, "page_of")
	var b strings.Builder
	for s != "" {
		i := strings.IndexByte(s, '{')
		if i < 0 || i+2 >= len(s) || s[i+2] != '}' {
			b.WriteString(cssString(s) + " ")
			break
		}
		if i > 0 {
			b.WriteString(cssString(s[:i]) + " ")
		}
		switch s[i+1] {
		case '0':
			b.WriteString("counter(page) ")
		case '1':
			b.WriteString("counter(pages) ")
		}
		s = s[i+3:]
	}
	return template.CSS(strings.TrimSpace(b.String()))
}

// cssString quotes s as a CSS string, every character that is not a
// letter, digit or space escaped.
func cssString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range s {
		if c == ' ' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
			continue
		}
		b.WriteString(`\` + strconv.FormatInt(int64(c), 16) + " ")
	}
	b.WriteByte('"')
	return b.String()
}

// rangeText returns a result's reference range in words, with its unit, in
// every language: "3.5 to 5.3 mmol/L"; empty when it has none.
func (ls labels) rangeText(r Result) template.HTML {
	if r.low == nil && r.high == nil {
		return ""
	}
	return ls.each(func(l *i18n.Language) template.HTML {
		return template.HTML(template.HTMLEscapeString(rangeIn(l, r)))
	})
}

// rangeIn writes a result's reference range in language l, with its
// unit; "" when it has none.
func rangeIn(l *i18n.Language, r Result) string {
	unit := ""
	if r.Unit != "" {
		unit = " " + r.Unit
	}
	switch {
	case r.low != nil && r.high != nil:
		return l.Text("range_between", number(*r.low), number(*r.high)+unit)
	case r.low != nil:
		return l.Text("range_at_least", number(*r.low)+unit)
	case r.high != nil:
		return l.Text("range_up_to", number(*r.high)+unit)
	}
	return ""
}

// age returns the age of someone born on born, on the day on, in every
// language (see age); empty when known is false or the age cannot be told.
func (ls labels) age(born record.Date, on time.Time, known bool) template.HTML {
	if !known || born.IsZero() || on.Before(born.Time) {
		return ""
	}
	on = time.Date(on.Year(), on.Month(), on.Day(), 0, 0, 0, 0, time.UTC)
	oldest := months(born.Time, on)
	youngest := 0
	if last := end(born).AddDate(0, 0, -1); !on.Before(last) {
		youngest = months(last, on)
	}
	one, many, span := "age_year", "age_years", "age_years_range"
	if oldest < 24 {
		one, many, span = "age_month", "age_months", "age_months_range"
	} else {
		oldest, youngest = oldest/12, youngest/12
	}
	var h template.HTML
	switch {
	case youngest != oldest:
		h, _ = ls.text(span, youngest, oldest)
	case oldest == 1:
		h = ls.html[one]
	default:
		h, _ = ls.text(many, oldest)
	}
	return h
}

// runningHead is the line at the top of every printed page, in the
// language code: "Reginald Osei · born 27 May 1945".
func (ls labels) runningHead(code string, p record.Patient) string {
	name := p.Name
	if name == "" {
		name, _ = ls.plain(code, "name_not_recorded")
	}
	born, _ := ls.plain(code, "born_short", p.Born.String())
	if p.Born.IsZero() {
		nr, _ := ls.plain(code, "not_recorded")
		dob, _ := ls.plain(code, "date_of_birth")
		born = dob + " " + nr
	}
	return name + " · " + born
}
