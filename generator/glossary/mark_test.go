package glossary

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"html/template"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// testDict is a small dictionary with the cases that matter.
const testDict = `
[[term]]
term = "BP"
case_sensitive = true
explanation = "Blood pressure."

[[term]]
term = "bd"
aliases = ["BD"]
case_sensitive = true
explanation = "Twice a day."

[[term]]
term = "AF"
case_sensitive = true
explanation = "Atrial fibrillation."

[[term]]
term = "atrial fibrillation"
explanation = "An irregular heartbeat."

[[term]]
term = "ACE"
case_sensitive = true
explanation = "An enzyme."

[[term]]
term = "ACE inhibitor"
aliases = ["ACE inhibitors"]
case_sensitive = true
explanation = "A blood pressure medicine."

[[term]]
term = "statin"
aliases = ["statins"]
explanation = "A cholesterol medicine."

[[term]]
term = "U&E"
aliases = ["U+E"]
case_sensitive = true
explanation = "Urea & electrolytes: a \"kidney\" test."

[[term]]
term = "mg"
case_sensitive = true
explanation = "Milligram."

[[term]]
term = "HbA1c"
case_sensitive = true
explanation = "A sugar test."

[[term]]
term = "café au lait"
explanation = "A coffee-coloured patch."
`

func testGlossary(t testing.TB) *Glossary {
	t.Helper()
	g, err := Load([]byte(testDict), "test.toml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return g
}

var linkRE = regexp.MustCompile(`<a class="glossary-term" href="#glossary-([a-z0-9-]+)" title="[^"]*">`)

// marked returns the slugs linked in out, in order.
func marked(out string) []string {
	var s []string
	for _, m := range linkRE.FindAllStringSubmatch(out, -1) {
		s = append(s, m[1])
	}
	return s
}

var wholeLinkRE = regexp.MustCompile(`(?s)<a class="glossary-term" href="#glossary-[a-z0-9-]+" title="[^"]*">([^<]*)</a>`)

// unmark removes the links Mark adds, which must give back its input.
func unmark(out string) string {
	return wholeLinkRE.ReplaceAllString(out, "$1")
}

func TestMarkLinksTheFirstUseToItsGlossaryEntry(t *testing.T) {
	t.Parallel()
	m := testGlossary(t).NewMarker()
	out := string(m.Mark("<p>Your BP is high. Check BP again.</p>"))
	want := `<p>Your <a class="glossary-term" href="#glossary-bp" title="Blood pressure.">BP</a> is high. Check BP again.</p>`
	if out != want {
		t.Errorf("Mark:\n got %s\nwant %s", out, want)
	}
}

func TestMarkRemembersTermsAcrossCalls(t *testing.T) {
	t.Parallel()
	m := testGlossary(t).NewMarker()
	first := string(m.Mark("<p>BP</p>"))
	second := string(m.Mark("<p>BP and statins</p>"))
	if got := marked(first); len(got) != 1 || got[0] != "bp" {
		t.Errorf("first section marks %v, want [bp]", got)
	}
	if got := marked(second); len(got) != 1 || got[0] != "statin" {
		t.Errorf("second section marks %v, want only [statin]", got)
	}
}

func TestMarkMatchesAbbreviationsOnlyAsWrittenAndAsWholeWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{"<p>Pain in the abdomen after food.</p>", nil},
		{"<p>AFTER THE OPERATION</p>", nil},
		{"<p>after af and Af</p>", nil},
		{"<p>Bd and bD and abd</p>", nil},
		{"<p>Take one tablet bd.</p>", []string{"bd"}},
		{"<p>Take one tablet BD</p>", []string{"bd"}},
		{"<p>known AF, on warfarin</p>", []string{"af"}},
		{"<p>(AF)</p>", []string{"af"}},
		{"<p>The ace of spades; Ace; BP2; xBP</p>", nil},
		{"<p>Atorvastatin and statinx</p>", nil},
		{"<p>STATINS</p>", []string{"statin"}},
		{"<p>a café au lait patch</p>", []string{"caf-au-lait"}},
		{"<p>cafés au lait</p>", nil},
		{"<p>Dose 40mg daily</p>", []string{"mg"}},
		{"<p>Dose 40mgx daily, mgs</p>", nil},
	}
	for _, tt := range tests {
		m := testGlossary(t).NewMarker()
		out := string(m.Mark(template.HTML(tt.in)))
		if got := marked(out); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("Mark(%s) marks %v, want %v", tt.in, got, tt.want)
		}
		if unmark(out) != tt.in {
			t.Errorf("Mark(%s) changed more than it marked: %s", tt.in, out)
		}
	}
}

