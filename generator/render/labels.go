package render

import (
	"fmt"
	"html/template"
	"regexp"
	"strconv"
	"strings"
	"text/template/parse"
	"time"

	"github.com/satchel-records/satchel/generator/chart"
	"github.com/satchel-records/satchel/generator/i18n"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/risk"
)

// labels holds the markup of every fixed label in each of the document's
// languages (English first, then site.toml's languages), made once in New:
// a document uses each label once or more, and building the markup per use
// would cost every render. With more than one language each label is one
// span per language, carrying its lang attribute; the document's CSS shows
// the reader's chosen language only (see switcher).
type labels struct {
	langs []*i18n.Language         // English, then the others, each once
	html  map[string]template.HTML // key -> the label in every language
	flags map[string]template.HTML // risk group id -> its flag
	kinds map[string]template.HTML // risk group id -> its kind ("anticoagulant"), in every language
	notes map[string]template.HTML // risk group id -> why it matters, in every language
	words map[string]string        // risk group id -> its flag in English words
}

// newLabels loads English and the languages codes (in that order, each
// once) and makes the labels' markup and the risk flags for the groups of
// list.
func newLabels(codes []string, list *risk.List) (labels, error) {
	en, err := i18n.Load(i18n.English)
	if err != nil {
		return labels{}, fmt.Errorf("built-in labels: %w", err)
	}
	ls := labels{langs: []*i18n.Language{en}, html: map[string]template.HTML{}, flags: map[string]template.HTML{}, kinds: map[string]template.HTML{}, notes: map[string]template.HTML{}, words: map[string]string{}}
	seen := map[string]bool{i18n.English: true}
	for _, c := range codes {
		if seen[c] {
			continue
		}
		seen[c] = true
		l, err := i18n.Load(c)
		if err != nil {
			return labels{}, fmt.Errorf("languages: %w", err)
		}
		ls.langs = append(ls.langs, l)
	}
	for _, key := range en.Keys() {
		ls.html[key] = ls.each(func(l *i18n.Language) template.HTML {
			s, _ := l.Label(key)
			return template.HTML(template.HTMLEscapeString(s))
		})
	}
	if list != nil {
		highRisk, _ := en.Label("high_risk")
		for _, g := range list.Groups() {
			key := "risk_" + strings.ReplaceAll(g.ID, "-", "_")
			label, known := en.Label(key)
			if !known {
				// A practice's own group: its label as written.
				label = g.Label
			}
			kind := func(l *i18n.Language) string {
				if s, ok := l.Label(key); ok {
					return s
				}
				return label
			}
			ls.flags[g.ID] = template.HTML(`<span class="risk-mark" aria-hidden="true">⚠</span> `) + ls.each(func(l *i18n.Language) template.HTML {
				hr, _ := l.Label("high_risk")
				return template.HTML(template.HTMLEscapeString(hr + " – " + kind(l)))
			})
			ls.kinds[g.ID] = ls.each(func(l *i18n.Language) template.HTML {
				return template.HTML(template.HTMLEscapeString(kind(l)))
			})
			ls.words[g.ID] = highRisk + " – " + label
			if g.Note != "" {
				noteKey := "risk_note_" + strings.ReplaceAll(g.ID, "-", "_")
				if _, ok := en.Label(noteKey); ok {
					ls.notes[g.ID] = ls.html[noteKey]
				} else {
					// A practice's own group: its note as written.
					ls.notes[g.ID] = template.HTML(template.HTMLEscapeString(g.Note))
				}
			}
		}
	}
	return ls, nil
}

// each returns text in every language of the document: English alone as
// it is, or one span per language, each with its lang attribute (so screen
// readers pronounce it in its own language, and the document's CSS shows
// only the chosen one). Spans other than English are kept out of the
// glossary's marking: its terms are English.
func (ls labels) each(text func(*i18n.Language) template.HTML) template.HTML {
	if len(ls.langs) == 1 {
		return text(ls.langs[0])
	}
	var b strings.Builder
	for _, l := range ls.langs {
		b.WriteString(`<span class="l" lang="`)
		b.WriteString(l.Code)
		if l.Code != i18n.English {
			b.WriteString(`" data-noglossary>`)
		} else {
			b.WriteString(`">`)
		}
		b.WriteString(string(text(l)))
		b.WriteString(`</span>`)
	}
	return template.HTML(b.String())
}

