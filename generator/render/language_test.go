package render

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/satchel-records/satchel/generator/i18n"
	"github.com/satchel-records/satchel/generator/record"
	"github.com/satchel-records/satchel/generator/site"
)

// languageDocuments are the example document (one entry of every kind) and
// variants that take the templates' other branches, with a practice that
// sets every contact detail.
func languageDocuments() []*Document {
	full := exampleDocument()
	full.Practice = site.Practice{Name: "Example Practice", Phone: "01632 960000", Email: "example@example.invalid", Hours: "8-18", OutOfHours: "111"}
	full.Record.Patient.Sex = "female"
	full.Record.Medications = append(full.Record.Medications, record.Medication{Name: "Example", Status: "current", Kind: "acute", Review: record.NewDate(2020, time.May, 1)})
	died := exampleDocument()
	died.Record.Patient.Died = record.NewDate(2020, time.March, 1)
	died.Record.Patient.Name = ""
	died.Practice.Phone = ""
	undated := exampleDocument()
	undated.Record.Patient.Deceased = true
	undated.Record.Patient.Born = record.Date{}
	undated.CurrentUntil = time.Time{}
	undated.Approval = Approval{}
	undated.Record.AdvanceDecisions[0].Date = record.Date{}
	stale := exampleDocument()
	stale.CurrentUntil = stale.Exported.AddDate(0, 0, -1)
	stale.Approval.Date = record.Date{}
	return []*Document{full, died, undated, stale}
}

var (
	otherLanguage = regexp.MustCompile(`<span class="l" lang="([a-z]{2})"[^>]*>[^<]*(?:<[^/][^>]*>[^<]*</[a-z]+>[^<]*)*</span>`)
	// Left out: the style, the title (checked on its own), the language
	// switch (each language's name in itself), the glossary's entries
	// (English terms, explained in English: package glossary) and the
	// trend charts' descriptions (package chart writes them in English).
	markup = regexp.MustCompile(`(?s)<style>.*?</style>|<title>.*?</title>|<details class="lang-switch".*?</details>|<dl class="glossary-list">.*?</dl>|<div class="charts">.*?</figure>\n</div>|<[^>]*>`)
	// What is left of a document in the chosen language once its labels
	// are gone: the example's clinical text, names and numbers, dates,
	// punctuation, and words that are the same in every language.
	// "Other" is the example's allergy severity, as recorded.
	allowed = regexp.MustCompile(`Example Practice|Example Patient|Example|\bOther\b|Warfarin|example@example\.invalid|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|UTC|SNOMED|GP|FHIR)\b|&#39;|&amp;|&#43;|[0-9]`)
)

// leftover returns the words of the document out that are neither in a
// label of language code nor allowed: Satchel's own words hard-coded in a
// template, or shown in another language.
func leftover(out, code string) []string {
	// The chosen language's labels go, and so do the others' (they are
	// hidden): what is left was written outside any label.
	out = otherLanguage.ReplaceAllString(out, " ")
	text := markup.ReplaceAllString(out, " ")
	text = allowed.ReplaceAllString(text, " ")
	var words []string
	for _, w := range strings.FieldsFunc(text, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 127)
	}) {
		if w != "–" && w != "·" && w != "†" && w != "⚠" {
			words = append(words, w)
		}
	}
	return words
}

// TestEveryWordSatchelWritesIsInEachLanguage renders the example record in
// each language and removes that language's labels, the example's
// clinical text, dates and numbers: nothing may be left. A string left
// hard-coded in a template, or a label missing its translation, is.
func TestEveryWordSatchelWritesIsInEachLanguage(t *testing.T) {
	t.Parallel()
	for _, code := range i18n.Available() {
		// English is checked in a document that also has French.
		r := newRendererWith(t, Languages(code, "fr"))
		for i, d := range languageDocuments() {
			d.Language = code
			out := render(t, r, d)
			if words := leftover(out, code); len(words) > 0 {
				t.Errorf("%s, document %d: words outside the %s labels: %q", code, i, code, words)
			}
			title := out[strings.Index(out, "<title>"):strings.Index(out, "</title>")]
			if want, _ := r.labels.plain(code, "health_record"); !strings.Contains(title, want) {
				t.Errorf("%s, document %d: title %q lacks %q", code, i, title, want)
			}
			if !strings.Contains(out, `<input type="radio" name="satchel-lang" id="satchel-lang-`+code+`" value="`+code+`" checked>`) && code != i18n.English {
				t.Errorf("%s, document %d: does not open in %s", code, i, code)
			}
		}
	}
}

// The check above must be able to fail: a word written into a template
// outside a label is left over.
func TestLeftoverFindsAHardCodedWord(t *testing.T) {
	t.Parallel()
	r := newRendererWith(t, Languages("fr"))
	d := exampleDocument()
	d.Language = "fr"
	out := render(t, r, d)
	if words := leftover(out, "fr"); len(words) != 0 {
		t.Fatalf("left %q", words)
	}
	hard := strings.Replace(out, "<h2", "<h2>Sex</h2><h2", 1)
	if words := leftover(hard, "fr"); len(words) != 1 || words[0] != "Sex" {
		t.Errorf("a hard-coded word: left %q", words)
	}
}