func TestMarkPrefersTheLongestMatch(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, slug, text string }{
		{"<p>on an ACE inhibitor</p>", "ace-inhibitor", "ACE inhibitor"},
		{"<p>on ACE inhibitors now</p>", "ace-inhibitor", "ACE inhibitors"},
		{"<p>on an ACE\n  inhibitor</p>", "ace-inhibitor", "ACE\n  inhibitor"},
		{"<p>ACE levels</p>", "ace", "ACE"},
		{"<p>Atrial Fibrillation</p>", "atrial-fibrillation", "Atrial Fibrillation"},
	}
	for _, tt := range tests {
		m := testGlossary(t).NewMarker()
		out := string(m.Mark(template.HTML(tt.in)))
		if got := marked(out); len(got) != 1 || got[0] != tt.slug {
			t.Errorf("Mark(%q) marks %v, want [%s]", tt.in, got, tt.slug)
			continue
		}
		if !strings.Contains(out, `">`+tt.text+"</a>") {
			t.Errorf("Mark(%q) did not link the whole of %q: %s", tt.in, tt.text, out)
		}
	}
}

func TestAUsedLongerTermIsNotMarkedAgainAsAShorterOne(t *testing.T) {
	t.Parallel()
	m := testGlossary(t).NewMarker()
	m.Mark("<p>ACE inhibitor</p>")
	if out := string(m.Mark("<p>ACE inhibitor</p>")); len(marked(out)) != 0 {
		t.Errorf("second use of a longer term marked a shorter one inside it: %s", out)
	}
}

func TestMarkLeavesTagsAttributesAndSkippedElementsAlone(t *testing.T) {
	t.Parallel()
	tests := []string{
		`<p title="BP statin">x</p>`,
		`<a href="#bp">BP</a>`,
		`<p><a href="#x">see <b>BP</b> here</a></p>`,
		`<abbr title="Blood pressure">BP</abbr>`,
		`<h1>BP</h1>`, `<h2>BP</h2>`, `<h3>Your <em>BP</em></h3>`,
		`<code>BP</code>`, `<pre>BP</pre>`, `<kbd>BP</kbd>`, `<samp>BP</samp>`,
		`<summary>BP</summary>`, `<button>BP</button>`, `<label>BP</label>`,
		`<select><option>BP</option></select>`,
		`<svg viewBox="0 0 1 1"><title>BP</title><desc>BP</desc><text>BP</text></svg>`,
		`<style>/* BP */ p::after { content: "<p>BP</p>" }</style>`,
		`<script>var s = "</p>BP";</script>`,
		`<title>BP</title>`,
		`<textarea>BP</textarea>`,
		`<!-- BP --><!-- <p>BP</p> -->`,
		`<div data-noglossary><div>BP</div> statin</div>`,
		`<img alt="BP" src="data:,"><input value="BP">`,
		`<p data-x='a > BP'>x</p>`,
	}
	for _, in := range tests {
		m := testGlossary(t).NewMarker()
		if out := string(m.Mark(template.HTML(in))); out != in {
			t.Errorf("Mark changed text it must skip:\n  in %s\n out %s", in, out)
		}
		if u := m.Used(); len(u) != 0 {
			t.Errorf("Mark(%s) recorded %d used terms, want none", in, len(u))
		}
	}
}

func TestMarkResumesAfterASkippedElement(t *testing.T) {
	t.Parallel()
	tests := []string{
		`<h2>BP</h2><p>BP</p>`,
		`<svg><g><text>BP</text></g><svg><text>BP</text></svg></svg><p>BP</p>`,
		`<div data-noglossary><div>x</div><div>BP</div></div><p>BP</p>`,
		`<SCRIPT>x = "</p>"</SCRIPT><p>BP</p>`,
		`<p>x<br/>BP</p>`,
		`<a href="#x"/><p>BP</p>`,
	}
	for _, in := range tests {
		m := testGlossary(t).NewMarker()
		out := string(m.Mark(template.HTML(in)))
		if !strings.HasSuffix(out, `<p><a class="glossary-term" href="#glossary-bp" title="Blood pressure.">BP</a></p>`) &&
			!strings.HasSuffix(out, `<p>x<br/><a class="glossary-term" href="#glossary-bp" title="Blood pressure.">BP</a></p>`) {
			t.Errorf("Mark did not mark the text after a skipped element:\n  in %s\n out %s", in, out)
		}
	}
}