// chartSVG draws c in every language, each drawing's ids made unique by
// its language.
func (ls labels) chartSVG(c chart.Chart, id string) template.HTML {
	return ls.each(func(l *i18n.Language) template.HTML {
		if len(ls.langs) > 1 {
			return chart.SVG(c, id+"-"+l.Code, l)
		}
		return chart.SVG(c, id, l)
	})
}

// text returns the label key in every language with its placeholders
// {0}, {1}... replaced by args: a string or record.Date is escaped, a
// template.HTML (a link, a bold date) goes in as it is. An unknown key is
// an error.
func (ls labels) text(key string, args ...any) (template.HTML, error) {
	if _, ok := ls.html[key]; !ok {
		return "", fmt.Errorf("no label %q (see generator/i18n/lang/en.toml)", key)
	}
	parts := make([]string, len(args))
	dates := map[int]record.Date{}
	for i, a := range args {
		switch a := a.(type) {
		case record.Date:
			dates[i] = a // written in each language below
		case template.HTML:
			parts[i] = string(a)
		case string:
			parts[i] = template.HTMLEscapeString(a)
		case fmt.Stringer:
			parts[i] = template.HTMLEscapeString(a.String())
		default:
			parts[i] = template.HTMLEscapeString(fmt.Sprint(a))
		}
	}
	return ls.each(func(l *i18n.Language) template.HTML {
		s, _ := l.Label(key)
		s = template.HTMLEscapeString(s)
		for i, p := range parts {
			if d, ok := dates[i]; ok {
				p = template.HTMLEscapeString(dateIn(l, d))
			}
			s = strings.ReplaceAll(s, "{"+strconv.Itoa(i)+"}", pick(p, l.Code))
		}
		return template.HTML(s)
	}), nil
}

// dateIn writes d in language l: "3 Mar 2019", "3 mars 2019", "3. März
// 2019"; a month or a year alone for a partial date; "" for none. Month
// names and the order are the language's labels months and date_day /
// date_month.
func dateIn(l *i18n.Language, d record.Date) string {
	switch {
	case d.Precision == record.Year:
		return d.String()
	case d.IsZero():
		return ""
	case d.Precision == record.Month:
		return l.Month(d.Time)
	}
	return l.Date(d.Time)
}

// when labels a date in every language: "Started 3 Mar 2019", or
// "Started: date not recorded" when it is zero, so a missing date reads as
// missing, not blank.
func (ls labels) when(key string, d record.Date) (template.HTML, error) {
	if _, ok := ls.html[key]; !ok {
		return "", fmt.Errorf("no label %q (see generator/i18n/lang/en.toml)", key)
	}
	return ls.each(func(l *i18n.Language) template.HTML {
		return template.HTML(template.HTMLEscapeString(Plain{l}.When(key, d)))
	}), nil
}

// label returns the markup of the label key. An unknown key is an error,
// so a practice template's typo fails in New, not silently.
func (ls labels) label(key string) (template.HTML, error) {
	if h, ok := ls.html[key]; ok {
		return h, nil
	}
	return "", fmt.Errorf("no label %q (see generator/i18n/lang/en.toml)", key)
}

// severity returns an allergy's severity as a label when it is one of the
// coded values, translated like the other labels, or as recorded otherwise.
func (ls labels) severity(s string) template.HTML {
	if key, ok := severityKey(s); ok {
		return ls.html[key]
	}
	return template.HTML(template.HTMLEscapeString(sentence(s)))
}

// severityKey is the label of an allergy's severity when it is one of the
// coded values.
func severityKey(s string) (string, bool) {
	switch k := strings.ToLower(strings.TrimSpace(s)); k {
	case "mild", "moderate", "severe":
		return "severity_" + k, true
	}
	return "", false
}

