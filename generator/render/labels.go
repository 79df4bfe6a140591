package render

import (
	"fmt"
	"html/template"
	"strings"
	"text/template/parse"

	"github.com/satchel-records/satchel/generator/i18n"
	"github.com/satchel-records/satchel/generator/risk"
)

// labels holds the markup of every fixed label, English with the chosen
// languages beside it, made once in New: a document uses each label once
// or more, and building the markup per use would cost every render.
type labels struct {
	html  map[string]template.HTML // key -> English, then the translations
	flags map[string]template.HTML // risk group id -> its flag
	kinds map[string]template.HTML // risk group id -> its kind ("anticoagulant"), with translations
	words map[string]string        // risk group id -> its flag in English words
}

// newLabels loads English and the languages codes (in that order, each
// once; "en" is skipped, as English is always shown) and makes the labels'
// markup and the risk flags for the groups of list.
func newLabels(codes []string, list *risk.List) (labels, error) {
	en, err := i18n.Load(i18n.English)
	if err != nil {
		return labels{}, fmt.Errorf("built-in labels: %w", err)
	}
	var others []*i18n.Language
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
		others = append(others, l)
	}
	ls := labels{html: map[string]template.HTML{}, flags: map[string]template.HTML{}, kinds: map[string]template.HTML{}, words: map[string]string{}}
	for _, key := range en.Keys() {
		text, _ := en.Label(key)
		var b strings.Builder
		b.WriteString(template.HTMLEscapeString(text))
		translations(&b, others, func(l *i18n.Language) string { s, _ := l.Label(key); return s })
		ls.html[key] = template.HTML(b.String())
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
			var b strings.Builder
			b.WriteString(`<span class="risk-mark" aria-hidden="true">⚠</span> `)
			b.WriteString(template.HTMLEscapeString(highRisk + " – " + label))
			translations(&b, others, func(l *i18n.Language) string {
				hr, _ := l.Label("high_risk")
				if s, ok := l.Label(key); ok {
					return hr + " – " + s
				}
				return hr + " – " + label
			})
			ls.flags[g.ID] = template.HTML(b.String())
			b.Reset()
			b.WriteString(template.HTMLEscapeString(label))
			translations(&b, others, func(l *i18n.Language) string {
				if s, ok := l.Label(key); ok {
					return s
				}
				return label
			})
			ls.kinds[g.ID] = template.HTML(b.String())
			ls.words[g.ID] = highRisk + " – " + label
		}
	}
	return ls, nil
}

// translations writes the labels of langs as one secondary line, each in
// a span carrying its lang attribute (so screen readers pronounce it in
// its own language) and kept out of the glossary's marking: its terms are
// English.
func translations(b *strings.Builder, langs []*i18n.Language, text func(*i18n.Language) string) {
	if len(langs) == 0 {
		return
	}
	// The lead separator shows only where a theme runs the translations
	// on after the English, rather than on a line of their own.
	b.WriteString(`<span class="tr" data-noglossary><span class="tr-lead" aria-hidden="true"> · </span>`)
	for i, l := range langs {
		if i > 0 {
			b.WriteString(`<span aria-hidden="true"> · </span>`)
		}
		b.WriteString(`<span lang="`)
		b.WriteString(l.Code)
		b.WriteString(`">`)
		b.WriteString(template.HTMLEscapeString(text(l)))
		b.WriteString(`</span>`)
	}
	b.WriteString(`</span>`)
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
	switch k := strings.ToLower(strings.TrimSpace(s)); k {
	case "mild", "moderate", "severe":
		return ls.html["severity_"+k]
	}
	return template.HTML(template.HTMLEscapeString(sentence(s)))
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
			if len(n.Args) == 2 {
				if id, ok := n.Args[0].(*parse.IdentifierNode); ok && id.Ident == "label" {
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