func TestMarkKeepsEscapingAndMatchesDecodedText(t *testing.T) {
	t.Parallel()
	// What html/template writes for text holding &, <, ", ' and +.
	var buf bytes.Buffer
	tmpl := template.Must(template.New("").Parse(`<p>{{.}}</p>`))
	if err := tmpl.Execute(&buf, `U&E & "BP" <3 statin's U+E`); err != nil {
		t.Fatal(err)
	}
	in := buf.String()
	m := testGlossary(t).NewMarker()
	out := string(m.Mark(template.HTML(in)))
	if got := marked(out); fmt.Sprint(got) != "[u-e bp statin]" {
		t.Errorf("Mark marks %v, want [u-e bp statin]; out %s", got, out)
	}
	if !strings.Contains(out, `>U&amp;E</a>`) || !strings.Contains(out, `&#34;<a `) || !strings.Contains(out, `>statin</a>&#39;s`) || !strings.Contains(out, "&lt;3") {
		t.Errorf("Mark lost or changed escaping: %s", out)
	}
	if unmark(out) != in {
		t.Errorf("Mark changed more than it marked:\n  in %s\n out %s", in, out)
	}
	// The explanation is escaped in the title attribute.
	if !strings.Contains(out, `title="Urea &amp; electrolytes: a &#34;kidney&#34; test."`) {
		t.Errorf("the title attribute is not escaped: %s", out)
	}
	wellFormed(t, out)
}

func TestMarkNeverSplitsACharacterReference(t *testing.T) {
	t.Parallel()
	// "&#43;" decodes to "+", so the text reads "U+E": the mark must hold
	// the whole reference, not end inside it.
	m := testGlossary(t).NewMarker()
	out := string(m.Mark("<p>U&#43;E and &amp;BP&amp;</p>"))
	if !strings.Contains(out, `>U&#43;E</a>`) || !strings.Contains(out, `&amp;<a class="glossary-term" href="#glossary-bp" title="Blood pressure.">BP</a>&amp;`) {
		t.Errorf("marks split or missed a character reference: %s", out)
	}
	wellFormed(t, out)
}

func TestMarkReturnsTheFragmentItselfWhenNothingMatches(t *testing.T) {
	t.Parallel()
	m := testGlossary(t).NewMarker()
	in := template.HTML(`<p class="x">Nothing here &amp; nothing there.</p>`)
	if out := m.Mark(in); out != in {
		t.Errorf("Mark changed a fragment with no terms: %s", out)
	}
}

func TestUsedListsExactlyTheMarkedTermsAlphabetically(t *testing.T) {
	t.Parallel()
	m := testGlossary(t).NewMarker()
	var all strings.Builder
	for _, part := range []string{"<p>statin, HbA1c</p>", "<h2>BP</h2><p>U&amp;E, bd, BP</p>", "<p>ACE inhibitor, statin</p>"} {
		all.WriteString(string(m.Mark(template.HTML(part))))
	}
	var got []string
	for _, term := range m.Used() {
		got = append(got, Slug(term.Term))
	}
	if fmt.Sprint(got) != "[ace-inhibitor bd bp hba1c statin u-e]" {
		t.Errorf("Used() = %v, want [ace-inhibitor bd bp hba1c statin u-e]", got)
	}
	linked := marked(all.String())
	if len(linked) != len(got) {
		t.Errorf("document links %d terms but Used lists %d", len(linked), len(got))
	}
	for _, s := range linked {
		if !strings.Contains(fmt.Sprint(got), s) {
			t.Errorf("linked term %s is missing from Used", s)
		}
	}
}