// check finds every {{label "key"}} in the templates of t and fails on an
// unknown key: a typo in a branch the example document never takes would
// otherwise fail only for the patient whose record takes it.
func (ls labels) check(t *template.Template) error {
	var bad []string
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return
			}
			for _, c := range n.Nodes {
				walk(c)
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			if n == nil {
				return
			}
			for _, c := range n.Cmds {
				walk(c)
			}
		case *parse.CommandNode:
			if len(n.Args) >= 2 {
				if id, ok := n.Args[0].(*parse.IdentifierNode); ok && (id.Ident == "label" || id.Ident == "t" || id.Ident == "when") {
					if key, ok := n.Args[1].(*parse.StringNode); ok {
						if _, known := ls.html[key.Text]; !known {
							bad = append(bad, key.Text)
						}
					}
				}
			}
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.TemplateNode:
			walk(n.Pipe)
		}
	}
	for _, tt := range t.Templates() {
		if tt.Tree != nil {
			walk(tt.Tree.Root)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("no label %q (see generator/i18n/lang/en.toml)", bad[0])
	}
	return nil
}

// date returns a record date in words, or "not recorded" in every language
// when it is zero.
func (ls labels) date(d record.Date) template.HTML {
	if d.IsZero() {
		return ls.html["not_recorded"]
	}
	return ls.each(func(l *i18n.Language) template.HTML { return template.HTML(template.HTMLEscapeString(dateIn(l, d))) })
}

// dates returns a list of dates in every language: "3 Mar 2019, 4 Apr
// 2020".
func (ls labels) dates(ds []record.Date) template.HTML {
	return ls.each(func(l *i18n.Language) template.HTML {
		parts := make([]string, len(ds))
		for i, d := range ds {
			parts[i] = dateIn(l, d)
		}
		return template.HTML(template.HTMLEscapeString(strings.Join(parts, ", ")))
	})
}

// day returns the day of t (in UTC) in every language.
func (ls labels) day(t time.Time) template.HTML {
	t = t.UTC()
	return ls.date(record.NewDate(t.Year(), t.Month(), t.Day()))
}

// word returns a coded word (a medicine's kind, a status, the patient's
// sex) in every language when Satchel knows it (key word_<value>), or as
// recorded, capitalised, when it does not.
func (ls labels) word(s string) template.HTML {
	if h, ok := ls.html[wordKey(s)]; ok {
		return h
	}
	return template.HTML(template.HTMLEscapeString(sentence(s)))
}

// wordKey is the label a coded word would have.
func wordKey(s string) string { return "word_" + strings.ToLower(strings.TrimSpace(s)) }

// decision returns an advance decision's kind in words, in every language.
func (ls labels) decision(kind string) template.HTML {
	if h, ok := ls.html["decision_"+kind]; ok {
		return h
	}
	return ls.html[decisionOther]
}

// decisionOther is the label of an advance decision of a kind Satchel
// has no words for.
const decisionOther = "decision_directive"

// language returns the document's language code, or nil.
func (ls labels) language(code string) *i18n.Language {
	for _, l := range ls.langs {
		if l.Code == code {
			return l
		}
	}
	return nil
}

// plain returns the label key in the language code as text, with its
// placeholders filled in by args: for what cannot hold markup (the
// document's title, an attribute). A language the document does not
// have gives English.
func (ls labels) plain(code, key string, args ...any) (string, error) {
	l := ls.language(code)
	if l == nil {
		l = ls.langs[0]
	}
	s, ok := l.Label(key)
	if !ok {
		return "", fmt.Errorf("no label %q (see generator/i18n/lang/en.toml)", key)
	}
	for i, a := range args {
		s = strings.ReplaceAll(s, "{"+strconv.Itoa(i)+"}", fmt.Sprint(a))
	}
	return s, nil
}

// span matches one language's text as each writes it.
var span = regexp.MustCompile(`<span class="l" lang="([a-z]{2})"(?: data-noglossary)?>([^<]*)</span>`)

// pick returns markup made by each (a date "not recorded", an age, an
// advance decision's kind) in the language code alone, so that it can go
// inside another label's text in that language.
func pick(h, code string) string {
	if !strings.Contains(h, `<span class="l"`) {
		return h
	}
	return span.ReplaceAllStringFunc(h, func(s string) string {
		if m := span.FindStringSubmatch(s); m[1] == code {
			return m[2]
		}
		return ""
	})
}