func TestMarkersOfOneGlossaryRunConcurrently(t *testing.T) {
	t.Parallel()
	g := defaultGlossary(t)
	in := template.HTML(strings.Repeat("<p>BP 130/80 mmHg, eGFR 47, HbA1c 54 mmol/mol, on a statin and an ACE inhibitor bd.</p>", 20))
	want := string(g.NewMarker().Mark(in))
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				if got := string(g.NewMarker().Mark(in)); got != want {
					t.Error("concurrent markers gave different output")
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestBuiltInGlossaryMarksARealisticRecord(t *testing.T) {
	t.Parallel()
	m := defaultGlossary(t).NewMarker()
	in := sampleDocument()
	out := string(m.Mark(template.HTML(in)))
	if unmark(out) != in {
		t.Fatal("Mark changed more than it marked on a realistic record")
	}
	wellFormed(t, out)
	links := marked(out)
	seen := map[string]bool{}
	for _, s := range links {
		if seen[s] {
			t.Errorf("term %s marked more than once", s)
		}
		seen[s] = true
	}
	for _, want := range []string{"hypertension", "bp", "hba1c", "egfr", "statin", "ace-inhibitor", "af", "mg", "bd"} {
		if !seen[want] {
			t.Errorf("realistic record: %s not marked", want)
		}
	}
	for _, never := range []string{"ace", "od", "flutter"} {
		if seen[never] {
			t.Errorf("realistic record: %s marked, but only appears inside longer terms, headings or links", never)
		}
	}
	if len(m.Used()) != len(links) {
		t.Errorf("Used lists %d terms, the document links %d", len(m.Used()), len(links))
	}
}

// wellFormed checks that out still parses, as XML, to the same tree shape:
// the test fragments are written to be XHTML too.
func wellFormed(t *testing.T, out string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader("<root>" + out + "</root>"))
	d.Entity = xml.HTMLEntity
	d.AutoClose = xml.HTMLAutoClose
	d.Strict = false
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("marked output is not well-formed: %v", err)
		}
	}
}

// sampleDocument is a synthetic record document shaped like the renderer's
// output: headings, an emergency summary, tables, a letter and a chart.
func sampleDocument() string {
	return `<section class="summary" id="summary" aria-labelledby="summary-title">
<h2 id="summary-title">Emergency summary</h2>
<div class="summary-block"><h3>Current medicines</h3><ul>
<li><strong>Ramipril 5mg capsules</strong><br><span class="detail">One capsule once a day</span></li>
<li><strong>Atorvastatin 20mg tablets</strong><br><span class="detail">One tablet at night</span></li>
<li><strong>Apixaban 5mg tablets</strong><br><span class="detail">One tablet bd</span></li>
</ul></div>
<div class="summary-block"><h3>Active problems</h3><ul>
<li><strong>Hypertension</strong><br><span class="when">Since 22 Sep 2026</span></li>
<li><strong>AF (paroxysmal)</strong></li>
</ul></div></section>
<nav><a href="#section-results">Test results</a></nav>
<section class="section" id="section-results"><h2>Test results</h2>
<table class="results"><thead><tr><th scope="col">Test</th><th scope="col">Result</th></tr></thead><tbody>
<tr><th scope="row">HbA1c</th><td><span class="value">54</span> <span class="unit">mmol/mol</span></td></tr>
<tr><th scope="row">eGFR (CKD-EPI)</th><td>47 mL/min/1.73m2 <strong class="flag">Low</strong></td></tr>
<tr><th scope="row">Urine albumin : creatinine ratio</th><td>2.1 mg/mmol</td></tr>
</tbody></table>
<figure><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" role="img"><title>BP</title><desc>Blood pressure: latest 157/96 mmHg; trend steady.</desc><text>mmHg</text></svg>
<figcaption>BP: 7 readings. Latest 157/96 mmHg on 4 Oct 2026.</figcaption></figure>
</section>
<section class="section" id="section-letters"><h2>Letters</h2>
<article class="letter"><h3>Atrial flutter clinic</h3>
<div class="prose"><p>Dear Dr Okafor, I saw Mr Haddad today. His ECG shows atrial flutter with variable block; his blood pressure was 126/80. We will continue the ACE inhibitor and the statin, and he knows not to take NSAIDs such as ibuprofen with apixaban. His CHA₂DS₂-VASc score is 0 and his U&amp;E and LFTs were normal &#8212; &quot;good&quot;.</p>
<p>It&#39;s a good outcome; no odd symptoms, no Od doses.</p></div></article>
</section>`
}
